/* manager_jobtap.cpp - the job manager's side of jobtap plugins
 * (flux-jobtap-plugins(7)): loading them from the config, the call-outs
 * at job.validate / job.new / job.event.NAME / job.state.STATE /
 * job.inactive-add, the job-manager.jobtap RPC (flux jobtap), and the host
 * calls of flux/jobtap.h.
 *
 * Config read: [[job-manager.plugins]] load = PATH, conf = TABLE, handed
 * over by boot.cpp as the JSON text of the attribute
 * conf.job-manager.plugins.
 *
 * Containment: a call-out that fails is logged; on job.validate the
 * submission is refused with the plugin's message; on a job's other topics
 * the job gets a fatal "jobtap" exception, unless it already has a fatal
 * exception or is inactive.  Exceptions and events a plugin asks for are
 * posted from jobtap_ev_, after the call-out that asked has returned, so a
 * plugin never re-enters the state machine from inside it.
 */
#include <cerrno>
#include <cstring>
#include <syslog.h>

#include "fluid/fluid.h"
#include "fluxd/service.h"
#include "fluxd/kvs/kvs.h"
#include "manager.h"

namespace fluxd {

namespace {

/* What the lazily built IN argument of a job topic needs. */
struct JobArgs {
    const void *entry; /* JobManager::Entry */
    const Job *job;
    const flux::EventlogEntry *ev; /* job.event.* */
    JobState prev;                 /* job.state.* */
    bool state_topic;
    bool with_jobspec; /* job.new */
    JobtapHost *host;
    json_t *extra = nullptr; /* merged in (job.dependency.*, job.update.*) */
    bool restart = false;    /* job.new of a job replayed on restart */
};

} // namespace

json_t *JobManager::jobtap_entry_info(const Entry &e)
{
    const Job &j = e.job;
    return json_pack("{s:I s:I s:i s:I s:s s:f s:s s:s s:I s:I s:I s:f s:f s:b s:i}", "id",
                     (json_int_t)j.id, "userid", (json_int_t)j.userid, "urgency", j.urgency,
                     "priority", (json_int_t)j.priority, "state", job_state_name(j.state),
                     "t_submit", j.t_submit, "name", e.name.c_str(), "queue", e.queue_name.c_str(),
                     "ntasks", (json_int_t)e.ntasks, "nnodes", (json_int_t)e.nnodes, "ncores",
                     (json_int_t)e.ncores, "t_run", j.t_run, "t_cleanup", j.t_cleanup,
                     "success", j.success(), "dependencies", (int)j.dependencies.size());
}

json_t *JobManager::jobtap_build_args(void *ctx)
{
    auto *a = static_cast<JobArgs *>(ctx);
    json_t *o = jobtap_entry_info(*static_cast<const Entry *>(a->entry));
    if (!o)
        return nullptr;
    if (a->extra)
        json_object_update(o, a->extra);
    if (a->restart)
        json_object_set_new(o, "restart", json_true());
    if (a->ev) {
        json_t *entry = json_pack("{s:f s:s}", "timestamp", a->ev->timestamp, "name",
                                  a->ev->name.c_str());
        if (entry && a->ev->context)
            json_object_set(entry, "context", a->ev->context);
        json_object_set_new(o, "entry", entry);
    }
    if (a->state_topic)
        json_object_set_new(o, "prev_state", json_string(job_state_name(a->prev)));
    if (a->with_jobspec) {
        json_object_set_new(o, "flags", json_integer(a->job->flags));
        if (json_t *js = a->host->jobtap_jobspec(a->job->id))
            json_object_set_new(o, "jobspec", js);
    }
    return o;
}

namespace {

struct ValidateArgs {
    uint64_t id;
    uint32_t userid;
    int urgency, flags;
    const std::string *jobspec_text;
    json_t *extra = nullptr; /* merged in (job.dependency.* at submit) */
};

json_t *build_validate_args(void *ctx)
{
    auto *a = static_cast<ValidateArgs *>(ctx);
    json_error_t jerr;
    json_t *js = json_loads(a->jobspec_text->c_str(), 0, &jerr);
    json_t *o = json_pack("{s:I s:I s:i s:i s:s s:i s:o}", "id", (json_int_t)a->id, "userid",
                          (json_int_t)a->userid, "urgency", a->urgency, "flags", a->flags, "state",
                          "NEW", "priority", -1, "jobspec", js ? js : json_object());
    if (o && a->extra)
        json_object_update(o, a->extra);
    return o;
}

/* Events a plugin may not post: the job manager's own (RFC 21). */
bool reserved_event(const std::string &name)
{
    static const char *const names[] = {
        "submit",        "validate",     "invalidate",    "dependency-add", "dependency-remove",
        "depend",        "priority",     "urgency",       "alloc",          "prolog-start",
        "prolog-finish", "start",        "finish",        "release",        "epilog-start",
        "epilog-finish", "free",         "clean",         "exception",      "set-flags",
        "jobspec-update", "flux-restart",
    };
    for (const char *n : names) {
        if (name == n)
            return true;
    }
    return false;
}

bool valid_event_name(const std::string &name)
{
    if (name.empty() || name.size() > 64)
        return false;
    for (char c : name) {
        if (!(isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

} // namespace

flux::Result<std::string> JobManager::jobtap_load(const std::string &path, json_t *conf)
{
    /* The limit plugins read the instance's [policy] and [queues] tables
     * unless their conf gives them. */
    flux::JsonPtr merged;
    if (path == ".limit-job-size" || path == ".limit-duration") {
        merged.reset(conf ? json_deep_copy(conf) : json_object());
        for (const char *t : {"policy", "queues"}) {
            if (json_object_get(merged.get(), t))
                continue;
            auto text = broker_.attr(std::string("conf.") + t);
            json_error_t jerr;
            if (text && !text->empty()) {
                if (json_t *o = json_loads(text->c_str(), 0, &jerr))
                    json_object_set_new(merged.get(), t, o);
            }
        }
        conf = merged.get();
    }
    return jobtap_.load(path, conf);
}

flux::Result<void> JobManager::jobtap_load_config()
{
    /* Built-in, as in Flux: dependencies (RFC 26). */
    if (auto r = jobtap_.load(".dependency", nullptr); !r)
        return r.error();
    auto text = broker_.attr("conf.job-manager.plugins");
    if (!text || text->empty())
        return {};
    json_error_t jerr;
    flux::JsonPtr a(json_loads(text->c_str(), 0, &jerr));
    if (!json_is_array(a.get()))
        return flux::make_error(EINVAL, "job-manager.plugins: expected an array of tables");
    size_t i;
    json_t *entry;
    json_array_foreach(a.get(), i, entry)
    {
        std::string where = "job-manager.plugins[" + std::to_string(i) + "]";
        const char *load = nullptr;
        json_t *conf = nullptr;
        if (json_unpack_ex(entry, &jerr, JSON_STRICT, "{s:s s?o}", "load", &load, "conf", &conf) <
                0 ||
            (conf && !json_is_object(conf)))
            return flux::make_error(EINVAL, where + ": expected { load = \"PATH\", conf = {...} }");
        auto r = jobtap_load(load, conf);
        if (!r)
            return flux::make_error(r.error().errnum, where + ": " + r.error().text);
    }
    return {};
}

/* job-manager.jobtap (owner): {load: PATH, conf?: {}} -> {name};
 * {remove: NAME|"all"} -> {}; {query: NAME} -> {name, path, conf, ...};
 * {} -> {plugins: [{name, path}]}. */
void JobManager::jobtap_rpc(const flux_msg_t *msg)
{
    const char *load = nullptr, *remove = nullptr, *query = nullptr;
    json_t *conf = nullptr;
    if (msg::has_payload(msg) && (flux_msg_unpack(msg, "{s?s s?o s?s s?s !}", "load", &load, "conf",
                                             &conf, "remove", &remove, "query", &query) < 0 ||
                             (conf && !json_is_object(conf)) || (!!load + !!remove + !!query) > 1 ||
                             (conf && !load))) {
        broker_.respond_error(msg, EPROTO,
                              "job-manager.jobtap: expected {\"load\": path, \"conf\"?: object}, "
                              "{\"remove\": name}, {\"query\": name} or {}");
        return;
    }
    if (load) {
        auto r = jobtap_load(load, conf);
        if (!r) {
            broker_.log(LOG_ERR, "job-manager: jobtap load: %s", r.error().text.c_str());
            broker_.respond_error(msg, r.error().errnum, r.error().text);
            return;
        }
        broker_.respond(msg, json_pack("{s:s}", "name", r->c_str()));
        return;
    }
    if (remove) {
        auto r = jobtap_.remove(remove);
        if (!r) {
            broker_.respond_error(msg, r.error().errnum, r.error().text);
            return;
        }
        broker_.respond(msg, json_object());
        return;
    }
    if (query) {
        auto r = jobtap_.query(query);
        if (!r) {
            broker_.respond_error(msg, r.error().errnum, r.error().text);
            return;
        }
        broker_.respond(msg, *r);
        return;
    }
    broker_.respond(msg, json_pack("{s:o}", "plugins", jobtap_.list()));
}

flux::Result<void> JobManager::validate(uint64_t id, uint32_t userid, int urgency, int flags,
                                        const std::string &jobspec_text)
{
    ValidateArgs a{id, userid, urgency, flags, &jobspec_text};
    /* RFC 26 dependencies: each scheme needs a plugin (job.dependency.SCHEME). */
    if (jobspec_text.find("\"dependencies\"") != std::string::npos) {
        json_error_t jerr;
        flux::JsonPtr js(json_loads(jobspec_text.c_str(), 0, &jerr));
        json_t *deps = json_object_get(
            json_object_get(json_object_get(js.get(), "attributes"), "system"), "dependencies");
        if (deps && !json_is_array(deps))
            return flux::make_error(EINVAL, "attributes.system.dependencies must be an array");
        size_t i;
        json_t *d;
        json_array_foreach(deps, i, d)
        {
            const char *scheme = nullptr;
            json_t *value = nullptr;
            if (json_unpack(d, "{s:s s:o}", "scheme", &scheme, "value", &value) < 0 ||
                !(json_is_string(value) || json_is_number(value)))
                return flux::make_error(EINVAL, "dependency " + std::to_string(i) +
                                                    ": expected {\"scheme\": string, \"value\": "
                                                    "string or number} (RFC 26)");
            std::string topic = std::string("job.dependency.") + scheme;
            if (jobtap_.empty() || !jobtap_.handles(topic.c_str()))
                return flux::make_error(EINVAL, std::string("dependency scheme '") + scheme +
                                                    "' is not supported");
            /* Before the job exists (validate: true): a plugin refuses a
             * dependency that can never hold (an unknown job...). */
            flux::JsonPtr extra(json_pack("{s:O s:b}", "dependency", d, "validate", 1));
            a.extra = extra.get();
            auto f = jobtap_.call(topic.c_str(), build_validate_args, &a, true);
            a.extra = nullptr;
            if (f)
                return flux::make_error(EINVAL, f->explicit_message
                                                    ? f->text
                                                    : "dependency " + std::string(scheme) +
                                                          " refused by jobtap plugin " + f->plugin);
        }
    }
    if (jobtap_.empty())
        return {};
    auto f = jobtap_.call("job.validate", build_validate_args, &a, true);
    if (!f)
        return {};
    return flux::make_error(EINVAL, f->explicit_message
                                        ? f->text
                                        : "rejected by jobtap plugin " + f->plugin);
}

void JobManager::jobtap_job(Entry &e, const char *topic, const flux::EventlogEntry *ev,
                            JobState prev)
{
    bool state_topic = strncmp(topic, "job.state.", 10) == 0;
    JobArgs a{&e, &e.job, ev, prev, state_topic, strcmp(topic, "job.new") == 0, this};
    a.restart = a.with_jobspec && e.job.state != JobState::NEW;
    auto f = jobtap_.call(topic, jobtap_build_args, &a, false);
    if (!f || e.job.state == JobState::INACTIVE || e.job.fatal_exception())
        return;
    /* An exception about an exception could go on forever. */
    if (ev && ev->name == "exception")
        return;
    JobtapDeferred d;
    d.id = e.job.id;
    d.name = "jobtap";
    d.exception = true;
    d.severity = 0;
    d.note = f->plugin + ": " + topic + ": " + f->text;
    jobtap_defer(std::move(d));
}

/* After EV moved the job from PREV: job.event.NAME, then job.state.STATE
 * if the state changed, then job.inactive-add if it became inactive. */
void JobManager::jobtap_posted(Entry &e, const flux::EventlogEntry &ev, JobState prev)
{
    char topic[96];
    snprintf(topic, sizeof(topic), "job.event.%s", ev.name.c_str());
    jobtap_job(e, topic, &ev, prev);
    if (e.job.state == prev)
        return;
    if (e.job.state == JobState::DEPEND && prev == JobState::NEW)
        jobtap_dependencies(e);
    snprintf(topic, sizeof(topic), "job.state.%s", job_state_name(e.job.state));
    for (char *c = topic + 10; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    jobtap_job(e, topic, nullptr, prev);
    if (e.job.state == JobState::INACTIVE) {
        jobtap_job(e, "job.inactive-add", nullptr, prev);
        jobtap_aux_clear(e);
    }
}

void JobManager::jobtap_dependencies(Entry &e)
{
    if (!e.dependencies)
        return;
    json_error_t jerr;
    flux::JsonPtr deps(json_loads(e.dependencies->c_str(), 0, &jerr));
    size_t i;
    json_t *d;
    json_array_foreach(deps.get(), i, d)
    {
        const char *scheme = nullptr;
        json_t *value = nullptr;
        if (json_unpack(d, "{s:s s:o}", "scheme", &scheme, "value", &value) < 0)
            continue; /* refused at submit; an old eventlog's is skipped */
        std::string desc = scheme;
        if (json_is_string(value))
            desc += std::string(":") + json_string_value(value);
        else if (json_is_number(value)) {
            char buf[64];
            snprintf(buf, sizeof(buf), ":%.15g", json_number_value(value));
            desc += buf;
        }
        std::string topic = std::string("job.dependency.") + scheme;
        std::optional<Jobtap::Failure> f;
        if (!jobtap_.handles(topic.c_str()))
            f = Jobtap::Failure{"", "dependency scheme '" + std::string(scheme) +
                                        "' is not supported", true};
        else {
            JobArgs a{&e, &e.job, nullptr, JobState::DEPEND, false, false, this};
            flux::JsonPtr extra(json_pack("{s:O}", "dependency", d));
            a.extra = extra.get();
            f = jobtap_.call(topic.c_str(), jobtap_build_args, &a, false);
        }
        if (!f)
            continue;
        /* Held in DEPEND until the exception ends it. */
        if (e.job.state == JobState::DEPEND && !e.job.dependencies.count(desc))
            post(e, "dependency-add", json_pack("{s:s}", "description", desc.c_str()), false);
        if (e.job.fatal_exception())
            return;
        JobtapDeferred x;
        x.id = e.job.id;
        x.name = "dependency";
        x.exception = true;
        x.severity = 0;
        x.note = f->explicit_message ? f->text : "dependency " + desc + " failed: " + f->text;
        jobtap_defer(std::move(x));
        return;
    }
}

std::optional<int64_t> JobManager::jobtap_priority(Entry &e)
{
    if (e.job.urgency == JOB_URGENCY_HOLD)
        return 0;
    if (e.job.urgency == JOB_URGENCY_EXPEDITE)
        return JOB_PRIORITY_MAX;
    JobArgs a{&e, &e.job, nullptr, e.job.state, false, false, this};
    flux_plugin_arg_t args(jobtap_build_args, &a);
    if (auto p = jobtap_.priority(args))
        return p;
    return job_priority_default(e.job); /* no plugin gave one */
}

void JobManager::set_priority(Entry &e, int64_t p)
{
    if (e.job.state != JobState::SCHED || p == e.job.priority)
        return;
    if (e.job.alloc_pending && !e.alloc_sent) {
        e.job.alloc_pending = false;
        queue_.erase({-e.job.priority, e.job.id});
    }
    post(e, "priority", json_pack("{s:I}", "priority", (json_int_t)p));
}

flux::Result<void> JobManager::jobtap_update(Entry &e, json_t *updates, std::string &unhandled)
{
    const char *key;
    json_t *v;
    json_object_foreach(updates, key, v)
    {
        std::string topic = std::string("job.update.") + key;
        if (jobtap_.empty() || strncmp(key, "attributes.", 11) != 0 ||
            !jobtap_.handles(topic.c_str())) {
            unhandled += std::string(" ") + key + " ";
            continue;
        }
        /* The job manager's own key: plugins may deny it, it applies it. */
        if (strcmp(key, "attributes.system.duration") == 0)
            unhandled += std::string(" ") + key + " ";
        JobArgs a{&e, &e.job, nullptr, e.job.state, false, false, this};
        flux::JsonPtr extra(json_pack("{s:O s:s s:O}", "updates", updates, "key", key, "value", v));
        a.extra = extra.get();
        if (auto f = jobtap_.call(topic.c_str(), jobtap_build_args, &a, true))
            return flux::make_error(EINVAL, f->explicit_message
                                                ? f->text
                                                : std::string("update of ") + key +
                                                      " denied by jobtap plugin " + f->plugin);
    }
    return {};
}

void JobManager::jobtap_aux_clear(Entry &e)
{
    auto aux = std::move(e.aux);
    e.aux.clear();
    for (auto &x : aux) {
        if (x.destroy)
            x.destroy(x.val);
    }
}

void JobManager::jobtap_defer(JobtapDeferred d)
{
    if (!jobtap_ev_)
        jobtap_ev_.reset(event_new(
            broker_.base(), -1, 0,
            [](evutil_socket_t, short, void *arg) { ((JobManager *)arg)->jobtap_run_deferred(); },
            this));
    jobtap_deferred_.push_back(std::move(d));
    event_active(jobtap_ev_.get(), 0, 0);
}

void JobManager::jobtap_run_deferred()
{
    auto todo = std::move(jobtap_deferred_);
    jobtap_deferred_.clear();
    for (auto &d : todo) {
        if (d.kind == JobtapDeferred::REPRIORITIZE_ALL) {
            jobtap_reprioritize_now(nullptr);
            continue;
        }
        auto it = jobs_.find(d.id);
        if (it == jobs_.end() || it->second->job.state == JobState::INACTIVE)
            continue;
        Entry &e = *it->second;
        if (d.kind == JobtapDeferred::DEP_REMOVE) {
            if (e.job.dependencies.count(d.name))
                post(e, "dependency-remove", json_pack("{s:s}", "description", d.name.c_str()));
            continue;
        }
        if (d.kind == JobtapDeferred::PRIORITY) {
            /* Hold and expedite win over a plugin, as in Flux. */
            int64_t p = e.job.urgency == JOB_URGENCY_HOLD       ? 0
                        : e.job.urgency == JOB_URGENCY_EXPEDITE ? JOB_PRIORITY_MAX
                                                                : d.priority;
            set_priority(e, p);
            continue;
        }
        if (d.exception) {
            if (d.severity == 0 && e.job.fatal_exception())
                continue;
            post_exception(e, d.name.c_str(), d.severity, d.note.c_str(), -1);
        }
        else
            post(e, d.name.c_str(), d.context.release());
    }
}

flux::Result<void> JobManager::jobtap_raise(uint64_t id, const std::string &type, int severity,
                                            const std::string &note)
{
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second->job.state == JobState::INACTIVE)
        return flux::make_error(ENOENT, "no such active job");
    JobtapDeferred d;
    d.id = id;
    d.name = type;
    d.exception = true;
    d.severity = severity;
    d.note = note;
    jobtap_defer(std::move(d));
    return {};
}

flux::Result<void> JobManager::jobtap_post(uint64_t id, const std::string &name, json_t *context)
{
    flux::JsonPtr ctx(context);
    if (!valid_event_name(name) || reserved_event(name))
        return flux::make_error(EINVAL, "event '" + name + "' may not be posted by a plugin");
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second->job.state == JobState::INACTIVE)
        return flux::make_error(ENOENT, "no such active job");
    JobtapDeferred d;
    d.id = id;
    d.name = name;
    d.context = std::move(ctx);
    jobtap_defer(std::move(d));
    return {};
}

int JobManager::jobtap_foreach_active(const std::function<int(uint64_t)> &f)
{
    /* Collect first: F may post events that change jobs_. */
    std::vector<uint64_t> ids;
    for (const auto &[id, e] : jobs_)
        if (e->job.state != JobState::INACTIVE)
            ids.push_back(id);
    for (uint64_t id : ids) {
        auto it = jobs_.find(id);
        if (it == jobs_.end() || it->second->job.state == JobState::INACTIVE)
            continue;
        if (int rc = f(id))
            return rc;
    }
    return 0;
}

json_t *JobManager::jobtap_job_info(uint64_t id)
{
    Entry *e = find_entry(id);
    return e ? jobtap_entry_info(*e) : nullptr;
}

flux::Result<void> JobManager::jobtap_dependency(uint64_t id, const std::string &desc, bool add)
{
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second->job.state == JobState::INACTIVE)
        return flux::make_error(ENOENT, "no such active job");
    Entry &e = *it->second;
    if (desc.empty() || desc.size() > 256)
        return flux::make_error(EINVAL, "bad dependency description");
    if (add) {
        if (e.job.state != JobState::NEW && e.job.state != JobState::DEPEND)
            return flux::make_error(EINVAL, "job is past its DEPEND state");
        if (e.job.dependencies.count(desc))
            return {};
        /* At once: the job must not move on when the callback returns. */
        post(e, "dependency-add", json_pack("{s:s}", "description", desc.c_str()), false);
        return {};
    }
    if (!e.job.dependencies.count(desc))
        return flux::make_error(ENOENT, "no outstanding dependency '" + desc + "'");
    JobtapDeferred d;
    d.id = id;
    d.name = desc;
    d.kind = JobtapDeferred::DEP_REMOVE;
    jobtap_defer(std::move(d));
    return {};
}

flux::Result<void> JobManager::jobtap_reprioritize(uint64_t id, int64_t priority)
{
    auto it = jobs_.find(id);
    if (it == jobs_.end() || !job_state_in(it->second->job.state, JOB_STATE_PENDING))
        return flux::make_error(ENOENT, "no such pending job");
    if (priority < JOB_PRIORITY_MIN || priority > JOB_PRIORITY_MAX)
        return flux::make_error(EINVAL, "priority out of range");
    JobtapDeferred d;
    d.id = id;
    d.kind = JobtapDeferred::PRIORITY;
    d.priority = priority;
    jobtap_defer(std::move(d));
    return {};
}

/* Usage changes at a job's end (fairshare) must reorder the queue before
 * the job's resources go back to the scheduler, or the scheduler would
 * give them to the next job in the old order: so a reprioritization asked
 * for during a call-out runs as soon as the call-out returns (post()),
 * before the job moves on; one asked for elsewhere (a timer) runs from
 * the deferred event. */
void JobManager::jobtap_reprioritize_now(const Entry *skip)
{
    if (!reprioritize_all_ || in_reprioritize_)
        return;
    reprioritize_all_ = false;
    if (!priority_plugin())
        return;
    in_reprioritize_ = true;
    std::vector<uint64_t> ids;
    for (auto &[id, ep] : jobs_) {
        if (ep->job.state == JobState::SCHED && ep.get() != skip)
            ids.push_back(id);
    }
    for (uint64_t id : ids) {
        auto it = jobs_.find(id);
        if (it == jobs_.end() || it->second->job.state != JobState::SCHED)
            continue;
        if (auto p = jobtap_priority(*it->second))
            set_priority(*it->second, *p);
    }
    in_reprioritize_ = false;
}

void JobManager::jobtap_reprioritize_all()
{
    reprioritize_all_ = true;
    JobtapDeferred d;
    d.id = 0;
    d.kind = JobtapDeferred::REPRIORITIZE_ALL;
    jobtap_defer(std::move(d));
}

flux::Result<void> JobManager::jobtap_aux_set(flux_plugin *p, uint64_t id, const std::string &key,
                                              void *val, void (*destroy)(void *))
{
    Entry *e = find_entry(id);
    if (!e)
        return flux::make_error(ENOENT, "no such job");
    auto &aux = e->aux;
    for (auto x = aux.begin(); x != aux.end(); ++x) {
        if (x->p == p && x->key == key) {
            Entry::Aux old = *x;
            aux.erase(x);
            if (old.destroy && old.val != val)
                old.destroy(old.val);
            break;
        }
    }
    if (val)
        aux.push_back(Entry::Aux{p, key, val, destroy});
    return {};
}

void *JobManager::jobtap_aux_get(flux_plugin *p, uint64_t id, const std::string &key)
{
    auto it = jobs_.find(id);
    if (it == jobs_.end())
        return nullptr;
    for (auto &x : it->second->aux) {
        if (x.p == p && x.key == key)
            return x.val;
    }
    return nullptr;
}

void JobManager::jobtap_aux_drop(flux_plugin *p)
{
    for (auto &[id, e] : jobs_) {
        if (e->aux.empty())
            continue;
        std::vector<Entry::Aux> mine;
        std::erase_if(e->aux, [&](const Entry::Aux &x) {
            if (x.p != p)
                return false;
            mine.push_back(x);
            return true;
        });
        for (auto &x : mine) {
            if (x.destroy)
                x.destroy(x.val);
        }
    }
}

json_t *JobManager::jobtap_R(uint64_t id)
{
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second->R_text.empty())
        return nullptr;
    json_error_t jerr;
    return json_loads(it->second->R_text.c_str(), 0, &jerr);
}

struct event_base *JobManager::jobtap_base()
{
    return broker_.base();
}

double JobManager::jobtap_now()
{
    return broker_.now();
}

void JobManager::jobtap_store_put(const std::string &key, const std::string &text)
{
    KvsOp op;
    op.key = key;
    op.value = text;
    broker_.kvs()->write("primary", std::move(op));
}

std::optional<std::string> JobManager::jobtap_store_get(const std::string &key)
{
    auto r = broker_.kvs()->lookup("primary", key);
    if (!r)
        return std::nullopt;
    return std::move(*r);
}

json_t *JobManager::jobtap_jobspec(uint64_t id)
{
    auto it = jobs_.find(id);
    if (it == jobs_.end() && !done_.contains(id))
        return nullptr;
    std::string text;
    if (it != jobs_.end() && it->second->jobspec_text)
        text = *it->second->jobspec_text;
    else if (auto t = broker_.kvs()->lookup("primary", Ingest::job_key(id) + ".jobspec"))
        text = std::move(*t);
    else
        return nullptr;
    json_error_t jerr;
    return json_loads(text.c_str(), 0, &jerr);
}

void JobManager::jobtap_log(int level, const std::string &text)
{
    broker_.log(level, "%s", text.c_str());
}

} // namespace fluxd
