/* flux/jobtap.h - jobtap plugins: C plugins called by the job manager at
 * every step of a job's life (flux-jobtap-plugins(7)).
 *
 * A jobtap plugin is a flux_plugin_t plugin (flux/plugin.h) that declares
 * its API version with FLUX_JOBTAP_PLUGIN("name") and exports
 * flux_plugin_init(), which registers callbacks on the topics below.
 *
 *   #include <flux/jobtap.h>
 *   FLUX_JOBTAP_PLUGIN ("deny-big");
 *   static int validate (flux_plugin_t *p, const char *topic,
 *                        flux_plugin_arg_t *args, void *data)
 *   {
 *       int ntasks = 1;
 *       flux_plugin_arg_unpack (args, FLUX_PLUGIN_ARG_IN,
 *                               "{s:{s?i}}", "jobspec", "x", &ntasks);
 *       if (ntasks > 64)
 *           return flux_jobtap_reject_job (p, args, "at most 64 tasks");
 *       return 0;
 *   }
 *   int flux_plugin_init (flux_plugin_t *p)
 *   {
 *       return flux_plugin_add_handler (p, "job.validate", validate, NULL);
 *   }
 *
 * Loading: `[[job-manager.plugins]] load = "/path/x.so"` (optional
 * `conf = {...}`) in the instance config, or `flux jobtap load PATH`.
 *
 * A job's life, and the topics called (in this order):
 *
 *   submit ─► job.validate  (before the job exists: -1 rejects it)
 *             job.new
 *   NEW ──validate──► DEPEND ──depend──► PRIORITY ──priority──► SCHED
 *        ──alloc──► RUN ──finish──► CLEANUP ──clean──► INACTIVE
 *   each event posted:  job.event.NAME      (NAME: validate, depend, ...)
 *   each state entered: job.state.STATE     (depend, priority, sched, run,
 *                                            cleanup, inactive)
 *   once inactive:      job.inactive-add
 *   purged from memory: job.inactive-remove
 *   flux jobtap query:  plugin.query        (OUT: anything the plugin packs)
 *
 *   for each entry of attributes.system.dependencies (RFC 26 {scheme,
 *   value}): job.dependency.SCHEME, IN adds dependency ({scheme, value}).
 *   First at submit, with validate: true (the job does not exist yet; an
 *   error refuses the submission with the plugin's text), then on
 *   entering DEPEND, before job.state.depend (add dependencies there; an
 *   error raises a fatal "dependency" exception with the plugin's text).
 *   No plugin for SCHEME: the submission is refused ("dependency scheme
 *   'X' is not supported").
 *   entering PRIORITY, and when reprioritized: job.priority.get, OUT
 *   {priority: 0..4294967295} (the first plugin that packs it wins; none:
 *   the urgency, hold 0 and expedite 4294967295 as always).  Urgency 0
 *   (hold) and 31 (expedite) override any plugin, as in Flux.
 *   flux update ID KEY=VALUE: job.update.KEY ({updates, key, value} in
 *   IN); every update needs a plugin or the job manager to allow it, and
 *   an error denies it with the plugin's text (flux_jobtap_reject_job).
 *
 * IN arguments of every job topic: {id, userid, urgency, priority (-1
 * before the first), state (a state name), t_submit, name, queue, ntasks,
 * nnodes, ncores, t_run, t_cleanup, success}; job.validate and
 * job.new add flags and jobspec (the job's jobspec object); job.event.*
 * adds entry ({timestamp, name, context?}); job.state.* adds prev_state.
 * Keys may be added later; unpack with "s?" for what you can live without.
 *
 * What an error (-1) does: on job.validate the submission is refused with
 * the plugin's message (flux_jobtap_reject_job) or "rejected by jobtap
 * plugin NAME"; on any other job topic the job manager logs it and raises
 * a fatal exception of type "jobtap" on the job (unless the job already
 * has one, or is inactive).  The job manager keeps running either way.
 */
