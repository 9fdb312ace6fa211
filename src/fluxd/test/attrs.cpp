/* fluxd/test/attrs.cpp - Criterion tests for the broker attribute table (fluxd::Attrs). */
#include <criterion/criterion.h>

#include <cerrno>
#include <climits>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "attrs.h"

using fluxd::Attrs;

/* Criterion's string assertions keep the raw pointer past the end of the
 * full expression, so std::string temporaries (actual and expected) must be
 * held in locals. */
#define expect_str(actual, expected, ...)                                                          \
    do {                                                                                           \
        const std::string got_ = (actual);                                                         \
        const std::string want_ = (expected);                                                      \
        cr_expect_str_eq(got_.c_str(), want_.c_str() __VA_OPT__(, ) __VA_ARGS__);                  \
    } while (0)

namespace {

Attrs::Validator range(long lo, long hi)
{
    return [lo, hi](const std::string &v) { return Attrs::check_int_range(v, lo, hi); };
}

/* A table like the broker's: some computed, some immutable, some runtime. */
Attrs make_table()
{
    Attrs a;
    a.declare("log-stderr-level", "3", Attrs::runtime, range(0, 7));
    a.declare("log-ring-size", "1024", Attrs::runtime, range(1, 1000000));
    a.declare("rundir", std::nullopt, Attrs::immutable);
    a.declare("tbon.fanout", "2", Attrs::immutable, range(1, 1024));
    a.declare("broker.quorum", std::nullopt, Attrs::immutable, range(1, 1 << 30));
    a.declare("plain", "x", 0);
    a.set_internal("rank", "0");
    a.set_internal("size", "4");
    a.set_internal("local-uri", "local:///tmp/x/local-0");
    a.set_internal("broker.pid", "1234", Attrs::runtime);
    return a;
}

std::string value_of(const Attrs &a, const std::string &name)
{
    auto v = a.get(name);
    return v ? *v : "(unset)";
}

} // namespace

Test(attrs, declare_and_get)
{
    Attrs a = make_table();
    expect_str(value_of(a, "log-stderr-level"), "3");
    expect_str(value_of(a, "tbon.fanout"), "2");
    expect_str(value_of(a, "rank"), "0");
    expect_str(value_of(a, "size"), "4");
    cr_expect(!a.get("rundir").has_value(), "declared without a value");
    cr_expect(!a.get("no-such-attr").has_value());
    cr_expect(!a.get("").has_value());

    const struct {
        const char *name;
        bool immutable;
    } cases[] = {
        {"log-stderr-level", false},
        {"log-ring-size", false},
        {"rundir", true},
        {"tbon.fanout", true},
        {"plain", false},
        {"rank", true},
        {"size", true},
        {"local-uri", true},
        {"broker.pid", false},
        {"no-such-attr", false},
    };
    for (const auto &tc : cases)
        cr_expect_eq(a.is_immutable(tc.name), tc.immutable, "is_immutable(%s)", tc.name);
}

Test(attrs, set_cmdline_accepts)
{
    const struct {
        const char *name;
        const char *value;
    } cases[] = {
        {"log-stderr-level", "7"},
        {"log-stderr-level", "0"},
        {"log-ring-size", "1"},
        {"rundir", "/tmp/rundir"}, /* immutable but not computed: allowed before boot */
        {"tbon.fanout", "1024"},
        {"broker.quorum", "3"},
        {"plain", "anything"},
        {"plain", ""},
        {"brand-new", "v"}, /* unknown names are created */
        {"another.new.one", ""},
    };
    for (const auto &tc : cases) {
        Attrs a = make_table();
        std::string err = a.set_cmdline(tc.name, tc.value);
        cr_expect_str_eq(err.c_str(), "", "set_cmdline(%s=%s): %s", tc.name, tc.value, err.c_str());
        expect_str(value_of(a, tc.name), tc.value, "%s", tc.name);
    }
}

