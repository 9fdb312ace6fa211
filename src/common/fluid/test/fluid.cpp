/* fluid/test/fluid.cpp - Criterion unit tests for FLUIDs (RFC 19).
 *
 * Known encodings (the RFC's own example plus vectors computed outside this
 * library), round trips through every format, an independent base58 encoder
 * cross-checked on pseudo-random ids, the locale rules for the F58 prefix,
 * parse errors with their exact messages, and the generator: monotonicity over
 * 100k ids on the real clock, embedded generator id, sequence rollover, a clock
 * stepping backwards and timestamp overflow on an injected clock.
 *
 * Criterion runs each test in its own process, so tests that set environment
 * variables or the locale do not affect one another.
 */
#include <criterion/criterion.h>

#include <cerrno>
#include <chrono>
#include <clocale>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "fluid/fluid.h"

using flux::FluidFormat;
using flux::FluidGenerator;

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

const std::string fhook = "\xc6\x92"; // U+0192, UTF-8

/* Environment with a UTF-8 locale and no ASCII override. */
void utf8_env()
{
    setenv("LC_ALL", "C.UTF-8", 1);
    unsetenv("FLUX_F58_FORCE_ASCII");
    flux::fluid_f58_ascii(false);
}

struct known_case {
    uint64_t id;
    const char *dec;
    const char *hex;
    const char *dothex;
    const char *b58; // base58 digits, without prefix
};

/* Computed independently (Python) from the RFC 19 definitions. */
const known_case known_cases[] = {
    {0, "0", "0x0", "0000.0000.0000.0000", "1"},
    {1, "1", "0x1", "0000.0000.0000.0001", "2"},
    {57, "57", "0x39", "0000.0000.0000.0039", "z"},
    {58, "58", "0x3a", "0000.0000.0000.003a", "21"},
    {1099511627776ull, "1099511627776", "0x10000000000", "0000.0100.0000.0000", "VtB5VXd"},
    {6731191091817518ull, "6731191091817518", "0x17e9fb8df16c2e", "0017.e9fb.8df1.6c2e",
     "uZZybuNNy"}, // the RFC 19 example
    {430804206899405823ull, "430804206899405823", "0x5fa8624c7fba3ff", "05fa.8624.c7fb.a3ff",
     "zzzzzzzzzz"}, // 58^10 - 1
    {430804206899405824ull, "430804206899405824", "0x5fa8624c7fba400", "05fa.8624.c7fb.a400",
     "21111111111"}, // 58^10
    {9223372036854775808ull, "9223372036854775808", "0x8000000000000000", "8000.0000.0000.0000",
     "NQm6nKp8qFD"},
    {UINT64_MAX, "18446744073709551615", "0xffffffffffffffff", "ffff.ffff.ffff.ffff",
     "jpXCZedGfVQ"},
};

/* A base58 encoder written independently of the library: most significant
 * digit first, by recursion.
 */
std::string ref_b58(uint64_t n)
{
    static const std::string alphabet =
        "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    std::string head = n >= 58 ? ref_b58(n / 58) : std::string();
    return head + alphabet[n % 58];
}

