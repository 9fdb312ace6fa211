/* flux/ingest.h - validators and frobnicators: C plugins job-ingest runs on
 * every submission (flux-ingest-plugins(7)).
 *
 * An ingest plugin is a flux_plugin_t plugin (flux/plugin.h) that declares
 * its API version with FLUX_INGEST_PLUGIN("name") and exports
 * flux_plugin_init(), which registers a callback on the topic of its role:
 *
 *   [ingest.frobnicator] plugins = [...]  ->  "ingest.frobnicate"
 *   [ingest.validator]   plugins = [...]  ->  "ingest.validate"
 *
 * (one file may register both and be listed in both).  A submission:
 *
 *   request ─► frobnicators, in the configured order   (may rewrite the jobspec)
 *           ─► jobspec (RFC 14/25 checks, built in, always first)
 *           ─► validators, in the configured order     (stop at the first reject)
 *           ─► feasibility (the scheduler's answer, if configured)
 *           ─► job id, KVS commit, job manager
 *
 * A job array (flux submit --cc/--bcc) goes through the chain once.
 *
 * IN arguments of both topics: {jobspec, userid, rolemask, urgency, flags}.
 * jobspec is the submission's jobspec object: a frobnicator may change it
 * in place (jansson calls on the borrowed object) or pack a replacement
 * into OUT as {jobspec: {...}}.  Validators also get, from the jobspec
 * checked against RFC 25: {nnodes, nslots, ncores, ngpus, ntasks (0 if not
 * fixed), duration (seconds, 0 unlimited), queue ("" if none)}.  Keys may
 * be added later: unpack with "s?" what you can live without.
 *
 * Return 0 to accept (a validator) or when done (a frobnicator); -1 with
 * flux_ingest_reject() to refuse the job: the submitter gets the text
 * verbatim ("flux: submit: job-size: at most 64 nodes in queue debug").
 * -1 without it refuses with "rejected by validator NAME" (or "frobnicator
 * NAME failed").  Callbacks run in the broker's loop: return fast, never
 * block (an executable validator, run in a worker process, may take its
 * time; see flux-ingest-plugins(7)).
 *
 *   #include <flux/ingest.h>
 *   FLUX_INGEST_PLUGIN ("max-tasks");
 *   static int validate (flux_plugin_t *p, const char *topic,
 *                        flux_plugin_arg_t *args, void *data)
 *   {
 *       int ntasks = 0;
 *       if (flux_plugin_arg_unpack (args, FLUX_PLUGIN_ARG_IN, "{s?i}",
 *                                   "ntasks", &ntasks) < 0)
 *           return -1;
 *       if (ntasks > 64)
 *           return flux_ingest_reject (args, "max-tasks: at most 64 tasks");
 *       return 0;
 *   }
 *   int flux_plugin_init (flux_plugin_t *p)
 *   {
 *       return flux_plugin_add_handler (p, "ingest.validate", validate, NULL);
 *   }
 *
 * Build: cc -shared -fPIC $(pkg-config --cflags flux-core) max-tasks.c
 *        -o max-tasks.so; load: [ingest.validator] plugins = ["/path/max-tasks.so"],
 * its conf table: [ingest.validator.max-tasks] (flux_plugin_conf_unpack()).
 */
#ifndef FLUX_INGEST_H
#define FLUX_INGEST_H

#include <flux/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* major << 16 | minor (see struct flux_plugin_info). */
#define FLUX_INGEST_API_VERSION ((1u << 16) | 0u)
#define FLUX_INGEST_PLUGIN_INFO_SYMBOL "flux_ingest_plugin_info"

#define FLUX_INGEST_TOPIC_FROBNICATE "ingest.frobnicate"
#define FLUX_INGEST_TOPIC_VALIDATE "ingest.validate"

/* Declare an ingest plugin (once, at file scope).  NAME: the name its
 * errors and its conf table use; NULL for the file's name. */
#define FLUX_INGEST_PLUGIN(NAME)                                                                  \
    FLUX_PLUGIN_EXTERN FLUX_API const struct flux_plugin_info flux_ingest_plugin_info = {        \
        FLUX_INGEST_API_VERSION, NAME}

/* Refuse the job with a message for the submitter (errno EINVAL).  Always
 * returns -1: return it from the callback. */
FLUX_API int flux_ingest_reject(flux_plugin_arg_t *args, const char *fmt, ...) FLUX_PRINTF(2, 3);

#ifdef __cplusplus
}
#endif

#endif /* !FLUX_INGEST_H */
