/* max-active.c - an example jobtap plugin, built out of tree:
 *
 *   cc -shared -fPIC -o max-active.so max-active.c \
 *       $(pkg-config --cflags --libs flux-core)
 *   flux jobtap load $PWD/max-active.so max=10
 *
 * or in the instance config:
 *
 *   [[job-manager.plugins]]
 *   load = "/usr/local/lib/flux/jobtap/max-active.so"
 *   conf = { max = 10 }
 *
 * It refuses a submission when its user already has MAX active jobs
 * ("max-active: user 1001 has 10 active jobs (at most 10)"), counting each
 * user's jobs from job.new to job.state.inactive; flux jobtap query shows
 * the counts.  (Jobs replayed on a restart are counted too: job.new is
 * called for them.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include <flux/jobtap.h>

FLUX_JOBTAP_PLUGIN("max-active");

struct user {
    json_int_t userid;
    int active;
    struct user *next;
};

struct state {
    int max;
    struct user *users;
};

static struct user *user_get(struct state *s, json_int_t userid, int create)
{
    struct user *u;
    for (u = s->users; u; u = u->next) {
        if (u->userid == userid)
            return u;
    }
    if (!create || !(u = calloc(1, sizeof(*u))))
        return NULL;
    u->userid = userid;
    u->next = s->users;
    s->users = u;
    return u;
}

static void state_destroy(void *arg)
{
    struct state *s = arg;
    while (s->users) {
        struct user *u = s->users;
        s->users = u->next;
        free(u);
    }
    free(s);
}

static int validate(flux_plugin_t *p, const char *topic, flux_plugin_arg_t *args, void *data)
{
    struct state *s = data;
    json_int_t userid;
    struct user *u;
    (void)topic;
    if (flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:I}", "userid", &userid) < 0)
        return -1;
    u = user_get(s, userid, 0);
    if (u && u->active >= s->max)
        return flux_jobtap_reject_job(p, args, "max-active: user %lld has %d active jobs (at most %d)",
                                      (long long)userid, u->active, s->max);
    return 0;
}

static int count(flux_plugin_t *p, const char *topic, flux_plugin_arg_t *args, void *data)
{
    struct state *s = data;
    json_int_t userid;
    struct user *u;
    int add = topic[4] == 'n'; /* job.new, else job.state.inactive */
    if (flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:I}", "userid", &userid) < 0)
        return -1;
    if (!(u = user_get(s, userid, add)))
        return add ? -1 : 0;
    u->active += add ? 1 : -1;
    if (u->active < 0)
        u->active = 0;
    flux_jobtap_log(p, LOG_DEBUG, "user %lld: %d active", (long long)userid, u->active);
    return 0;
}

static int query(flux_plugin_t *p, const char *topic, flux_plugin_arg_t *args, void *data)
{
    struct state *s = data;
    json_t *o = json_object();
    struct user *u;
    char key[32];
    (void)p;
    (void)topic;
    for (u = s->users; u; u = u->next) {
        snprintf(key, sizeof(key), "%lld", (long long)u->userid);
        json_object_set_new(o, key, json_integer(u->active));
    }
    return flux_plugin_arg_pack(args, FLUX_PLUGIN_ARG_OUT, "{s:i s:o}", "max", s->max, "active", o);
}

int flux_plugin_init(flux_plugin_t *p)
{
    struct state *s = calloc(1, sizeof(*s));
    if (!s)
        return -1;
    s->max = 100;
    if (flux_plugin_aux_set(p, "state", s, state_destroy) < 0) {
        free(s);
        return -1;
    }
    if (flux_plugin_conf_unpack(p, "{s?i}", "max", &s->max) < 0 || s->max < 1) {
        flux_jobtap_log(p, LOG_ERR, "conf: max must be an integer >= 1");
        return -1;
    }
    if (flux_plugin_add_handler(p, "job.validate", validate, s) < 0 ||
        flux_plugin_add_handler(p, "job.new", count, s) < 0 ||
        flux_plugin_add_handler(p, "job.state.inactive", count, s) < 0 ||
        flux_plugin_add_handler(p, "plugin.query", query, s) < 0)
        return -1;
    return 0;
}
