/* hostlist/test/hostlist.cpp - Criterion unit tests for flux::Hostlist
 * (RFC 29).
 *
 * Table-driven: valid strings with their expansion and compressed
 * encoding, invalid strings with the exact error message, round trips,
 * encoding of appended hosts, find/at/count and the host-count limit.
 */
#include <criterion/criterion.h>

#include <string>
#include <vector>

#include "hostlist/hostlist.h"

using flux::Hostlist;

/* Criterion's string assertions keep the raw pointer past the end of the
 * full expression, so a std::string temporary must be held in a local.
 */
#define expect_str(actual, expected, ...)                                                          \
    do {                                                                                           \
        const std::string got_ = (actual);                                                         \
        cr_expect_str_eq(got_.c_str(), (expected)__VA_OPT__(, ) __VA_ARGS__);                      \
    } while (0)

namespace {

struct valid_case {
    const char *input;
    const char *hosts;   // expansion, space separated
    const char *encoded; // encode() of the expansion
};

const valid_case valid_cases[] = {
    {"", "", ""},
    {"foo", "foo", "foo"},
    {"foo7", "foo7", "foo7"},
    {"n00", "n00", "n00"},
    {"foo[0-3,7]", "foo0 foo1 foo2 foo3 foo7", "foo[0-3,7]"},
    {"foo[0-3,7],bar,baz[01-03]x", "foo0 foo1 foo2 foo3 foo7 bar baz01x baz02x baz03x",
     "foo[0-3,7],bar,baz[01-03]x"},
    {"n[01-10]", "n01 n02 n03 n04 n05 n06 n07 n08 n09 n10", "n[01-10]"},
    {"n[8-11]", "n8 n9 n10 n11", "n[8-11]"},
    {"n[098-101]", "n098 n099 n100 n101", "n[098-101]"},
    {"n[00-02]", "n00 n01 n02", "n[00-02]"},
    {"n[01-02,7]", "n01 n02 n7", "n[01-02,7]"},
    {"n[3,1,2]", "n3 n1 n2", "n[3,1-2]"},
    {"n[1,1]", "n1 n1", "n[1,1]"},
    {"n[0-0]", "n0", "n0"},
    {"n[5]", "n5", "n5"},
    {"foo1,foo2,foo3", "foo1 foo2 foo3", "foo[1-3]"},
    {"a1,b1,a2", "a1 b1 a2", "a1,b1,a2"},
    {"rack1-n[1-2]", "rack1-n1 rack1-n2", "rack1-n[1-2]"},
    {"foo[1-2]-ib", "foo1-ib foo2-ib", "foo[1-2]-ib"},
    {"[1-3]", "1 2 3", "[1-3]"},
    {"foo1[2-3]", "foo12 foo13", "foo[12-13]"},
    {"a[1-2],a[3-4]", "a1 a2 a3 a4", "a[1-4]"},
    {"x[1-2],y,x[3-4]", "x1 x2 y x3 x4", "x[1-2],y,x[3-4]"},
    {"n[9,10]", "n9 n10", "n[9-10]"},
    {"n[08,9]", "n08 n9", "n[08,9]"},
};

struct invalid_case {
    const char *input;
    const char *error;
};

const invalid_case invalid_cases[] = {
    {"foo[1-3", "hostlist: unbalanced '[' in 'foo[1-3'"},
    {"a,foo[1-3,bar", "hostlist: unbalanced '[' in 'foo[1-3,bar'"},
    {"foo[1]x[2", "hostlist: unbalanced '[' in 'foo[1]x[2'"},
    {"foo1-3]", "hostlist: unbalanced ']' in 'foo1-3]'"},
    {"foo]1[", "hostlist: unbalanced ']' in 'foo]1['"},
    {"foo[1]]", "hostlist: unbalanced ']' in 'foo[1]]'"},
    {"foo[[1-3]]", "hostlist: nested '[' in 'foo[[1-3]]'"},
    {"foo[1[2]]", "hostlist: nested '[' in 'foo[1[2]]'"},
    {"foo[1][2]", "hostlist: multiple brackets in 'foo[1][2]'"},
    {"foo,,bar", "hostlist: empty host in 'foo,,bar'"},
    {",foo", "hostlist: empty host in ',foo'"},
    {"foo,", "hostlist: empty host in 'foo,'"},
    {",", "hostlist: empty host in ','"},
    {"foo[]", "hostlist: empty range in 'foo[]'"},
    {"foo[1,,2]", "hostlist: empty range in 'foo[1,,2]'"},
    {"foo[1,]", "hostlist: empty range in 'foo[1,]'"},
    {"foo[3-1]", "hostlist: invalid range '3-1' in 'foo[3-1]'"},
    {"foo[1-3,10-09]", "hostlist: invalid range '10-09' in 'foo[1-3,10-09]'"},
    {"foo[a-b]", "hostlist: invalid range 'a-b' in 'foo[a-b]'"},
    {"foo[-1]", "hostlist: invalid range '-1' in 'foo[-1]'"},
    {"foo[1-]", "hostlist: invalid range '1-' in 'foo[1-]'"},
    {"foo[1-2-3]", "hostlist: invalid range '1-2-3' in 'foo[1-2-3]'"},
    {"foo[+1]", "hostlist: invalid range '+1' in 'foo[+1]'"},
    {"foo bar", "hostlist: whitespace in 'foo bar'"},
    {"foo[1, 2]", "hostlist: whitespace in 'foo[1, 2]'"},
    {"a,\tb", "hostlist: whitespace in '\tb'"},
    {"n[1234567890123456789]", "hostlist: number too large '1234567890123456789' in "
                               "'n[1234567890123456789]'"},
    {"n[0-1000000]", "hostlist: too many hosts (more than 1000000) in 'n[0-1000000]'"},
    {"n[0-999999],m", "hostlist: too many hosts (more than 1000000) in 'n[0-999999],m'"},
    {"a[1-500000],b[1-500001]", "hostlist: too many hosts (more than 1000000) in "
                                "'a[1-500000],b[1-500001]'"},
    {"n[0-999999999999999999]", "hostlist: too many hosts (more than 1000000) in "
                                "'n[0-999999999999999999]'"},
};

std::vector<std::string> split_spaces(const char *s)
{
    std::vector<std::string> out;
    std::string cur;
    for (const char *p = s; *p; p++) {
        if (*p == ' ') {
            out.push_back(cur);
            cur.clear();
        }
        else
            cur += *p;
    }
    if (!cur.empty())
        out.push_back(cur);
    return out;
}

std::string join_spaces(const std::vector<std::string> &hosts)
{
    std::string out;
    for (const auto &h : hosts) {
        if (!out.empty())
            out += ' ';
        out += h;
    }
    return out;
}

Hostlist must_parse(const std::string &s)
{
    std::string err;
    auto hl = Hostlist::parse(s, &err);
    cr_assert(hl.has_value(), "parse('%s') failed: %s", s.c_str(), err.c_str());
    return *hl;
}

Hostlist from_hosts(const char *spaced)
{
    Hostlist hl;
    for (const auto &h : split_spaces(spaced))
        hl.append(h);
    return hl;
}

} // namespace

