/* idset/test/idset.cpp - Criterion unit tests for flux::IdSet (RFC 22).
 *
 * Table-driven: valid strings with their canonical encoding, invalid strings
 * with the exact error message, round trips, point and set operations, and
 * a randomized cross-check against std::set.
 */
#include <criterion/criterion.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "idset/idset.h"

using flux::IdSet;

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
    const char *encoded; // canonical encode()
    size_t count;
};

const valid_case valid_cases[] = {
    {"", "", 0},
    {"[]", "", 0},
    {"0", "0", 1},
    {"3", "3", 1},
    {"[7]", "7", 1},
    {"3-3", "3", 1},
    {"0-3,5,7-9", "0-3,5,7-9", 8},
    {"[0-3,5]", "0-3,5", 5},
    {"5,1-3", "1-3,5", 4},
    {"1,2,3", "1-3", 3},
    {"0-3,2-6", "0-6", 7},
    {"1-3,4-5", "1-5", 5},
    {"9,8,7,1", "1,7-9", 4},
    {"007", "7", 1},
    {"1-10,3-4,2", "1-10", 10},
    {"4294967293", "4294967293", 1},
    {"0-4294967293", "0-4294967293", 4294967294ul},
};

struct invalid_case {
    const char *input;
    const char *error;
};

const invalid_case invalid_cases[] = {
    {"5-3", "idset: invalid range '5-3'"},
    {"1,9-2", "idset: invalid range '9-2'"},
    {"4-3", "idset: invalid range '4-3'"},
    {"-1", "idset: negative id '-1'"},
    {"1,-2", "idset: negative id '-2'"},
    {"-1-3", "idset: negative id '-1-3'"},
    {"1,,2", "idset: empty element in '1,,2'"},
    {",1", "idset: empty element in ',1'"},
    {"1,", "idset: empty element in '1,'"},
    {",", "idset: empty element in ','"},
    {"[1,,2]", "idset: empty element in '[1,,2]'"},
    {"abc", "idset: invalid id 'abc'"},
    {"1x", "idset: invalid id '1x'"},
    {"+1", "idset: invalid id '+1'"},
    {"0x10", "idset: invalid id '0x10'"},
    {" 1", "idset: invalid id ' 1'"},
    {"1, 2", "idset: invalid id ' 2'"},
    {"1 ", "idset: invalid id '1 '"},
    {"[[1]]", "idset: invalid id '[1]'"},
    {"1-", "idset: invalid range '1-'"},
    {"1-x", "idset: invalid range '1-x'"},
    {"1-2-3", "idset: invalid range '1-2-3'"},
    {"1--3", "idset: invalid range '1--3'"},
    {"4294967294", "idset: id too large '4294967294'"},
    {"4294967295", "idset: id too large '4294967295'"},
    {"0-4294967295", "idset: id too large '0-4294967295'"},
    {"99999999999999999999999", "idset: id too large '99999999999999999999999'"},
    {"[1-3", "idset: unbalanced bracket in '[1-3'"},
    {"1-3]", "idset: unbalanced bracket in '1-3]'"},
    {"[", "idset: unbalanced bracket in '['"},
    {"]", "idset: unbalanced bracket in ']'"},
};

IdSet must_parse(const char *s)
{
    std::string err;
    auto set = IdSet::parse(s, &err);
    cr_assert(set.has_value(), "parse('%s') failed: %s", s, err.c_str());
    return *set;
}

} // namespace

Test(idset, parse_valid)
{
    for (const auto &tc : valid_cases) {
        std::string err;
        auto set = IdSet::parse(tc.input, &err);
        cr_assert(set.has_value(), "parse('%s') failed: %s", tc.input, err.c_str());
        expect_str(set->encode(), tc.encoded, "parse('%s').encode()", tc.input);
        cr_expect_eq(set->count(), tc.count, "parse('%s').count() = %zu", tc.input, set->count());
        cr_expect_eq(set->empty(), tc.count == 0, "parse('%s').empty()", tc.input);
    }
}

