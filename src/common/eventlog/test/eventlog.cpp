/* eventlog/test/eventlog.cpp - Criterion unit tests for KVS eventlogs (RFC 18).
 *
 * Tables of valid lines (with their canonical re-encoding) and invalid lines
 * (with the exact error text, or its fixed prefix where the rest comes from
 * jansson), whole-log decoding including the newline rules, the encoder's
 * format and errors, eventlog_entry_create(), reference counting of the
 * context across copies and moves, and randomized round trips.
 */
#include <criterion/criterion.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "eventlog/eventlog.h"

using flux::EventlogEntry;

/* Criterion's string assertions keep the raw pointer past the end of the
 * full expression, so a std::string temporary must be held in a local.
 */
#define expect_str(actual, expected, ...)                                                          \
    do {                                                                                           \
        const std::string got_ = (actual);                                                         \
        const std::string want_ = (expected);                                                      \
        cr_expect_str_eq(got_.c_str(), want_.c_str() __VA_OPT__(, ) __VA_ARGS__);                  \
    } while (0)

namespace {

/* The compact dump of o, or "NULL". */
std::string dump(const json_t *o)
{
    if (o == nullptr)
        return "NULL";
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY);
    std::string r = s ? s : "(dump failed)";
    free(s);
    return r;
}

json_t *load(const char *s)
{
    json_error_t err;
    json_t *o = json_loads(s, JSON_DECODE_ANY, &err);
    cr_assert_not_null(o, "test bug: cannot parse %s: %s", s, err.text);
    return o;
}

bool starts_with(const std::string &s, const std::string &prefix)
{
    return s.compare(0, prefix.size(), prefix) == 0;
}

struct valid_case {
    const char *line;
    double timestamp;
    const char *name;
    const char *context; // compact JSON, or nullptr for none
    const char *encoded; // canonical re-encoding, without the "\n"
};

const valid_case valid_cases[] = {
    {"{\"timestamp\":1700000000.123456,\"name\":\"submit\",\"context\":{\"urgency\":16,"
     "\"userid\":5588}}",
     1700000000.123456, "submit", "{\"urgency\":16,\"userid\":5588}",
     "{\"timestamp\":1700000000.123456,\"name\":\"submit\",\"context\":{\"urgency\":16,"
     "\"userid\":5588}}"},
    {"{\"timestamp\":1552593348.104432,\"name\":\"clean\"}", 1552593348.104432, "clean", nullptr,
     "{\"timestamp\":1552593348.104432,\"name\":\"clean\"}"},
    {"{\"timestamp\":1,\"name\":\"a\"}", 1.0, "a", nullptr,
     "{\"timestamp\":1.000000,\"name\":\"a\"}"},
    {"{\"timestamp\":1,\"name\":\"a\"}\n", 1.0, "a", nullptr,
     "{\"timestamp\":1.000000,\"name\":\"a\"}"},
    {"{\"name\":\"a\",\"timestamp\":2.5}", 2.5, "a", nullptr,
     "{\"timestamp\":2.500000,\"name\":\"a\"}"},
    {"{\"context\":{\"x\":1},\"name\":\"b\",\"timestamp\":3}", 3.0, "b", "{\"x\":1}",
     "{\"timestamp\":3.000000,\"name\":\"b\",\"context\":{\"x\":1}}"},
    {"{ \"timestamp\" : 3 , \"name\" : \"x\" , \"context\" : { } }  ", 3.0, "x", "{}",
     "{\"timestamp\":3.000000,\"name\":\"x\",\"context\":{}}"},
    {"{\"timestamp\":4,\"name\":\"y\",\"extra\":[1,2]}", 4.0, "y", nullptr,
     "{\"timestamp\":4.000000,\"name\":\"y\"}"},
    {"{\"timestamp\":5e2,\"name\":\"exp\"}", 500.0, "exp", nullptr,
     "{\"timestamp\":500.000000,\"name\":\"exp\"}"},
    {"{\"timestamp\":0.000001,\"name\":\"tiny\"}", 0.000001, "tiny", nullptr,
     "{\"timestamp\":0.000001,\"name\":\"tiny\"}"},
    {"{\"timestamp\":6,\"name\":\"caf\\u00e9\"}", 6.0, "caf\xc3\xa9", nullptr,
     "{\"timestamp\":6.000000,\"name\":\"caf\xc3\xa9\"}"},
    {"{\"timestamp\":7,\"name\":\"a\\\"b\\\\c\\nd/e\"}", 7.0, "a\"b\\c\nd/e", nullptr,
     "{\"timestamp\":7.000000,\"name\":\"a\\\"b\\\\c\\nd/e\"}"},
    {"{\"timestamp\":8,\"name\":\"n\",\"context\":{\"a\":{\"b\":[1,\"two\",null,true]},"
     "\"s\":\"line1\\nline2\"}}",
     8.0, "n", "{\"a\":{\"b\":[1,\"two\",null,true]},\"s\":\"line1\\nline2\"}",
     "{\"timestamp\":8.000000,\"name\":\"n\",\"context\":{\"a\":{\"b\":[1,\"two\",null,true]},"
     "\"s\":\"line1\\nline2\"}}"},
};

