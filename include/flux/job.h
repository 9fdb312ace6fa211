/* flux/job.h - the client job API (C): submit, wait, watch, signal and list
 * jobs, look up their data, and convert job ids.
 *
 * Every command, shim and language binding reaches the job services through
 * these functions, never through service topics or KVS keys of its own.
 * Names follow flux-core's libjob where the operation is the same.
 *
 * Functions that start an operation return a future (NULL with errno set on
 * bad arguments); the matching _get function blocks until the answer is
 * there, or use flux_future_then() and call it from the continuation.  On
 * failure _get returns -1 with errno set, and flux_future_error_string()
 * explains it ("unknown job id", "job is inactive", ...).  Destroy futures
 * with flux_future_destroy().  Strings a _get function hands out belong to
 * the future: valid until it is reset or destroyed.
 *
 *   flux_future_t *f = flux_job_submit (h, jobspec, FLUX_JOB_URGENCY_DEFAULT, 0);
 *   flux_jobid_t id;
 *   if (!f || flux_job_submit_get_id (f, &id) < 0)
 *       errx (1, "submit: %s", flux_future_error_string (f));
 *   char buf[64];
 *   flux_job_id_encode (id, "f58", buf, sizeof (buf));    // "ƒ2VbZPF1N5"
 */
#ifndef FLUX_JOB_H
#define FLUX_JOB_H

#include <flux/core.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t flux_jobid_t;

#define FLUX_JOBID_ANY 0xffffffffffffffffULL /* "no job": also the journal's end marker */

enum {
    FLUX_JOB_URGENCY_MIN = 0,
    FLUX_JOB_URGENCY_HOLD = 0,
    FLUX_JOB_URGENCY_DEFAULT = 16,
    FLUX_JOB_URGENCY_MAX = 31,
    FLUX_JOB_URGENCY_EXPEDITE = 31,
};

/* Job states (RFC 21), one bit each so that they form masks. */
enum {
    FLUX_JOB_STATE_NEW = 1,
    FLUX_JOB_STATE_DEPEND = 2,
    FLUX_JOB_STATE_PRIORITY = 4,
    FLUX_JOB_STATE_SCHED = 8,
    FLUX_JOB_STATE_RUN = 16,
    FLUX_JOB_STATE_CLEANUP = 32,
    FLUX_JOB_STATE_INACTIVE = 64,
};
#define FLUX_JOB_STATE_PENDING                                                                     \
    (FLUX_JOB_STATE_DEPEND | FLUX_JOB_STATE_PRIORITY | FLUX_JOB_STATE_SCHED)
#define FLUX_JOB_STATE_RUNNING (FLUX_JOB_STATE_RUN | FLUX_JOB_STATE_CLEANUP)
#define FLUX_JOB_STATE_ACTIVE                                                                      \
    (FLUX_JOB_STATE_NEW | FLUX_JOB_STATE_PENDING | FLUX_JOB_STATE_RUNNING)
#define FLUX_JOB_STATE_ALL (FLUX_JOB_STATE_ACTIVE | FLUX_JOB_STATE_INACTIVE)

/* Submission --------------------------------------------------------------*/

/* Submit flags (travel to job-ingest as "flags"; other bits are EINVAL). */
enum {
    FLUX_JOB_PRE_SIGNED = 0x01, /* JOBSPEC is a signed J (flux/sign.h), sent as it is */
    FLUX_JOB_DEBUG = 0x02,    /* the job manager logs the job's transitions */
    FLUX_JOB_WAITABLE = 0x04, /* instance owner only: a zombie until waited (flux_job_wait) */
};

/* Submit one job.  JOBSPEC is the jobspec's text: JSON or YAML (converted
 * by the server), signed here as J with flux_sign_wrap()'s default
 * mechanism (none for the instance owner, munge otherwise; see flux/sign.h);
 * with FLUX_JOB_PRE_SIGNED it is a J already.  A failure to sign fails the
 * future (EHOSTUNREACH: munged not reachable).  URGENCY is 0-31
 * (FLUX_JOB_URGENCY_*; 31 needs the owner role). */
FLUX_API flux_future_t *flux_job_submit(flux_t *h, const char *jobspec, int urgency, int flags);
/* The new job's id. */
FLUX_API int flux_job_submit_get_id(flux_future_t *f, flux_jobid_t *id);

