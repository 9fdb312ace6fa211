/* ioencode/ioencode.h - task output as RFC 24 "data" event contexts.
 *
 * Output is bytes.  ioencode() carries them losslessly in a JSON object
 * {stream, rank, data[, encoding]}: "data" is the bytes themselves when
 * they are valid UTF-8 without a NUL byte (the common case: readable and
 * cheap), otherwise their base64 (RFC 4648) with "encoding": "base64".
 * iodecode() reverses it; any other encoding, bad base64 or a missing
 * field is an error that names the problem.  A stream of one rank ends with
 * an entry {stream, rank, eof: true} (RFC 24), which may carry data too.
 * Nothing here throws (beyond std::bad_alloc).
 */
#ifndef FLUX_COMMON_IOENCODE_IOENCODE_H
#define FLUX_COMMON_IOENCODE_IOENCODE_H

#include <string>
#include <string_view>

#include <jansson.h>

#include "result/result.h"

namespace flux {

/* True if s is well-formed UTF-8 (no overlongs, surrogates or code points
 * above U+10FFFF) and holds no NUL byte. */
bool utf8_text(std::string_view s);

std::string base64_encode(std::string_view bytes);
/* Strict: padding required, no whitespace; EINVAL naming the offset. */
Result<std::string> base64_decode(std::string_view text);

/* A new "data" context object (caller owns it; NULL only on ENOMEM). */
json_t *ioencode(const char *stream, const char *rank, std::string_view bytes);
/* A new end-of-stream context {stream, rank, eof: true} (caller owns it;
 * NULL only on ENOMEM). */
json_t *ioencode_eof(const char *stream, const char *rank);

struct IoData {
    std::string stream; // "stdout" / "stderr"
    std::string rank;   // idset of task ranks
    std::string data;   // the bytes (none in a bare eof entry)
    bool eof = false;   // the stream of these ranks ends here
};

/* Decode a "data" context (borrowed): data is required unless "eof" is
 * true.  EPROTO with a message on error. */
Result<IoData> iodecode(const json_t *context);

} // namespace flux

#endif // FLUX_COMMON_IOENCODE_IOENCODE_H
