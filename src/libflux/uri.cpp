/* uri.cpp - parse local:// and ssh:// instance URIs. */
#include <cctype>

#include "uri.h"

namespace flux {

std::optional<Uri> uri_parse(std::string_view s, std::string *err)
{
    auto fail = [&](const std::string &why) -> std::optional<Uri> {
        if (err)
            *err = "invalid URI '" + std::string(s) + "': " + why;
        return std::nullopt;
    };
    size_t sep = s.find("://");
    if (sep == std::string_view::npos || sep == 0)
        return fail("expected SCHEME://... (local:// or ssh://)");
    Uri u;
    u.scheme = std::string(s.substr(0, sep));
    std::string_view rest = s.substr(sep + 3);
    if (u.scheme == "local") {
        if (rest.empty() || rest[0] != '/')
            return fail("local:// needs an absolute socket path");
        u.path = std::string(rest);
        return u;
    }
    if (u.scheme != "ssh")
        return fail("unknown scheme '" + u.scheme + "' (expected local:// or ssh://)");
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos)
        return fail("ssh:// needs a path after the host");
    std::string_view authority = rest.substr(0, slash);
    u.path = std::string(rest.substr(slash));
    if (u.path.size() < 2)
        return fail("ssh:// needs a socket path after the host");
    size_t at = authority.find('@');
    if (at != std::string_view::npos) {
        u.user = std::string(authority.substr(0, at));
        authority = authority.substr(at + 1);
        if (u.user.empty())
            return fail("empty user name before '@'");
    }
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
        std::string_view port = authority.substr(colon + 1);
        authority = authority.substr(0, colon);
        if (port.empty() || port.size() > 5)
            return fail("invalid port");
        int p = 0;
        for (char c : port) {
            if (!isdigit((unsigned char)c))
                return fail("invalid port '" + std::string(port) + "'");
            p = p * 10 + (c - '0');
        }
        if (p < 1 || p > 65535)
            return fail("port " + std::to_string(p) + " out of range");
        u.port = p;
    }
    if (authority.empty())
        return fail("missing host");
    for (char c : authority) {
        if (!isalnum((unsigned char)c) && c != '-' && c != '.' && c != '_')
            return fail("invalid character in host '" + std::string(authority) + "'");
    }
    u.host = std::string(authority);
    return u;
}

} // namespace flux
