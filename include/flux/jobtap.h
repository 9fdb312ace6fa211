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
 *   flux jobtap query:  plugin.query        (OUT: anything the plugin packs)
 *
 * IN arguments of every job topic: {id, userid, urgency, priority (-1
 * before the first), state (a state name), t_submit}; job.validate and
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

/* major << 16 | minor (see struct flux_plugin_info). */
#define FLUX_JOBTAP_API_VERSION ((1u << 16) | 0u)
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

/* json_unpack() on {id, userid, urgency, priority, state, t_submit} of any
 * job the job manager knows.  0, or -1 with errno ENOENT or EINVAL. */
FLUX_API int flux_jobtap_job_unpack(flux_plugin_t *p, flux_jobid_t id, const char *fmt, ...);

/* Job ID's jobspec (read from the KVS on each call): a new reference the
 * caller must json_decref(), or NULL with errno ENOENT. */
FLUX_API json_t *flux_jobtap_jobspec(flux_plugin_t *p, flux_jobid_t id);

/* Log to the instance log as "jobtap.NAME: text" (LOG_ERR ... LOG_DEBUG). */
FLUX_API void flux_jobtap_log(flux_plugin_t *p, int level, const char *fmt, ...)
    FLUX_PRINTF(3, 4);

#ifdef __cplusplus
}
#endif

#endif /* !FLUX_JOBTAP_H */
