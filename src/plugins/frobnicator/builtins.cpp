/* builtins.cpp - the table of built-in validators and frobnicators, and
 * the config helpers they share (builtins.h). */
#include "fsd/fsd.h"
#include "builtins.h"

#define DECLARE(n)                                                                                 \
    int n##_init(flux_plugin_t *p);                                                                \
    bool n##_check(json_t *conf, std::string *err)
DECLARE(defaults);
DECLARE(constraints);
DECLARE(setattr);
DECLARE(require_instance);
DECLARE(limit_job_size);
DECLARE(limit_duration);

const struct flux_ingest_builtin flux_ingest_builtins[] = {
    {"defaults", 0, defaults_init, defaults_check},
    {"constraints", 0, constraints_init, constraints_check},
    {"setattr", 0, setattr_init, setattr_check},
    {"require-instance", 1, require_instance_init, require_instance_check},
    {"limit-job-size", 1, limit_job_size_init, limit_job_size_check},
    {"limit-duration", 1, limit_duration_init, limit_duration_check},
    {nullptr, 0, nullptr, nullptr},
};

namespace fluxd::ingest_builtin {

json_t *path_get(json_t *o, std::initializer_list<const char *> keys)
{
    for (const char *k : keys)
        o = json_object_get(o, k);
    return o;
}

json_t *system_of(json_t *jobspec)
{
    json_t *attrs = json_object_get(jobspec, "attributes");
    if (!attrs) {
        json_object_set_new(jobspec, "attributes", json_object());
        attrs = json_object_get(jobspec, "attributes");
    }
    json_t *sys = json_object_get(attrs, "system");
    if (!sys && json_is_object(attrs)) {
        json_object_set_new(attrs, "system", json_object());
        sys = json_object_get(attrs, "system");
    }
    return json_is_object(sys) ? sys : nullptr;
}

bool duration_of(json_t *v, const std::string &key, double *secs, std::string *err)
{
    if (!v)
        return true;
    if (json_is_number(v) && json_number_value(v) >= 0) {
        *secs = json_number_value(v);
        return true;
    }
    if (json_is_string(v)) {
        if (auto d = flux::fsd_parse(json_string_value(v))) {
            *secs = *d;
            return true;
        }
        *err = key + ": invalid duration '" + json_string_value(v) + "'";
        return false;
    }
    *err = key + ": expected a duration (\"1h\", or seconds)";
    return false;
}

std::string duration_text(double secs)
{
    return flux::fsd_format(secs);
}

bool queue_known(json_t *queues, const std::string &queue)
{
    return json_is_object(json_object_get(queues, queue.c_str()));
}

} // namespace fluxd::ingest_builtin
