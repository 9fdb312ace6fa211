/* attrs.cpp - the broker attribute table. */
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "attrs.h"

namespace fluxd {

void Attrs::declare(const std::string &name,
                    std::optional<std::string> value,
                    int flags,
                    Validator check)
{
    Attr &a = table_[name];
    a.value = std::move(value);
    a.flags = flags;
    a.check = std::move(check);
}

void Attrs::reserve(const std::string &name)
{
    Attr &a = table_[name];
    a.flags = immutable;
    a.computed = true;
}

std::string Attrs::set_cmdline(const std::string &name, const std::string &value)
{
    auto it = table_.find(name);
    if (it != table_.end()) {
        if (it->second.computed)
            return "attribute '" + name + "' is set by the broker and may not be set";
        if (it->second.check) {
            std::string err = it->second.check(value);
            if (!err.empty())
                return "attribute '" + name + "': " + err;
        }
        it->second.value = value;
        return "";
    }
    table_[name] = Attr{value, runtime, false, nullptr};
    return "";
}

void Attrs::set_internal(const std::string &name, const std::string &value, int flags)
{
    Attr &a = table_[name];
    a.value = value;
    a.flags = flags;
    a.computed = true;
}

int Attrs::set_runtime(const std::string &name, const std::string &value, std::string *err)
{
    auto it = table_.find(name);
    if (it == table_.end()) {
        *err = "unknown attribute '" + name + "'";
        return ENOENT;
    }
    if (!(it->second.flags & runtime)) {
        *err = "attribute '" + name + "' may not be changed at run time";
        return EPERM;
    }
    if (it->second.check) {
        std::string e = it->second.check(value);
        if (!e.empty()) {
            *err = "attribute '" + name + "': " + e;
            return EINVAL;
        }
    }
    it->second.value = value;
    return 0;
}

std::optional<std::string> Attrs::get(const std::string &name) const
{
    auto it = table_.find(name);
    if (it == table_.end())
        return std::nullopt;
    return it->second.value;
}

bool Attrs::is_immutable(const std::string &name) const
{
    auto it = table_.find(name);
    return it != table_.end() && (it->second.flags & immutable);
}

std::optional<std::pair<std::string, std::string>> Attrs::parse_assignment(const std::string &s)
{
    size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
        return std::nullopt;
    return std::make_pair(s.substr(0, eq), s.substr(eq + 1));
}

std::optional<long> Attrs::get_long(const std::string &name) const
{
    auto v = get(name);
    if (!v || v->empty() || !(isdigit((unsigned char)(*v)[0]) || (*v)[0] == '-'))
        return std::nullopt;
    char *end;
    errno = 0;
    long n = strtol(v->c_str(), &end, 10);
    if (errno || *end)
        return std::nullopt;
    return n;
}

std::string Attrs::check_int_range(const std::string &v, long lo, long hi)
{
    if (v.empty() || !(isdigit((unsigned char)v[0]) || (v[0] == '-' && v.size() > 1)))
        return "'" + v + "' is not an integer";
    char *end;
    errno = 0;
    long n = strtol(v.c_str(), &end, 10);
    if (v.empty() || errno || *end)
        return "'" + v + "' is not an integer";
    if (n < lo || n > hi)
        return "value " + v + " is out of range [" + std::to_string(lo) + "-" + std::to_string(hi) +
               "]";
    return "";
}

} // namespace fluxd
