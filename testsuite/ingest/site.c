/* site.c - an out-of-tree ingest plugin (flux/ingest.h), built in
 * testsuite/ingest-plugins.t with pkg-config flux-core:
 *
 *   cc -shared -fPIC $(pkg-config --cflags flux-core) site.c -o site.so
 *
 * Listed as a frobnicator it sets attributes.system.environment.SITE_TAG
 * to its conf's tag; as a validator it refuses jobs of more than its
 * conf's max-tasks tasks.  Conf: [ingest.frobnicator.site] tag = "...",
 * [ingest.validator.site] max-tasks = N.
 */
#include <flux/ingest.h>

FLUX_INGEST_PLUGIN ("site");

static int frobnicate (flux_plugin_t *p, const char *topic,
                       flux_plugin_arg_t *args, void *data)
{
    const char *tag = "none";
    json_t *jobspec, *env;
    (void)topic;
    (void)data;
    if (flux_plugin_conf_unpack (p, "{s?s}", "tag", &tag) < 0
        || flux_plugin_arg_unpack (args, FLUX_PLUGIN_ARG_IN, "{s:o}",
                                   "jobspec", &jobspec) < 0)
        return -1;
    env = json_object_get (json_object_get (json_object_get (jobspec,
                                                             "attributes"),
                                            "system"),
                           "environment");
    if (!json_is_object (env))
        return flux_ingest_reject (args, "site: the job has no environment");
    return json_object_set_new (env, "SITE_TAG", json_string (tag));
}

static int validate (flux_plugin_t *p, const char *topic,
                     flux_plugin_arg_t *args, void *data)
{
    int max = 1 << 30, ntasks = 0;
    (void)topic;
    (void)data;
    if (flux_plugin_conf_unpack (p, "{s?i}", "max-tasks", &max) < 0
        || flux_plugin_arg_unpack (args, FLUX_PLUGIN_ARG_IN, "{s:i}",
                                   "ntasks", &ntasks) < 0)
        return -1;
    if (ntasks > max)
        return flux_ingest_reject (args, "site: at most %d tasks per job", max);
    return 0;
}

int flux_plugin_init (flux_plugin_t *p)
{
    if (flux_plugin_add_handler (p, FLUX_INGEST_TOPIC_FROBNICATE, frobnicate,
                                 NULL) < 0
        || flux_plugin_add_handler (p, FLUX_INGEST_TOPIC_VALIDATE, validate,
                                    NULL) < 0)
        return -1;
    return 0;
}