enum {
    FLUX_JOB_ARRAY_BCC = 0x01, /* copies without FLUX_JOB_CC in their environment */
};

/* Submit one copy of JOBSPEC (JSON only; signed as for flux_job_submit)
 * per id of IDSET ("1-100", RFC 22),
 * in one request: the copy for id N has FLUX_JOB_CC=N in its environment
 * unless FLUX_JOB_ARRAY_BCC.  At most 10000 ids per request (E2BIG). */
FLUX_API flux_future_t *flux_job_submit_array(flux_t *h,
                                              const char *jobspec,
                                              int urgency,
                                              int flags,
                                              const char *idset,
                                              int array_flags);
/* The copies' ids in idset order; *ids belongs to the future. */
FLUX_API int flux_job_submit_get_ids(flux_future_t *f, const flux_jobid_t **ids, size_t *count);

/* Waiting and watching -----------------------------------------------------*/

/* Wait until job ID is inactive.  Any job may be waited for by id; a job
 * submitted with FLUX_JOB_WAITABLE stays (a zombie) until waited.  ID
 * FLUX_JOBID_ANY (instance owner only) waits for the next waitable job to
 * end, or takes a zombie; it fails with ECHILD when no waitable job is left
 * for it. */
FLUX_API flux_future_t *flux_job_wait(flux_t *h, flux_jobid_t id);
/* The id of the job a wait answered for (the one taken by FLUX_JOBID_ANY). */
FLUX_API int flux_job_wait_get_id(flux_future_t *f, flux_jobid_t *id);
/* *success: it exited 0 without a fatal exception; otherwise *errstr says
 * why ("job exited with status 1", "job had a fatal exception: ...").
 * Either pointer may be NULL. */
FLUX_API int flux_job_wait_get_status(flux_future_t *f, bool *success, const char **errstr);

enum {
    FLUX_JOB_EVENT_WATCH_WAITCREATE = 0x01, /* wait for an eventlog not written yet */
};

/* Stream the entries of one of job ID's eventlogs (RFC 18), PATH "eventlog"
 * (the main one), "guest.output" (the job's output) or any other log under
 * the job's KVS directory, from the first entry on, and each entry appended
 * later.  The stream ends (ENODATA) once the job is inactive and every entry
 * written so far has been delivered: the main eventlog after its "clean"
 * entry, another log once the main eventlog shows "clean" (with
 * FLUX_JOB_EVENT_WATCH_WAITCREATE, a log never written then ends with no
 * entries).  An unknown job, a log not there (without WAITCREATE), or a job
 * the caller may not see ends the stream with ENOENT ("unknown job id") or
 * EPERM. */
FLUX_API flux_future_t *
flux_job_event_watch(flux_t *h, flux_jobid_t id, const char *path, int flags);
/* One entry: a JSON object {"timestamp", "name", "context"?} as text.  Call
 * flux_future_reset() for the next.  -1 with ENODATA once the stream has
 * ended (the job is inactive, or the caller cancelled it). */
FLUX_API int flux_job_event_watch_get(flux_future_t *f, const char **event);
/* Stop the stream: entries already sent still arrive, then ENODATA.  A
 * stream that has ended or is ending already: 0, nothing sent. */
FLUX_API int flux_job_event_watch_cancel(flux_future_t *f);

enum {
    FLUX_JOB_JOURNAL_FULL = 0x01, /* include inactive jobs in the backlog */
};

/* Stream the job manager's journal: first each active job's (with
 * FLUX_JOB_JOURNAL_FULL, every job's) events so far, then one entry with id
 * FLUX_JOBID_ANY and no events, then every event as it is posted.  Guests
 * see their own jobs.  The stream lasts until flux_job_journal_cancel() or
 * until the handle is closed. */
FLUX_API flux_future_t *flux_job_journal(flux_t *h, int flags);
/* *id and *events (a JSON array of eventlog entries, as text). */
FLUX_API int flux_job_journal_get(flux_future_t *f, flux_jobid_t *id, const char **events);
/* End the stream: responses already sent still arrive, then ENODATA. */
FLUX_API int flux_job_journal_cancel(flux_future_t *f);

/* Steering ------------------------------------------------------------------*/

/* Each is answered empty: check with flux_rpc_get(f, NULL). */