Test(attrs, set_cmdline_rejects)
{
    const struct {
        const char *name;
        const char *value;
        const char *error;
    } cases[] = {
        /* computed by the broker (set_internal) */
        {"rank", "1", "attribute 'rank' is set by the broker and may not be set"},
        {"size", "8", "attribute 'size' is set by the broker and may not be set"},
        {"local-uri", "local:///x",
         "attribute 'local-uri' is set by the broker and may not be set"},
        {"broker.pid", "1", "attribute 'broker.pid' is set by the broker and may not be set"},
        /* validators */
        {"log-stderr-level", "8", "attribute 'log-stderr-level': value 8 is out of range [0-7]"},
        {"log-stderr-level", "-1", "attribute 'log-stderr-level': value -1 is out of range [0-7]"},
        {"log-stderr-level", "err", "attribute 'log-stderr-level': 'err' is not an integer"},
        {"log-stderr-level", "", "attribute 'log-stderr-level': '' is not an integer"},
        {"log-ring-size", "0", "attribute 'log-ring-size': value 0 is out of range [1-1000000]"},
        {"tbon.fanout", "0", "attribute 'tbon.fanout': value 0 is out of range [1-1024]"},
        {"tbon.fanout", "1025", "attribute 'tbon.fanout': value 1025 is out of range [1-1024]"},
        {"tbon.fanout", "2x", "attribute 'tbon.fanout': '2x' is not an integer"},
        {"broker.quorum", "0", "attribute 'broker.quorum': value 0 is out of range [1-1073741824]"},
    };
    for (const auto &tc : cases) {
        Attrs a = make_table();
        std::string before = value_of(a, tc.name);
        std::string err = a.set_cmdline(tc.name, tc.value);
        cr_expect_str_eq(err.c_str(), tc.error, "set_cmdline(%s=%s)", tc.name, tc.value);
        std::string after = value_of(a, tc.name);
        cr_expect_str_eq(after.c_str(), before.c_str(), "rejected value of %s was stored", tc.name);
    }
}

Test(attrs, cmdline_created_attribute_is_runtime)
{
    Attrs a;
    std::string e1 = a.set_cmdline("user.thing", "1");
    cr_assert_str_eq(e1.c_str(), "");
    cr_expect(!a.is_immutable("user.thing"));
    std::string err;
    cr_expect_eq(a.set_runtime("user.thing", "2", &err), 0, "%s", err.c_str());
    expect_str(value_of(a, "user.thing"), "2");
    /* setting it again on the command line just replaces it */
    std::string e3 = a.set_cmdline("user.thing", "3");
    cr_expect_str_eq(e3.c_str(), "");
    expect_str(value_of(a, "user.thing"), "3");
}

Test(attrs, set_runtime)
{
    const struct {
        const char *name;
        const char *value;
        int rc;
        const char *error; /* "" on success */
    } cases[] = {
        {"log-stderr-level", "5", 0, ""},
        {"log-stderr-level", "7", 0, ""},
        {"log-ring-size", "4096", 0, ""},
        {"broker.pid", "999", 0, ""}, /* set_internal with runtime flag */
        {"no-such", "1", ENOENT, "unknown attribute 'no-such'"},
        {"", "1", ENOENT, "unknown attribute ''"},
        {"rank", "1", EPERM, "attribute 'rank' may not be changed at run time"},
        {"size", "1", EPERM, "attribute 'size' may not be changed at run time"},
        {"rundir", "/x", EPERM, "attribute 'rundir' may not be changed at run time"},
        {"tbon.fanout", "4", EPERM, "attribute 'tbon.fanout' may not be changed at run time"},
        {"plain", "y", EPERM, "attribute 'plain' may not be changed at run time"},
        {"log-stderr-level", "8", EINVAL,
         "attribute 'log-stderr-level': value 8 is out of range [0-7]"},
        {"log-stderr-level", "debug", EINVAL,
         "attribute 'log-stderr-level': 'debug' is not an integer"},
        {"log-ring-size", "0", EINVAL,
         "attribute 'log-ring-size': value 0 is out of range [1-1000000]"},
    };
    for (const auto &tc : cases) {
        Attrs a = make_table();
        std::string before = value_of(a, tc.name);
        std::string err;
        int rc = a.set_runtime(tc.name, tc.value, &err);
        cr_expect_eq(rc, tc.rc, "set_runtime(%s=%s) = %d, want %d", tc.name, tc.value, rc, tc.rc);
        if (tc.rc == 0) {
            expect_str(value_of(a, tc.name), tc.value, "%s", tc.name);
        }
        else {
            cr_expect_str_eq(err.c_str(), tc.error, "set_runtime(%s=%s)", tc.name, tc.value);
            std::string after = value_of(a, tc.name);
            cr_expect_str_eq(after.c_str(), before.c_str(), "%s changed by a failed set", tc.name);
            cr_expect(!(tc.rc == ENOENT && a.get(tc.name).has_value()),
                      "failed set_runtime created '%s'", tc.name);
        }
    }
}

Test(attrs, parse_assignment)
{
    const struct {
        const char *input;
        bool ok;
        const char *name;
        const char *value;
    } cases[] = {
        {"a=b", true, "a", "b"},
        {"log-stderr-level=7", true, "log-stderr-level", "7"},
        {"a=", true, "a", ""},
        {"a==", true, "a", "="},
        {"a=b=c", true, "a", "b=c"},
        {"x.y.z=/path/with=eq", true, "x.y.z", "/path/with=eq"},
        {"a b=c d", true, "a b", "c d"},
        {"=b", false, "", ""},
        {"=", false, "", ""},
        {"ab", false, "", ""},
        {"", false, "", ""},
    };
    for (const auto &tc : cases) {
        auto got = Attrs::parse_assignment(tc.input);
        cr_expect_eq(got.has_value(), tc.ok, "parse_assignment('%s')", tc.input);
        if (got && tc.ok) {
            cr_expect_str_eq(got->first.c_str(), tc.name, "name of '%s'", tc.input);
            cr_expect_str_eq(got->second.c_str(), tc.value, "value of '%s'", tc.input);
        }
    }
}