Test(hostlist, parse_valid)
{
    for (const auto &tc : valid_cases) {
        std::string err;
        auto hl = Hostlist::parse(tc.input, &err);
        cr_assert(hl.has_value(), "parse('%s') failed: %s", tc.input, err.c_str());
        expect_str(join_spaces(hl->hosts()), tc.hosts, "hosts of '%s'", tc.input);
        cr_expect_eq(hl->count(), split_spaces(tc.hosts).size(), "count of '%s'", tc.input);
    }
}

Test(hostlist, parse_invalid)
{
    for (const auto &tc : invalid_cases) {
        std::string err = "untouched";
        auto hl = Hostlist::parse(tc.input, &err);
        cr_expect(!hl.has_value(), "parse('%s') should fail", tc.input);
        cr_expect_str_eq(err.c_str(), tc.error, "error for '%s'", tc.input);
    }
}

Test(hostlist, parse_invalid_without_err)
{
    for (const auto &tc : invalid_cases)
        cr_expect(!Hostlist::parse(tc.input).has_value(), "'%s'", tc.input);
}

Test(hostlist, parse_valid_leaves_err_alone)
{
    std::string err = "untouched";
    cr_assert(Hostlist::parse("foo[1-3]", &err).has_value());
    cr_expect_str_eq(err.c_str(), "untouched");
}

Test(hostlist, encode)
{
    for (const auto &tc : valid_cases) {
        expect_str(must_parse(tc.input).encode(), tc.encoded, "encode(parse('%s'))", tc.input);
    }
}

Test(hostlist, round_trip)
{
    for (const auto &tc : valid_cases) {
        Hostlist hl = must_parse(tc.input);
        std::string encoded = hl.encode();
        Hostlist again = must_parse(encoded);
        cr_expect(again == hl, "parse(encode(parse('%s'))) = '%s' differs", tc.input,
                  join_spaces(again.hosts()).c_str());
        /* the encoding is a fixed point */
        expect_str(again.encode(), encoded.c_str(), "re-encode of '%s'", tc.input);
    }
}

Test(hostlist, encode_appended)
{
    const struct {
        const char *hosts;
        const char *encoded;
    } cases[] = {
        {"", ""},
        {"foo0 foo1 foo2 foo3 foo7", "foo[0-3,7]"},
        {"n8 n9 n10", "n[8-10]"},
        {"n09 n10 n11", "n[09-11]"},
        {"n08 n9", "n[08,9]"},
        {"n1 n01", "n[1,01]"},
        {"n001 n002 n3", "n[001-002,3]"},
        {"a b", "a,b"},
        {"x1 y x2", "x1,y,x2"},
        {"n3 n2 n1", "n[3,2,1]"},
        {"n1 n1 n2", "n[1,1-2]"},
        {"foo1x foo2x foo3y", "foo[1-2]x,foo3y"},
        {"node1-ib0 node2-ib0", "node1-ib0,node2-ib0"},
        {"n1234567890123456789012 n1", "n1234567890123456789012,n1"},
        {"1 2 3 5", "[1-3,5]"},
    };
    for (const auto &tc : cases) {
        Hostlist hl = from_hosts(tc.hosts);
        std::string encoded = hl.encode();
        cr_expect_str_eq(encoded.c_str(), tc.encoded, "encode of '%s'", tc.hosts);
        Hostlist again = must_parse(encoded);
        cr_expect(again == hl, "round trip of '%s' gave '%s'", tc.hosts,
                  join_spaces(again.hosts()).c_str());
    }
}