uint64_t splitmix64(uint64_t &state)
{
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

std::vector<uint64_t> sample_ids()
{
    std::vector<uint64_t> ids = {0,
                                 1,
                                 2,
                                 57,
                                 58,
                                 59,
                                 1023,
                                 1024,
                                 (1ull << 24) - 1,
                                 1ull << 24,
                                 (1ull << 40) - 1,
                                 1ull << 40,
                                 6731191091817518ull,
                                 430804206899405823ull,
                                 430804206899405824ull,
                                 1ull << 63,
                                 UINT64_MAX - 1,
                                 UINT64_MAX};
    uint64_t state = 42;
    for (int i = 0; i < 10000; i++) {
        uint64_t r = splitmix64(state);
        ids.push_back(r >> (i % 64)); // spread over all magnitudes
    }
    return ids;
}

const FluidFormat all_formats[] = {FluidFormat::dec,    FluidFormat::hex,
                                   FluidFormat::dothex, FluidFormat::f58,
                                   FluidFormat::f58plain, FluidFormat::words};

/* A clock the test drives by hand.  If auto_step_after is nonzero, every
 * reading after that many readings adds one ms (for tests that make the
 * generator wait for a tick).
 */
struct FakeClock {
    uint64_t now = 0;
    uint64_t reads = 0;
    uint64_t auto_step_after = 0;
};

flux::FluidClock clock_of(const std::shared_ptr<FakeClock> &c)
{
    return [c]() {
        c->reads++;
        if (c->auto_step_after != 0 && c->reads > c->auto_step_after)
            c->now++;
        return c->now;
    };
}

uint64_t unix_ms_now()
{
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}

} // namespace

/* Encoding */

Test(fluid_encode, known_vectors)
{
    flux::fluid_f58_ascii(true);
    for (const auto &c : known_cases) {
        expect_str(flux::fluid_encode(c.id, FluidFormat::dec), c.dec);
        expect_str(flux::fluid_encode(c.id, FluidFormat::hex), c.hex);
        expect_str(flux::fluid_encode(c.id, FluidFormat::dothex), c.dothex);
        expect_str(flux::fluid_encode(c.id, FluidFormat::f58plain), std::string("f") + c.b58);
        expect_str(flux::fluid_encode(c.id, FluidFormat::f58), std::string("f") + c.b58);
    }
}

Test(fluid_encode, f58_unicode_prefix_in_utf8_locale)
{
    utf8_env();
    cr_assert(flux::fluid_locale_utf8());
    expect_str(flux::fluid_encode(0, FluidFormat::f58), fhook + "1");
    expect_str(flux::fluid_encode(57, FluidFormat::f58), fhook + "z");
    expect_str(flux::fluid_encode(58, FluidFormat::f58), fhook + "21");
    expect_str(flux::fluid_encode(6731191091817518ull, FluidFormat::f58), fhook + "uZZybuNNy");
    for (const auto &c : known_cases)
        expect_str(flux::fluid_encode(c.id, FluidFormat::f58), fhook + c.b58);
    // f58plain ignores the locale
    expect_str(flux::fluid_encode(0, FluidFormat::f58plain), "f1");
}

Test(fluid_encode, f58_ascii_prefix_in_c_locale)
{
    setenv("LC_ALL", "C", 1);
    unsetenv("FLUX_F58_FORCE_ASCII");
    cr_assert_not(flux::fluid_locale_utf8());
    expect_str(flux::fluid_encode(0, FluidFormat::f58), "f1");
    expect_str(flux::fluid_encode(58, FluidFormat::f58), "f21");
}

Test(fluid_encode, f58_ascii_override)
{
    utf8_env();
    expect_str(flux::fluid_encode(57, FluidFormat::f58), fhook + "z");
    flux::fluid_f58_ascii(true);
    expect_str(flux::fluid_encode(57, FluidFormat::f58), "fz");
    flux::fluid_f58_ascii(false);
    expect_str(flux::fluid_encode(57, FluidFormat::f58), fhook + "z");
    setenv("FLUX_F58_FORCE_ASCII", "1", 1);
    expect_str(flux::fluid_encode(57, FluidFormat::f58), "fz");
}

Test(fluid_encode, program_locale_takes_precedence)
{
    setenv("LC_ALL", "C", 1);
    unsetenv("FLUX_F58_FORCE_ASCII");
    cr_assert_not(flux::fluid_locale_utf8());
    cr_assert_not_null(setlocale(LC_CTYPE, "C.UTF-8"));
    cr_expect(flux::fluid_locale_utf8());
    expect_str(flux::fluid_encode(1, FluidFormat::f58), fhook + "2");
    setlocale(LC_CTYPE, "C"); // "C" again: the environment decides
    cr_expect_not(flux::fluid_locale_utf8());
}

