/* libflux/test/uri.cpp - Criterion tests for flux::uri_parse (local:// and ssh:// instance URIs).
 */
#include <criterion/criterion.h>

#include <string>

#include "libflux/uri.h"

using flux::uri_parse;

namespace {

struct valid_case {
    const char *uri;
    const char *scheme;
    const char *user;
    const char *host;
    int port;
    const char *path;
};

const valid_case valid_cases[] = {
    {"local:///x", "local", "", "", -1, "/x"},
    {"local:///", "local", "", "", -1, "/"},
    {"local:///tmp/flux-abc/local-0", "local", "", "", -1, "/tmp/flux-abc/local-0"},
    {"local:///run/flux/local", "local", "", "", -1, "/run/flux/local"},
    {"local:///path with space/sock", "local", "", "", -1, "/path with space/sock"},
    {"ssh://host/path", "ssh", "", "host", -1, "/path"},
    {"ssh://user@host:22/path", "ssh", "user", "host", 22, "/path"},
    {"ssh://host:2222/tmp/s", "ssh", "", "host", 2222, "/tmp/s"},
    {"ssh://alice@node01.cluster.org/run/flux/local", "ssh", "alice", "node01.cluster.org", -1,
     "/run/flux/local"},
    {"ssh://a_b-c.d/x", "ssh", "", "a_b-c.d", -1, "/x"},
    {"ssh://h:1/x", "ssh", "", "h", 1, "/x"},
    {"ssh://h:65535/x", "ssh", "", "h", 65535, "/x"},
    {"ssh://h:00022/x", "ssh", "", "h", 22, "/x"},
    {"ssh://10.0.0.1/x/y/z", "ssh", "", "10.0.0.1", -1, "/x/y/z"},
    {"ssh://u@h/x", "ssh", "u", "h", -1, "/x"},
};

struct invalid_case {
    const char *uri;
    const char *message; /* expected substring of the error */
};

const invalid_case invalid_cases[] = {
    /* no scheme */
    {"", "expected SCHEME://"},
    {"/tmp/sock", "expected SCHEME://"},
    {"local:/tmp/sock", "expected SCHEME://"},
    {"://x", "expected SCHEME://"},
    {"host:22/path", "expected SCHEME://"},
    /* unknown scheme */
    {"tcp://host:1/x", "unknown scheme 'tcp'"},
    {"LOCAL:///x", "unknown scheme 'LOCAL'"},
    {"ipc:///x", "unknown scheme 'ipc'"},
    {"sshx://h/x", "unknown scheme 'sshx'"},
    /* local needs an absolute path */
    {"local://", "local:// needs an absolute socket path"},
    {"local://tmp/sock", "local:// needs an absolute socket path"},
    {"local://relative", "local:// needs an absolute socket path"},
    {"local://./x", "local:// needs an absolute socket path"},
    /* ssh needs a path */
    {"ssh://host", "ssh:// needs a path after the host"},
    {"ssh://user@host:22", "ssh:// needs a path after the host"},
    {"ssh://", "ssh:// needs a path after the host"},
    {"ssh://host/", "ssh:// needs a socket path after the host"},
    /* bad port */
    {"ssh://host:0/x", "port 0 out of range"},
    {"ssh://host:65536/x", "port 65536 out of range"},
    {"ssh://host:99999/x", "port 99999 out of range"},
    {"ssh://host:abc/x", "invalid port 'abc'"},
    {"ssh://host:2a/x", "invalid port '2a'"},
    {"ssh://host:-1/x", "invalid port '-1'"},
    {"ssh://host:+22/x", "invalid port '+22'"},
    {"ssh://host: 22/x", "invalid port ' 22'"},
    {"ssh://host:/x", "invalid port"},
    {"ssh://host:123456/x", "invalid port"},
    /* empty user */
    {"ssh://@host/x", "empty user name before '@'"},
    {"ssh://@host:22/x", "empty user name before '@'"},
    /* host */
    {"ssh:///x", "missing host"},
    {"ssh://user@/x", "missing host"},
    {"ssh://:22/x", "missing host"},
    {"ssh://ho st/x", "invalid character in host 'ho st'"},
    {"ssh://host!/x", "invalid character in host 'host!'"},
    {"ssh://a@b@c/x", "invalid character in host 'b@c'"},
    {"ssh://[::1]/x", "invalid port '1]'"},
    {"ssh://h%41/x", "invalid character in host 'h%41'"},
};

} // namespace