Test(idset, parse_invalid)
{
    for (const auto &tc : invalid_cases) {
        std::string err = "untouched";
        auto set = IdSet::parse(tc.input, &err);
        cr_expect(!set.has_value(), "parse('%s') should fail", tc.input);
        cr_expect_str_eq(err.c_str(), tc.error, "error for '%s'", tc.input);
    }
}

Test(idset, parse_invalid_without_err)
{
    for (const auto &tc : invalid_cases)
        cr_expect(!IdSet::parse(tc.input).has_value(), "'%s'", tc.input);
}

Test(idset, parse_valid_leaves_err_alone)
{
    std::string err = "untouched";
    cr_assert(IdSet::parse("1-3", &err).has_value());
    cr_expect_str_eq(err.c_str(), "untouched");
}

Test(idset, round_trip)
{
    for (const auto &tc : valid_cases) {
        IdSet set = must_parse(tc.input);
        /* canonical text survives encode(parse(x)) unchanged */
        IdSet again = must_parse(tc.encoded);
        expect_str(again.encode(), tc.encoded, "encode(parse('%s'))", tc.encoded);
        cr_expect(again == set, "parse(encode(parse('%s'))) differs", tc.input);
        /* bracketed form parses back to the same set */
        IdSet bracketed = must_parse(set.encode(true).c_str());
        cr_expect(bracketed == set, "bracketed round trip of '%s'", tc.input);
    }
}

Test(idset, encode_brackets)
{
    const struct {
        const char *input;
        const char *expected;
    } cases[] = {
        {"", ""}, {"3", "3"}, {"1-2", "[1-2]"}, {"1,3", "[1,3]"}, {"0-3,5", "[0-3,5]"},
    };
    for (const auto &tc : cases) {
        expect_str(must_parse(tc.input).encode(true), tc.expected, "encode(true) of '%s'",
                   tc.input);
    }
}

Test(idset, range)
{
    expect_str(IdSet::range(2, 5).encode(), "2-5");
    expect_str(IdSet::range(4, 4).encode(), "4");
    cr_expect(IdSet::range(5, 2).empty());
    IdSet full = IdSet::range(0, UINT32_MAX);
    cr_expect_eq(full.count(), static_cast<size_t>(UINT32_MAX) + 1);
    cr_expect(full.contains(UINT32_MAX));
    cr_expect_eq(*full.last(), UINT32_MAX);
}

Test(idset, insert_merges)
{
    const struct {
        const char *initial;
        uint32_t id;
        const char *expected;
    } cases[] = {
        {"", 4, "4"},
        {"1-3,5-7", 4, "1-7"},
        {"1-3,5-7", 0, "0-3,5-7"},
        {"1-3,5-7", 8, "1-3,5-8"},
        {"1-3,5-7", 10, "1-3,5-7,10"},
        {"1-3,5-7", 2, "1-3,5-7"},
        {"1-3,5-7", 5, "1-3,5-7"},
        {"2,4", 3, "2-4"},
        {"10", 0, "0,10"},
        {"0", 1, "0-1"},
        {"4294967293", 4294967294u, "4294967293-4294967294"},
    };
    for (const auto &tc : cases) {
        IdSet set = must_parse(tc.initial);
        set.insert(tc.id);
        expect_str(set.encode(), tc.expected, "'%s' insert %u", tc.initial, tc.id);
    }
    IdSet top;
    top.insert(UINT32_MAX);
    top.insert(UINT32_MAX - 1);
    cr_expect_eq(top.count(), 2u);
    cr_expect_eq(*top.first(), UINT32_MAX - 1);
    cr_expect_eq(*top.last(), UINT32_MAX);
}