/* Raise an exception of TYPE (a word) and SEVERITY (0 is fatal, up to 7)
 * with an optional NOTE. */
FLUX_API flux_future_t *
flux_job_raise(flux_t *h, flux_jobid_t id, const char *type, int severity, const char *note);
/* Raise a fatal "cancel" exception with an optional REASON. */
FLUX_API flux_future_t *flux_job_cancel(flux_t *h, flux_jobid_t id, const char *reason);
/* Send SIGNUM (1-63) to a running job's tasks. */
FLUX_API flux_future_t *flux_job_kill(flux_t *h, flux_jobid_t id, int signum);
/* Change a pending job's urgency (0-31). */
FLUX_API flux_future_t *flux_job_set_urgency(flux_t *h, flux_jobid_t id, int urgency);
/* Update attributes of a job: UPDATES is a JSON object of {key: value},
 * e.g. {"attributes.system.duration": 60.0}. */
FLUX_API flux_future_t *flux_job_update(flux_t *h, flux_jobid_t id, const char *updates);

/* Listing ------------------------------------------------------------------*/

/* List jobs, newest first.  MAX_ENTRIES 0 means no limit.  ATTRS is a JSON
 * array of attribute names to keep ("[\"state\",\"name\"]"; "id" is always
 * kept, "all" or a NULL ATTRS keeps every attribute).  USERID selects one
 * user's jobs, FLUX_USERID_UNKNOWN every user's the caller may see (guests
 * see their own).  STATES is a mask of FLUX_JOB_STATE_* (0: active). */
FLUX_API flux_future_t *flux_job_list(flux_t *h,
                                      int max_entries,
                                      const char *attrs,
                                      uint32_t userid,
                                      int states);
/* *jobs: a JSON array of job objects (id, userid, state, name, ntasks,
 * nnodes, urgency, priority, t_submit, t_run, t_cleanup, t_inactive,
 * success, waitstatus, ranks, exception, annotations; once allocated
 * ncores, nodelist and expiration, kept after the job ends and across a
 * restart; duration when limited; dependencies while any are outstanding),
 * owned by the future. */
FLUX_API int flux_job_list_get(flux_future_t *f, json_t **jobs);
/* The jobs IDS[0..NIDS-1] of any state, in that order, each looked up on
 * its own (not the whole list filtered); ids unknown or not visible to the
 * caller are left out.  ATTRS as for flux_job_list(); results with
 * flux_job_list_get(). */
FLUX_API flux_future_t *flux_job_list_ids(flux_t *h, const flux_jobid_t *ids, int nids,
                                          const char *attrs);

/* Queue ----------------------------------------------------------------------*/

/* Report the queue (START < 0), or stop (0) or start (1) scheduling (owner
 * only). */
FLUX_API flux_future_t *flux_job_queue_control(flux_t *h, int start);
/* Any pointer may be NULL.  *scheduler: a scheduler is loaded and ready. */
FLUX_API int flux_job_queue_get(flux_future_t *f,
                                bool *running,
                                int64_t *active,
                                int64_t *pending,
                                bool *scheduler);
/* Named queues (RFC 33).  OP: NULL or "status" reports; "enable",
 * "disable", "start" and "stop" change (owner only).  QUEUE: one queue by
 * name, or NULL: the anonymous queue of an instance without [queues], every
 * queue for a report, or with ALL every queue.  REASON (disable, stop) may
 * be NULL.  Answered like flux_job_queue_control(), and by
 * flux_job_queue_list_get(). */
FLUX_API flux_future_t *flux_job_queue_request(flux_t *h,
                                               const char *op,
                                               const char *queue,
                                               bool all,
                                               const char *reason);
/* *queues: a JSON array of {name ("" for the anonymous queue), enabled,
 * started, disable_reason, stop_reason, default}, the selected queues,
 * owned by the future. */
FLUX_API int flux_job_queue_list_get(flux_future_t *f, json_t **queues);
/* Fulfilled once no job is active (drain) / none is in RUN or CLEANUP
 * (idle). */
FLUX_API flux_future_t *flux_job_queue_drain(flux_t *h);
FLUX_API flux_future_t *flux_job_queue_idle(flux_t *h);

/* Housekeeping ----------------------------------------------------------*/

/* The jobs whose housekeeping still holds nodes ([job-manager.housekeeping],
 * flux-prolog(7)); anyone may ask. */