Test(uri, valid)
{
    for (const auto &tc : valid_cases) {
        std::string err = "untouched";
        auto u = uri_parse(tc.uri, &err);
        cr_assert(u.has_value(), "uri_parse('%s') failed: %s", tc.uri, err.c_str());
        cr_expect_str_eq(u->scheme.c_str(), tc.scheme, "%s: scheme", tc.uri);
        cr_expect_str_eq(u->user.c_str(), tc.user, "%s: user", tc.uri);
        cr_expect_str_eq(u->host.c_str(), tc.host, "%s: host", tc.uri);
        cr_expect_eq(u->port, tc.port, "%s: port %d", tc.uri, u->port);
        cr_expect_str_eq(u->path.c_str(), tc.path, "%s: path", tc.uri);
        cr_expect_str_eq(err.c_str(), "untouched", "%s: err changed on success", tc.uri);
    }
}

Test(uri, valid_without_err)
{
    for (const auto &tc : valid_cases)
        cr_expect(uri_parse(tc.uri, nullptr).has_value(), "'%s'", tc.uri);
}

Test(uri, invalid)
{
    for (const auto &tc : invalid_cases) {
        std::string err;
        auto u = uri_parse(tc.uri, &err);
        cr_expect(!u.has_value(), "uri_parse('%s') should fail", tc.uri);
        cr_expect(err.find(tc.message) != std::string::npos,
                  "uri_parse('%s'): error '%s' lacks '%s'", tc.uri, err.c_str(), tc.message);
        /* every message names the URI it rejects */
        const std::string prefix = std::string("invalid URI '") + tc.uri + "': ";
        cr_expect(err.rfind(prefix, 0) == 0, "uri_parse('%s'): error '%s' should start with '%s'",
                  tc.uri, err.c_str(), prefix.c_str());
    }
}

Test(uri, invalid_without_err)
{
    for (const auto &tc : invalid_cases)
        cr_expect(!uri_parse(tc.uri, nullptr).has_value(), "'%s'", tc.uri);
}

Test(uri, exact_messages)
{
    const struct {
        const char *uri;
        const char *message;
    } cases[] = {
        {"tcp://h/x",
         "invalid URI 'tcp://h/x': unknown scheme 'tcp' (expected local:// or ssh://)"},
        {"x", "invalid URI 'x': expected SCHEME://... (local:// or ssh://)"},
        {"ssh://h:0/x", "invalid URI 'ssh://h:0/x': port 0 out of range"},
        {"ssh://h:/x", "invalid URI 'ssh://h:/x': invalid port"},
        {"ssh://@h/x", "invalid URI 'ssh://@h/x': empty user name before '@'"},
    };
    for (const auto &tc : cases) {
        std::string err;
        cr_expect(!uri_parse(tc.uri, &err).has_value());
        cr_expect_str_eq(err.c_str(), tc.message);
    }
}

Test(uri, string_view_not_nul_terminated)
{
    /* uri_parse takes a string_view: only the viewed bytes count */
    const char buf[] = "local:///sockXXXX";
    std::string err;
    auto u = uri_parse(std::string_view(buf, 13), &err);
    cr_assert(u.has_value(), "%s", err.c_str());
    cr_expect_str_eq(u->path.c_str(), "/sock");
    const char buf2[] = "ssh://h:22/xyz";
    auto v = uri_parse(std::string_view(buf2, 10), &err); /* "ssh://h:22" */
    cr_expect(!v.has_value());
    cr_expect(err.find("ssh:// needs a path after the host") != std::string::npos, "%s",
              err.c_str());
}