Test(fluid_encode, independent_base58)
{
    for (uint64_t id : sample_ids()) {
        expect_str(flux::fluid_encode(id, FluidFormat::f58plain), "f" + ref_b58(id), "id %llu",
                   (unsigned long long)id);
    }
}

Test(fluid_encode, fixed_widths)
{
    for (uint64_t id : sample_ids()) {
        std::string dothex = flux::fluid_encode(id, FluidFormat::dothex);
        cr_expect_eq(dothex.size(), 19u);
        std::string f58 = flux::fluid_encode(id, FluidFormat::f58plain);
        cr_expect(f58.size() >= 2 && f58.size() <= 12);
        std::string hex = flux::fluid_encode(id, FluidFormat::hex);
        cr_expect(hex.size() >= 3 && hex.size() <= 18);
    }
}

/* Round trips */

static void check_round_trips()
{
    for (uint64_t id : sample_ids()) {
        for (FluidFormat fmt : all_formats) {
            std::string s = flux::fluid_encode(id, fmt);
            auto r = flux::fluid_parse(s);
            cr_assert(r.has_value(), "parse '%s' failed: %s", s.c_str(),
                      r.has_value() ? "" : r.error().text.c_str());
            cr_expect_eq(*r, id, "'%s' parsed to %llu, want %llu", s.c_str(),
                         (unsigned long long)*r, (unsigned long long)id);
        }
    }
}

Test(fluid_parse, round_trip_utf8)
{
    utf8_env();
    check_round_trips();
}

Test(fluid_parse, round_trip_ascii)
{
    flux::fluid_f58_ascii(true);
    check_round_trips();
}

Test(fluid_parse, known_vectors)
{
    for (const auto &c : known_cases) {
        const std::string inputs[] = {c.dec, c.hex, c.dothex, std::string("f") + c.b58,
                                      fhook + c.b58};
        for (const auto &in : inputs) {
            auto r = flux::fluid_parse(in);
            cr_assert(r.has_value(), "parse '%s' failed", in.c_str());
            cr_expect_eq(*r, c.id, "'%s'", in.c_str());
        }
    }
}

struct parse_ok_case {
    const char *input;
    uint64_t id;
};

const parse_ok_case parse_ok_cases[] = {
    {" 42", 42},
    {"42 ", 42},
    {"\t\xc6\x92"
     "21\n",
     58},
    {"  f21  ", 58},
    {"007", 7},
    {"0x0", 0},
    {"0xABCdef", 0xabcdef},
    {"0x00000000000000000001", 1}, // leading zeros do not overflow
    {"0000.0000.0000.0001", 1},
    {"0.0.0.1", 1}, // short groups
    {"FFFF.ffff.FFFF.ffff", UINT64_MAX},
    {"f11", 0}, // leading base58 zeros
    {"fjpXCZedGfVQ", UINT64_MAX},
    {"18446744073709551615", UINT64_MAX},
    {"0xffffffffffffffff", UINT64_MAX},
    {"job.0000.0000.25c2.e156", 0x25c2e156}, // the KVS form
    {" job.ffff.ffff.ffff.ffff ", UINT64_MAX},
    {"NATURAL-Analyze-verbal--natural-analyze-verbal", UINT64_MAX}, // any case
    {"academy-academy-academy-academy-academy-academy", 0},          // one dash between groups
};

/* The mnemonic form, from Flux's own documentation and tests (mnemonicode). */
struct words_case {
    uint64_t id;
    const char *words;
};

const words_case words_cases[] = {
    {0, "academy-academy-academy--academy-academy-academy"},
    {UINT64_MAX, "natural-analyze-verbal--natural-analyze-verbal"},
    {1, "acrobat-academy-academy--academy-academy-academy"},
    {1625, "amen-academy-academy--academy-academy-academy"},
    {1626, "academy-acrobat-academy--academy-academy-academy"},
    {uint64_t{1} << 32, "academy-academy-academy--acrobat-academy-academy"},
    {0xac3f7137000000ull, "airline-alibi-index--tuna-maximum-adam"}, // Flux FAQ example
};

