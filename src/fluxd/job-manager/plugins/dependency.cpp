/* job-manager/plugins/dependency.cpp - the .dependency jobtap plugin: the
 * RFC 26 schemes after, afterany, afterok, afternotok, begin-time and
 * singleton, on the public jobtap ABI alone.
 *
 *   after:ID        released when job ID starts (fails if ID ends unstarted)
 *   afterany:ID     released when job ID is inactive
 *   afterok:ID      released when job ID succeeded (fails otherwise)
 *   afternotok:ID   released when job ID failed (fails if it succeeded)
 *   begin-time:T    released at time T (seconds since the epoch)
 *   singleton       released when no other active job of the same user and
 *                   name is past DEPEND (or itself released by singleton)
 *
 * after* dependencies marked "any": true are alternatives (Slurm's
 * -d A?B): the job is released once one of them holds (the others are
 * dropped) and fails only once every one has failed.
 *
 * ID: F58 ("ƒ2Vb...") or decimal, any form flux_job_id_parse() takes.
 * At submit (job.dependency.SCHEME with validate: true, called only for
 * jobs that have dependencies) an unknown ID, another user's job and a
 * malformed value are refused, so most mistakes never make a job.  A dependency that can no
 * longer be satisfied raises a fatal exception of type "dependency":
 * "dependency afterok:ID failed: job ID did not succeed".
 *
 * Restart: the job manager calls job.dependency.SCHEME again for jobs in
 * DEPEND; a dependency already satisfied is removed, one already failed
 * raises its exception; singleton asks the job manager which jobs are
 * active (flux_jobtap_job_foreach), so it needs no history.
 *
 * Cost: a job without dependencies costs one early return at RUN and at
 * INACTIVE (no arguments built) while nothing waits on another job.
 */
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <syslog.h>
#include <vector>

#include "builtins.h"
#include "flux/job.h"
#include "flux/jobtap.h"

namespace fluxd {

namespace {

struct Waiter {
    flux_jobid_t id;
    std::string scheme;
    std::string desc;
    bool any = false; /* one of alternatives ("any": true, Slurm's A?B) */
};

/* A job's alternatives: it may start once one of them holds, and fails
 * only once every one has failed. */
struct AnyGroup {
    size_t total = 0, failed = 0;
    bool satisfied = false;
    std::vector<std::string> outstanding; /* descriptions added */
};

struct BeginTimer;

struct State {
    std::multimap<flux_jobid_t, Waiter> waiting; /* target -> dependents */
    /* singleton: (userid, name) -> jobs held, in submission order.  Which
     * other jobs of that user and name are active is asked of the job
     * manager when it matters (flux_jobtap_job_foreach), so that jobs
     * without dependencies cost this plugin nothing. */
    std::map<std::pair<json_int_t, std::string>, std::deque<flux_jobid_t>> held;
    /* Singleton jobs held or released, until they end; released ones may
     * not have left DEPEND yet and count as active all the same. */
    std::map<flux_jobid_t, std::pair<json_int_t, std::string>> key_of;
    std::set<flux_jobid_t> released;
    std::set<BeginTimer *> timers;
    std::map<flux_jobid_t, AnyGroup> any;
};

struct BeginTimer {
    State *s;
    flux_jobid_t id;
    std::string desc;
};

void state_destroy(void *arg)
{
    auto *s = static_cast<State *>(arg);
    for (auto *t : s->timers)
        delete t;
    delete s;
}

State *state_of(flux_plugin_t *p)
{
    return static_cast<State *>(flux_plugin_aux_get(p, "state"));
}

std::string idstr(flux_jobid_t id)
{
    char buf[64];
    if (flux_job_id_encode(id, "f58", buf, sizeof(buf)) < 0)
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)id);
    return buf;
}

/* "scheme:value" as the job manager words it. */
std::string describe(const char *scheme, json_t *value)
{
    std::string d = scheme;
    if (json_is_string(value))
        d += std::string(":") + json_string_value(value);
    else if (json_is_number(value)) {
        char buf[64];
        snprintf(buf, sizeof(buf), ":%.15g", json_number_value(value));
        d += buf;
    }
    return d;
}

