/* fluid/fluid.h - Flux Locally Unique IDs (RFC 19): generation and encoding.
 *
 * A FLUID is a 64-bit integer laid out as
 *
 *     [ 40-bit timestamp | 14-bit generator id | 10-bit sequence ]
 *
 * where the timestamp counts milliseconds since a generator epoch.  Ids from
 * one generator are strictly increasing; ids from different generators are
 * unique and loosely (k-) ordered by time.  FLUIDs are used as job ids.
 *
 * String forms (RFC 19 "Representation"):
 *   dec       "6731191091817518"
 *   hex       "0x17e9fb8df16c2e"          ("0x" + lowercase, no zero padding)
 *   dothex    "0017.e9fb.8df1.6c2e"       (four 16-bit groups, 4 digits each)
 *   f58       "ƒuZZybuNNy"                (base58, U+0192 prefix; ASCII "f"
 *                                          prefix when the locale is not UTF-8,
 *                                          FLUX_F58_FORCE_ASCII is set in the
 *                                          environment, or fluid_f58_ascii(true))
 *   f58plain  "fuZZybuNNy"                (base58, always the ASCII "f" prefix)
 *   words     "academy-academy-academy--academy-academy-academy" (0)
 *                                         (mnemonicode, as RFC 19 names it)
 * The emoji form is not implemented.
 *
 * Nothing here throws (beyond std::bad_alloc from the standard library).
 */
#ifndef FLUX_COMMON_FLUID_FLUID_H
#define FLUX_COMMON_FLUID_FLUID_H

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "result/result.h"

namespace flux {

inline constexpr int fluid_timestamp_bits = 40;
inline constexpr int fluid_generator_bits = 14;
inline constexpr int fluid_sequence_bits = 10;

inline constexpr uint64_t fluid_timestamp_max = (uint64_t{1} << fluid_timestamp_bits) - 1;
inline constexpr uint32_t fluid_generator_max = (uint32_t{1} << fluid_generator_bits) - 1;
inline constexpr uint32_t fluid_sequence_max = (uint32_t{1} << fluid_sequence_bits) - 1;

/* Fields of a FLUID. */
constexpr uint64_t timestamp_of(uint64_t id)
{
    return id >> (fluid_generator_bits + fluid_sequence_bits);
}
constexpr uint32_t generator_of(uint64_t id)
{
    return static_cast<uint32_t>(id >> fluid_sequence_bits) & fluid_generator_max;
}
constexpr uint32_t sequence_of(uint64_t id)
{
    return static_cast<uint32_t>(id) & fluid_sequence_max;
}

/* Compose a FLUID from its fields; out-of-range fields are masked. */
constexpr uint64_t fluid_compose(uint64_t timestamp, uint32_t generator, uint32_t sequence)
{
    return ((timestamp & fluid_timestamp_max) << (fluid_generator_bits + fluid_sequence_bits)) |
           (uint64_t{generator & fluid_generator_max} << fluid_sequence_bits) |
           (sequence & fluid_sequence_max);
}

/* A wall clock returning milliseconds since the Unix epoch.  An empty
 * FluidClock means the system realtime clock; tests inject their own.
 */
using FluidClock = std::function<uint64_t()>;

/* Generates strictly increasing FLUIDs for one generator id.
 *
 * next() stamps each id with the clock's milliseconds since epoch_ms.  Up to
 * 1024 ids share one millisecond; the 1025th waits (briefly sleeping) for the
 * clock to tick.  If the clock steps backwards the generator keeps its last
 * timestamp and continues the sequence there; should that sequence run out
 * while the clock is still behind, it advances its own timestamp by 1 ms
 * rather than wait for the clock to catch up.  A clock before epoch_ms counts
 * as timestamp 0.
 *
 * Not thread safe; move-only, since a copy would repeat ids.
 */
class FluidGenerator {
  public:
    /* id must be < 16384.  Fails with EINVAL on a bad id, or if epoch_ms
     * already lies more than 2^40 ms (~34.8 years) in the past.
     */
    static Result<FluidGenerator> create(uint32_t id, uint64_t epoch_ms, FluidClock clock = {});

    FluidGenerator(FluidGenerator &&) noexcept = default;
    FluidGenerator &operator=(FluidGenerator &&) noexcept = default;
    FluidGenerator(const FluidGenerator &) = delete;
    FluidGenerator &operator=(const FluidGenerator &) = delete;

    /* The next id.  Fails with EOVERFLOW once the timestamp no longer fits
     * in 40 bits.
     */
    Result<uint64_t> next();

    uint32_t id() const { return id_; }
    uint64_t epoch() const { return epoch_ms_; }

    /* Same as the free functions, for callers that prefer the class scope. */
    static constexpr uint64_t timestamp_of(uint64_t id) { return flux::timestamp_of(id); }
    static constexpr uint32_t generator_of(uint64_t id) { return flux::generator_of(id); }
    static constexpr uint32_t sequence_of(uint64_t id) { return flux::sequence_of(id); }

  private:
    FluidGenerator(uint32_t id, uint64_t epoch_ms, FluidClock clock);
    uint64_t now_ms() const;     // clock reading, unix ms
    uint64_t elapsed_ms() const; // now_ms() - epoch, saturating at 0

    uint32_t id_;
    uint64_t epoch_ms_;
    FluidClock clock_;
    bool started_ = false;  // whether any id has been issued
    uint64_t last_ts_ = 0;  // timestamp of the last id issued
    uint32_t last_seq_ = 0; // sequence of the last id issued
};

enum class FluidFormat {
    dec,
    hex,
    dothex,
    f58,
    f58plain,
    words,
};

/* Encode id in the given format.  Never fails. */
std::string fluid_encode(uint64_t id, FluidFormat fmt);

/* Parse any of the forms above.  Per RFC 19 the form is chosen by content:
 * a '.' means dothex (the KVS form "job.0017.e9fb.8df1.6c2e" is accepted
 * too), a '-' means words, a leading "ƒ" or "f" means F58, a leading "0x"
 * means hex, anything else decimal.  Leading and trailing whitespace is ignored.
 * Hex and dothex digits may be upper or lower case; dothex needs exactly four
 * groups of 1-4 hex digits.  Empty input, junk, overflow, characters outside
 * the base58 alphabet (0, O, I, l, ...), words that are not six known
 * words (or whose groups exceed 32 bits) and the unsupported emoji form
 * fail with EINVAL and the text "invalid job id '<input>'".
 */
Result<uint64_t> fluid_parse(std::string_view s);

/* Force the ASCII "f" prefix for FluidFormat::f58 (process wide) when true;
 * when false (the default) the locale decides.
 */
void fluid_f58_ascii(bool enable);

/* Whether the character set of the locale is UTF-8.  If the program has set
 * an LC_CTYPE locale other than "C"/"POSIX", that locale's CODESET decides;
 * otherwise the locale named by the environment (LC_ALL, LC_CTYPE, LANG) is
 * consulted, as setlocale(LC_ALL, "") would, but without changing the
 * process's locale.
 */
bool fluid_locale_utf8();

} // namespace flux

#endif // FLUX_COMMON_FLUID_FLUID_H
