/* job-manager/plugins/priority.cpp - the .priority jobtap plugin:
 * multi-factor priority, on the public jobtap ABI alone.
 *
 *   priority = weight_age       * min(age / age_max, 1)
 *            + weight_urgency   * urgency / 31
 *            + weight_size      * min(ntasks / size_max, 1)
 *            + weight_queue     * queues[QUEUE]         (0 if not listed)
 *            + weight_fairshare * (1 - usage(user) / max usage of any user)
 *   clamped to 1 .. 4294967294 (0 is hold, 4294967295 expedite: urgency 0
 *   and 31 keep their meaning, the job manager applies them first).
 *
 * Usage: cores x seconds of each job that ran (ncores x (t_cleanup -
 * t_run)), added when the job enters CLEANUP, decaying exponentially with a
 * half-life of decay_half_life seconds.  It is kept in the plugin store
 * (KVS key jobtap.priority.usage), so it survives a restart with the same
 * statedir.  A change of usage that moves some user's fairshare factor
 * reprioritizes the pending jobs (one that moves none, as with a single
 * user, does not);
 * reprioritize_interval > 0 also does so periodically (age changes).
 *
 * conf (every key optional; flux-jobtap-plugins(7)):
 *   weight_age = 100.0, age_max = 604800.0, weight_urgency = 1000.0,
 *   weight_size = 0.0, size_max = 1024, weight_queue = 0.0,
 *   queues = { NAME = FACTOR, ... }, weight_fairshare = 10000.0,
 *   decay_half_life = 604800.0, reprioritize_interval = 0.0,
 *   reprioritize_min_interval = 0.5 (usage changes reprioritize at most
 *   this often)
 * plugin.query: {weights, usage: {USERID: usage}}.
 */
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <string>

#include "builtins.h"

