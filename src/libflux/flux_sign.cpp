/* flux_sign.cpp - flux/sign.h: the C edge over common/sign (the J format).
 *
 * Environment: FLUX_SIGN_MECHANISM (none|munge) forces the mechanism of
 * flux_sign_wrap(h, ..., NULL, ...) and so of flux_job_submit();
 * FLUX_MUNGE_SOCKET names munged's socket.  A guest signs with munge,
 * or with none when munged's socket does not exist.
 */
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

#include "flux/sign.h"
#include "sign/sign.h"

namespace {

void set_error(flux_error_t *error, const std::string &text)
{
    if (error)
        snprintf(error->text, sizeof(error->text), "%s", text.c_str());
}

} // namespace

namespace flux {

/* The mechanism flux_job_submit() signs with when the caller names none. */
Result<sign::Mechanism> sign_default_mechanism(flux_t *h)
{
    const char *forced = getenv("FLUX_SIGN_MECHANISM");
    if (forced && *forced) {
        auto m = sign::mechanism_parse(forced);
        if (!m)
            return make_error(EINVAL, std::string("FLUX_SIGN_MECHANISM: ") + m.error().text);
        return *m;
    }
    /* flux_attr_get() caches the immutable security.owner on the handle. */
    const char *owner = h ? flux_attr_get(h, "security.owner") : nullptr;
    if (owner && std::to_string(getuid()) == owner)
        return sign::Mechanism::none;
    /* No munged on this machine (a personal or test instance): sign with
     * none and let job-ingest decide ([ingest] allow-guest-none; a
     * config-booted instance refuses it, naming the mechanism). */
    const char *sock = getenv("FLUX_MUNGE_SOCKET");
    if (access(sock && *sock ? sock : "/run/munge/munge.socket.2", F_OK) < 0)
        return sign::Mechanism::none;
    return sign::Mechanism::munge;
}

} // namespace flux

extern "C" {

char *flux_sign_wrap(flux_t *h, const void *payload, size_t len, const char *mechanism,
                     flux_error_t *error)
{
    if ((!payload && len > 0) || (!h && !mechanism)) {
        set_error(error, "invalid argument");
        errno = EINVAL;
        return nullptr;
    }
    flux::Result<flux::sign::Mechanism> m = mechanism ? flux::sign::mechanism_parse(mechanism)
                                                      : flux::sign_default_mechanism(h);
    if (!m) {
        set_error(error, m.error().text);
        errno = m.error().errnum;
        return nullptr;
    }
    auto j = flux::sign::wrap(std::string_view(static_cast<const char *>(payload), len),
                              (uint32_t)getuid(), *m);
    if (!j) {
        set_error(error, j.error().text);
        errno = j.error().errnum;
        return nullptr;
    }
    char *out = strdup(j->c_str());
    if (!out) {
        set_error(error, "out of memory");
        errno = ENOMEM;
    }
    return out;
}

int flux_sign_unwrap(const char *j, int flags, void **payload, size_t *len, uint32_t *userid,
                     const char **mechanism, flux_error_t *error)
{
    if (!j || (flags & ~FLUX_SIGN_TOLERATE_REPLAY)) {
        set_error(error, "invalid argument");
        errno = EINVAL;
        return -1;
    }
    flux::sign::Options opts;
    opts.tolerate_replay_expired = flags & FLUX_SIGN_TOLERATE_REPLAY;
    auto u = flux::sign::unwrap(j, opts);
    if (!u) {
        set_error(error, u.error().text);
        errno = u.error().errnum;
        return -1;
    }
    if (payload) {
        char *p = static_cast<char *>(malloc(u->payload.size() + 1));
        if (!p) {
            set_error(error, "out of memory");
            errno = ENOMEM;
            return -1;
        }
        memcpy(p, u->payload.data(), u->payload.size());
        p[u->payload.size()] = '\0';
        *payload = p;
    }
    if (len)
        *len = u->payload.size();
    if (userid)
        *userid = u->userid;
    if (mechanism)
        *mechanism = flux::sign::mechanism_name(u->mechanism);
    return 0;
}

} // extern "C"