Test(idset, erase_splits)
{
    const struct {
        const char *initial;
        uint32_t id;
        const char *expected;
    } cases[] = {
        {"0-9", 5, "0-4,6-9"}, {"0-9", 0, "1-9"},   {"0-9", 9, "0-8"},     {"0-9", 10, "0-9"},
        {"3", 3, ""},          {"1,3,5", 3, "1,5"}, {"1,3,5", 4, "1,3,5"}, {"", 1, ""},
        {"0-1", 1, "0"},       {"5-9", 4, "5-9"},
    };
    for (const auto &tc : cases) {
        IdSet set = must_parse(tc.initial);
        set.erase(tc.id);
        expect_str(set.encode(), tc.expected, "'%s' erase %u", tc.initial, tc.id);
    }
}

Test(idset, contains)
{
    IdSet set = must_parse("0-3,5,7-9");
    const struct {
        uint32_t id;
        bool present;
    } cases[] = {{0, true}, {3, true}, {4, false},  {5, true},          {6, false},
                 {7, true}, {9, true}, {10, false}, {UINT32_MAX, false}};
    for (const auto &tc : cases) {
        cr_expect_eq(set.contains(tc.id), tc.present, "contains(%u)", tc.id);
    }
    cr_expect(!IdSet().contains(0));
}

Test(idset, union_in_place)
{
    const struct {
        const char *a;
        const char *b;
        const char *expected;
    } cases[] = {
        {"0-3,10", "4-6,8,11-12", "0-6,8,10-12"},
        {"", "1-3", "1-3"},
        {"1-3", "", "1-3"},
        {"1,3,5", "2,4", "1-5"},
        {"0-100", "50-60", "0-100"},
        {"20-30", "0-5", "0-5,20-30"},
    };
    for (const auto &tc : cases) {
        IdSet set = must_parse(tc.a);
        set.insert(must_parse(tc.b));
        expect_str(set.encode(), tc.expected, "'%s' | '%s'", tc.a, tc.b);
    }
}

Test(idset, difference)
{
    const struct {
        const char *a;
        const char *b;
        const char *expected;
    } cases[] = {
        {"0-9", "3-5", "0-2,6-9"},
        {"0-9", "", "0-9"},
        {"", "1", ""},
        {"0-9", "0-9", ""},
        {"0-9", "5-20", "0-4"},
        {"5-20", "0-9", "10-20"},
        {"0-3,6-9", "2-7", "0-1,8-9"},
        {"1,3,5,7", "0-10", ""},
        {"0-10", "1,3,5", "0,2,4,6-10"},
        {"0-4,10-14", "3-11", "0-2,12-14"},
        {"0-2,4-6,8-10", "1,5,9", "0,2,4,6,8,10"},
    };
    for (const auto &tc : cases) {
        IdSet result = must_parse(tc.a).difference(must_parse(tc.b));
        expect_str(result.encode(), tc.expected, "'%s' - '%s'", tc.a, tc.b);
    }
    IdSet top = IdSet::range(0, UINT32_MAX).difference(IdSet::range(1, UINT32_MAX));
    expect_str(top.encode(), "0");
}

Test(idset, intersect)
{
    const struct {
        const char *a;
        const char *b;
        const char *expected;
    } cases[] = {
        {"0-9", "5-15", "5-9"},
        {"0-3,6-9", "2-7", "2-3,6-7"},
        {"1,3,5", "2,4", ""},
        {"0-100", "", ""},
        {"", "0-100", ""},
        {"0-9,20-29", "5-25", "5-9,20-25"},
        {"0-100", "3,50-60,99", "3,50-60,99"},
    };
    for (const auto &tc : cases) {
        IdSet ab = must_parse(tc.a).intersect(must_parse(tc.b));
        IdSet ba = must_parse(tc.b).intersect(must_parse(tc.a));
        expect_str(ab.encode(), tc.expected, "'%s' & '%s'", tc.a, tc.b);
        cr_expect(ab == ba, "intersect not symmetric for '%s', '%s'", tc.a, tc.b);
    }
}