Test(hostlist, find_at_count)
{
    Hostlist hl = must_parse("foo[1-3],bar,foo2");
    cr_assert_eq(hl.count(), 5u);
    expect_str(hl.at(0), "foo1");
    expect_str(hl.at(3), "bar");
    expect_str(hl.at(4), "foo2");

    const struct {
        const char *host;
        bool found;
        size_t index;
    } cases[] = {
        {"foo1", true, 0}, {"foo2", true, 1}, // first match wins
        {"bar", true, 3},  {"foo", false, 0}, {"foo4", false, 0}, {"", false, 0},
    };
    for (const auto &tc : cases) {
        auto idx = hl.find(tc.host);
        cr_expect_eq(idx.has_value(), tc.found, "find('%s')", tc.host);
        if (idx && tc.found)
            cr_expect_eq(*idx, tc.index, "find('%s') index", tc.host);
    }
}

Test(hostlist, append)
{
    Hostlist hl;
    cr_expect_eq(hl.count(), 0u);
    cr_expect(hl.hosts().empty());
    expect_str(hl.encode(), "");
    hl.append("n1");
    hl.append("n2");
    cr_expect_eq(hl.count(), 2u);
    expect_str(hl.encode(), "n[1-2]");
    cr_expect(hl == must_parse("n[1-2]"));
    cr_expect(!(hl == must_parse("n[2,1]")));
}

Test(hostlist, max_hosts_accepted)
{
    Hostlist hl = must_parse("n[0-999999]");
    cr_assert_eq(hl.count(), Hostlist::max_hosts);
    expect_str(hl.at(0), "n0");
    expect_str(hl.at(999999), "n999999");
    expect_str(hl.encode(), "n[0-999999]");

    Hostlist padded = must_parse("n[000000-499999],m[1-500000]");
    cr_expect_eq(padded.count(), Hostlist::max_hosts);
    expect_str(padded.at(1), "n000001");
}

Test(hostlist, long_error_text_is_elided)
{
    std::string input = "n[0-1000000]," + std::string(300, 'x');
    std::string err;
    cr_assert(!Hostlist::parse(input, &err).has_value());
    cr_expect(err.size() < 200, "error message too long: %zu", err.size());
    cr_expect(err.find("too many hosts") != std::string::npos, "%s", err.c_str());
    cr_expect(err.find("...") != std::string::npos, "%s", err.c_str());
}

Test(hostlist, zero_padding_from_low_end)
{
    const struct {
        const char *input;
        const char *hosts;
    } cases[] = {
        {"n[01-03]", "n01 n02 n03"},    {"n[1-03]", "n1 n2 n3"},         {"n[001-2]", "n001 n002"},
        {"n[99-101]", "n99 n100 n101"}, {"n[0099-0100]", "n0099 n0100"},
    };
    for (const auto &tc : cases) {
        expect_str(join_spaces(must_parse(tc.input).hosts()), tc.hosts, "hosts of '%s'", tc.input);
    }
}

Test(hostlist, commas_inside_brackets)
{
    Hostlist hl = must_parse("a[1,3],b[5-6,8]c,d");
    expect_str(join_spaces(hl.hosts()), "a1 a3 b5c b6c b8c d");
    expect_str(hl.encode(), "a[1,3],b[5-6,8]c,d");
}

Test(hostlist, order_preserved)
{
    Hostlist hl = must_parse("z,a[3,1-2],a0");
    expect_str(join_spaces(hl.hosts()), "z a3 a1 a2 a0");
    expect_str(hl.encode(), "z,a[3,1-2,0]");
    cr_expect(must_parse(hl.encode()) == hl);
}

Test(hostlist, adjacent_only_compression)
{
    /* same prefix, but separated in the list: not merged */
    Hostlist hl = from_hosts("n1 m1 n2 m2");
    expect_str(hl.encode(), "n1,m1,n2,m2");
    /* same prefix but different suffix: separate terms */
    Hostlist sfx = from_hosts("n1a n2a n3b n4b");
    expect_str(sfx.encode(), "n[1-2]a,n[3-4]b");
}

Test(hostlist, duplicates_kept)
{
    Hostlist hl = must_parse("a,a,n[1,1],n1");
    cr_expect_eq(hl.count(), 5u);
    expect_str(join_spaces(hl.hosts()), "a a n1 n1 n1");
    expect_str(hl.encode(), "a,a,n[1,1,1]");
    auto idx = hl.find("n1");
    cr_assert(idx.has_value());
    cr_expect_eq(*idx, 2u);
}
