/* hostlist/hostlist.h - ordered lists of host names (RFC 29).
 *
 * A Hostlist is an ordered list of host names (duplicates allowed) that can
 * be parsed from and encoded to the compressed RFC 29 form used by Flux and
 * Slurm, e.g. "foo[0-3,7],bar,baz[01-03]x".  Nothing here throws (beyond
 * std::bad_alloc from the standard library).
 */
#ifndef FLUX_COMMON_HOSTLIST_HOSTLIST_H
#define FLUX_COMMON_HOSTLIST_HOSTLIST_H

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flux {

class Hostlist {
  public:
    /* parse() refuses to expand to more hosts than this. */
    static constexpr size_t max_hosts = 1000000;

    Hostlist() = default;

    /* Parse a comma-separated list of terms, each a plain host name or
     * prefix + "[ranges]" + optional suffix, e.g. "foo[0-3,7],bar,baz[01-03]x".
     * Commas inside brackets separate ranges; zero padding is taken from
     * the low end of each range ("n[01-10]" -> n01..n10).  Hosts keep the
     * order written.  "" is the empty list.  Rejects unbalanced or nested
     * brackets, more than one bracket per term, empty terms or ranges,
     * reversed or malformed ranges, whitespace and more than max_hosts
     * hosts: the result is std::nullopt and, if err is non-null, *err names
     * the problem and the text, e.g. "hostlist: unbalanced '[' in 'foo[1-3'".
     */
    static std::optional<Hostlist> parse(std::string_view s, std::string *err = nullptr);

    void append(const std::string &host);

    size_t count() const;
    const std::string &at(size_t i) const; // precondition: i < count()

    /* Index of the first host equal to host, if any. */
    std::optional<size_t> find(std::string_view host) const;

    const std::vector<std::string> &hosts() const;

    /* Compressed form.  Runs of hosts adjacent in the list that share a
     * prefix and suffix around their last group of digits are folded into
     * one bracketed term; consecutive numbers of the same zero-padded width
     * become ranges: foo0,foo1,foo2,foo3,foo7 -> "foo[0-3,7]".  List order
     * is preserved, so parse(encode()) yields the same hosts in the same
     * order, provided every host is itself a valid plain name (non-empty,
     * no brackets, commas or whitespace); other hosts are emitted verbatim.
     */
    std::string encode() const;

    bool operator==(const Hostlist &) const = default;

  private:
    std::vector<std::string> hosts_;
};

} // namespace flux

#endif // FLUX_COMMON_HOSTLIST_HOSTLIST_H