struct invalid_case {
    const char *line;
    const char *problem; // after "eventlog entry: "
    bool prefix;         // problem is a prefix (the rest is jansson's text)
};

const invalid_case invalid_cases[] = {
    {"", "empty line", false},
    {"\n", "empty line", false},
    {"not json", "invalid JSON: ", true},
    {"{", "invalid JSON: ", true},
    {"   ", "invalid JSON: ", true},
    {"[1,2]", "not a JSON object", false},
    {"42", "not a JSON object", false},
    {"\"str\"", "not a JSON object", false},
    {"null", "not a JSON object", false},
    {"{}", "missing timestamp", false},
    {"{\"name\":\"a\"}", "missing timestamp", false},
    {"{\"timestamp\":\"1\",\"name\":\"a\"}", "timestamp is not a number", false},
    {"{\"timestamp\":null,\"name\":\"a\"}", "timestamp is not a number", false},
    {"{\"timestamp\":true,\"name\":\"a\"}", "timestamp is not a number", false},
    {"{\"timestamp\":[1],\"name\":\"a\"}", "timestamp is not a number", false},
    {"{\"timestamp\":-1,\"name\":\"a\"}", "timestamp must be greater than zero", false},
    {"{\"timestamp\":-0.5,\"name\":\"a\"}", "timestamp must be greater than zero", false},
    {"{\"timestamp\":0,\"name\":\"a\"}", "timestamp must be greater than zero", false},
    {"{\"timestamp\":0.0,\"name\":\"a\"}", "timestamp must be greater than zero", false},
    {"{\"timestamp\":1e400,\"name\":\"a\"}", "invalid JSON: ", true},
    {"{\"timestamp\":1}", "missing name", false},
    {"{\"timestamp\":1,\"name\":\"\"}", "name is empty", false},
    {"{\"timestamp\":1,\"name\":42}", "name is not a string", false},
    {"{\"timestamp\":1,\"name\":null}", "name is not a string", false},
    {"{\"timestamp\":1,\"name\":{}}", "name is not a string", false},
    {"{\"timestamp\":1,\"name\":\"a\\u0000b\"}", "invalid JSON: ", true},
    {"{\"timestamp\":1,\"name\":\"a\",\"context\":[]}", "context is not an object", false},
    {"{\"timestamp\":1,\"name\":\"a\",\"context\":\"x\"}", "context is not an object", false},
    {"{\"timestamp\":1,\"name\":\"a\",\"context\":null}", "context is not an object", false},
    {"{\"timestamp\":1,\"name\":\"a\",\"context\":5}", "context is not an object", false},
    {"{\"timestamp\":1,\"name\":\"a\"} x", "invalid JSON: ", true},
    {"{\"timestamp\":1,\"name\":\"a\"}{}", "invalid JSON: ", true},
    {"{\"timestamp\":1,\"name\":\"a\"},", "invalid JSON: ", true},
    {"{\"timestamp\":1,\"name\":\"a\",\"name\":\"b\"}", "invalid JSON: ", true},
    {"{\"timestamp\":1,\"name\":'a'}", "invalid JSON: ", true},
    {"{\"timestamp\":1,\n\"name\":\"a\"}", "embedded newline", false},
    {"{\"timestamp\":1,\"name\":\"a\"}\n{\"timestamp\":2,\"name\":\"b\"}\n", "embedded newline",
     false},
    {"{\"timestamp\":1,\"name\":\"a\"}\n\n", "embedded newline", false},
    // the RFC 18 example's third line, which has an unquoted key
    {"{\"timestamp\":1552593348.088391,\"name\":\"alloc\",context:{\"note\":\"rank0/core[0-1]\"}}",
     "invalid JSON: ", true},
};

