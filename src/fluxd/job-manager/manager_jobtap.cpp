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
    const Job *job;
    const flux::EventlogEntry *ev; /* job.event.* */
    JobState prev;                 /* job.state.* */
    bool state_topic;
    bool with_jobspec; /* job.new */
    JobtapHost *host;
};

json_t *job_info(const Job &j)
{
    return json_pack("{s:I s:I s:i s:I s:s s:f}", "id", (json_int_t)j.id, "userid",
                     (json_int_t)j.userid, "urgency", j.urgency, "priority",
                     (json_int_t)j.priority, "state", job_state_name(j.state), "t_submit",
                     j.t_submit);
}

json_t *build_job_args(void *ctx)
{
    auto *a = static_cast<JobArgs *>(ctx);
    json_t *o = job_info(*a->job);
    if (!o)
        return nullptr;
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

struct ValidateArgs {
    uint64_t id;
    uint32_t userid;
    int urgency, flags;
    const std::string *jobspec_text;
};

json_t *build_validate_args(void *ctx)
{
    auto *a = static_cast<ValidateArgs *>(ctx);
    json_error_t jerr;
    json_t *js = json_loads(a->jobspec_text->c_str(), 0, &jerr);
    return json_pack("{s:I s:I s:i s:i s:s s:i s:o}", "id", (json_int_t)a->id, "userid",
                     (json_int_t)a->userid, "urgency", a->urgency, "flags", a->flags, "state",
                     "NEW", "priority", -1, "jobspec", js ? js : json_object());
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

flux::Result<void> JobManager::jobtap_load_config()
{
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
        auto r = jobtap_.load(load, conf);
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
        auto r = jobtap_.load(load, conf);
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
    if (jobtap_.empty())
        return {};
    ValidateArgs a{id, userid, urgency, flags, &jobspec_text};
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
    JobArgs a{&e.job, ev, prev, state_topic, strcmp(topic, "job.new") == 0, this};
    auto f = jobtap_.call(topic, build_job_args, &a, false);
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
    snprintf(topic, sizeof(topic), "job.state.%s", job_state_name(e.job.state));
    for (char *c = topic + 10; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    jobtap_job(e, topic, nullptr, prev);
    if (e.job.state == JobState::INACTIVE)
        jobtap_job(e, "job.inactive-add", nullptr, prev);
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
        auto it = jobs_.find(d.id);
        if (it == jobs_.end() || it->second->job.state == JobState::INACTIVE)
            continue;
        Entry &e = *it->second;
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

json_t *JobManager::jobtap_job_info(uint64_t id)
{
    auto it = jobs_.find(id);
    return it == jobs_.end() ? nullptr : job_info(it->second->job);
}

json_t *JobManager::jobtap_jobspec(uint64_t id)
{
    auto it = jobs_.find(id);
    if (it == jobs_.end())
        return nullptr;
    std::string text;
    if (it->second->jobspec_text)
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
