/* fluxd/test/log_ring.cpp - Criterion tests for the broker log ring (fluxd::LogRing): trimming,
 * sequence numbers, text format, level names. */
#include <criterion/criterion.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <string>

#include "log_ring.h"

using fluxd::LogEntry;
using fluxd::LogRing;

namespace {

LogEntry entry(const std::string &msg, int level = 6)
{
    LogEntry e;
    e.level = level;
    e.message = msg;
    e.appname = "test";
    return e;
}

/* Messages held by the ring, oldest first, joined with ','. */
std::string messages(const LogRing &r)
{
    std::string s;
    for (const auto &e : r.entries()) {
        if (!s.empty())
            s += ',';
        s += e.message;
    }
    return s;
}

} // namespace

Test(log_ring, seq_numbering)
{
    LogRing r(100);
    for (uint64_t i = 1; i <= 50; i++) {
        const LogEntry &e = r.append(entry("m" + std::to_string(i)));
        cr_expect_eq(e.seq, i, "entry %lu got seq %lu", (unsigned long)i, (unsigned long)e.seq);
        cr_expect_eq(&e, &r.entries().back(), "append returns the stored entry");
    }
    /* the seq passed in is ignored */
    LogEntry e = entry("x");
    e.seq = 999;
    cr_expect_eq(r.append(e).seq, 51u);
    /* clear() keeps counting */
    r.clear();
    cr_expect(r.entries().empty());
    cr_expect_eq(r.append(entry("y")).seq, 52u);
}

Test(log_ring, append_keeps_fields)
{
    LogRing r;
    LogEntry e;
    e.level = 3;
    e.rank = 7;
    e.timestamp = 12.5;
    e.appname = "kvs";
    e.hostname = "node7";
    e.message = "hello world";
    const LogEntry &s = r.append(e);
    cr_expect_eq(s.level, 3);
    cr_expect_eq(s.rank, 7u);
    cr_expect_eq(s.timestamp, 12.5);
    cr_expect_str_eq(s.appname.c_str(), "kvs");
    cr_expect_str_eq(s.hostname.c_str(), "node7");
    cr_expect_str_eq(s.message.c_str(), "hello world");
}

Test(log_ring, capacity_trimming)
{
    const struct {
        size_t capacity;
        int appends;
        const char *kept;
        uint64_t first_seq;
    } cases[] = {
        {1, 1, "1", 1},
        {1, 5, "5", 5},
        {3, 2, "1,2", 1},
        {3, 3, "1,2,3", 1},
        {3, 4, "2,3,4", 2},
        {3, 10, "8,9,10", 8},
        {5, 12, "8,9,10,11,12", 8},
        {1024, 30, nullptr, 1},
    };
    for (const auto &tc : cases) {
        LogRing r(tc.capacity);
        for (int i = 1; i <= tc.appends; i++) {
            r.append(entry(std::to_string(i)));
            cr_assert_leq(r.entries().size(), tc.capacity, "never over capacity");
        }
        size_t want = (size_t)tc.appends < tc.capacity ? (size_t)tc.appends : tc.capacity;
        cr_expect_eq(r.entries().size(), want, "capacity %zu after %d", tc.capacity, tc.appends);
        if (tc.kept) {
            std::string got = messages(r);
            cr_expect_str_eq(got.c_str(), tc.kept, "capacity %zu after %d", tc.capacity,
                             tc.appends);
        }
        cr_expect_eq(r.entries().front().seq, tc.first_seq);
        cr_expect_eq(r.entries().back().seq, (uint64_t)tc.appends);
        /* sequence numbers stay consecutive */
        uint64_t prev = 0;
        for (const auto &e : r.entries()) {
            if (prev)
                cr_expect_eq(e.seq, prev + 1);
            prev = e.seq;
        }
    }
}

Test(log_ring, set_capacity)
{
    const struct {
        size_t capacity;
        const char *kept;
    } cases[] = {
        {10, "1,2,3,4,5,6"},                                     /* larger: nothing dropped */
        {6, "1,2,3,4,5,6"},  {4, "3,4,5,6"}, {1, "6"}, {0, "6"}, /* clamped to 1 */
    };
    for (const auto &tc : cases) {
        LogRing r(8);
        for (int i = 1; i <= 6; i++)
            r.append(entry(std::to_string(i)));
        r.set_capacity(tc.capacity);
        std::string got = messages(r);
        cr_expect_str_eq(got.c_str(), tc.kept, "set_capacity(%zu)", tc.capacity);
        /* the new capacity holds for later appends */
        r.append(entry("7"));
        size_t cap = tc.capacity < 1 ? 1 : tc.capacity;
        size_t have = got.empty() ? 0 : (size_t)std::count(got.begin(), got.end(), ',') + 1;
        size_t want = have + 1 < cap ? have + 1 : cap;
        cr_expect_eq(r.entries().size(), want, "after set_capacity(%zu) and one append",
                     tc.capacity);
        cr_expect_str_eq(r.entries().back().message.c_str(), "7");
        cr_expect_eq(r.entries().back().seq, 7u);
    }
}