Test(fluid_words, known_vectors)
{
    for (const auto &c : words_cases) {
        expect_str(flux::fluid_encode(c.id, FluidFormat::words), c.words);
        auto r = flux::fluid_parse(c.words);
        cr_assert(r.has_value(), "parse '%s' failed", c.words);
        cr_expect_eq(*r, c.id, "'%s' parsed to %llu", c.words, (unsigned long long)*r);
    }
}

Test(fluid_parse, accepted_forms)
{
    for (const auto &c : parse_ok_cases) {
        auto r = flux::fluid_parse(c.input);
        cr_assert(r.has_value(), "parse '%s' failed", c.input);
        cr_expect_eq(*r, c.id, "'%s' parsed to %llu", c.input, (unsigned long long)*r);
    }
}

struct parse_err_case {
    const char *input;
    const char *error;
};

const parse_err_case parse_err_cases[] = {
    {"", "invalid job id ''"},
    {"   ", "invalid job id '   '"},
    {"abc", "invalid job id 'abc'"},
    {" x ", "invalid job id ' x '"},
    {"12a", "invalid job id '12a'"},
    {"1 2", "invalid job id '1 2'"},
    {"+1", "invalid job id '+1'"},
    {"-1", "invalid job id '-1'"},
    {"18446744073709551616", "invalid job id '18446744073709551616'"},
    {"99999999999999999999999", "invalid job id '99999999999999999999999'"},
    {"0x", "invalid job id '0x'"},
    {"0xg", "invalid job id '0xg'"},
    {"0X10", "invalid job id '0X10'"},
    {"0x10000000000000000", "invalid job id '0x10000000000000000'"},
    {"0x-1", "invalid job id '0x-1'"},
    {"f", "invalid job id 'f'"},
    {"\xc6\x92", "invalid job id '\xc6\x92'"},
    {"\xc6", "invalid job id '\xc6'"},
    {"f0", "invalid job id 'f0'"},
    {"fO", "invalid job id 'fO'"},
    {"fI", "invalid job id 'fI'"},
    {"fl", "invalid job id 'fl'"},
    {"\xc6\x92"
     "0",
     "invalid job id '\xc6\x92"
     "0'"},
    {"f 1", "invalid job id 'f 1'"},
    {"ff!", "invalid job id 'ff!'"},
    {"fjpXCZedGfVR", "invalid job id 'fjpXCZedGfVR'"}, // 2^64
    {"f211111111111", "invalid job id 'f211111111111'"},
    {"1.5", "invalid job id '1.5'"},
    {"0000.0000.0000", "invalid job id '0000.0000.0000'"},
    {"0000.0000.0000.0000.0000", "invalid job id '0000.0000.0000.0000.0000'"},
    {"0000.0000.0000.00001", "invalid job id '0000.0000.0000.00001'"},
    {"0000..0000.0000", "invalid job id '0000..0000.0000'"},
    {".0000.0000.0000", "invalid job id '.0000.0000.0000'"},
    {"0000.0000.0000.", "invalid job id '0000.0000.0000.'"},
    {"0000.0000.0000.000g", "invalid job id '0000.0000.0000.000g'"},
    {"0x00.0000.0000.0000", "invalid job id '0x00.0000.0000.0000'"},
    {"bad-words", "invalid job id 'bad-words'"},
    {"academy-academy-academy", "invalid job id 'academy-academy-academy'"}, // 3 words
    {"academy-academy-academy--academy-academy-academy-academy",
     "invalid job id 'academy-academy-academy--academy-academy-academy-academy'"},
    {"academy-academy-academy--academy-academy-nosuchword",
     "invalid job id 'academy-academy-academy--academy-academy-nosuchword'"},
    {"-academy-academy-academy--academy-academy-academy",
     "invalid job id '-academy-academy-academy--academy-academy-academy'"},
    {"academy-academy-academy--academy-academy-academy-",
     "invalid job id 'academy-academy-academy--academy-academy-academy-'"},
    {"academy--academy-academy--academy-academy-academy",
     "invalid job id 'academy--academy-academy--academy-academy-academy'"},
    {"academy-academy-academy---academy-academy-academy",
     "invalid job id 'academy-academy-academy---academy-academy-academy'"},
    /* 1625 + 1625*1626 + 1625*1626^2 > 2^32 - 1: not a 32-bit group */
    {"amen-amen-amen--academy-academy-academy",
     "invalid job id 'amen-amen-amen--academy-academy-academy'"},
    {"job.0000.0000.0000", "invalid job id 'job.0000.0000.0000'"},
    {"job.0000.0000.0000.000P", "invalid job id 'job.0000.0000.0000.000P'"},
    {"jobs.0000.0000.0000.0001", "invalid job id 'jobs.0000.0000.0000.0001'"},
};