namespace fluxd {

namespace {

struct Prio {
    double weight_age = 100, age_max = 604800, weight_urgency = 1000, weight_size = 0,
           size_max = 1024, weight_queue = 0, weight_fairshare = 10000,
           half_life = 604800, interval = 0;
    json_t *queues = nullptr; /* borrowed from the conf */
    std::map<json_int_t, double> usage;
    double t_usage = 0; /* when usage was last decayed */
    /* Usage changes reprioritize (and are stored) at most every
     * min_interval seconds: at once if the last time was longer ago, else
     * from a timer, so a burst of short jobs costs one pass, not one per
     * job. */
    double min_interval = 0.5;
    double t_last = 0;
    bool timer_armed = false;
    /* A usage change moved some user's fairshare factor since the last
     * reprioritization.  Most changes move none: with one user (or one
     * user holding the maximum) 1 - mine / max stays 0 for that user and 1
     * for users without usage, so the pass over every pending job would
     * change nothing. */
    bool dirty = false;
};

void prio_destroy(void *arg)
{
    delete static_cast<Prio *>(arg);
}

Prio *prio_of(flux_plugin_t *p)
{
    return static_cast<Prio *>(flux_plugin_aux_get(p, "prio"));
}

void decay(Prio *s, double now)
{
    if (s->t_usage > 0 && now > s->t_usage && s->half_life > 0) {
        double f = std::exp2(-(now - s->t_usage) / s->half_life);
        for (auto &[u, v] : s->usage)
            v *= f;
    }
    s->t_usage = now;
}

void store(flux_plugin_t *p, Prio *s)
{
    json_t *users = json_object();
    for (auto &[u, v] : s->usage)
        json_object_set_new(users, std::to_string((long long)u).c_str(), json_real(v));
    json_t *o = json_pack("{s:o s:f}", "users", users, "t", s->t_usage);
    if (o && flux_jobtap_store_put(p, "usage", o) < 0)
        flux_jobtap_log(p, 3, "cannot store usage: %s", strerror(errno));
    json_decref(o);
}

void load(flux_plugin_t *p, Prio *s)
{
    json_t *o = flux_jobtap_store_get(p, "usage");
    json_t *users = nullptr;
    double t = 0;
    if (o && json_unpack(o, "{s:o s:F}", "users", &users, "t", &t) == 0) {
        const char *k;
        json_t *v;
        json_object_foreach(users, k, v)
        {
            if (json_is_number(v))
                s->usage[strtoll(k, nullptr, 10)] = json_number_value(v);
        }
        s->t_usage = t;
    }
    json_decref(o);
}

/* Each user's fairshare factor, 1 - usage / max usage (users without
 * usage: 1, not listed). */
std::map<json_int_t, double> fairshare_factors(const Prio *s)
{
    double max = 0;
    for (auto &[u, v] : s->usage)
        max = std::max(max, v);
    std::map<json_int_t, double> f;
    for (auto &[u, v] : s->usage)
        f[u] = max > 0 ? 1.0 - v / max : 1.0;
    return f;
}

/* Whether two sets of factors would give some job another priority: the
 * priority is rounded to an integer, so a change well below one unit of
 * weight_fairshare * factor is none (decay scales every usage alike and
 * moves the factors only by rounding error). */
bool factors_differ(const Prio *s, const std::map<json_int_t, double> &a,
                    const std::map<json_int_t, double> &b)
{
    if (a.size() != b.size())
        return true;
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
        if (ia->first != ib->first ||
            std::fabs(ia->second - ib->second) * s->weight_fairshare > 1e-6)
            return true;
    }
    return false;
}

int reprioritize_if_dirty(flux_plugin_t *p, Prio *s)
{
    if (!s->dirty)
        return 0;
    s->dirty = false;
    return flux_jobtap_reprioritize_all(p);
}

void usage_changed(flux_plugin_t *p, void *)
{
    Prio *s = prio_of(p);
    s->timer_armed = false;
    s->t_last = flux_jobtap_now(p);
    store(p, s);
    reprioritize_if_dirty(p, s);
}

int priority_get(flux_plugin_t *p, const char *, flux_plugin_arg_t *args, void *)
{
    Prio *s = prio_of(p);
    json_int_t userid, ntasks = 1;
    int urgency;
    double t_submit;
    const char *queue = "";
    if (flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:I s:i s:f s?I s?s}", "userid",
                               &userid, "urgency", &urgency, "t_submit", &t_submit, "ntasks",
                               &ntasks, "queue", &queue) < 0)
        return -1;
    double now = flux_jobtap_now(p);
    double prio = 0;
    if (s->weight_age != 0 && s->age_max > 0)
        prio += s->weight_age * std::min(std::max(now - t_submit, 0.0) / s->age_max, 1.0);
    prio += s->weight_urgency * urgency / 31.0;
    if (s->weight_size != 0 && s->size_max > 0)
        prio += s->weight_size * std::min((double)ntasks / s->size_max, 1.0);
    if (s->weight_queue != 0 && s->queues) {
        json_t *f = json_object_get(s->queues, queue);
        if (json_is_number(f))
            prio += s->weight_queue * json_number_value(f);
    }
    if (s->weight_fairshare != 0) {
        double max = 0, mine = 0;
        for (auto &[u, v] : s->usage) {
            max = std::max(max, v);
            if (u == userid)
                mine = v;
        }
        prio += s->weight_fairshare * (max > 0 ? 1.0 - mine / max : 1.0);
    }
    double clamped = std::clamp(std::round(prio), 1.0, 4294967294.0);
    return flux_plugin_arg_pack(args, FLUX_PLUGIN_ARG_OUT, "{s:I}", "priority",
                                (json_int_t)clamped);
}

/* Entering CLEANUP: the job's run is over, its resources not yet given
 * back; its usage reorders the queue before they are. */
