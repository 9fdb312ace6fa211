/* constraints.cpp - frobnicator "constraints": add the properties a job's
 * nodes must have (RFC 31 constraints).
 *
 * Config:
 *   [queues.NAME] requires = ["prop", ...]      (Flux's key: jobs in queue NAME)
 *   [ingest.frobnicator.constraints] requires = ["prop", ...]   (every job)
 * The job's own constraints C become {"and": [C, {"properties": [...]}]};
 * a job without constraints gets {"properties": [...]}.
 */
#include <string>
#include <vector>

#include "flux/ingest.h"
#include "builtins.h"

using namespace fluxd::ingest_builtin;

namespace {

bool strings(json_t *a, const std::string &key, std::string *err)
{
    if (!a)
        return true;
    size_t i;
    json_t *v;
    if (!json_is_array(a))
        goto bad;
    json_array_foreach(a, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) == 0)
            goto bad;
    }
    return true;
bad:
    *err = key + ": expected an array of property names";
    return false;
}

int frobnicate(flux_plugin_t *p, const char *, flux_plugin_arg_t *args, void *)
{
    json_t *conf = nullptr, *js = nullptr;
    if (flux_plugin_conf_unpack(p, "o", &conf) < 0
        || flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:o}", "jobspec", &js) < 0)
        return -1;
    json_t *sys = system_of(js);
    if (!sys)
        return flux_ingest_reject(args, "constraints: attributes.system is not an object");
    json_t *props = json_array();
    json_array_extend(props, json_object_get(conf, "requires"));
    const char *queue = json_string_value(json_object_get(sys, "queue"));
    if (queue)
        json_array_extend(props, path_get(conf, {"queues", queue, "requires"}));
    if (json_array_size(props) == 0) {
        json_decref(props);
        return 0;
    }
    json_t *want = json_pack("{s:o}", "properties", props);
    json_t *have = json_object_get(sys, "constraints");
    if (have && !(json_is_object(have) && json_object_size(have) == 0))
        want = json_pack("{s:[O o]}", "and", have, want);
    json_object_set_new(sys, "constraints", want);
    return 0;
}

} // namespace

bool constraints_check(json_t *conf, std::string *err)
{
    if (!strings(json_object_get(conf, "requires"), "ingest.frobnicator.constraints.requires", err))
        return false;
    const char *name;
    json_t *q;
    json_object_foreach(json_object_get(conf, "queues"), name, q)
    {
        if (!strings(json_object_get(q, "requires"), std::string("queues.") + name + ".requires",
                     err))
            return false;
    }
    return true;
}

int constraints_init(flux_plugin_t *p)
{
    return flux_plugin_add_handler(p, FLUX_INGEST_TOPIC_FROBNICATE, frobnicate, nullptr);
}