Test(log_ring, format_utc)
{
    const struct {
        double timestamp;
        const char *app;
        int level;
        uint32_t rank;
        const char *msg;
        const char *want;
    } cases[] = {
        {1700000000.5, "broker", 3, 3, "text", "2023-11-14T22:13:20.500000Z broker.err[3]: text"},
        {1700000000.0, "kvs", 6, 0, "hello", "2023-11-14T22:13:20.000000Z kvs.info[0]: hello"},
        {1700000000.25, "job-manager", 7, 12, "a b c",
         "2023-11-14T22:13:20.250000Z job-manager.debug[12]: a b c"},
        {0.0, "x", 0, 0, "", "1970-01-01T00:00:00.000000Z x.emerg[0]: "},
        {0.125, "x", 1, 1, "m", "1970-01-01T00:00:00.125000Z x.alert[1]: m"},
        {951782400.0625, "a", 2, 4294967295u, "leap",
         "2000-02-29T00:00:00.062500Z a.crit[4294967295]: leap"},
        {1234567890.75, "a", 4, 5, "w", "2009-02-13T23:31:30.750000Z a.warning[5]: w"},
        {4102444799.5, "a", 5, 6, "n", "2099-12-31T23:59:59.500000Z a.notice[6]: n"},
        {1700000000.5, "a", 8, 0, "x", "2023-11-14T22:13:20.500000Z a.unknown[0]: x"},
        {1700000000.5, "a", -1, 0, "x", "2023-11-14T22:13:20.500000Z a.unknown[0]: x"},
        {1700000000.5, "", 6, 0, "msg: with: colons",
         "2023-11-14T22:13:20.500000Z .info[0]: msg: with: colons"},
    };
    for (const auto &tc : cases) {
        LogEntry e;
        e.timestamp = tc.timestamp;
        e.appname = tc.app;
        e.level = tc.level;
        e.rank = tc.rank;
        e.message = tc.msg;
        e.hostname = "ignored-host";
        std::string got = LogRing::format(e);
        cr_expect_str_eq(got.c_str(), tc.want, "timestamp %.6f", tc.timestamp);
        std::string got2 = LogRing::format(e, false);
        cr_expect_str_eq(got2.c_str(), tc.want, "human=false is the default");
    }
}

Test(log_ring, format_utc_ignores_tz)
{
    setenv("TZ", "America/Los_Angeles", 1);
    tzset();
    LogEntry e;
    e.timestamp = 1700000000.5;
    e.appname = "broker";
    e.level = 3;
    e.rank = 3;
    e.message = "text";
    std::string got = LogRing::format(e);
    cr_expect_str_eq(got.c_str(), "2023-11-14T22:13:20.500000Z broker.err[3]: text");
}

Test(log_ring, format_human)
{
    setenv("TZ", "UTC", 1);
    tzset();
    LogEntry e;
    e.timestamp = 1700000000.5;
    e.appname = "broker";
    e.level = 4;
    e.rank = 2;
    e.message = "careful";
    std::string got = LogRing::format(e, true);
    cr_expect_str_eq(got.c_str(), "Nov 14 22:13:20 broker.warning[2]: careful");
}

Test(log_ring, level_name)
{
    const char *names[] = {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
    for (int i = 0; i <= 7; i++)
        cr_expect_str_eq(LogRing::level_name(i), names[i], "level %d", i);
    const int bad[] = {-1, 8, 100, -100};
    for (int l : bad)
        cr_expect_str_eq(LogRing::level_name(l), "unknown", "level %d", l);
}

Test(log_ring, level_parse)
{
    const struct {
        const char *input;
        int want;
    } cases[] = {
        {"0", 0},       {"1", 1},     {"2", 2},       {"3", 3},      {"4", 4},
        {"5", 5},       {"6", 6},     {"7", 7},       {"emerg", 0},  {"alert", 1},
        {"crit", 2},    {"err", 3},   {"warning", 4}, {"notice", 5}, {"info", 6},
        {"debug", 7},   {"error", 3}, {"warn", 4},    {"ERR", 3},    {"Debug", 7},
        {"WARNING", 4}, {"Error", 3}, {"WARN", 4},    {"8", -1},     {"9", -1},
        {"-1", -1},     {"10", -1},   {"03", -1},     {"", -1},      {"unknown", -1},
        {"errx", -1},   {" err", -1}, {"err ", -1},   {"inf", -1},   {"debugging", -1},
        {"a", -1},
    };
    for (const auto &tc : cases)
        cr_expect_eq(LogRing::level_parse(tc.input), tc.want, "level_parse('%s') = %d, want %d",
                     tc.input, LogRing::level_parse(tc.input), tc.want);
    /* every name round-trips */
    for (int i = 0; i <= 7; i++)
        cr_expect_eq(LogRing::level_parse(LogRing::level_name(i)), i);
}