Test(fluid_parse, rejected_forms)
{
    for (const auto &c : parse_err_cases) {
        auto r = flux::fluid_parse(c.input);
        cr_assert_not(r.has_value(), "'%s' parsed to %llu", c.input,
                      r.has_value() ? (unsigned long long)*r : 0ull);
        cr_expect_eq(r.error().errnum, EINVAL, "'%s'", c.input);
        expect_str(r.error().text, c.error);
    }
}

/* Fields */

Test(fluid_fields, compose_and_extract)
{
    uint64_t id = flux::fluid_compose(0xabcdef1234ull, 0x2a5a, 0x3c7);
    cr_expect_eq(flux::timestamp_of(id), 0xabcdef1234ull);
    cr_expect_eq(flux::generator_of(id), 0x2a5au);
    cr_expect_eq(flux::sequence_of(id), 0x3c7u);
    cr_expect_eq(FluidGenerator::timestamp_of(id), 0xabcdef1234ull);
    cr_expect_eq(FluidGenerator::generator_of(id), 0x2a5au);
    cr_expect_eq(FluidGenerator::sequence_of(id), 0x3c7u);
    // layout: [ 40 | 14 | 10 ]
    cr_expect_eq(flux::fluid_compose(1, 0, 0), 1ull << 24);
    cr_expect_eq(flux::fluid_compose(0, 1, 0), 1ull << 10);
    cr_expect_eq(flux::fluid_compose(0, 0, 1), 1ull);
    cr_expect_eq(flux::fluid_compose(flux::fluid_timestamp_max, flux::fluid_generator_max,
                                     flux::fluid_sequence_max),
                 UINT64_MAX);
    cr_expect_eq(flux::timestamp_of(UINT64_MAX), (1ull << 40) - 1);
    cr_expect_eq(flux::generator_of(UINT64_MAX), 16383u);
    cr_expect_eq(flux::sequence_of(UINT64_MAX), 1023u);
}

/* Generator */

Test(fluid_generator, create_errors)
{
    auto bad = FluidGenerator::create(16384, unix_ms_now());
    cr_assert_not(bad.has_value());
    cr_expect_eq(bad.error().errnum, EINVAL);
    expect_str(bad.error().text, "fluid: generator id 16384 out of range (max 16383)");

    auto ok = FluidGenerator::create(16383, unix_ms_now());
    cr_assert(ok.has_value());
    cr_expect_eq(ok->id(), 16383u);

    // the Unix epoch is more than 2^40 ms (~34.8 years) ago
    auto old = FluidGenerator::create(0, 0);
    cr_assert_not(old.has_value());
    cr_expect_eq(old.error().errnum, EINVAL);
    expect_str(old.error().text, "fluid: epoch 0 is too far in the past for a 40-bit timestamp");
}

