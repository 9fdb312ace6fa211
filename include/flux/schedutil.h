/* flux/schedutil.h - the helper every fluxd scheduler module is written on.
 *
 * A scheduler is a broker module (flux/module.h) that speaks RFC 27 with
 * the job manager.  This helper does the protocol plumbing: it registers
 * the "sched" service (and "feasibility" if the scheduler offers it),
 * decodes requests into jansson objects, runs the hello/ready handshake
 * and encodes the responses.  The scheduler supplies the policy through a
 * table of callbacks; a NULL callback means "not supported".
 *
 * Lifecycle:
 *
 *   flux_schedutil_create(h, &ops, arg)       services and handlers
 *        |
 *   flux_schedutil_start(util, mode)          asynchronous:
 *        |   job-manager.sched-hello ──► ops.hello(job) per job holding R
 *        |   job-manager.sched-ready {mode} ──► ops.ready(count)
 *        v
 *   ops.alloc(msg, job)       respond now or later, exactly once with
 *                             success, deny or cancel (annotate: any
 *                             number of times before that)
 *   ops.free(msg, id, R)      R: all or part of the job's resources
 *                             (final in msg; NULL when final with
 *                             FLUX_SCHEDUTIL_FREE_BY_ID); respond with
 *                             flux_schedutil_free_respond()
 *   ops.cancel(id)            the job's pending alloc: respond "cancel"
 *   ops.prioritize(jobs)      [[id, priority], ...]
 *   ops.feasibility(msg, jobspec)   respond with
 *                             flux_schedutil_feasibility_respond()
 *   ops.expiration(msg, id, t)   a running job's end moved (flux update);
 *                             respond with flux_schedutil_expiration_respond()
 *        |
 *   flux_schedutil_destroy(util)              before the module returns
 *
 * Every callback runs in the module's reactor and must return fast; a
 * response may be sent later from any other callback of the same module.
 * A message passed to a callback is owned by the helper for the duration
 * of the call: keep it with flux_msg_incref() (or a payload-less
 * flux_msg_copy()) to respond after the callback returns.
 * JSON arguments are borrowed: json_incref() what you keep.
 *
 * Mode (RFC 27 concurrency): "unlimited", "single" or "limited=N".
 * The payload keys of each callback are listed with it; new keys may be
 * added, never removed, so unpack with "{s:... }" and ignore the rest.
 */
#ifndef FLUX_SCHEDUTIL_H
#define FLUX_SCHEDUTIL_H

#include <stdint.h>

#include <jansson.h>

#include <flux/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* major << 16 | minor: a scheduler built against another major version is
 * refused by flux_schedutil_create(). */
#define FLUX_SCHEDUTIL_API_VERSION ((1u << 16) | 2u)

typedef struct flux_schedutil flux_schedutil_t;

struct flux_schedutil_ops {
    uint32_t api_version; /* FLUX_SCHEDUTIL_API_VERSION */
    /* A job that holds resources from before this scheduler:
     * {id, priority, userid, t_submit, R}.  Return 0, or -1 to fail the
     * start (the module should then exit). */
    int (*hello)(flux_schedutil_t *util, json_t *job, void *arg);
    /* sched-ready was accepted; COUNT jobs are waiting for resources. */
    void (*ready)(flux_schedutil_t *util, int count, void *arg);
    /* sched.alloc {id, priority, userid, t_submit, jobspec}. */
    void (*alloc)(flux_schedutil_t *util, const flux_msg_t *msg, json_t *job, void *arg);
    /* sched.free {id, R, final}: resources of the job come back.  R may
     * be only part of the allocation (RFC 27 partial release: with
     * housekeeping each node comes back as its housekeeping ends), so
     * return exactly R to the pool; "final" (true when absent) says it is
     * the job's last free: read it with
     *   int final = 1; flux_msg_unpack (msg, "{s?b}", "final", &final);
     * Answer each free with flux_schedutil_free_respond(). */
    void (*free)(flux_schedutil_t *util, const flux_msg_t *msg, uint64_t id, json_t *R,
                 void *arg);
    /* sched.cancel {id}: withdraw the job's pending alloc (if any). */
    void (*cancel)(flux_schedutil_t *util, uint64_t id, void *arg);
    /* sched.prioritize {jobs: [[id, priority], ...]}. */
    void (*prioritize)(flux_schedutil_t *util, json_t *jobs, void *arg);
    /* feasibility.check {jobspec}: could this request ever be satisfied?
     * NULL: not offered (job-ingest then takes every job). */
    void (*feasibility)(flux_schedutil_t *util, const flux_msg_t *msg, json_t *jobspec,
                        void *arg);
    /* 1.1: sched.expiration {id, expiration}: flux update moved the end of
     * a running job's allocation to EXPIRATION (0: unlimited), already
     * applied by the job manager.  NULL: the helper answers for the
     * scheduler (sched-simple does not plan in time).  Answer with
     * flux_schedutil_expiration_respond(). */
    void (*expiration)(flux_schedutil_t *util, const flux_msg_t *msg, uint64_t id,
                       double expiration, void *arg);
    /* 1.2: FLUX_SCHEDUTIL_* flags. */
    unsigned int flags;
};