struct Target {
    json_int_t userid = -1;
    const char *state = "";
    double t_run = 0;
    int success = 0;
    bool inactive() const { return !strcmp(state, "INACTIVE"); }
};

/* Check an after* dependency: "" if fine, else why not. */
std::string check_target(flux_plugin_t *p, json_t *value, json_int_t userid, flux_jobid_t *tid,
                         Target *t)
{
    if (!json_is_string(value) || flux_job_id_parse(json_string_value(value), tid) < 0)
        return "'" + std::string(json_is_string(value) ? json_string_value(value) : "?") +
               "' is not a job ID";
    if (flux_jobtap_job_unpack(p, *tid, "{s:I s:s s:f s:b}", "userid", &t->userid, "state",
                               &t->state, "t_run", &t->t_run, "success", &t->success) < 0)
        return "job " + std::string(json_string_value(value)) + " not found";
    if (userid >= 0 && t->userid != userid)
        return "job " + std::string(json_string_value(value)) + " belongs to another user";
    return "";
}

/* Whether WAITER is satisfied (1), failed (-1) or still waiting (0) given
 * its target T; WHY says why it failed. */
int evaluate(const std::string &scheme, const Target &t, std::string &why)
{
    bool ran = t.t_run > 0;
    if (scheme == "after") {
        if (ran)
            return 1;
        if (t.inactive()) {
            why = "never started";
            return -1;
        }
        return 0;
    }
    if (!t.inactive())
        return 0;
    if (scheme == "afterany")
        return 1;
    if (scheme == "afterok") {
        why = "did not succeed";
        return t.success ? 1 : -1;
    }
    why = "succeeded";
    return t.success ? -1 : 1; /* afternotok */
}

/* begin-time's value: seconds since the epoch, as a string (RFC 14
 * jobspecs) or a number; false if it is neither. */
bool begin_time_of(json_t *value, double *t)
{
    if (json_is_number(value))
        *t = json_number_value(value);
    else if (json_is_string(value)) {
        char *end;
        *t = strtod(json_string_value(value), &end);
        if (!*json_string_value(value) || *end)
            return false;
    }
    else
        return false;
    return std::isfinite(*t) && *t >= 0;
}

/* How many of job ID's dependencies are alternatives ("any": true). */
size_t count_any(flux_plugin_t *p, flux_jobid_t id)
{
    json_t *js = flux_jobtap_jobspec(p, id);
    json_t *deps = nullptr;
    json_unpack(js, "{s:{s:{s:o}}}", "attributes", "system", "dependencies", &deps);
    size_t n = 0, i;
    json_t *d;
    json_array_foreach(deps, i, d)
    {
        if (json_is_true(json_object_get(d, "any")))
            n++;
    }
    json_decref(js);
    return n;
}

/* Alternative DESC of job ID holds: it and the others are removed (one
 * not added yet, at submission, is ENOENT: fine), the job goes. */
void any_satisfied(flux_plugin_t *p, State *s, flux_jobid_t id, const std::string &desc)
{
    AnyGroup &g = s->any[id];
    g.satisfied = true;
    std::erase(g.outstanding, desc);
    flux_jobtap_dependency_remove(p, id, "%s", desc.c_str());
    for (const auto &d : g.outstanding)
        flux_jobtap_dependency_remove(p, id, "%s", d.c_str());
    g.outstanding.clear();
    for (auto it = s->waiting.begin(); it != s->waiting.end();) {
        if (it->second.id == id && it->second.any)
            it = s->waiting.erase(it);
        else
            ++it;
    }
}

/* One alternative of job ID failed (WHY): the job fails once all have. */
void any_failed(flux_plugin_t *p, State *s, const Waiter &w, flux_jobid_t target,
                const std::string &why)
{
    AnyGroup &g = s->any[w.id];
    g.failed++;
    std::erase(g.outstanding, w.desc);
    if (g.failed >= g.total) {
        flux_jobtap_raise_exception(p, w.id, "dependency", 0,
                                    "dependency %s failed: job %s %s (and every alternative"
                                    " failed)",
                                    w.desc.c_str(), idstr(target).c_str(), why.c_str());
        s->any.erase(w.id);
        return;
    }
    flux_jobtap_dependency_remove(p, w.id, "%s", w.desc.c_str());
}

