/* setattr.cpp - frobnicator "setattr": set jobspec attributes on every job.
 *
 * Config: [ingest.frobnicator.setattr] with one key per attribute, a dotted
 * path under attributes that starts with "system." or "user.":
 *   "system.exec.test.run_duration" = "1s"
 *   "user.site.project" = "ops"
 * The value (any TOML value) replaces what the job had; objects on the way
 * are created.
 */
#include <cstring>
#include <string>

#include "flux/ingest.h"
#include "builtins.h"

namespace {

bool is_path(const char *key)
{
    return (strncmp(key, "system.", 7) == 0 || strncmp(key, "user.", 5) == 0)
           && key[strlen(key) - 1] != '.' && !strstr(key, "..");
}

int frobnicate(flux_plugin_t *p, const char *, flux_plugin_arg_t *args, void *)
{
    json_t *conf = nullptr, *js = nullptr;
    if (flux_plugin_conf_unpack(p, "o", &conf) < 0
        || flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:o}", "jobspec", &js) < 0)
        return -1;
    const char *key;
    json_t *val;
    json_object_foreach(conf, key, val)
    {
        if (!is_path(key))
            continue;
        json_t *o = js;
        std::string path = std::string("attributes.") + key;
        size_t start = 0;
        for (;;) {
            size_t dot = path.find('.', start);
            std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
            if (dot == std::string::npos) {
                json_object_set(o, part.c_str(), val);
                break;
            }
            json_t *next = json_object_get(o, part.c_str());
            if (!json_is_object(next)) {
                if (next)
                    return flux_ingest_reject(args, "setattr: %s: %s is not an object", key,
                                              path.substr(0, dot).c_str());
                json_object_set_new(o, part.c_str(), json_object());
                next = json_object_get(o, part.c_str());
            }
            o = next;
            start = dot + 1;
        }
    }
    return 0;
}

} // namespace

bool setattr_check(json_t *conf, std::string *err)
{
    const char *key;
    json_t *val;
    json_object_foreach(conf, key, val)
    {
        if (strcmp(key, "policy") == 0 || strcmp(key, "queues") == 0)
            continue;
        if (!is_path(key)) {
            *err = std::string("ingest.frobnicator.setattr: '") + key
                   + "': expected an attribute path starting with system. or user.";
            return false;
        }
    }
    return true;
}

int setattr_init(flux_plugin_t *p)
{
    return flux_plugin_add_handler(p, FLUX_INGEST_TOPIC_FROBNICATE, frobnicate, nullptr);
}