/* The RFC 18 example, with the unquoted "context" key of line 3 fixed. */
const char rfc_example[] =
    "{\"timestamp\":1552593348.073045,\"name\":\"submit\",\"context\":{\"urgency\":16,\"userid\":"
    "5588,\"flags\":0}}\n"
    "{\"timestamp\":1552593547.411336,\"name\":\"urgency\",\"context\":{\"urgency\":0,\"userid\":"
    "5588}}\n"
    "{\"timestamp\":1552593348.088391,\"name\":\"alloc\",\"context\":{\"note\":\"rank0/"
    "core[0-1]\"}}\n"
    "{\"timestamp\":1552593348.093541,\"name\":\"free\"}\n"
    "{\"timestamp\":1552593348.089787,\"name\":\"start\"}\n"
    "{\"timestamp\":1552593348.092830,\"name\":\"release\",\"context\":{\"ranks\":\"all\","
    "\"final\":true}}\n"
    "{\"timestamp\":1552593348.090927,\"name\":\"finish\",\"context\":{\"status\":0}}\n"
    "{\"timestamp\":1552593348.104432,\"name\":\"clean\"}\n";

const char line_a[] = "{\"timestamp\":1.000000,\"name\":\"a\"}";
const char line_b[] = "{\"timestamp\":2.000000,\"name\":\"b\",\"context\":{\"k\":\"v\"}}";
const char line_c[] = "{\"timestamp\":3.000000,\"name\":\"c\"}";

uint64_t splitmix64(uint64_t &state)
{
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

} // namespace

/* Decoding single lines */

Test(eventlog_entry_decode, valid_lines)
{
    for (const auto &c : valid_cases) {
        auto r = flux::eventlog_entry_decode(c.line);
        cr_assert(r.has_value(), "'%s': %s", c.line, r.has_value() ? "" : r.error().text.c_str());
        cr_expect_eq(r->timestamp, c.timestamp, "'%s'", c.line);
        expect_str(r->name, c.name, "'%s'", c.line);
        if (c.context == nullptr) {
            cr_expect_null(r->context, "'%s'", c.line);
        }
        else {
            cr_assert_not_null(r->context, "'%s'", c.line);
            cr_expect_eq(r->context->refcount, 1u, "'%s'", c.line);
            expect_str(dump(r->context), c.context, "'%s'", c.line);
        }
        auto enc = flux::eventlog_entry_encode(*r);
        cr_assert(enc.has_value(), "'%s'", c.line);
        expect_str(*enc, std::string(c.encoded) + "\n");
    }
}

Test(eventlog_entry_decode, invalid_lines)
{
    for (const auto &c : invalid_cases) {
        auto r = flux::eventlog_entry_decode(c.line);
        cr_assert_not(r.has_value(), "'%s' decoded", c.line);
        cr_expect_eq(r.error().errnum, EINVAL, "'%s'", c.line);
        std::string want = std::string("eventlog entry: ") + c.problem;
        if (c.prefix) {
            cr_expect(starts_with(r.error().text, want) && r.error().text.size() > want.size(),
                      "'%s': got '%s', want '%s...'", c.line, r.error().text.c_str(), want.c_str());
        }
        else {
            expect_str(r.error().text, want, "'%s'", c.line);
        }
    }
}

