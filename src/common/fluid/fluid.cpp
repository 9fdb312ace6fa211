/* fluid/fluid.cpp - Flux Locally Unique IDs (RFC 19): generator, encoders
 * and the parser for the dec, hex, dothex, F58 and words string forms.
 */
#include "fluid/fluid.h"
#include "fluid/mnemonic.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <langinfo.h>
#include <mutex>
#include <string>
#include <locale.h>
#include <strings.h>
#include <thread>

namespace flux {

namespace {

constexpr char f58_alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr uint64_t f58_base = 58;
constexpr std::string_view f58_prefix_utf8 = "\xc6\x92"; // U+0192 LATIN SMALL LETTER F WITH HOOK
constexpr std::string_view f58_prefix_ascii = "f";
constexpr char hex_digits[] = "0123456789abcdef";

std::atomic<bool> force_ascii{false};

/* Value of base58 digit c, or -1. */
int f58_value(char c)
{
    const char *p = std::strchr(f58_alphabet, c);
    if (c == '\0' || p == nullptr)
        return -1;
    return static_cast<int>(p - f58_alphabet);
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && is_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_space(s.back()))
        s.remove_suffix(1);
    return s;
}

/* Accumulate digits of s in the given base into *out; false on an empty
 * string, a bad digit, or overflow of 64 bits.
 */
template <typename DigitFn>
bool parse_digits(std::string_view s, uint64_t base, DigitFn digit, uint64_t *out)
{
    if (s.empty())
        return false;
    uint64_t v = 0;
    for (char c : s) {
        int d = digit(c);
        if (d < 0 || static_cast<uint64_t>(d) >= base)
            return false;
        if (v > (UINT64_MAX - static_cast<uint64_t>(d)) / base)
            return false;
        v = v * base + static_cast<uint64_t>(d);
    }
    *out = v;
    return true;
}

bool parse_dec(std::string_view s, uint64_t *out)
{
    return parse_digits(
        s, 10, [](char c) { return c >= '0' && c <= '9' ? c - '0' : -1; }, out);
}

bool parse_hex(std::string_view s, uint64_t *out)
{
    return parse_digits(s, 16, hex_value, out);
}

bool parse_f58(std::string_view s, uint64_t *out)
{
    return parse_digits(s, f58_base, f58_value, out);
}

/* Exactly four '.'-separated groups of 1-4 hex digits. */
bool parse_dothex(std::string_view s, uint64_t *out)
{
    uint64_t v = 0;
    for (int group = 0; group < 4; group++) {
        size_t dot = s.find('.');
        std::string_view g = s.substr(0, dot);
        if (group < 3 ? dot == std::string_view::npos : dot != std::string_view::npos)
            return false; // too few / too many groups
        uint64_t gv;
        if (g.size() > 4 || !parse_hex(g, &gv))
            return false;
        v = (v << 16) | gv;
        s.remove_prefix(dot == std::string_view::npos ? s.size() : dot + 1);
    }
    *out = v;
    return true;
}

bool is_utf8_codeset(const char *cs)
{
    return cs != nullptr && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "UTF8") == 0);
}

bool f58_use_utf8_prefix()
{
    if (force_ascii.load(std::memory_order_relaxed))
        return false;
    if (std::getenv("FLUX_F58_FORCE_ASCII") != nullptr)
        return false;
    return fluid_locale_utf8();
}

} // namespace

/* Generator */

FluidGenerator::FluidGenerator(uint32_t id, uint64_t epoch_ms, FluidClock clock)
    : id_(id), epoch_ms_(epoch_ms), clock_(std::move(clock))
{
}

Result<FluidGenerator> FluidGenerator::create(uint32_t id, uint64_t epoch_ms, FluidClock clock)
{
    if (id > fluid_generator_max) {
        return make_error(EINVAL, "fluid: generator id " + std::to_string(id) +
                                      " out of range (max " + std::to_string(fluid_generator_max) +
                                      ")");
    }
    FluidGenerator gen(id, epoch_ms, std::move(clock));
    if (gen.elapsed_ms() > fluid_timestamp_max) {
        return make_error(EINVAL, "fluid: epoch " + std::to_string(epoch_ms) +
                                      " is too far in the past for a 40-bit timestamp");
    }
    return gen;
}

uint64_t FluidGenerator::now_ms() const
{
    if (clock_)
        return clock_();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    return ms < 0 ? 0 : static_cast<uint64_t>(ms);
}

uint64_t FluidGenerator::elapsed_ms() const
{
    uint64_t now = now_ms();
    return now < epoch_ms_ ? 0 : now - epoch_ms_;
}

