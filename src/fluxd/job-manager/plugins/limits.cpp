/* job-manager/plugins/limits.cpp - the .limit-job-size and .limit-duration
 * jobtap plugins: the limits of [policy.limits] and
 * [queues.NAME.policy.limits] (flux-config-policy(5)), per queue, applied
 * in the job manager: on job.validate (a submission) and on
 * job.update.attributes.system.duration (flux update), so that a limit
 * holds for a job's whole life.  The reading of the keys and the wording
 * of the rejections are the ingest validators' (frobnicator/limits.h).
 *
 * conf: {policy: {limits: ...}, queues: {NAME: {policy: {limits: ...}}}};
 * the job manager fills it from the instance config when the plugin is
 * loaded without one.  Unlike the ingest validators, these plugins hold
 * the instance owner to the limits too (a site that loads them asks for
 * limits on every job).
 */
#include <cstring>
#include <string>

#include "builtins.h"
#include "jobspec/jobspec.h"
#include "plugins/frobnicator/limits.h"

namespace fluxd {

namespace {

struct Size {
    json_int_t have[3] = {0, 0, 0};
    std::string queue;
    double duration = 0;
};

bool job_size_of(json_t *jobspec, Size *s)
{
    auto j = flux::jobspec_parse_json(jobspec);
    if (!j)
        return false;
    s->have[0] = (json_int_t)j->nnodes;
    s->have[1] = (json_int_t)(j->nslots * j->cores_per_slot);
    s->have[2] = (json_int_t)(j->nslots * j->gpus_per_slot);
    s->queue = j->queue;
    s->duration = j->duration;
    return true;
}

json_t *conf_of(flux_plugin_t *p)
{
    json_t *conf = nullptr;
    if (flux_plugin_conf_unpack(p, "o", &conf) < 0)
        return nullptr;
    return conf;
}

int size_validate(flux_plugin_t *p, const char *, flux_plugin_arg_t *args, void *)
{
    json_t *jobspec = nullptr;
    Size s;
    if (flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:o}", "jobspec", &jobspec) < 0 ||
        !job_size_of(jobspec, &s))
        return 0; /* job-ingest has refused a jobspec it cannot read */
    std::string why = limits::job_size_violation(conf_of(p), s.queue.c_str(), s.have);
    if (!why.empty())
        return flux_jobtap_reject_job(p, args, "%s", why.c_str());
    return 0;
}

int duration_validate(flux_plugin_t *p, const char *, flux_plugin_arg_t *args, void *)
{
    json_t *jobspec = nullptr;
    Size s;
    if (flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:o}", "jobspec", &jobspec) < 0 ||
        !job_size_of(jobspec, &s))
        return 0;
    std::string why = limits::duration_violation(conf_of(p), s.queue.c_str(), s.duration);
    if (!why.empty())
        return flux_jobtap_reject_job(p, args, "%s", why.c_str());
    return 0;
}

/* flux update ID duration=...: the new value against the job's queue. */
int duration_update(flux_plugin_t *p, const char *, flux_plugin_arg_t *args, void *)
{
    json_t *value = nullptr;
    const char *queue = "";
    if (flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:o s?s}", "value", &value, "queue",
                               &queue) < 0)
        return -1;
    if (!json_is_number(value))
        return flux_jobtap_reject_job(p, args, "duration must be a number of seconds");
    std::string why = limits::duration_violation(conf_of(p), queue, json_number_value(value));
    if (!why.empty())
        return flux_jobtap_reject_job(p, args, "%s", why.c_str());
    return 0;
}

int check_conf(flux_plugin_t *p)
{
    std::string err;
    if (!limits::check(conf_of(p), &err)) {
        flux_jobtap_log(p, 3 /* LOG_ERR */, "%s", err.c_str());
        return -1;
    }
    return 0;
}

} // namespace

int limit_job_size_plugin_init(flux_plugin_t *p)
{
    if (check_conf(p) < 0)
        return -1;
    return flux_plugin_add_handler(p, "job.validate", size_validate, nullptr);
}

int limit_duration_plugin_init(flux_plugin_t *p)
{
    if (check_conf(p) < 0)
        return -1;
    if (flux_plugin_add_handler(p, "job.validate", duration_validate, nullptr) < 0)
        return -1;
    return flux_plugin_add_handler(p, "job.update.attributes.system.duration", duration_update,
                                   nullptr);
}

} // namespace fluxd
