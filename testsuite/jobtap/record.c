/* record.c - test jobtap plugin: appends "ID TOPIC" for every job topic it
 * is called on to the file conf.log, and exercises the host calls.
 *
 * conf keys (all optional):
 *   log         file to append to
 *   fail        a topic glob whose callbacks return -1 ("record: failing TOPIC")
 *   fail_init   true: flux_plugin_init returns -1
 *   memo        on job.state.run, post memo {"record": MEMO}
 *   raise       on job.state.sched, raise a fatal exception of type "record"
 *   api11       true: exercise the API 1.1 host calls on every job:
 *               job.new: job aux data (freed: "ID aux-free" in the log);
 *               job.dependency.record (scheme "record", value SECONDS):
 *               add dependency "record:SECONDS", removed by a timer;
 *               job.priority.get: priority PRIO (conf prio, default 42);
 *               job.state.sched: reprioritize_job to PRIO + 1 once;
 *               job.state.run: read R ("ID R nodes=N" in the log), and
 *               (1.2) count the active jobs ("ID active=N self=1");
 *               job.update.attributes.user.*: allowed unless the value is
 *               "deny"; job.inactive-add: store "count", reprioritize_all;
 *               job.event.*: every event name logged as the topic.
 * plugin.query returns {"calls": N, "last": "TOPIC", "stored": COUNT}.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <flux/jobtap.h>

FLUX_JOBTAP_PLUGIN("record");

struct state {
    int api11;
    int prio;
    FILE *log;
    const char *fail;
    const char *memo;
    int raise;
    int calls;
    char last[128];
};

static void state_destroy(void *arg)
{
    struct state *s = arg;
    if (s->log)
        fclose(s->log);
    free(s);
}

struct job_aux {
    struct state *s;
    json_int_t id;
    int reprioritized;
};

static void job_aux_free(void *arg)
{
    struct job_aux *a = arg;
    if (a->s->log) {
        fprintf(a->s->log, "%lld aux-free\n", (long long)a->id);
        fflush(a->s->log);
    }
    free(a);
}

struct dep_timer {
    flux_jobid_t id;
    char desc[64];
};

static void dep_timer_cb(flux_plugin_t *p, void *arg)
{
    struct dep_timer *t = arg;
    if (flux_jobtap_dependency_remove(p, t->id, "%s", t->desc) < 0)
        flux_jobtap_log(p, LOG_ERR, "dependency_remove failed");
    free(t);
}

struct active_count {
    flux_jobid_t self;
    int n, self_seen;
};

static int count_cb(flux_plugin_t *p, flux_jobid_t id, void *arg)
{
    struct active_count *c = arg;
    const char *state;
    if (flux_jobtap_job_unpack(p, id, "{s:s}", "state", &state) < 0 || !strcmp(state, "INACTIVE"))
        return -1; /* only active jobs are visited */
    c->n++;
    if (id == c->self)
        c->self_seen = 1;
    return 0;
}

/* The API 1.1 (and 1.2) calls; -1 on failure. */
static int api11_cb(flux_plugin_t *p, struct state *s, const char *topic, flux_plugin_arg_t *args,
                    json_int_t id)
{
    if (!strcmp(topic, "job.new")) {
        struct job_aux *a = calloc(1, sizeof(*a));
        if (!a)
            return -1;
        a->s = s;
        a->id = id;
        if (flux_jobtap_job_aux_set(p, (flux_jobid_t)id, "record", a, job_aux_free) < 0) {
            free(a);
            return -1;
        }
        /* A key of our own: another plugin's would not be seen. */
        if (flux_jobtap_job_aux_get(p, (flux_jobid_t)id, "record") != a)
            return -1;
    }
    else if (!strcmp(topic, "job.dependency.record")) {
        const char *value = NULL;
        int validate = 0;
        struct dep_timer *t;
        if (flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:{s:s} s?b}", "dependency",
                                   "value", &value, "validate", &validate) < 0)
            return -1;
        if (validate) /* at submit: the job does not exist yet */
            return atof(value) >= 0 ? 0 : flux_jobtap_reject_job(p, args, "record: bad value");
        if (!(t = calloc(1, sizeof(*t))))
            return -1;
        t->id = (flux_jobid_t)id;
        snprintf(t->desc, sizeof(t->desc), "record:%s", value);
        if (flux_jobtap_dependency_add(p, t->id, "%s", t->desc) < 0 ||
            flux_jobtap_timer_add(p, atof(value), dep_timer_cb, t) < 0) {
            free(t);
            return flux_jobtap_reject_job(p, args, "record: cannot add %s", value);
        }
    }
    else if (!strcmp(topic, "job.priority.get")) {
        return flux_plugin_arg_pack(args, FLUX_PLUGIN_ARG_OUT, "{s:i}", "priority", s->prio);
    }
    else if (!strcmp(topic, "job.state.sched")) {
        struct job_aux *a = flux_jobtap_job_aux_get(p, (flux_jobid_t)id, "record");
        if (a && !a->reprioritized) {
            a->reprioritized = 1;
            return flux_jobtap_reprioritize_job(p, (flux_jobid_t)id, (unsigned)s->prio + 1);
        }
    }
    else if (!strcmp(topic, "job.state.run")) {
        json_t *R = flux_jobtap_job_R(p, (flux_jobid_t)id);
        json_t *nodelist = NULL;
        if (!R)
            return -1;
        json_unpack(R, "{s:{s?o}}", "execution", "nodelist", &nodelist);
        if (s->log)
            fprintf(s->log, "%lld R nodes=%d\n", (long long)id, (int)json_array_size(nodelist));
        json_decref(R);
        struct active_count c = {(flux_jobid_t)id, 0, 0};
        if (flux_jobtap_job_foreach(p, count_cb, &c) != 0)
            return -1;
        if (s->log)
            fprintf(s->log, "%lld active=%d self=%d\n", (long long)id, c.n, c.self_seen);
    }
    else if (!strncmp(topic, "job.update.attributes.user.", 27)) {
        const char *v = NULL;
        if (flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:s}", "value", &v) == 0 &&
            !strcmp(v, "deny"))
            return flux_jobtap_reject_job(p, args, "record: update of %s denied", topic + 11);
    }
    else if (!strcmp(topic, "job.inactive-add")) {
        json_t *n = flux_jobtap_store_get(p, "count");
        json_t *next = json_integer((n ? json_integer_value(n) : 0) + 1);
        int rc = flux_jobtap_store_put(p, "count", next);
        json_decref(n);
        json_decref(next);
        if (rc < 0 || flux_jobtap_reprioritize_all(p) < 0 || flux_jobtap_now(p) <= 0)
            return -1;
    }
    return 0;
}

