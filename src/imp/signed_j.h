/* signed_j.h - parse a signed jobspec J (no verification here).
 *
 *   J = B64URL(header) "." B64URL(payload) "." SIG
 *   header = {"version":1, "mechanism":"none"|"munge", "userid":UID}
 *
 * The parse is pure (no I/O, no munge) so bench/fuzz/fuzz_imp.cpp can
 * drive it; flux-imp verifies SIG (src/imp/imp.cpp).  Contract:
 * /work/wt/_prompts/sys-overview.md, doc/design/imp.md.
 */
#ifndef FLUX_IMP_SIGNED_J_H
#define FLUX_IMP_SIGNED_J_H

#include <cstdint>
#include <string>
#include <string_view>

namespace imp {

struct SignedJ {
    std::string mechanism;   /* "none" or "munge" */
    uint32_t userid = 0;
    std::string signed_part; /* B64URL(header) "." B64URL(payload): what SIG covers */
    std::string payload;     /* the jobspec bytes */
    std::string sig;         /* "none" or a munge credential */
};

/* Decode RFC 4648 base64url without padding.  Returns false on a character
 * outside the alphabet, '=' padding, a length of 1 mod 4, or non-zero
 * unused trailing bits (so each text has one decoding). */
[[nodiscard]] bool b64url_decode(std::string_view in, std::string &out);

/* Parse J into OUT.  Returns false with ERR naming what is wrong. */
[[nodiscard]] bool signed_j_parse(std::string_view j, SignedJ &out, std::string &err);

} // namespace imp

#endif