/* An alternative at submission (or restart): held, satisfied or failed. */
int after_any(flux_plugin_t *p, flux_plugin_arg_t *args, State *s, flux_jobid_t id,
              flux_jobid_t tid, const char *scheme, const std::string &desc, int r,
              const std::string &why)
{
    AnyGroup &g = s->any[id];
    if (g.total == 0)
        g.total = std::max<size_t>(1, count_any(p, id));
    if (g.satisfied) {
        flux_jobtap_dependency_remove(p, id, "%s", desc.c_str()); /* restart: ENOENT fine */
        return 0;
    }
    if (r > 0) {
        any_satisfied(p, s, id, desc);
        return 0;
    }
    if (r < 0) {
        if (++g.failed >= g.total) {
            s->any.erase(id);
            return flux_jobtap_reject_job(p, args,
                                          "dependency %s failed: %s (and every alternative"
                                          " failed)",
                                          desc.c_str(), why.c_str());
        }
        flux_jobtap_dependency_remove(p, id, "%s", desc.c_str());
        return 0;
    }
    if (flux_jobtap_dependency_add(p, id, "%s", desc.c_str()) < 0)
        return flux_jobtap_reject_job(p, args, "dependency %s: cannot add: %s", desc.c_str(),
                                      strerror(errno));
    if (std::ranges::find(g.outstanding, desc) == g.outstanding.end())
        g.outstanding.push_back(desc);
    for (auto [it, end] = s->waiting.equal_range(tid); it != end; ++it) {
        if (it->second.id == id && it->second.desc == desc)
            return 0; /* known already (restart) */
    }
    s->waiting.emplace(tid, Waiter{id, scheme, desc, true});
    return 0;
}

int after_cb(flux_plugin_t *p, const char *, flux_plugin_arg_t *args, void *)
{
    State *s = state_of(p);
    json_int_t id, userid;
    const char *scheme;
    json_t *value;
    int validate = 0, any = 0;
    if (flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:I s:I s:{s:s s:o s?b} s?b}", "id",
                               &id, "userid", &userid, "dependency", "scheme", &scheme, "value",
                               &value, "any", &any, "validate", &validate) < 0)
        return -1;
    std::string desc = describe(scheme, value);
    flux_jobid_t tid;
    Target t;
    std::string err = check_target(p, value, userid, &tid, &t);
    if (validate) /* at submit: refuse what can never hold */
        return err.empty() ? 0
                           : flux_jobtap_reject_job(p, args, "dependency %s: %s", desc.c_str(),
                                                    err.c_str());
    std::string why;
    int r = err.empty() ? evaluate(scheme, t, why) : -1;
    if (any)
        return after_any(p, args, s, (flux_jobid_t)id, tid, scheme, desc, r,
                         err.empty() ? "job " + std::string(json_string_value(value)) + " " + why
                                     : err);
    if (!err.empty())
        return flux_jobtap_reject_job(p, args, "dependency %s failed: %s", desc.c_str(),
                                      err.c_str());
    if (r > 0) {
        /* On restart it may be outstanding: ENOENT otherwise, fine. */
        flux_jobtap_dependency_remove(p, (flux_jobid_t)id, "%s", desc.c_str());
        return 0;
    }
    if (r < 0)
        return flux_jobtap_reject_job(p, args, "dependency %s failed: job %s %s", desc.c_str(),
                                      json_string_value(value), why.c_str());
    if (flux_jobtap_dependency_add(p, (flux_jobid_t)id, "%s", desc.c_str()) < 0)
        return flux_jobtap_reject_job(p, args, "dependency %s: cannot add: %s", desc.c_str(),
                                      strerror(errno));
    for (auto [it, end] = s->waiting.equal_range(tid); it != end; ++it) {
        if (it->second.id == (flux_jobid_t)id && it->second.desc == desc)
            return 0; /* known already (restart) */
    }
    s->waiting.emplace(tid, Waiter{(flux_jobid_t)id, scheme, desc});
    return 0;
}

void begin_time_fire(flux_plugin_t *p, void *arg)
{
    auto *t = static_cast<BeginTimer *>(arg);
    t->s->timers.erase(t);
    flux_jobtap_dependency_remove(p, t->id, "%s", t->desc.c_str());
    delete t;
}