/* The scheduler returns a job's whole allocation by the job's id on its
 * final free: ops.free then gets R == NULL for a final free (R, often
 * the largest part of the message, is not decoded), and R (a part of the
 * allocation, final false) for a partial release. */
#define FLUX_SCHEDUTIL_FREE_BY_ID 0x1u

/* Register the services and handlers on H.  OPS is copied; ARG is passed
 * to every callback.  NULL with ERROR filled in (bad version, no alloc or
 * free callback, a service already taken). */
FLUX_API flux_schedutil_t *flux_schedutil_create(flux_t *h,
                                                 const struct flux_schedutil_ops *ops,
                                                 void *arg,
                                                 flux_error_t *error);
/* Unregister everything; pending requests are left unanswered.  NULL ok. */
FLUX_API void flux_schedutil_destroy(flux_schedutil_t *util);

/* Start the handshake (hello, then ready with MODE).  0, or -1 with ERROR
 * (bad mode).  A failure later (the job manager refuses) is logged and
 * stops the module's reactor with an error. */
FLUX_API int flux_schedutil_start(flux_schedutil_t *util, const char *mode, flux_error_t *error);
/* The handle the helper was created on. */
FLUX_API flux_t *flux_schedutil_handle(flux_schedutil_t *util);

/* Responses to sched.alloc (MSG is the request or a copy of it; ID the
 * job).  Each returns 0 or -1 with errno set. */
/* Resources granted.  R: the R object (RFC 20), or NULL when the scheduler
 * committed job.<id>.R to the KVS itself.  ANNOTATIONS: object or NULL. */
FLUX_API int flux_schedutil_alloc_success(flux_schedutil_t *util, const flux_msg_t *msg,
                                          uint64_t id, json_t *R, json_t *annotations);
/* The same with R as JSON text (an RFC 20 object, compact, written by the
 * scheduler: it is sent as given, so a scheduler that writes R directly
 * skips building a jansson tree to print it).  EINVAL if R is not an
 * object's text. */
FLUX_API int flux_schedutil_alloc_success_text(flux_schedutil_t *util, const flux_msg_t *msg,
                                               uint64_t id, const char *R,
                                               json_t *annotations);
/* Not yet: annotations for flux jobs (e.g. {"sched": {"reason_pending": ...}}). */
FLUX_API int flux_schedutil_alloc_annotate(flux_schedutil_t *util, const flux_msg_t *msg,
                                           uint64_t id, json_t *annotations);
/* Never: the job gets an alloc exception with NOTE. */
FLUX_API int flux_schedutil_alloc_deny(flux_schedutil_t *util, const flux_msg_t *msg,
                                       uint64_t id, const char *note);
/* The request is withdrawn (after ops.cancel). */
FLUX_API int flux_schedutil_alloc_cancel(flux_schedutil_t *util, const flux_msg_t *msg,
                                         uint64_t id);
/* Answer sched.free. */
FLUX_API int flux_schedutil_free_respond(flux_schedutil_t *util, const flux_msg_t *msg,
                                         uint64_t id);
/* Answer feasibility.check: ERRNUM 0 (feasible), else the reason the
 * submission is refused with (EOVERFLOW: can never fit; EINVAL: a request
 * the scheduler cannot read). */
FLUX_API int flux_schedutil_feasibility_respond(flux_schedutil_t *util, const flux_msg_t *msg,
                                                int errnum, const char *text);
/* Answer sched.expiration: ERRNUM 0, or why the scheduler could not move
 * the job's end in its plan (the job manager logs it; the update stands). */
FLUX_API int flux_schedutil_expiration_respond(flux_schedutil_t *util, const flux_msg_t *msg,
                                               int errnum, const char *text);

#ifdef __cplusplus
}
#endif

#endif /* !FLUX_SCHEDUTIL_H */
