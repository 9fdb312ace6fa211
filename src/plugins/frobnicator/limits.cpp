/* limits.cpp - validators "limit-job-size" and "limit-duration": the
 * instance's and each queue's limits, Flux's keys:
 *
 *   [policy.limits] duration = "1d"
 *   [policy.limits.job-size.max] nnodes = 64, ncores = N, ngpus = N
 *   [policy.limits.job-size.min] nnodes = 1, ...
 *   [queues.NAME.policy.limits] ... (the same keys, for jobs in queue NAME,
 *                                    each replacing the instance's)
 *
 * -1 (or "inf"/0 for a duration) means no limit.  A job without a node
 * level (nnodes 0) is not held to node limits; a job asking for no
 * duration (0) exceeds any duration limit.  The instance owner is exempt,
 * as in Flux.  Rejections read "job-size: at most 64 nodes in queue debug",
 * "duration: at most 1h" (the queue named when the job has one).
 */
#include <cstring>
#include <string>

#include "flux/ingest.h"
#include "builtins.h"
#include "limits.h"

using namespace fluxd::ingest_builtin;

namespace {

const char *size_keys[] = {"nnodes", "ncores", "ngpus"};
const char *size_words[] = {"nodes", "cores", "gpus"};

bool check_limits(json_t *limits, const std::string &where, std::string *err)
{
    if (limits && !json_is_object(limits)) {
        *err = where + ": expected a table";
        return false;
    }
    double secs;
    if (!duration_of(json_object_get(limits, "duration"), where + ".duration", &secs, err))
        return false;
    for (const char *mm : {"max", "min"}) {
        json_t *t = path_get(limits, {"job-size", mm});
        for (const char *k : size_keys) {
            json_t *v = json_object_get(t, k);
            if (v && (!json_is_integer(v) || json_integer_value(v) < -1)) {
                *err = where + ".job-size." + mm + "." + k + ": expected an integer (-1: no limit)";
                return false;
            }
        }
    }
    return true;
}

bool check_all(json_t *conf, std::string *err)
{
    if (!check_limits(path_get(conf, {"policy", "limits"}), "policy.limits", err))
        return false;
    const char *name;
    json_t *q;
    json_object_foreach(json_object_get(conf, "queues"), name, q)
    {
        if (!check_limits(path_get(q, {"policy", "limits"}),
                          std::string("queues.") + name + ".policy.limits", err))
            return false;
    }
    return true;
}

/* The limit KEYS under policy.limits for QUEUE, else the instance's. */
json_t *limit(json_t *conf, const char *queue, std::initializer_list<const char *> keys)
{
    if (queue && *queue) {
        json_t *o = path_get(conf, {"queues", queue, "policy", "limits"});
        for (const char *k : keys)
            o = json_object_get(o, k);
        if (o)
            return o;
    }
    json_t *o = path_get(conf, {"policy", "limits"});
    for (const char *k : keys)
        o = json_object_get(o, k);
    return o;
}

std::string in_queue(const char *queue)
{
    return queue && *queue ? std::string(" in queue ") + queue : "";
}

} // namespace

namespace fluxd::limits {

std::string job_size_violation(json_t *conf, const char *queue, const json_int_t have[3])
{
    char buf[256];
    for (int i = 0; i < 3; i++) {
        if (i == 0 && have[0] == 0)
            continue;
        json_t *max = limit(conf, queue, {"job-size", "max", size_keys[i]});
        if (max && json_integer_value(max) >= 0 && have[i] > json_integer_value(max)) {
            snprintf(buf, sizeof(buf), "job-size: at most %lld %s%s",
                     (long long)json_integer_value(max), size_words[i], in_queue(queue).c_str());
            return buf;
        }
        json_t *min = limit(conf, queue, {"job-size", "min", size_keys[i]});
        if (min && json_integer_value(min) >= 0 && have[i] < json_integer_value(min)) {
            snprintf(buf, sizeof(buf), "job-size: at least %lld %s%s",
                     (long long)json_integer_value(min), size_words[i], in_queue(queue).c_str());
            return buf;
        }
    }
    return "";
}

std::string duration_violation(json_t *conf, const char *queue, double duration)
{
    double max = 0;
    std::string err;
    if (!duration_of(limit(conf, queue, {"duration"}), "", &max, &err) || max <= 0)
        return "";
    if (duration == 0)
        return "duration: at most " + duration_text(max) + in_queue(queue) +
               " (the job asks for no limit)";
    if (duration > max)
        return "duration: at most " + duration_text(max) + in_queue(queue);
    return "";
}

bool check(json_t *conf, std::string *err)
{
    return check_all(conf, err);
}

} // namespace fluxd::limits

namespace {

int validate_size(flux_plugin_t *p, const char *, flux_plugin_arg_t *args, void *)
{
    json_t *conf = nullptr;
    int rolemask = 0;
    const char *queue = nullptr;
    json_int_t have[3] = {0, 0, 0};
    if (flux_plugin_conf_unpack(p, "o", &conf) < 0
        || flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:i s?s s?I s?I s?I}", "rolemask",
                                  &rolemask, "queue", &queue, "nnodes", &have[0], "ncores",
                                  &have[1], "ngpus", &have[2])
               < 0)
        return -1;
    if (rolemask & FLUX_ROLE_OWNER)
        return 0;
    std::string why = fluxd::limits::job_size_violation(conf, queue, have);
    if (!why.empty())
        return flux_ingest_reject(args, "%s", why.c_str());
    return 0;
}

int validate_duration(flux_plugin_t *p, const char *, flux_plugin_arg_t *args, void *)
{
    json_t *conf = nullptr;
    int rolemask = 0;
    const char *queue = nullptr;
    double duration = 0;
    if (flux_plugin_conf_unpack(p, "o", &conf) < 0
        || flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:i s?s s?F}", "rolemask", &rolemask,
                                  "queue", &queue, "duration", &duration)
               < 0)
        return -1;
    if (rolemask & FLUX_ROLE_OWNER)
        return 0;
    std::string why = fluxd::limits::duration_violation(conf, queue, duration);
    if (!why.empty())
        return flux_ingest_reject(args, "%s", why.c_str());
    return 0;
}

} // namespace

bool limit_job_size_check(json_t *conf, std::string *err)
{
    return check_all(conf, err);
}

bool limit_duration_check(json_t *conf, std::string *err)
{
    return check_all(conf, err);
}

int limit_job_size_init(flux_plugin_t *p)
{
    return flux_plugin_add_handler(p, FLUX_INGEST_TOPIC_VALIDATE, validate_size, nullptr);
}

int limit_duration_init(flux_plugin_t *p)
{
    return flux_plugin_add_handler(p, FLUX_INGEST_TOPIC_VALIDATE, validate_duration, nullptr);
}