Test(idset, first_last_empty)
{
    IdSet empty;
    cr_expect(empty.empty());
    cr_expect_eq(empty.count(), 0u);
    cr_expect(!empty.first().has_value());
    cr_expect(!empty.last().has_value());

    IdSet set = must_parse("4-6,9,12-20");
    cr_expect(!set.empty());
    cr_expect_eq(*set.first(), 4u);
    cr_expect_eq(*set.last(), 20u);
    cr_expect_eq(set.count(), 13u);
}

Test(idset, to_vector_and_for_each)
{
    IdSet set = must_parse("9,0-2,5");
    std::vector<uint32_t> expected = {0, 1, 2, 5, 9};
    cr_expect(set.to_vector() == expected);

    std::vector<uint32_t> seen;
    set.for_each([&seen](uint32_t id) { seen.push_back(id); });
    cr_expect(seen == expected);

    std::vector<uint32_t> none;
    IdSet().for_each([&none](uint32_t id) { none.push_back(id); });
    cr_expect(none.empty());

    /* a range ending at UINT32_MAX must terminate */
    size_t n = 0;
    IdSet::range(UINT32_MAX - 2, UINT32_MAX).for_each([&n](uint32_t) { n++; });
    cr_expect_eq(n, 3u);
}

Test(idset, equality)
{
    cr_expect(must_parse("1-3,5") == must_parse("5,3,2,1"));
    cr_expect(!(must_parse("1-3") == must_parse("1-4")));
    IdSet built;
    for (uint32_t id : {5u, 1u, 3u, 2u})
        built.insert(id);
    cr_expect(built == must_parse("[1-3,5]"));
    cr_expect(IdSet() == must_parse(""));
}

/* Randomized cross-check of every operation against std::set. */
Test(idset, matches_std_set)
{
    uint64_t state = 0x2545f4914f6cdd1dull;
    auto next = [&state]() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return static_cast<uint32_t>(state % 200);
    };
    auto as_vector = [](const std::set<uint32_t> &ref) {
        return std::vector<uint32_t>(ref.begin(), ref.end());
    };

    for (int round = 0; round < 50; round++) {
        IdSet a, b;
        std::set<uint32_t> ra, rb;
        for (int i = 0; i < 150; i++) {
            uint32_t x = next();
            uint32_t y = next();
            if (i % 3 == 2) {
                a.erase(x);
                ra.erase(x);
            }
            else {
                a.insert(x);
                ra.insert(x);
            }
            b.insert(y);
            rb.insert(y);
        }
        cr_assert(a.to_vector() == as_vector(ra));
        cr_assert_eq(a.count(), ra.size());
        for (uint32_t id = 0; id < 200; id++)
            cr_assert_eq(a.contains(id), ra.count(id) == 1, "id %u", id);

        std::set<uint32_t> ru = ra, rd, ri;
        ru.insert(rb.begin(), rb.end());
        for (uint32_t id : ra) {
            if (rb.count(id))
                ri.insert(id);
            else
                rd.insert(id);
        }
        IdSet u = a;
        u.insert(b);
        cr_assert(u.to_vector() == as_vector(ru));
        cr_assert(a.difference(b).to_vector() == as_vector(rd));
        cr_assert(a.intersect(b).to_vector() == as_vector(ri));
        cr_assert(must_parse(a.encode().c_str()) == a);
    }
}

Test(idset, long_error_text_is_elided)
{
    std::string input = "1,," + std::string(300, '7');
    std::string err;
    cr_assert(!IdSet::parse(input, &err).has_value());
    cr_expect(err.size() < 200, "error message too long: %zu", err.size());
    cr_expect(err.rfind("idset: empty element in '1,,", 0) == 0, "%s", err.c_str());
    cr_expect(err.find("...") != std::string::npos, "%s", err.c_str());
}
