/* defaults.cpp - frobnicator "defaults": fill in what the job left out.
 *
 * Config (Flux's keys):
 *   [policy.jobspec.defaults.system] queue = "NAME", duration = "1h"
 *   [queues.NAME.policy.jobspec.defaults.system] duration = "10m"
 * A job naming no queue gets the default queue; a job with no duration (0)
 * gets its queue's default duration, else the instance's.
 */
#include <cstring>
#include <string>

#include "flux/ingest.h"
#include "builtins.h"

using namespace fluxd::ingest_builtin;

namespace {

struct Defaults {
    std::string queue;
    double duration = 0;
    json_t *queues = nullptr; /* the conf's, kept by the handle */
};

bool parse(json_t *conf, Defaults *d, std::string *err)
{
    json_t *sys = path_get(conf, {"policy", "jobspec", "defaults", "system"});
    json_t *q = json_object_get(sys, "queue");
    if (q && !json_is_string(q)) {
        *err = "policy.jobspec.defaults.system.queue: expected a string";
        return false;
    }
    if (q)
        d->queue = json_string_value(q);
    json_t *queues = json_object_get(conf, "queues");
    if (!d->queue.empty() && json_is_object(queues) && !queue_known(queues, d->queue)) {
        *err = "policy.jobspec.defaults.system.queue: '" + d->queue + "' is not in [queues]";
        return false;
    }
    if (!duration_of(json_object_get(sys, "duration"), "policy.jobspec.defaults.system.duration",
                     &d->duration, err))
        return false;
    const char *name;
    json_t *qt;
    json_object_foreach(queues, name, qt)
    {
        double dummy;
        std::string key = std::string("queues.") + name + ".policy.jobspec.defaults.system";
        if (!duration_of(path_get(qt, {"policy", "jobspec", "defaults", "system", "duration"}),
                         key + ".duration", &dummy, err))
            return false;
    }
    d->queues = queues;
    return true;
}

int frobnicate(flux_plugin_t *p, const char *, flux_plugin_arg_t *args, void *)
{
    auto *d = (Defaults *)flux_plugin_aux_get(p, "defaults");
    json_t *js = nullptr;
    if (!d || flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:o}", "jobspec", &js) < 0)
        return -1;
    json_t *sys = system_of(js);
    if (!sys)
        return flux_ingest_reject(args, "defaults: attributes.system is not an object");
    const char *queue = json_string_value(json_object_get(sys, "queue"));
    if ((!queue || !*queue) && !d->queue.empty()) {
        json_object_set_new(sys, "queue", json_string(d->queue.c_str()));
        queue = d->queue.c_str();
    }
    json_t *dur = json_object_get(sys, "duration");
    if (!dur || (json_is_number(dur) && json_number_value(dur) == 0)) {
        double secs = d->duration;
        if (queue) {
            std::string err;
            duration_of(path_get(d->queues, {queue, "policy", "jobspec", "defaults", "system",
                                             "duration"}),
                        "", &secs, &err);
        }
        if (secs > 0)
            json_object_set_new(sys, "duration", json_real(secs));
    }
    return 0;
}

} // namespace

bool defaults_check(json_t *conf, std::string *err)
{
    Defaults d;
    return parse(conf, &d, err);
}

int defaults_init(flux_plugin_t *p)
{
    json_t *conf = nullptr;
    if (flux_plugin_conf_unpack(p, "o", &conf) < 0)
        return -1;
    auto *d = new Defaults;
    std::string err;
    if (!parse(conf, d, &err) || flux_plugin_aux_set(p, "defaults", d, [](void *x) {
            delete (Defaults *)x;
        }) < 0) {
        delete d;
        return -1;
    }
    return flux_plugin_add_handler(p, FLUX_INGEST_TOPIC_FROBNICATE, frobnicate, nullptr);
}
