/* require_instance.cpp - validator "require-instance": only jobs that start
 * a new Flux instance (flux batch, flux alloc: a first task whose command
 * is "flux start" or "flux broker", or fluxd) are accepted, so that users
 * of a system instance run their work in instances of their own.
 *
 * Config: [ingest.validator.require-instance] minnodes = N, mincores = N:
 * jobs smaller than both (fewer than minnodes nodes and fewer than
 * mincores cores) are let through (default 0: no exception).  The
 * instance owner is exempt.
 */
#include <cstring>
#include <string>

#include "flux/ingest.h"
#include "builtins.h"

namespace {

struct Limits {
    json_int_t minnodes = 0, mincores = 0;
};

bool parse(json_t *conf, Limits *l, std::string *err)
{
    for (auto [key, out] : {std::pair{"minnodes", &l->minnodes}, std::pair{"mincores", &l->mincores}}) {
        json_t *v = json_object_get(conf, key);
        if (v && (!json_is_integer(v) || json_integer_value(v) < 0)) {
            *err = std::string("ingest.validator.require-instance.") + key
                   + ": expected a non-negative integer";
            return false;
        }
        if (v)
            *out = json_integer_value(v);
    }
    return true;
}

const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int validate(flux_plugin_t *p, const char *, flux_plugin_arg_t *args, void *)
{
    json_t *conf = nullptr, *js = nullptr;
    int rolemask = 0;
    json_int_t nnodes = 0, ncores = 0;
    Limits l;
    std::string err;
    if (flux_plugin_conf_unpack(p, "o", &conf) < 0 || !parse(conf, &l, &err)
        || flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:o s:i s?I s?I}", "jobspec", &js,
                                  "rolemask", &rolemask, "nnodes", &nnodes, "ncores", &ncores)
               < 0)
        return -1;
    if (rolemask & FLUX_ROLE_OWNER)
        return 0;
    if ((l.minnodes > 0 || l.mincores > 0) && (l.minnodes == 0 || nnodes < l.minnodes)
        && (l.mincores == 0 || ncores < l.mincores))
        return 0;
    json_t *cmd = json_object_get(json_array_get(json_object_get(js, "tasks"), 0), "command");
    const char *arg0 = json_string_value(json_array_get(cmd, 0));
    const char *arg1 = json_string_value(json_array_get(cmd, 1));
    if (arg0 && strcmp(base(arg0), "fluxd") == 0)
        return 0;
    if (arg0 && arg1 && strcmp(base(arg0), "flux") == 0
        && (strcmp(arg1, "start") == 0 || strcmp(arg1, "broker") == 0))
        return 0;
    return flux_ingest_reject(args, "require-instance: direct job submission is disabled in this "
                                    "instance: run your work in a new instance (flux batch or "
                                    "flux alloc)");
}

} // namespace

bool require_instance_check(json_t *conf, std::string *err)
{
    Limits l;
    return parse(conf, &l, err);
}

int require_instance_init(flux_plugin_t *p)
{
    return flux_plugin_add_handler(p, FLUX_INGEST_TOPIC_VALIDATE, validate, nullptr);
}