int begin_time_cb(flux_plugin_t *p, const char *, flux_plugin_arg_t *args, void *)
{
    State *s = state_of(p);
    json_int_t id;
    json_t *value;
    int validate = 0;
    if (flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:I s:{s:o} s?b}", "id", &id,
                               "dependency", "value", &value, "validate", &validate) < 0)
        return -1;
    std::string desc = describe("begin-time", value);
    double when;
    if (!begin_time_of(value, &when))
        return flux_jobtap_reject_job(
            p, args, "dependency %s: begin-time needs a time in seconds since the epoch",
            desc.c_str());
    if (validate)
        return 0;
    double now = flux_jobtap_now(p);
    if (when <= now) {
        flux_jobtap_dependency_remove(p, (flux_jobid_t)id, "%s", desc.c_str());
        return 0;
    }
    if (flux_jobtap_dependency_add(p, (flux_jobid_t)id, "%s", desc.c_str()) < 0)
        return -1;
    auto *t = new BeginTimer{s, (flux_jobid_t)id, desc};
    s->timers.insert(t);
    if (flux_jobtap_timer_add(p, when - now, begin_time_fire, t) < 0) {
        s->timers.erase(t);
        delete t;
        return flux_jobtap_reject_job(p, args, "dependency %s failed: cannot arm a timer",
                                      desc.c_str());
    }
    return 0;
}

struct Others {
    State *s;
    json_int_t userid;
    const std::string *name;
    flux_jobid_t exclude;
};

int other_cb(flux_plugin_t *p, flux_jobid_t id, void *arg)
{
    auto *o = static_cast<Others *>(arg);
    json_int_t userid;
    const char *name = nullptr, *state;
    if (id == o->exclude
        || flux_jobtap_job_unpack(p, id, "{s:I s?s s:s}", "userid", &userid, "name", &name,
                                  "state", &state) < 0
        || userid != o->userid || !name || *o->name != name)
        return 0;
    /* Held jobs and jobs still waiting on other dependencies do not count. */
    if (!strcmp(state, "NEW") || !strcmp(state, "DEPEND"))
        return o->s->released.contains(id) ? 1 : 0;
    return 1;
}

/* Whether a job of KEY other than EXCLUDE is active past its dependencies
 * (or released from a singleton hold). */
bool others_active(flux_plugin_t *p, State *s, const std::pair<json_int_t, std::string> &key,
                   flux_jobid_t exclude)
{
    Others o{s, key.first, &key.second, exclude};
    return flux_jobtap_job_foreach(p, other_cb, &o) > 0;
}

void release(flux_plugin_t *p, State *s, flux_jobid_t id,
             const std::pair<json_int_t, std::string> &key)
{
    s->key_of[id] = key;
    s->released.insert(id);
    flux_jobtap_dependency_remove(p, id, "singleton");
}

int singleton_cb(flux_plugin_t *p, const char *, flux_plugin_arg_t *args, void *)
{
    State *s = state_of(p);
    json_int_t id, userid;
    const char *name = nullptr;
    int validate = 0;
    if (flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:I s:I s?s s?b}", "id", &id,
                               "userid", &userid, "name", &name, "validate", &validate) < 0)
        return -1;
    if (validate)
        return 0;
    if (!name)
        return -1;
    auto key = std::make_pair(userid, std::string(name));
    if (s->key_of.contains((flux_jobid_t)id))
        return 0; /* known already */
    auto h = s->held.find(key);
    if ((h == s->held.end() || h->second.empty()) && !others_active(p, s, key, (flux_jobid_t)id)) {
        release(p, s, (flux_jobid_t)id, key);
        return 0;
    }
    if (flux_jobtap_dependency_add(p, (flux_jobid_t)id, "singleton") < 0)
        return -1;
    s->held[key].push_back((flux_jobid_t)id);
    s->key_of[(flux_jobid_t)id] = key;
    return 0;
}

void fail(flux_plugin_t *p, const Waiter &w, flux_jobid_t target, const std::string &why)
{
    flux_jobtap_raise_exception(p, w.id, "dependency", 0, "dependency %s failed: job %s %s",
                                w.desc.c_str(), idstr(target).c_str(), why.c_str());
}

