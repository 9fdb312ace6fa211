/* flux/sign.h - the signed jobspec J (C API): wrap and unwrap.
 *
 *   J = B64URL(header) "." B64URL(payload) "." SIG
 *   header = {"version":1,"mechanism":"none"|"munge","userid":UID}
 *
 * SIG is "none", or the munge credential of the J's first two parts
 * (doc/design/signed-jobspec.md).  flux_job_submit() signs every jobspec
 * itself; these are for tools that sign ahead (flux job submit of a J
 * file, flux submit --flags=signed) or check a J.
 *
 * munged is reached at $FLUX_MUNGE_SOCKET when set, else at libmunge's
 * default socket.
 */
#ifndef FLUX_SIGN_H
#define FLUX_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include <flux/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Sign LEN bytes of PAYLOAD as the calling user (getuid()).  MECHANISM is
 * "none", "munge" or NULL: then $FLUX_SIGN_MECHANISM if set, else "none"
 * when the caller is the instance owner of H (attribute security.owner,
 * cached by the handle) and "munge" otherwise; H may be NULL when
 * MECHANISM names one.  Returns the J as a NUL-terminated string the caller
 * frees with free(), or NULL with errno set and ERROR (may be NULL) filled:
 * EINVAL bad mechanism, EHOSTUNREACH munged not reachable, EPERM munge
 * refused. */
FLUX_API char *flux_sign_wrap(flux_t *h, const void *payload, size_t len, const char *mechanism,
                              flux_error_t *error);

enum {
    /* The IMP's rule: a replayed or expired credential is accepted (munge
     * still authenticates payload and uid); job-ingest does not set it. */
    FLUX_SIGN_TOLERATE_REPLAY = 0x01,
};

/* Verify J.  On success returns 0 and, for each non-NULL out-parameter,
 * the payload (malloc'd, NUL-terminated beyond *len; the caller frees it),
 * the header's userid and the mechanism ("none" or "munge", static).
 * Returns -1 with errno (EINVAL malformed, EPERM refused, EHOSTUNREACH
 * munged not reachable) and ERROR naming the reason ("J: munge: credential
 * replayed ...", "J: ... (tampered)"). */
FLUX_API int flux_sign_unwrap(const char *j, int flags, void **payload, size_t *len,
                              uint32_t *userid, const char **mechanism, flux_error_t *error);

#ifdef __cplusplus
}
#endif

#endif /* !FLUX_SIGN_H */