/* The same tables through eventlog_decode(), as line 1 and as line 3. */
Test(eventlog_decode, tables_as_whole_logs)
{
    for (const auto &c : valid_cases) {
        std::string log = std::string(line_a) + "\n" + line_b + "\n" + c.line;
        auto r = flux::eventlog_decode(log);
        cr_assert(r.has_value(), "'%s': %s", c.line, r.has_value() ? "" : r.error().text.c_str());
        cr_assert_eq(r->size(), 3u);
        expect_str((*r)[2].name, c.name);
    }
    for (const auto &c : invalid_cases) {
        std::string line = c.line;
        if (line.find('\n') != std::string::npos)
            continue; // splits into several lines here: covered below
        std::string logs[] = {line + "\n",
                              std::string(line_a) + "\n" + line_b + "\n" + line + "\n"};
        int lineno = 1;
        for (const auto &log : logs) {
            auto r = flux::eventlog_decode(log);
            cr_assert_not(r.has_value(), "'%s' decoded", c.line);
            cr_expect_eq(r.error().errnum, EINVAL);
            std::string want = "eventlog line " + std::to_string(lineno) + ": " + c.problem;
            if (c.prefix) {
                cr_expect(starts_with(r.error().text, want), "'%s': got '%s', want '%s...'", c.line,
                          r.error().text.c_str(), want.c_str());
            }
            else {
                expect_str(r.error().text, want, "'%s'", c.line);
            }
            lineno = 3;
        }
    }
}

/* Decoding whole logs */

Test(eventlog_decode, empty_log)
{
    auto r = flux::eventlog_decode("");
    cr_assert(r.has_value());
    cr_expect(r->empty());
}

Test(eventlog_decode, rfc_example)
{
    auto r = flux::eventlog_decode(rfc_example);
    cr_assert(r.has_value(), "%s", r.has_value() ? "" : r.error().text.c_str());
    cr_assert_eq(r->size(), 8u);
    const char *names[] = {"submit", "urgency", "alloc",  "free",
                           "start",  "release", "finish", "clean"};
    for (size_t i = 0; i < 8; i++)
        expect_str((*r)[i].name, names[i]);
    cr_expect_eq((*r)[0].timestamp, 1552593348.073045);
    cr_expect_eq(json_integer_value(json_object_get((*r)[0].context, "userid")), 5588);
    cr_expect(json_is_true(json_object_get((*r)[5].context, "final")));
    cr_expect_null((*r)[3].context);

    // re-encoding reproduces the log byte for byte
    auto enc = flux::eventlog_encode(*r);
    cr_assert(enc.has_value());
    expect_str(*enc, rfc_example);
}

Test(eventlog_decode, rfc_example_as_published)
{
    std::string log = rfc_example;
    size_t pos = log.find("\"context\":{\"note\"");
    cr_assert_neq(pos, std::string::npos);
    log.replace(pos, 9, "context"); // unquote the key, as in the RFC text
    auto r = flux::eventlog_decode(log);
    cr_assert_not(r.has_value());
    cr_expect(starts_with(r.error().text, "eventlog line 3: invalid JSON: "), "got '%s'",
              r.error().text.c_str());
}

struct log_case {
    std::string log;
    size_t count;      // entries, if ok
    const char *error; // nullptr if ok
};