Test(fluid_generator, monotonic_real_clock)
{
    const uint64_t start = unix_ms_now();
    const uint64_t epoch = start - 5000;
    auto g = FluidGenerator::create(7, epoch);
    cr_assert(g.has_value());
    cr_expect_eq(g->epoch(), epoch);

    const int n = 100000;
    uint64_t prev = 0;
    int same_ms = 0;
    for (int i = 0; i < n; i++) {
        auto r = g->next();
        cr_assert(r.has_value(), "next() failed at %d", i);
        uint64_t id = *r;
        if (i > 0) {
            cr_assert_gt(id, prev, "not increasing at %d", i);
            if (flux::timestamp_of(id) == flux::timestamp_of(prev)) {
                same_ms++;
                cr_assert_eq(flux::sequence_of(id), flux::sequence_of(prev) + 1);
            }
            else {
                same_ms = 0;
                cr_assert_eq(flux::sequence_of(id), 0u);
            }
            cr_assert_lt(same_ms, 1024);
        }
        cr_assert_eq(flux::generator_of(id), 7u);
        prev = id;
    }
    const uint64_t end = unix_ms_now();
    // 100k ids need at least 98 distinct milliseconds
    cr_expect_geq(end - start, (uint64_t)(n / 1024));
    uint64_t ts_first = start - epoch;
    uint64_t ts_last = flux::timestamp_of(prev);
    cr_expect_geq(ts_last, ts_first + n / 1024);
    cr_expect_leq(ts_last, end - epoch);
}

Test(fluid_generator, generator_id_embedded)
{
    const uint32_t gen_ids[] = {0, 1, 5, 1000, 8191, 16383};
    for (uint32_t gid : gen_ids) {
        auto g = FluidGenerator::create(gid, unix_ms_now() - 1000);
        cr_assert(g.has_value());
        for (int i = 0; i < 3000; i++) {
            auto r = g->next();
            cr_assert(r.has_value());
            cr_assert_eq(flux::generator_of(*r), gid);
        }
    }
}

Test(fluid_generator, first_id_fields)
{
    auto c = std::make_shared<FakeClock>();
    c->now = 1700000000000ull;
    auto g = FluidGenerator::create(3, 1700000000000ull - 12345, clock_of(c));
    cr_assert(g.has_value());
    auto r = g->next();
    cr_assert(r.has_value());
    cr_expect_eq(*r, flux::fluid_compose(12345, 3, 0));
    r = g->next();
    cr_assert(r.has_value());
    cr_expect_eq(*r, flux::fluid_compose(12345, 3, 1));
}

Test(fluid_generator, sequence_rollover_waits_for_tick)
{
    auto c = std::make_shared<FakeClock>();
    c->now = 100500;
    auto g = FluidGenerator::create(9, 100000, clock_of(c));
    cr_assert(g.has_value());
    c->reads = 0;
    c->auto_step_after = 1025; // the clock ticks while the 1025th id waits
    for (uint32_t i = 0; i < 1024; i++) {
        auto r = g->next();
        cr_assert(r.has_value());
        cr_assert_eq(*r, flux::fluid_compose(500, 9, i));
    }
    auto r = g->next();
    cr_assert(r.has_value());
    cr_expect_eq(*r, flux::fluid_compose(501, 9, 0));
    cr_expect_gt(c->reads, 1025u, "the generator should have read the clock again");
    r = g->next();
    cr_assert(r.has_value());
    cr_expect_eq(flux::timestamp_of(*r), 502u); // auto-step still ticking
    cr_expect_eq(flux::sequence_of(*r), 0u);
}

