/* record.c - test jobtap plugin: appends "ID TOPIC" for every job topic it
 * is called on to the file conf.log, and exercises the host calls.
 *
 * conf keys (all optional):
 *   log         file to append to
 *   fail        a topic glob whose callbacks return -1 ("record: failing TOPIC")
 *   fail_init   true: flux_plugin_init returns -1
 *   memo        on job.state.run, post memo {"record": MEMO}
 *   raise       on job.state.sched, raise a fatal exception of type "record"
 * plugin.query returns {"calls": N, "last": "TOPIC"}.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <flux/jobtap.h>

FLUX_JOBTAP_PLUGIN("record");

struct state {
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
    (void)p;
    (void)topic;
    return flux_plugin_arg_pack(args, FLUX_PLUGIN_ARG_OUT, "{s:i s:s}", "calls", s->calls, "last",
                                s->last);
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
    if (flux_plugin_conf_unpack(p, "{s?s s?s s?b s?s s?b}", "log", &log, "fail", &s->fail,
                                "fail_init", &fail_init, "memo", &s->memo, "raise",
                                &s->raise) < 0) {
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
