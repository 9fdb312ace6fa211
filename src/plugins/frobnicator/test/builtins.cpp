/* plugins/frobnicator/test/builtins.cpp - Criterion tests for the built-in
 * validators and frobnicators, called as job-ingest calls them (the one
 * loader's flux_plugin::create + call): a table of conf, job and expected
 * outcome per plugin, and their config checks. */
#include <criterion/criterion.h>

#include <string>

#include "flux/ingest.h"
#include "libflux/plugin_internal.h"
#include "plugins/frobnicator/builtins.h"

namespace {

const flux_ingest_builtin *find(const char *name)
{
    for (const flux_ingest_builtin *b = flux_ingest_builtins; b->name; b++) {
        if (std::string(b->name) == name)
            return b;
    }
    return nullptr;
}

struct Outcome {
    int rc;           /* of the call: 1 ok, -1 refused */
    std::string text; /* errstr ("" if none) */
    std::string jobspec;
};

/* Run builtin NAME with CONF (JSON text) on IN (JSON text). */
Outcome call(const char *name, const char *conf, const char *in)
{
    const flux_ingest_builtin *b = find(name);
    cr_assert(b, "no builtin %s", name);
    json_error_t jerr;
    flux::JsonPtr c(json_loads(conf, 0, &jerr));
    cr_assert(c, "bad conf: %s", jerr.text);
    std::string err;
    cr_assert(b->check(c.get(), &err), "check: %s", err.c_str());
    auto p = flux_plugin::create(name, b->init, c.get(), nullptr);
    cr_assert(p, "create %s", name);
    flux_plugin_arg args;
    args.in.reset(json_loads(in, 0, &jerr));
    cr_assert(args.in, "bad in: %s", jerr.text);
    const char *topic = b->role == 0 ? FLUX_INGEST_TOPIC_FROBNICATE : FLUX_INGEST_TOPIC_VALIDATE;
    Outcome o;
    o.rc = (*p)->call(topic, &args);
    const char *s = json_string_value(json_object_get(args.out.get(), "errstr"));
    o.text = s ? s : "";
    char *js = json_dumps(json_object_get(args.in.get(), "jobspec"), JSON_COMPACT | JSON_SORT_KEYS);
    o.jobspec = js ? js : "";
    free(js);
    return o;
}

struct Case {
    const char *name, *conf, *in;
    int rc;
    const char *text;    /* expected errstr, or NULL */
    const char *jobspec; /* expected jobspec after (frobnicators), or NULL */
};

#define JS(sys) "{\"jobspec\":{\"attributes\":{\"system\":" sys "}},\"rolemask\":2"
const Case cases[] = {
    /* limit-duration */
    {"limit-duration", "{\"policy\":{\"limits\":{\"duration\":\"1h\"}}}",
     JS("{}") ",\"duration\":7200}", -1, "duration: at most 1h", nullptr},
    {"limit-duration", "{\"policy\":{\"limits\":{\"duration\":\"1h\"}}}",
     JS("{}") ",\"duration\":60}", 1, nullptr, nullptr},
    {"limit-duration", "{\"policy\":{\"limits\":{\"duration\":\"1h\"}}}",
     JS("{}") ",\"duration\":0}", -1, "duration: at most 1h (the job asks for no limit)", nullptr},
    {"limit-duration",
     "{\"policy\":{\"limits\":{\"duration\":\"1h\"}},\"queues\":{\"debug\":{\"policy\":{\"limits\":"
     "{\"duration\":\"10m\"}}}}}",
     JS("{}") ",\"duration\":900,\"queue\":\"debug\"}", -1, "duration: at most 10m in queue debug",
     nullptr},
    {"limit-duration", "{\"policy\":{\"limits\":{\"duration\":\"1h\"}}}",
     "{\"jobspec\":{},\"rolemask\":3,\"duration\":7200}", 1, nullptr, nullptr}, /* owner */
    /* limit-job-size */
    {"limit-job-size", "{\"policy\":{\"limits\":{\"job-size\":{\"min\":{\"ncores\":4}}}}}",
     JS("{}") ",\"ncores\":2}", -1, "job-size: at least 4 cores", nullptr},
    {"limit-job-size", "{\"policy\":{\"limits\":{\"job-size\":{\"max\":{\"ngpus\":-1}}}}}",
     JS("{}") ",\"ngpus\":99}", 1, nullptr, nullptr},
    {"limit-job-size", "{\"policy\":{\"limits\":{\"job-size\":{\"max\":{\"nnodes\":2}}}}}",
     JS("{}") ",\"nnodes\":0,\"ncores\":64}", 1, nullptr, nullptr}, /* no node level */
    /* require-instance */
    {"require-instance", "{}",
     "{\"jobspec\":{\"tasks\":[{\"command\":[\"/usr/bin/flux\",\"start\",\"x\"]}]},"
     "\"rolemask\":2}",
     1, nullptr, nullptr},
    {"require-instance", "{}",
     "{\"jobspec\":{\"tasks\":[{\"command\":[\"hostname\"]}]},\"rolemask\":2}", -1,
     "require-instance: direct job submission is disabled in this instance: run your work in a "
     "new instance (flux batch or flux alloc)",
     nullptr},
    {"require-instance", "{\"minnodes\":4}",
     "{\"jobspec\":{\"tasks\":[{\"command\":[\"hostname\"]}]},\"rolemask\":2,\"nnodes\":2}", 1,
     nullptr, nullptr},
    {"require-instance", "{}",
     "{\"jobspec\":{\"tasks\":[{\"command\":[\"hostname\"]}]},\"rolemask\":3}", 1, nullptr,
     nullptr},
    /* defaults */
    {"defaults",
     "{\"policy\":{\"jobspec\":{\"defaults\":{\"system\":{\"queue\":\"batch\",\"duration\":"
     "\"1h\"}}}},\"queues\":{\"batch\":{}}}",
     JS("{\"duration\":0}") "}", 1, nullptr,
     "{\"attributes\":{\"system\":{\"duration\":3600.0,\"queue\":\"batch\"}}}"},
    {"defaults", "{\"policy\":{\"jobspec\":{\"defaults\":{\"system\":{\"duration\":\"1h\"}}}}}",
     JS("{\"duration\":60}") "}", 1, nullptr, "{\"attributes\":{\"system\":{\"duration\":60}}}"},
    /* constraints */
    {"constraints", "{\"requires\":[\"a\"],\"queues\":{\"q\":{\"requires\":[\"b\"]}}}",
     JS("{\"queue\":\"q\",\"constraints\":{\"hostlist\":[\"n1\"]}}") "}", 1, nullptr,
     "{\"attributes\":{\"system\":{\"constraints\":{\"and\":[{\"hostlist\":[\"n1\"]},"
     "{\"properties\":[\"a\",\"b\"]}]},\"queue\":\"q\"}}}"},
    {"constraints", "{}", JS("{}") "}", 1, nullptr, "{\"attributes\":{\"system\":{}}}"},
    /* setattr */
    {"setattr", "{\"system.exec.test.run_duration\":\"1s\",\"user.x\":1}", JS("{}") "}", 1,
     nullptr,
     "{\"attributes\":{\"system\":{\"exec\":{\"test\":{\"run_duration\":\"1s\"}}},\"user\":{\"x\":1}}"
     "}"},
    {"setattr", "{\"system.queue.x\":1}", JS("{\"queue\":\"q\"}") "}", -1,
     "setattr: system.queue.x: attributes.system.queue is not an object", nullptr},
};

struct BadConf {
    const char *name, *conf, *err;
};
const BadConf bad_confs[] = {
    {"defaults", "{\"policy\":{\"jobspec\":{\"defaults\":{\"system\":{\"duration\":\"soon\"}}}}}",
     "policy.jobspec.defaults.system.duration: invalid duration 'soon'"},
    {"defaults",
     "{\"policy\":{\"jobspec\":{\"defaults\":{\"system\":{\"queue\":\"x\"}}}},\"queues\":{\"y\":{}}}",
     "policy.jobspec.defaults.system.queue: 'x' is not in [queues]"},
    {"constraints", "{\"queues\":{\"q\":{\"requires\":\"a\"}}}",
     "queues.q.requires: expected an array of property names"},
    {"setattr", "{\"queue\":\"x\"}",
     "ingest.frobnicator.setattr: 'queue': expected an attribute path starting with system. or "
     "user."},
    {"limit-job-size", "{\"policy\":{\"limits\":{\"job-size\":{\"max\":{\"nnodes\":\"2\"}}}}}",
     "policy.limits.job-size.max.nnodes: expected an integer (-1: no limit)"},
    {"limit-duration", "{\"queues\":{\"q\":{\"policy\":{\"limits\":{\"duration\":true}}}}}",
     "queues.q.policy.limits.duration: expected a duration (\"1h\", or seconds)"},
    {"require-instance", "{\"minnodes\":-1}",
     "ingest.validator.require-instance.minnodes: expected a non-negative integer"},
};

} // namespace