Test(fluid_generator, clock_backwards)
{
    auto c = std::make_shared<FakeClock>();
    c->now = 10100;
    auto g = FluidGenerator::create(1, 10000, clock_of(c));
    cr_assert(g.has_value());

    auto a = g->next();
    cr_assert(a.has_value());
    cr_expect_eq(*a, flux::fluid_compose(100, 1, 0));

    c->now = 10050; // clock steps back 50 ms: keep timestamp 100
    uint64_t prev = *a;
    for (uint32_t seq = 1; seq < 1024; seq++) {
        auto r = g->next();
        cr_assert(r.has_value());
        cr_assert_eq(*r, flux::fluid_compose(100, 1, seq));
        cr_assert_gt(*r, prev);
        prev = *r;
    }
    // sequence spent while the clock is behind: move to 101, do not wait
    auto b = g->next();
    cr_assert(b.has_value());
    cr_expect_eq(*b, flux::fluid_compose(101, 1, 0));

    c->now = 10101; // clock catches up to the borrowed ms
    auto d = g->next();
    cr_assert(d.has_value());
    cr_expect_eq(*d, flux::fluid_compose(101, 1, 1));

    c->now = 10200;
    auto e = g->next();
    cr_assert(e.has_value());
    cr_expect_eq(*e, flux::fluid_compose(200, 1, 0));
}

Test(fluid_generator, clock_before_epoch)
{
    auto c = std::make_shared<FakeClock>();
    c->now = 5000;
    auto g = FluidGenerator::create(2, 9000, clock_of(c));
    cr_assert(g.has_value());
    auto r = g->next();
    cr_assert(r.has_value());
    cr_expect_eq(*r, flux::fluid_compose(0, 2, 0));
    c->now = 9001;
    r = g->next();
    cr_assert(r.has_value());
    cr_expect_eq(*r, flux::fluid_compose(1, 2, 0));
}

Test(fluid_generator, timestamp_overflow)
{
    const uint64_t epoch = 1000;
    auto c = std::make_shared<FakeClock>();
    c->now = epoch + flux::fluid_timestamp_max + 1;
    auto late = FluidGenerator::create(0, epoch, clock_of(c));
    cr_assert_not(late.has_value());
    cr_expect_eq(late.error().errnum, EINVAL);

    c->now = epoch + flux::fluid_timestamp_max;
    auto g = FluidGenerator::create(4, epoch, clock_of(c));
    cr_assert(g.has_value());
    auto r = g->next();
    cr_assert(r.has_value());
    cr_expect_eq(*r, flux::fluid_compose(flux::fluid_timestamp_max, 4, 0));

    c->now++;
    auto over = g->next();
    cr_assert_not(over.has_value());
    cr_expect_eq(over.error().errnum, EOVERFLOW);
    expect_str(over.error().text, "fluid: timestamp overflow (epoch too old)");

    // a failed next() leaves the generator as it was
    c->now--;
    r = g->next();
    cr_assert(r.has_value());
    cr_expect_eq(*r, flux::fluid_compose(flux::fluid_timestamp_max, 4, 1));
}

Test(fluid_generator, borrow_overflow)
{
    const uint64_t epoch = 1000;
    auto c = std::make_shared<FakeClock>();
    c->now = epoch + flux::fluid_timestamp_max;
    auto g = FluidGenerator::create(4, epoch, clock_of(c));
    cr_assert(g.has_value());
    for (int i = 0; i < 1024; i++)
        cr_assert(g->next().has_value());
    c->now = epoch; // clock far behind, sequence spent at the last ms
    auto over = g->next();
    cr_assert_not(over.has_value());
    cr_expect_eq(over.error().errnum, EOVERFLOW);
}

Test(fluid_generator, move_keeps_state)
{
    auto c = std::make_shared<FakeClock>();
    c->now = 2000;
    auto g = FluidGenerator::create(6, 1000, clock_of(c));
    cr_assert(g.has_value());
    FluidGenerator gen = std::move(*g);
    auto a = gen.next();
    cr_assert(a.has_value());
    FluidGenerator moved = std::move(gen);
    auto b = moved.next();
    cr_assert(b.has_value());
    cr_expect_eq(*a, flux::fluid_compose(1000, 6, 0));
    cr_expect_eq(*b, flux::fluid_compose(1000, 6, 1));
}