static int job_cb(flux_plugin_t *p, const char *topic, flux_plugin_arg_t *args, void *data)
{
    struct state *s = data;
    json_int_t id = 0;
    const char *state = NULL;
    if (flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:I s:s}", "id", &id, "state",
                               &state) < 0) {
        flux_jobtap_log(p, LOG_ERR, "%s: unpack: %s", topic, flux_plugin_arg_strerror(args));
        return -1;
    }
    s->calls++;
    snprintf(s->last, sizeof(s->last), "%s", topic);
    if (s->log) {
        fprintf(s->log, "%lld %s\n", (long long)id, topic);
        fflush(s->log);
    }
    if (s->api11 && api11_cb(p, s, topic, args, id) < 0) {
        const char *msg = NULL;
        if (flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_OUT, "{s:s}", "errmsg", &msg) < 0)
            flux_plugin_arg_pack(args, FLUX_PLUGIN_ARG_OUT, "{s:s}", "errmsg",
                                 "record: an API 1.1 call failed");
        return -1;
    }
    if (s->fail && fnmatch(s->fail, topic, 0) == 0) {
        flux_plugin_arg_pack(args, FLUX_PLUGIN_ARG_OUT, "{s:s}", "errmsg", "record: failing on purpose");
        return -1;
    }
    if (strcmp(topic, "job.validate") == 0) {
        const char *deny = NULL;
        if (flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:{s?{s?{s?s}}}}", "jobspec",
                                   "attributes", "user", "deny", &deny) == 0 &&
            deny)
            return flux_jobtap_reject_job(p, args, "record: denied: %s", deny);
    }
    if (strcmp(topic, "job.state.run") == 0 && s->memo) {
        int urgency = -1;
        if (flux_jobtap_job_unpack(p, (flux_jobid_t)id, "{s:i}", "urgency", &urgency) < 0)
            return -1;
        json_t *js = flux_jobtap_jobspec(p, (flux_jobid_t)id);
        if (!js)
            return -1;
        json_decref(js);
        if (flux_jobtap_event_post_pack(p, (flux_jobid_t)id, "memo", "{s:s s:i}", "record",
                                        s->memo, "urgency", urgency) < 0)
            return -1;
    }
    if (strcmp(topic, "job.state.sched") == 0 && s->raise) {
        if (flux_jobtap_raise_exception(p, (flux_jobid_t)id, "record", 0, "raised by %s",
                                        flux_plugin_get_name(p)) < 0)
            return -1;
    }
    return 0;
}

static int query_cb(flux_plugin_t *p, const char *topic, flux_plugin_arg_t *args, void *data)
{
    struct state *s = data;
    (void)topic;
    json_t *n = flux_jobtap_store_get(p, "count");
    int rc = flux_plugin_arg_pack(args, FLUX_PLUGIN_ARG_OUT, "{s:i s:s s:I}", "calls", s->calls,
                                  "last", s->last, "stored",
                                  (json_int_t)(n ? json_integer_value(n) : 0));
    json_decref(n);
    return rc;
}

int flux_plugin_init(flux_plugin_t *p)
{
    struct state *s = calloc(1, sizeof(*s));
    const char *log = NULL;
    int fail_init = 0;
    if (!s)
        return -1;
    if (flux_plugin_aux_set(p, "record", s, state_destroy) < 0) {
        free(s);
        return -1;
    }
    s->prio = 42;
    if (flux_plugin_conf_unpack(p, "{s?s s?s s?b s?s s?b s?b s?i}", "log", &log, "fail", &s->fail,
                                "fail_init", &fail_init, "memo", &s->memo, "raise",
                                &s->raise, "api11", &s->api11, "prio", &s->prio) < 0) {
        flux_jobtap_log(p, LOG_ERR, "bad conf: %s", flux_plugin_get_conf(p));
        return -1;
    }
    if (fail_init)
        return -1;
    if (log && !(s->log = fopen(log, "a")))
        return -1;
    if (flux_plugin_add_handler(p, "job.*", job_cb, s) < 0 ||
        flux_plugin_add_handler(p, "plugin.query", query_cb, s) < 0)
        return -1;
    return 0;
}
