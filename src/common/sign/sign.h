/* sign.h - the signed jobspec J: wrap (sign) and unwrap (verify).
 *
 *   J = B64URL(header) "." B64URL(payload) "." SIG
 *
 * header: compact JSON {"version":1,"mechanism":"none"|"munge","userid":UID};
 * payload: the jobspec bytes as submitted; SIG: the literal "none", or the
 * munge credential (munge_encode(3)) whose payload is the first two parts,
 * "B64URL(header).B64URL(payload)", byte for byte.  B64URL is RFC 4648
 * base64url without padding.  doc/design/signed-jobspec.md has the why.
 *
 * The munge daemon is reached at the socket Options::munge_socket, else the
 * environment's FLUX_MUNGE_SOCKET, else libmunge's default.  Credentials
 * live Options::munge_ttl seconds, else $FLUX_MUNGE_TTL, else munged's
 * default.
 */
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "result/result.h"

namespace flux::sign {

/* RFC 4648 section 5, no padding.  decode refuses padding, characters
 * outside the alphabet and a length of 1 mod 4, naming the offset. */
std::string base64url_encode(std::string_view in);
Result<std::string> base64url_decode(std::string_view in);

enum class Mechanism { none, munge };
const char *mechanism_name(Mechanism m);
/* "none" or "munge"; EINVAL naming the word otherwise. */
Result<Mechanism> mechanism_parse(std::string_view name);

struct Options {
    const char *munge_socket = nullptr; /* NULL: $FLUX_MUNGE_SOCKET, else munge's default */
    int munge_ttl = 0; /* credential lifetime in s; 0: $FLUX_MUNGE_TTL, else munged's default */
    /* The IMP's rule: a replayed or expired credential still authenticates
     * its payload and uid, so those two errors are tolerated. job-ingest
     * leaves this false and refuses every munge error. */
    bool tolerate_replay_expired = false;
};

/* Sign PAYLOAD as USERID with MECH.  With munge, the credential carries the
 * caller's real uid, so USERID must be the caller's (getuid()) for the J to
 * verify.  Errors: EINVAL, or munge's failure (EPERM "munge: ..."). */
Result<std::string> wrap(std::string_view payload, uint32_t userid, Mechanism mech,
                         const Options &opts = {});

struct Unwrapped {
    Mechanism mechanism = Mechanism::none;
    uint32_t userid = 0;    /* header.userid (checked against munge's uid) */
    std::string payload;    /* the jobspec bytes */
    bool replayed = false;  /* tolerated (tolerate_replay_expired) */
    bool expired = false;   /* tolerated (tolerate_replay_expired) */
};

/* Verify J.  Errors (text starts "J: "): EINVAL for a J that is not of the
 * form above (parts, base64url, header JSON, version, mechanism, SIG of
 * none); EPERM for a credential munge refuses ("credential replayed",
 * "credential expired", "invalid credential", ...), a credential uid other
 * than header.userid, or a credential payload other than the J's first two
 * parts ("tampered").  EHOSTUNREACH when munged cannot be reached. */
Result<Unwrapped> unwrap(std::string_view j, const Options &opts = {});

/* Raw munge credentials (broker authentication): encode PAYLOAD; decode a
 * credential into its payload and uid.  Every munge error is refused
 * unless opts.tolerate_replay_expired. */
Result<std::string> munge_encode(std::string_view payload, const Options &opts = {});
struct MungeCred {
    std::string payload;
    uint32_t uid = 0;
    uint32_t gid = 0;
};
Result<MungeCred> munge_decode(std::string_view cred, const Options &opts = {});

} // namespace flux::sign