Result<uint64_t> FluidGenerator::next()
{
    uint64_t ts;
    uint32_t seq;

    for (;;) {
        uint64_t now = elapsed_ms();
        if (!started_ || now > last_ts_) { // new millisecond
            ts = now;
            seq = 0;
            break;
        }
        if (last_seq_ < fluid_sequence_max) { // same ms, or clock stepped back
            ts = last_ts_;
            seq = last_seq_ + 1;
            break;
        }
        if (now < last_ts_) { // sequence spent and clock behind: move ahead
            ts = last_ts_ + 1;
            seq = 0;
            break;
        }
        // sequence spent in the current millisecond: wait for the tick
        std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
    if (ts > fluid_timestamp_max)
        return make_error(EOVERFLOW, "fluid: timestamp overflow (epoch too old)");
    started_ = true;
    last_ts_ = ts;
    last_seq_ = seq;
    return fluid_compose(ts, id_, seq);
}

/* Encoding */

std::string fluid_encode(uint64_t id, FluidFormat fmt)
{
    switch (fmt) {
        case FluidFormat::hex: {
            char buf[16];
            int n = 0;
            do {
                buf[n++] = hex_digits[id & 0xf];
                id >>= 4;
            } while (id != 0);
            std::string s = "0x";
            while (n > 0)
                s.push_back(buf[--n]);
            return s;
        }
        case FluidFormat::dothex: {
            std::string s;
            s.reserve(19);
            for (int shift = 60; shift >= 0; shift -= 4) {
                s.push_back(hex_digits[(id >> shift) & 0xf]);
                if (shift % 16 == 0 && shift != 0)
                    s.push_back('.');
            }
            return s;
        }
        case FluidFormat::f58:
        case FluidFormat::f58plain: {
            char buf[16]; // 58^11 > 2^64
            int n = 0;
            do {
                buf[n++] = f58_alphabet[id % f58_base];
                id /= f58_base;
            } while (id != 0);
            bool utf8 = fmt == FluidFormat::f58 && f58_use_utf8_prefix();
            std::string s(utf8 ? f58_prefix_utf8 : f58_prefix_ascii);
            while (n > 0)
                s.push_back(buf[--n]);
            return s;
        }
        case FluidFormat::words:
            return fluid_words_encode(id);
        case FluidFormat::dec:
            break;
    }
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), id);
    (void)ec; // cannot fail: 20 digits fit
    return std::string(buf, end);
}

/* Parsing */

Result<uint64_t> fluid_parse(std::string_view input)
{
    std::string_view s = trim(input);
    uint64_t v = 0;
    bool ok;

    if (s.find('.') != std::string_view::npos)
        ok = parse_dothex(s.starts_with("job.") ? s.substr(4) : s, &v);
    else if (s.find('-') != std::string_view::npos)
        ok = fluid_words_decode(s, &v);
    else if (s.starts_with(f58_prefix_utf8))
        ok = parse_f58(s.substr(f58_prefix_utf8.size()), &v);
    else if (s.starts_with(f58_prefix_ascii))
        ok = parse_f58(s.substr(f58_prefix_ascii.size()), &v);
    else if (s.starts_with("0x"))
        ok = parse_hex(s.substr(2), &v);
    else
        ok = parse_dec(s, &v);

    if (!ok)
        return make_error(EINVAL, "invalid job id '" + std::string(input) + "'");
    return v;
}

/* Locale */

void fluid_f58_ascii(bool enable)
{
    force_ascii.store(enable, std::memory_order_relaxed);
}

bool fluid_locale_utf8()
{
    const char *current = std::setlocale(LC_CTYPE, nullptr);
    if (current != nullptr && std::strcmp(current, "C") != 0 && std::strcmp(current, "POSIX") != 0)
        return is_utf8_codeset(nl_langinfo(CODESET));

    /* The program has not chosen a locale (or chose "C"): look at the one the
     * environment names, without touching the global locale.  Loading it
     * reads locale files, so the answer is kept for as long as the
     * variables that name it are unchanged (a forked job shell inherits
     * its launcher's).
     */
    auto var = [](const char *name) {
        const char *v = getenv(name);
        return std::string(v ? v : "") + '\n';
    };
    std::string names = var("LC_ALL") + var("LC_CTYPE") + var("LANG");
    static std::mutex mu;
    static std::string cached_names;
    static bool cached = false, cached_utf8 = false;
    std::lock_guard<std::mutex> lock(mu);
    if (cached && names == cached_names)
        return cached_utf8;
    locale_t loc = newlocale(LC_CTYPE_MASK, "", static_cast<locale_t>(0));
    bool utf8 = false;
    if (loc != static_cast<locale_t>(0)) {
        utf8 = is_utf8_codeset(nl_langinfo_l(CODESET, loc));
        freelocale(loc);
    }
    cached = true;
    cached_names = names;
    cached_utf8 = utf8;
    return utf8;
}

} // namespace flux