FLUX_API flux_future_t *flux_job_housekeeping_list(flux_t *h);
/* *jobs: a JSON array of {id, userid, t_start, ranks, nnodes, nodelist}
 * (nodelist "" when R names no host), owned by the future. */
FLUX_API int flux_job_housekeeping_list_get(flux_future_t *f, json_t **jobs);

/* Job data ---------------------------------------------------------------*/

/* Look up KEY of job ID: "jobspec", "R", "eventlog", "guest.output", ...
 * ENOENT if the job has no such key (or is unknown). */
FLUX_API flux_future_t *flux_job_lookup(flux_t *h, flux_jobid_t id, const char *key);
/* *value is the value's JSON text. */
FLUX_API int flux_job_lookup_get(flux_future_t *f, const char **value);
FLUX_API int flux_job_lookup_get_unpack(flux_future_t *f, const char *fmt, ...);

/* Standard input (RFC 24 guest.input) ---------------------------------------*/

/* Forward what FD holds to job ID's tasks, in H's reactor: each read (at
 * most 256 KiB) becomes a "data" entry {stream: "stdin", rank: RANKS,
 * data[, encoding: "base64"]} appended to the job's guest.input eventlog
 * (after a header entry), and FD's end an entry {stream, rank, eof: true}.
 * RANKS is "all" or an RFC 22 idset of task ranks.  FD is not read while
 * a commit is outstanding, so a fast writer waits for the instance; a
 * regular file is read without waiting for readiness.  The job's shells
 * write the bytes to their tasks' stdin (see flux-shell(1) input).
 *
 * CB (may be NULL) is called once, from the reactor, when FD's end has
 * been sent or forwarding failed; flux_job_input_status() tells which.
 * NULL with EINVAL on bad arguments (a bad RANKS). */
typedef struct flux_job_input flux_job_input_t;
typedef void (*flux_job_input_f)(flux_job_input_t *in, void *arg);
FLUX_API flux_job_input_t *flux_job_input_create(flux_t *h, flux_jobid_t id, int fd,
                                                 const char *ranks, flux_job_input_f cb,
                                                 void *arg);
/* 1: FD's end was reached and sent; 0: still forwarding; -1: failed, and
 * *errstr (may be NULL; owned by IN) says why ("unknown job id", ...). */
FLUX_API int flux_job_input_status(flux_job_input_t *in, const char **errstr);
/* Append a {"name": "resize", context: {rank: RANKS, rows, cols}} entry
 * (after the input sent so far): the shells set the window size of those
 * tasks' terminals (-o pty), which signals SIGWINCH there.  0, or -1 with
 * EINVAL (bad sizes) or once forwarding has ended. */
FLUX_API int flux_job_input_resize(flux_job_input_t *in, int rows, int cols);
/* Stop forwarding (what was not sent is dropped; the tasks' stdin stays
 * open) and free IN.  NULL is accepted.  FD is not closed. */
FLUX_API void flux_job_input_destroy(flux_job_input_t *in);

/* Job ids (RFC 19) ---------------------------------------------------------*/

/* Parse any job id form: decimal, "0x" hex, dothex, the KVS key
 * "job.0000.0000.25c2.e156", F58 ("ƒ..." or "f...") or words
 * ("academy-...--...").  Whitespace around it is ignored.  EINVAL on
 * anything else. */
FLUX_API int flux_job_id_parse(const char *s, flux_jobid_t *id);
/* Write ID as TYPE: "dec" (or NULL), "hex", "dothex", "kvs", "f58" (ƒ prefix
 * in a UTF-8 locale), "f58plain" (ASCII f) or "words" into BUF.  -1 with
 * EPROTO for an unknown TYPE, EOVERFLOW if BUFSZ is too small. */
FLUX_API int flux_job_id_encode(flux_jobid_t id, const char *type, char *buf, size_t bufsz);
/* The KVS key of KEY under job ID ("job.0000.0000.25c2.e156.KEY"; KEY NULL:
 * the job's directory).  Returns its length, or -1 with EOVERFLOW/EINVAL. */
FLUX_API int flux_job_kvs_key(char *buf, int bufsz, flux_jobid_t id, const char *key);

#ifdef __cplusplus
}
#endif

#endif /* !FLUX_JOB_H */