Test(eventlog_decode, newline_rules)
{
    const std::string a = line_a, b = line_b, c = line_c;
    const log_case cases[] = {
        {a + "\n", 1, nullptr},
        {a, 1, nullptr}, // final line without "\n": accepted
        {a + "\n" + b + "\n" + c + "\n", 3, nullptr},
        {a + "\n" + b + "\n" + c, 3, nullptr},
        {"\n", 0, "eventlog line 1: empty line"},
        {"\n" + a + "\n", 0, "eventlog line 1: empty line"},
        {a + "\n\n" + b + "\n", 0, "eventlog line 2: empty line"},
        {a + "\n" + b + "\n\n", 0, "eventlog line 3: empty line"},
        {a + "\n" + b + "\n\n\n", 0, "eventlog line 3: empty line"},
        {a + "\n" + b + "\n" + "{\"timestamp\":3}\n", 0, "eventlog line 3: missing name"},
        {a + "\n" + b + "\n" + "{\"timestamp\":3}", 0, "eventlog line 3: missing name"},
        {a + "\n" + "{\"name\":\"x\"}\n" + c + "\n", 0, "eventlog line 2: missing timestamp"},
        {a + "\n" + b + "\n" + c + "\n" + "{\"timestamp\":4,\"name\":\"d\",\"context\":1}\n", 0,
         "eventlog line 4: context is not an object"},
    };
    for (const auto &lc : cases) {
        auto r = flux::eventlog_decode(lc.log);
        if (lc.error == nullptr) {
            cr_assert(r.has_value(), "'%s': %s", lc.log.c_str(),
                      r.has_value() ? "" : r.error().text.c_str());
            cr_expect_eq(r->size(), lc.count, "'%s'", lc.log.c_str());
        }
        else {
            cr_assert_not(r.has_value(), "'%s' decoded", lc.log.c_str());
            cr_expect_eq(r.error().errnum, EINVAL);
            expect_str(r.error().text, lc.error, "'%s'", lc.log.c_str());
        }
    }
}

/* Encoding */

Test(eventlog_entry_encode, format)
{
    EventlogEntry e = flux::eventlog_entry_create(
        1700000000.123456, "submit", json_pack("{s:i s:i}", "urgency", 16, "userid", 5588));
    auto r = flux::eventlog_entry_encode(e);
    cr_assert(r.has_value());
    expect_str(*r, "{\"timestamp\":1700000000.123456,\"name\":\"submit\",\"context\":{"
                   "\"urgency\":16,\"userid\":5588}}\n");

    EventlogEntry none(42.5, "start");
    r = flux::eventlog_entry_encode(none);
    cr_assert(r.has_value());
    expect_str(*r, "{\"timestamp\":42.500000,\"name\":\"start\"}\n");

    EventlogEntry empty_ctx(42.5, "start", json_object());
    r = flux::eventlog_entry_encode(empty_ctx);
    cr_assert(r.has_value());
    expect_str(*r, "{\"timestamp\":42.500000,\"name\":\"start\",\"context\":{}}\n");
}

Test(eventlog_entry_encode, timestamp_rounding)
{
    struct {
        double ts;
        const char *text;
    } cases[] = {
        {1.0, "1.000000"},
        {1.0000004, "1.000000"},
        {1.0000006, "1.000001"},
        {0.0000006, "0.000001"},
        {1700000000.5, "1700000000.500000"},
        {1552593348.09283, "1552593348.092830"},
        {123456789012.25, "123456789012.250000"},
    };
    for (const auto &c : cases) {
        auto r = flux::eventlog_entry_encode(EventlogEntry(c.ts, "x"));
        cr_assert(r.has_value());
        expect_str(*r, std::string("{\"timestamp\":") + c.text + ",\"name\":\"x\"}\n");
    }
}

Test(eventlog_entry_encode, errors)
{
    struct {
        double ts;
        std::string name;
        const char *context;
        const char *error;
    } cases[] = {
        {0.0, "a", nullptr, "eventlog entry: timestamp must be greater than zero"},
        {-1.0, "a", nullptr, "eventlog entry: timestamp must be greater than zero"},
        {0.0000004, "a", nullptr, "eventlog entry: timestamp must be greater than zero"},
        {std::numeric_limits<double>::quiet_NaN(), "a", nullptr,
         "eventlog entry: timestamp is not finite"},
        {std::numeric_limits<double>::infinity(), "a", nullptr,
         "eventlog entry: timestamp is not finite"},
        {1.0, "", nullptr, "eventlog entry: name is empty"},
        {1.0, std::string("a\0b", 3), nullptr, "eventlog entry: name contains a NUL character"},
        {1.0, "\xff", nullptr, "eventlog entry: name is not valid UTF-8"},
        {1.0, "a", "[]", "eventlog entry: context is not an object"},
        {1.0, "a", "\"s\"", "eventlog entry: context is not an object"},
        {1.0, "a", "null", "eventlog entry: context is not an object"},
    };
    for (const auto &c : cases) {
        EventlogEntry e(c.ts, c.name, c.context ? load(c.context) : nullptr);
        auto r = flux::eventlog_entry_encode(e);
        cr_assert_not(r.has_value(), "'%s' encoded", c.error);
        cr_expect_eq(r.error().errnum, EINVAL);
        expect_str(r.error().text, c.error);
    }
}