Test(builtins, table)
{
    for (const Case &c : cases) {
        Outcome o = call(c.name, c.conf, c.in);
        cr_expect_eq(o.rc, c.rc, "%s on %s: rc %d, expected %d (%s)", c.name, c.in, o.rc, c.rc,
                     o.text.c_str());
        if (c.text)
            cr_expect_str_eq(o.text.c_str(), c.text, "%s on %s", c.name, c.in);
        if (c.jobspec)
            cr_expect_str_eq(o.jobspec.c_str(), c.jobspec, "%s on %s", c.name, c.in);
    }
}

Test(builtins, bad_conf)
{
    for (const BadConf &c : bad_confs) {
        const flux_ingest_builtin *b = find(c.name);
        cr_assert(b);
        json_error_t jerr;
        flux::JsonPtr conf(json_loads(c.conf, 0, &jerr));
        cr_assert(conf, "%s", jerr.text);
        std::string err;
        cr_expect(!b->check(conf.get(), &err), "%s accepted %s", c.name, c.conf);
        cr_expect_str_eq(err.c_str(), c.err, "%s", c.name);
    }
}

Test(builtins, roles)
{
    for (const flux_ingest_builtin *b = flux_ingest_builtins; b->name; b++) {
        auto p = flux_plugin::create(b->name, b->init, nullptr, nullptr);
        cr_assert(p, "%s", b->name);
        const char *topic = b->role == 0 ? FLUX_INGEST_TOPIC_FROBNICATE : FLUX_INGEST_TOPIC_VALIDATE;
        cr_expect((*p)->matches(topic), "%s registers %s", b->name, topic);
    }
}