Test(attrs, get_long)
{
    const struct {
        const char *value; /* nullptr: attribute not present */
        std::optional<long> want;
    } cases[] = {
        {"0", 0L},
        {"42", 42L},
        {"-3", -3L},
        {"007", 7L},
        {"9223372036854775807", LONG_MAX},
        {"-9223372036854775808", LONG_MIN},
        {"9223372036854775808", std::nullopt}, /* ERANGE */
        {"", std::nullopt},
        {"abc", std::nullopt},
        {"12x", std::nullopt},
        {"1.5", std::nullopt},
        {"0x10", std::nullopt},
        {nullptr, std::nullopt},
    };
    for (const auto &tc : cases) {
        Attrs a;
        if (tc.value)
            a.set_internal("n", tc.value);
        auto got = a.get_long("n");
        const char *shown = tc.value ? tc.value : "(absent)";
        cr_expect_eq(got.has_value(), tc.want.has_value(), "get_long of '%s'", shown);
        if (got && tc.want)
            cr_expect_eq(*got, *tc.want, "get_long of '%s' = %ld", shown, *got);
    }
    /* declared without a value */
    Attrs a;
    a.declare("unset", std::nullopt, Attrs::runtime);
    cr_expect(!a.get_long("unset").has_value());
    /* errno from a failed parse does not leak into the next call */
    a.set_internal("big", "99999999999999999999");
    a.set_internal("ok", "5");
    cr_expect(!a.get_long("big").has_value());
    auto ok = a.get_long("ok");
    cr_expect(ok.has_value() && *ok == 5);
}

Test(attrs, check_int_range)
{
    const struct {
        const char *value;
        long lo, hi;
        const char *error; /* "" accepts */
    } cases[] = {
        {"0", 0, 7, ""},
        {"7", 0, 7, ""},
        {"3", 3, 3, ""},
        {"-5", -10, 10, ""},
        {"+5", 0, 10, "'+5' is not an integer"},
        {" 5", 0, 10, "' 5' is not an integer"},
        {"8", 0, 7, "value 8 is out of range [0-7]"},
        {"-1", 0, 7, "value -1 is out of range [0-7]"},
        {"2", 3, 3, "value 2 is out of range [3-3]"},
        {"-11", -10, 10, "value -11 is out of range [-10-10]"},
        {"", 0, 7, "'' is not an integer"},
        {"x", 0, 7, "'x' is not an integer"},
        {"7x", 0, 7, "'7x' is not an integer"},
        {"1.0", 0, 7, "'1.0' is not an integer"},
        {"99999999999999999999", 0, LONG_MAX, "'99999999999999999999' is not an integer"},
    };
    for (const auto &tc : cases) {
        std::string err = Attrs::check_int_range(tc.value, tc.lo, tc.hi);
        cr_expect_str_eq(err.c_str(), tc.error, "check_int_range('%s', %ld, %ld)", tc.value, tc.lo,
                         tc.hi);
    }
}

Test(attrs, for_each_lists_set_values_in_order)
{
    Attrs a;
    a.declare("b", "2", Attrs::runtime);
    a.declare("a", "1", Attrs::immutable);
    a.declare("c", std::nullopt, Attrs::runtime); /* unset: not listed */
    a.set_internal("d", "4");
    std::vector<std::tuple<std::string, std::string, int>> seen;
    a.for_each(
        [&](const std::string &n, const std::string &v, int f) { seen.emplace_back(n, v, f); });
    const std::vector<std::tuple<std::string, std::string, int>> want{
        {"a", "1", Attrs::immutable},
        {"b", "2", Attrs::runtime},
        {"d", "4", Attrs::immutable},
    };
    cr_expect(seen == want, "for_each listed %zu entries", seen.size());
}

Test(attrs, set_internal_overrides)
{
    Attrs a = make_table();
    a.set_internal("tbon.fanout", "8");
    expect_str(value_of(a, "tbon.fanout"), "8");
    std::string err = a.set_cmdline("tbon.fanout", "4");
    cr_expect_str_eq(err.c_str(),
                     "attribute 'tbon.fanout' is set by the broker and may not be set");
    expect_str(value_of(a, "tbon.fanout"), "8");
    /* no validator is applied to internal sets */
    a.set_internal("log-stderr-level", "99", Attrs::runtime);
    expect_str(value_of(a, "log-stderr-level"), "99");
}