Test(eventlog_encode, log)
{
    std::vector<EventlogEntry> v;
    cr_assert(flux::eventlog_encode(v).has_value());
    expect_str(*flux::eventlog_encode(v), "");

    v.emplace_back(1.0, "a");
    v.emplace_back(2.0, "b", json_pack("{s:s}", "k", "v"));
    v.emplace_back(3.0, "c");
    auto r = flux::eventlog_encode(v);
    cr_assert(r.has_value());
    expect_str(*r, std::string(line_a) + "\n" + line_b + "\n" + line_c + "\n");

    v.emplace_back(4.0, "");
    r = flux::eventlog_encode(v);
    cr_assert_not(r.has_value());
    expect_str(r.error().text, "eventlog entry: name is empty");
}

/* Creation */

Test(eventlog_entry_create, timestamps)
{
    double before = (double)time(nullptr);
    EventlogEntry now1 = flux::eventlog_entry_create(-1, "a", nullptr);
    EventlogEntry now2 = flux::eventlog_entry_create(0, "b", nullptr);
    double after = (double)time(nullptr) + 1;
    cr_expect(now1.timestamp >= before && now1.timestamp <= after);
    cr_expect(now2.timestamp >= before && now2.timestamp <= after);

    EventlogEntry fixed = flux::eventlog_entry_create(123.5, "c", nullptr);
    cr_expect_eq(fixed.timestamp, 123.5);
    expect_str(fixed.name, "c");
    cr_expect_null(fixed.context);
}

Test(eventlog_entry_create, steals_context)
{
    json_t *o = json_pack("{s:i}", "x", 1);
    cr_assert_not_null(o);
    {
        EventlogEntry e = flux::eventlog_entry_create(1, "a", o);
        cr_expect_eq(e.context, o);
        cr_expect_eq(o->refcount, 1u);
        json_incref(o); // keep it alive past e to check the count
    }
    cr_expect_eq(o->refcount, 1u);
    json_decref(o);
}

/* Ownership */

Test(eventlog_entry, copy_and_move)
{
    json_t *o = json_pack("{s:i}", "x", 1);
    json_incref(o); // the test's own reference
    EventlogEntry a(1.0, "a", o);
    cr_expect_eq(o->refcount, 2u);
    {
        EventlogEntry b(a); // copy shares
        cr_expect_eq(b.context, o);
        cr_expect_eq(o->refcount, 3u);
        cr_expect(b == a);

        EventlogEntry c(std::move(b)); // move transfers
        cr_expect_null(b.context);
        cr_expect_eq(c.context, o);
        cr_expect_eq(o->refcount, 3u);

        EventlogEntry d;
        d = c; // copy assign
        cr_expect_eq(o->refcount, 4u);
        d = std::move(c); // move assign drops d's old reference
        cr_expect_eq(o->refcount, 3u);
        cr_expect_null(c.context);

        EventlogEntry &self = d;
        d = self; // self copy assign
        cr_expect_eq(o->refcount, 3u);
        d = std::move(self); // self move assign
        cr_expect_eq(o->refcount, 3u);
        cr_expect_eq(d.context, o);

        d = EventlogEntry(2.0, "other"); // assigning drops the reference
        cr_expect_eq(o->refcount, 2u);
    }
    cr_expect_eq(o->refcount, 2u);

    json_t *released = a.release_context();
    cr_expect_eq(released, o);
    cr_expect_null(a.context);
    json_decref(released);
    cr_expect_eq(o->refcount, 1u);

    a.set_context(json_incref(o));
    cr_expect_eq(o->refcount, 2u);
    a.set_context(a.context); // same object: no change
    cr_expect_eq(o->refcount, 2u);
    a.set_context(nullptr);
    cr_expect_eq(o->refcount, 1u);
    json_decref(o);
}