#ifndef FLUX_JOBTAP_H
#define FLUX_JOBTAP_H

#include <stdint.h>

#include <flux/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* major << 16 | minor (see struct flux_plugin_info).  1.0: the topics
 * and calls up to flux_jobtap_log; 1.1 adds dependencies, priority, job
 * aux data, R, timers, the plugin store and the job.dependency.SCHEME,
 * job.priority.get, job.update.KEY and job.inactive-remove topics; 1.2
 * adds flux_jobtap_job_foreach.  A plugin loads in a job manager whose
 * minor version is not smaller than its own. */
#define FLUX_JOBTAP_API_VERSION ((1u << 16) | 2u)
#define FLUX_JOBTAP_PLUGIN_INFO_SYMBOL "flux_jobtap_plugin_info"

/* Declare a jobtap plugin (once, at file scope).  NAME: what flux jobtap
 * list shows and remove takes; NULL for the file's name. */
#define FLUX_JOBTAP_PLUGIN(NAME)                                                                  \
    FLUX_PLUGIN_EXTERN FLUX_API const struct flux_plugin_info flux_jobtap_plugin_info = {        \
        FLUX_JOBTAP_API_VERSION, NAME}

typedef uint64_t flux_jobid_t;

/* In a job.validate callback: refuse the job with a message for the
 * submitter.  Always returns -1 (return it from the callback). */
FLUX_API int flux_jobtap_reject_job(flux_plugin_t *p, flux_plugin_arg_t *args, const char *fmt,
                                    ...) FLUX_PRINTF(3, 4);

/* Raise an exception on job ID (severity 0: fatal, the job is cancelled).
 * It is posted once the current callback has returned.  0, or -1 with
 * errno ENOENT (no such active job) or EINVAL (bad type or severity). */
FLUX_API int flux_jobtap_raise_exception(flux_plugin_t *p, flux_jobid_t id, const char *type,
                                         int severity, const char *fmt, ...) FLUX_PRINTF(5, 6);

/* Post event NAME with a context built by json_pack(FMT, ...) (FMT NULL:
 * no context) to job ID's eventlog, once the current callback has
 * returned.  Only "memo" and names that are not RFC 21 events may be
 * posted (the job manager posts its own).  0, or -1 with errno ENOENT (no
 * such active job) or EINVAL (a reserved name, a bad context). */
FLUX_API int flux_jobtap_event_post_pack(flux_plugin_t *p, flux_jobid_t id, const char *name,
                                         const char *fmt, ...);

/* json_unpack() on {id, userid, urgency, priority, state, t_submit, ...}
 * (the IN keys of a job topic) of any job the job manager knows.  Strings
 * ("s") stay valid until the current callback returns.  0, or -1 with
 * errno ENOENT or EINVAL. */
FLUX_API int flux_jobtap_job_unpack(flux_plugin_t *p, flux_jobid_t id, const char *fmt, ...);

/* Job ID's jobspec (read from the KVS on each call): a new reference the
 * caller must json_decref(), or NULL with errno ENOENT. */
FLUX_API json_t *flux_jobtap_jobspec(flux_plugin_t *p, flux_jobid_t id);

/* Log to the instance log as "jobtap.NAME: text" (LOG_ERR ... LOG_DEBUG). */
FLUX_API void flux_jobtap_log(flux_plugin_t *p, int level, const char *fmt, ...)
    FLUX_PRINTF(3, 4);

/* ---- 1.1 ---- */

/* Add a named dependency to job ID (NEW or DEPEND state): the job stays in
 * DEPEND until every dependency is removed.  Recorded at once (event
 * dependency-add), so that a job.state.depend or job.dependency.SCHEME
 * callback holds the job before it can move on.  Adding one that is
 * already outstanding does nothing.  0, or -1 with errno ENOENT (no such
 * active job), EINVAL (bad description, job past DEPEND). */