/* A target started (after) or ended (the others); an ending job may free
 * a singleton of its user and name.  With nothing waiting it returns
 * before its arguments are built. */
int target_cb(flux_plugin_t *p, const char *topic, flux_plugin_arg_t *args, void *)
{
    State *s = state_of(p);
    bool inactive = !strcmp(topic, "job.state.inactive");
    if (s->waiting.empty() && (!inactive || (s->key_of.empty() && s->any.empty())))
        return 0;
    json_int_t id, userid;
    const char *name = nullptr;
    Target t;
    if (flux_plugin_arg_unpack(args, FLUX_PLUGIN_ARG_IN, "{s:I s:I s?s s:s s:f s:b}", "id", &id,
                               "userid", &userid, "name", &name, "state", &t.state, "t_run",
                               &t.t_run, "success", &t.success) < 0)
        return -1;
    /* Decide first, then act: settling an alternative drops the job's
     * other waiters, which may sit in this very range. */
    std::vector<std::tuple<Waiter, int, std::string>> settled;
    auto [it, end] = s->waiting.equal_range((flux_jobid_t)id);
    while (it != end) {
        std::string why;
        int r = evaluate(it->second.scheme, t, why);
        if (r == 0) {
            ++it;
            continue;
        }
        settled.emplace_back(it->second, r, why);
        it = s->waiting.erase(it);
    }
    for (auto &[w, r, why] : settled) {
        if (w.any) {
            auto g = s->any.find(w.id);
            if (g == s->any.end() || g->second.satisfied)
                continue; /* settled by another alternative */
            if (r > 0)
                any_satisfied(p, s, w.id, w.desc);
            else
                any_failed(p, s, w, (flux_jobid_t)id, why);
            continue;
        }
        if (r > 0)
            flux_jobtap_dependency_remove(p, w.id, "%s", w.desc.c_str());
        else
            fail(p, w, (flux_jobid_t)id, why);
    }
    if (inactive)
        s->any.erase((flux_jobid_t)id);
    if (!inactive || s->key_of.empty() || !name)
        return 0;
    auto key = std::make_pair(userid, std::string(name));
    if (s->key_of.erase((flux_jobid_t)id)) {
        s->released.erase((flux_jobid_t)id);
        if (auto h = s->held.find(key); h != s->held.end())
            std::erase(h->second, (flux_jobid_t)id); /* canceled while held */
    }
    auto h = s->held.find(key);
    if (h == s->held.end())
        return 0;
    if (!h->second.empty() && !others_active(p, s, key, (flux_jobid_t)id)) {
        flux_jobid_t next = h->second.front();
        h->second.pop_front();
        release(p, s, next, key);
    }
    if (h->second.empty())
        s->held.erase(h);
    return 0;
}

int query_cb(flux_plugin_t *p, const char *, flux_plugin_arg_t *args, void *)
{
    State *s = state_of(p);
    return flux_plugin_arg_pack(args, FLUX_PLUGIN_ARG_OUT, "{s:I s:I s:I}", "waiting",
                                (json_int_t)s->waiting.size(), "singleton-held",
                                (json_int_t)(s->key_of.size() - s->released.size()), "timers",
                                (json_int_t)s->timers.size());
}

} // namespace

int dependency_plugin_init(flux_plugin_t *p)
{
    auto *s = new State;
    if (flux_plugin_aux_set(p, "state", s, state_destroy) < 0) {
        delete s;
        return -1;
    }
    static const struct flux_plugin_handler tab[] = {
        {"job.dependency.after", after_cb, nullptr},
        {"job.dependency.afterany", after_cb, nullptr},
        {"job.dependency.afterok", after_cb, nullptr},
        {"job.dependency.afternotok", after_cb, nullptr},
        {"job.dependency.begin-time", begin_time_cb, nullptr},
        {"job.dependency.singleton", singleton_cb, nullptr},
        {"job.state.run", target_cb, nullptr},
        {"job.state.inactive", target_cb, nullptr},
        {"plugin.query", query_cb, nullptr},
        {nullptr, nullptr, nullptr},
    };
    return flux_plugin_register(p, nullptr, tab);
}

} // namespace fluxd