Test(eventlog_entry, vector_growth)
{
    json_t *o = json_object();
    std::vector<EventlogEntry> v;
    for (int i = 0; i < 100; i++)
        v.emplace_back(i + 1.0, "e", json_incref(o));
    cr_expect_eq(o->refcount, 101u);
    std::vector<EventlogEntry> w = v;
    cr_expect_eq(o->refcount, 201u);
    v.clear();
    w.erase(w.begin(), w.begin() + 50);
    cr_expect_eq(o->refcount, 51u);
    w.clear();
    cr_expect_eq(o->refcount, 1u);
    json_decref(o);
}

Test(eventlog_entry, equality)
{
    EventlogEntry a(1.0, "a", load("{\"x\":[1,2]}"));
    EventlogEntry b(1.0, "a", load("{\"x\":[1,2]}"));
    EventlogEntry c(1.0, "a", load("{\"x\":[2,1]}"));
    EventlogEntry d(1.0, "a");
    EventlogEntry e(1.0, "a", json_object());
    EventlogEntry f(1.5, "a");
    EventlogEntry g(1.0, "b");
    cr_expect(a == b);
    cr_expect_not(a == c);
    cr_expect_not(a == d);
    cr_expect_not(d == e); // no context differs from an empty one
    cr_expect(d == EventlogEntry(1.0, "a"));
    cr_expect_not(d == f);
    cr_expect_not(d == g);
}

/* Round trips */

Test(eventlog, random_round_trips)
{
    const char *names[] = {"submit",   "alloc",        "x",         "caf\xc3\xa9",
                           "quote\"d", "back\\slash",  "tab\there", "new\nline",
                           "slash/ed", "\xe2\x9c\x93", "ctl\x01",   "sp ace"};
    uint64_t state = 7;
    std::vector<EventlogEntry> entries;
    for (int i = 0; i < 2000; i++) {
        uint64_t r = splitmix64(state);
        // microsecond timestamps below 4e9 s survive the 6-digit encoding exactly
        uint64_t us = 1 + r % 4000000000000000ull;
        double ts = (double)us / 1e6;
        const char *name = names[(r >> 52) % (sizeof(names) / sizeof(names[0]))];
        json_t *ctx = nullptr;
        switch ((r >> 60) % 4) {
            case 0:
                break;
            case 1:
                ctx = json_object();
                break;
            case 2:
                ctx = json_pack("{s:I s:s s:b s:n}", "id", (json_int_t)(r >> 1), "name", name,
                                "flag", (int)(r & 1), "nil");
                break;
            case 3:
                ctx = json_pack("{s:{s:[i,f,s]}}", "nested", "list", (int)(r & 0xffff),
                                (double)(r % 1000) / 7.0, "v");
                break;
        }
        EventlogEntry e(ts, name, ctx);

        auto line = flux::eventlog_entry_encode(e);
        cr_assert(line.has_value(), "%s", line.has_value() ? "" : line.error().text.c_str());
        cr_assert_eq(std::count(line->begin(), line->end(), '\n'), 1);
        cr_assert_eq(line->back(), '\n');
        auto back = flux::eventlog_entry_decode(*line);
        cr_assert(back.has_value(), "'%s': %s", line->c_str(),
                  back.has_value() ? "" : back.error().text.c_str());
        cr_assert(*back == e, "'%s' did not round trip (ts %.6f vs %.6f)", line->c_str(),
                  back->timestamp, e.timestamp);
        auto again = flux::eventlog_entry_encode(*back);
        cr_assert(again.has_value());
        cr_assert_str_eq(again->c_str(), line->c_str());
        entries.push_back(std::move(e));
    }

    auto log = flux::eventlog_encode(entries);
    cr_assert(log.has_value());
    auto decoded = flux::eventlog_decode(*log);
    cr_assert(decoded.has_value());
    cr_assert_eq(decoded->size(), entries.size());
    for (size_t i = 0; i < entries.size(); i++)
        cr_assert((*decoded)[i] == entries[i], "entry %zu", i);
}
