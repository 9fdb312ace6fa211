/* attrs.h - the broker attribute table (flux-broker-attributes(7)).
 *
 * Names are strings; values are strings.  An attribute is one of:
 *   immutable  - fixed once the broker has booted (rank, size, local-uri, ...)
 *   runtime    - may be changed by the owner with attr.set (log-stderr-level, ...)
 * Unknown names may be created on the command line (-S) but not at run time.
 */
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace fluxd {

class Attrs {
  public:
    enum Flags { immutable = 1, runtime = 2 };
    /* Validator: return an error text to reject a value, or "" to accept. */
    using Validator = std::function<std::string(const std::string &)>;

    /* Declare a known attribute with a default value (nullopt: unset). */
    void declare(const std::string &name,
                 std::optional<std::string> value,
                 int flags,
                 Validator check = nullptr);
    /* Reserve a name the broker computes at boot; -S may not set it. */
    void reserve(const std::string &name);
    /* Command line -S NAME=VALUE before boot: known or new names; rejects
     * attributes the broker computes itself (rank, size, ...).  "" on success. */
    std::string set_cmdline(const std::string &name, const std::string &value);
    /* Set by the broker itself (no checks). */
    void set_internal(const std::string &name, const std::string &value, int flags = immutable);
    /* attr.set at run time.  Returns errno-style code (0, ENOENT, EPERM, EINVAL) and text. */
    int set_runtime(const std::string &name, const std::string &value, std::string *err);
    std::optional<std::string> get(const std::string &name) const;
    bool is_immutable(const std::string &name) const;
    /* Parse "NAME=VALUE"; nullopt if no '=' or empty name. */
    static std::optional<std::pair<std::string, std::string>>
    parse_assignment(const std::string &s);
    template <typename F> void for_each(F f) const
    {
        for (const auto &[name, a] : table_) {
            if (a.value)
                f(name, *a.value, a.flags);
        }
    }
    /* The value as a decimal integer, or nullopt if unset or not one. */
    std::optional<long> get_long(const std::string &name) const;
    static std::string check_int_range(const std::string &v, long lo, long hi);

  private:
    struct Attr {
        std::optional<std::string> value;
        int flags = 0;
        bool computed = false; /* set by the broker only */
        Validator check;
    };
    std::map<std::string, Attr> table_;
};

} // namespace fluxd