int finished(flux_plugin_t *p, const char *, flux_plugin_arg_t *args, void *)
{
    Prio *s = prio_of(p);
    if (s->weight_fairshare == 0)
        return 0;
    json_int_t userid, ncores = 0, ntasks = 1;
    double t_run = 0, t_cleanup = 0;
    if (flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:I s:f s:f s?I s?I}", "userid",
                               &userid, "t_run", &t_run, "t_cleanup", &t_cleanup, "ncores",
                               &ncores, "ntasks", &ntasks) < 0)
        return -1;
    if (t_run <= 0 || t_cleanup < t_run)
        return 0; /* never ran: no usage */
    decay(s, flux_jobtap_now(p));
    auto before = fairshare_factors(s);
    /* A job's usage counts at least a millisecond of its cores. */
    double cores = (double)(ncores > 0 ? ncores : std::max<json_int_t>(ntasks, 1));
    s->usage[userid] += cores * std::max(t_cleanup - t_run, 0.001);
    if (!s->dirty && factors_differ(s, before, fairshare_factors(s)))
        s->dirty = true;
    double now = flux_jobtap_now(p);
    if (now - s->t_last >= s->min_interval) {
        s->t_last = now;
        store(p, s);
        return reprioritize_if_dirty(p, s);
    }
    if (!s->timer_armed) {
        s->timer_armed = true;
        return flux_jobtap_timer_add(p, s->min_interval - (now - s->t_last), usage_changed,
                                     nullptr);
    }
    return 0;
}

void periodic(flux_plugin_t *p, void *)
{
    Prio *s = prio_of(p);
    flux_jobtap_reprioritize_all(p);
    if (s->interval > 0)
        flux_jobtap_timer_add(p, s->interval, periodic, nullptr);
}

int query(flux_plugin_t *p, const char *, flux_plugin_arg_t *args, void *)
{
    Prio *s = prio_of(p);
    decay(s, flux_jobtap_now(p));
    json_t *usage = json_object();
    for (auto &[u, v] : s->usage)
        json_object_set_new(usage, std::to_string((long long)u).c_str(), json_real(v));
    return flux_plugin_arg_pack(
        args, FLUX_PLUGIN_ARG_OUT, "{s:{s:f s:f s:f s:f s:f} s:o}", "weights", "age",
        s->weight_age, "urgency", s->weight_urgency, "size", s->weight_size, "queue",
        s->weight_queue, "fairshare", s->weight_fairshare, "usage", usage);
}

} // namespace

int priority_plugin_init(flux_plugin_t *p)
{
    auto *s = new Prio;
    if (flux_plugin_aux_set(p, "prio", s, prio_destroy) < 0) {
        delete s;
        return -1;
    }
    if (flux_plugin_conf_unpack(p, "{s?F s?F s?F s?F s?F s?F s?F s?o s?F s?F s?F}",
                                "reprioritize_min_interval", &s->min_interval, "weight_age",
                                &s->weight_age, "age_max", &s->age_max, "weight_urgency",
                                &s->weight_urgency, "weight_size", &s->weight_size, "size_max",
                                &s->size_max, "weight_queue", &s->weight_queue, "queues",
                                &s->queues, "weight_fairshare", &s->weight_fairshare,
                                "decay_half_life", &s->half_life, "reprioritize_interval",
                                &s->interval) < 0 ||
        (s->queues && !json_is_object(s->queues))) {
        flux_jobtap_log(p, 3, "conf: expected numbers for weight_*, age_max, size_max, "
                              "decay_half_life, reprioritize_interval, and a table for queues");
        return -1;
    }
    load(p, s);
    if (s->interval > 0 && flux_jobtap_timer_add(p, s->interval, periodic, nullptr) < 0)
        return -1;
    static const struct flux_plugin_handler tab[] = {
        {"job.priority.get", priority_get, nullptr},
        {"job.state.cleanup", finished, nullptr},
        {"plugin.query", query, nullptr},
        {nullptr, nullptr, nullptr},
    };
    return flux_plugin_register(p, nullptr, tab);
}

} // namespace fluxd