FLUX_API int flux_jobtap_dependency_add(flux_plugin_t *p, flux_jobid_t id,
                                        const char *fmt, ...) FLUX_PRINTF(3, 4);
/* Remove one (event dependency-remove, posted once the current callback
 * has returned; the last one removed releases the job).  0, or -1 with
 * errno ENOENT (no such job, or no such outstanding dependency). */
FLUX_API int flux_jobtap_dependency_remove(flux_plugin_t *p, flux_jobid_t id,
                                           const char *fmt, ...) FLUX_PRINTF(3, 4);

/* Set the priority of job ID, in PRIORITY or SCHED state (0..4294967295),
 * after the current callback returns.  0, or -1 with errno ENOENT/EINVAL. */
FLUX_API int flux_jobtap_reprioritize_job(flux_plugin_t *p, flux_jobid_t id,
                                          unsigned int priority);
/* Ask again for the priority of every job in PRIORITY and SCHED state
 * (job.priority.get), once the current callback has returned. */
FLUX_API int flux_jobtap_reprioritize_all(flux_plugin_t *p);

/* Data the plugin keeps with job ID until the job is purged, the value is
 * replaced or deleted (VAL NULL), or the plugin is removed (DESTROY, may
 * be NULL, is then called: even while jobs are still active).  Keys are
 * the plugin's own: two plugins never see each other's.  set: 0, or -1
 * with errno ENOENT (no such job) or EINVAL; get: NULL with errno ENOENT
 * if there is none. */
FLUX_API int flux_jobtap_job_aux_set(flux_plugin_t *p, flux_jobid_t id, const char *key,
                                     void *val, void (*destroy)(void *));
FLUX_API void *flux_jobtap_job_aux_get(flux_plugin_t *p, flux_jobid_t id, const char *key);

/* Job ID's R (RFC 20), while the job holds resources: a new reference,
 * or NULL with errno ENOENT. */
FLUX_API json_t *flux_jobtap_job_R(flux_plugin_t *p, flux_jobid_t id);

/* Call CB(p, ARG) once, AFTER seconds from now, in the job manager's loop.
 * Timers of a removed plugin are cancelled.  0, or -1 with errno EINVAL. */
typedef void (*flux_jobtap_timer_f)(flux_plugin_t *p, void *arg);
FLUX_API int flux_jobtap_timer_add(flux_plugin_t *p, double after, flux_jobtap_timer_f cb,
                                   void *arg);

/* The plugin's persistent store: JSON values under KEY ([A-Za-z0-9_-]),
 * kept in the instance's KVS (jobtap.NAME.KEY) and so across a restart
 * with the same statedir.  put does not steal VALUE; 0, or -1 with errno
 * EINVAL.  get: a new reference, or NULL with errno ENOENT. */
FLUX_API int flux_jobtap_store_put(flux_plugin_t *p, const char *key, json_t *value);
FLUX_API json_t *flux_jobtap_store_get(flux_plugin_t *p, const char *key);

/* The current time of the job manager's clock (seconds since the epoch):
 * the clock event timestamps use. */
FLUX_API double flux_jobtap_now(flux_plugin_t *p);

/* ---- 1.2 ---- */

/* Call CB(p, ID, ARG) for each active job (every state but INACTIVE), in
 * id order; CB reads what it needs with flux_jobtap_job_unpack().  Meant
 * for rare questions (is another job of this user and name active?), so
 * that a plugin need not follow every job's state to answer them.  Stops
 * at the first CB that returns non-zero and returns that value; 0 when
 * every job was visited; -1 with errno EINVAL. */
typedef int (*flux_jobtap_job_f)(flux_plugin_t *p, flux_jobid_t id, void *arg);
FLUX_API int flux_jobtap_job_foreach(flux_plugin_t *p, flux_jobtap_job_f cb, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* !FLUX_JOBTAP_H */
