/* job-manager/job.cpp - RFC 21 job state machine (see job.h). */
#include "job.h"

#include <jansson.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace fluxd {

using flux::Error;
using flux::EventlogEntry;
using flux::make_error;
using flux::Result;

namespace {

struct StateName {
    JobState state;
    const char *name;
    const char *short_name;
};

constexpr StateName state_names[] = {
    {JobState::NEW, "NEW", "N"},           {JobState::DEPEND, "DEPEND", "D"},
    {JobState::PRIORITY, "PRIORITY", "P"}, {JobState::SCHED, "SCHED", "S"},
    {JobState::RUN, "RUN", "R"},           {JobState::CLEANUP, "CLEANUP", "C"},
    {JobState::INACTIVE, "INACTIVE", "I"},
};

bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); i++) {
        char x = a[i], y = b[i];
        if (x >= 'a' && x <= 'z')
            x = static_cast<char>(x - 'a' + 'A');
        if (y >= 'a' && y <= 'z')
            y = static_cast<char>(y - 'a' + 'A');
        if (x != y)
            return false;
    }
    return true;
}

bool starts_with(std::string_view s, std::string_view prefix)
{
    return s.substr(0, prefix.size()) == prefix;
}

int bit(JobState s)
{
    return static_cast<int>(s);
}

/* Compact JSON text of any value; nullopt if jansson cannot allocate. */
std::optional<std::string> dump(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        return std::nullopt;
    std::string r(s);
    free(s);
    return r;
}

Error nomem()
{
    return make_error(ENOMEM, "out of memory");
}

/* "event 'alloc' is not valid in state DEPEND[: why]" */
Error bad_state(const EventlogEntry &e, JobState s, std::string_view why = {})
{
    std::string text = "event '" + e.name + "' is not valid in state " + job_state_name(s);
    if (!why.empty()) {
        text += ": ";
        text += why;
    }
    return make_error(EINVAL, std::move(text));
}

/* "event 'submit': <what>" */
Error bad_context(const EventlogEntry &e, std::string_view what)
{
    std::string text = "event '" + e.name + "': ";
    text += what;
    return make_error(EINVAL, std::move(text));
}

/* Typed access to the keys of an event context.  Each getter returns an
 * error, or nullopt with OUT set (OUT left empty for an absent optional key).
 */
class Context {
  public:
    explicit Context(const EventlogEntry &e) : e_(e) {}

    std::optional<Error> require() const
    {
        if (!e_.context || !json_is_object(e_.context))
            return bad_context(e_, "missing context");
        return std::nullopt;
    }

    std::optional<Error> integer(
        const char *key, bool required, int64_t lo, int64_t hi, std::optional<int64_t> &out) const
    {
        json_t *v = nullptr;
        if (auto err = lookup(key, required, v))
            return err;
        if (!v)
            return std::nullopt;
        if (!json_is_integer(v))
            return bad_context(e_, quote(key) + " is not an integer");
        json_int_t n = json_integer_value(v);
        if (n < lo || n > hi)
            return bad_context(e_, quote(key) + " " + std::to_string(n) + " is out of range " +
                                       std::to_string(lo) + "-" + std::to_string(hi));
        out = static_cast<int64_t>(n);
        return std::nullopt;
    }

    std::optional<Error>
    string(const char *key, bool required, std::optional<std::string> &out) const
    {
        json_t *v = nullptr;
        if (auto err = lookup(key, required, v))
            return err;
        if (!v)
            return std::nullopt;
        if (!json_is_string(v))
            return bad_context(e_, quote(key) + " is not a string");
        out = std::string(json_string_value(v), json_string_length(v));
        return std::nullopt;
    }

    std::optional<Error> boolean(const char *key, bool required, std::optional<bool> &out) const
    {
        json_t *v = nullptr;
        if (auto err = lookup(key, required, v))
            return err;
        if (!v)
            return std::nullopt;
        if (!json_is_boolean(v))
            return bad_context(e_, quote(key) + " is not a boolean");
        out = json_is_true(v);
        return std::nullopt;
    }

    /* A raw value that must be of JSON type TYPE (named TYPENAME). */
    std::optional<Error>
    value(const char *key, bool required, json_type type, const char *type_name, json_t *&out) const
    {
        out = nullptr;
        if (auto err = lookup(key, required, out))
            return err;
        if (out && json_typeof(out) != type)
            return bad_context(e_, quote(key) + " is not " + type_name);
        return std::nullopt;
    }

  private:
    static std::string quote(const char *key) { return std::string("'") + key + "'"; }

    std::optional<Error> lookup(const char *key, bool required, json_t *&v) const
    {
        v = nullptr;
        if (!e_.context || !json_is_object(e_.context)) {
            if (required)
                return bad_context(e_, "missing context");
            return std::nullopt;
        }
        v = json_object_get(e_.context, key);
        if (!v && required)
            return bad_context(e_, "missing " + quote(key));
        return std::nullopt;
    }

    const EventlogEntry &e_;
};

void enter(Job &job, JobState s, double t)
{
    job.state = s;
    job.states_visited |= bit(s);
    switch (s) {
        case JobState::NEW:
            break;
        case JobState::DEPEND:
            job.t_depend = t;
            break;
        case JobState::PRIORITY:
            job.t_priority = t;
            break;
        case JobState::SCHED:
            job.t_sched = t;
            break;
        case JobState::RUN:
            job.t_run = t;
            break;
        case JobState::CLEANUP:
            job.t_cleanup = t;
            break;
        case JobState::INACTIVE:
            job.t_inactive = t;
            job.alloc_pending = job.start_pending = job.free_pending = false;
            break;
    }
}

constexpr int64_t UID_MAX_ = 4294967295LL;

/* ---- one handler per event; each validates fully before changing the job */

Result<JobState> on_submit(Job &job, const EventlogEntry &e)
{
    if (job.submitted)
        return bad_state(e, job.state, "job already submitted");
    Context c(e);
    std::optional<int64_t> userid, urgency, flags, version;
    if (auto err = c.require())
        return *err;
    if (auto err = c.integer("userid", true, 0, UID_MAX_, userid))
        return *err;
    if (auto err = c.integer("urgency", true, JOB_URGENCY_MIN, JOB_URGENCY_MAX, urgency))
        return *err;
    if (auto err = c.integer("flags", true, 0, INT_MAX, flags))
        return *err;
    if (auto err = c.integer("version", false, INT64_MIN, INT64_MAX, version))
        return *err;
    if (version && *version != 1)
        return bad_context(e, "unsupported eventlog version " + std::to_string(*version));

    job.submitted = true;
    job.userid = static_cast<uint32_t>(*userid);
    job.urgency = static_cast<int>(*urgency);
    job.flags = static_cast<int>(*flags);
    job.version = version ? static_cast<int>(*version) : -1;
    job.t_submit = e.timestamp;
    enter(job, JobState::NEW, e.timestamp);
    /* Unversioned eventlogs predate "validate": submit went straight to
     * DEPEND. */
    if (!version)
        enter(job, JobState::DEPEND, e.timestamp);
    return job.state;
}

Result<JobState> on_dependency(Job &job, const EventlogEntry &e, bool add)
{
    if (job.state != JobState::NEW && job.state != JobState::DEPEND)
        return bad_state(e, job.state);
    Context c(e);
    std::optional<std::string> desc;
    if (auto err = c.string("description", true, desc))
        return *err;
    if (add) {
        job.dependencies.insert(*desc);
    }
    else {
        auto it = job.dependencies.find(*desc);
        if (it == job.dependencies.end())
            return bad_context(e, "no outstanding dependency '" + *desc + "'");
        job.dependencies.erase(it);
    }
    return job.state;
}

Result<JobState> on_depend(Job &job, const EventlogEntry &e)
{
    if (job.state != JobState::DEPEND)
        return bad_state(e, job.state);
    if (size_t n = job.dependencies.size(); n > 0)
        return bad_state(e, job.state,
                         std::to_string(n) +
                             (n == 1 ? " outstanding dependency" : " outstanding dependencies"));
    enter(job, JobState::PRIORITY, e.timestamp);
    return job.state;
}

Result<JobState> on_priority(Job &job, const EventlogEntry &e)
{
    if (job.state != JobState::PRIORITY && job.state != JobState::SCHED)
        return bad_state(e, job.state);
    Context c(e);
    std::optional<int64_t> priority;
    if (auto err = c.integer("priority", true, JOB_PRIORITY_MIN, JOB_PRIORITY_MAX, priority))
        return *err;
    job.priority = *priority;
    if (job.state == JobState::PRIORITY)
        enter(job, JobState::SCHED, e.timestamp);
    return job.state;
}

Result<JobState> on_urgency(Job &job, const EventlogEntry &e)
{
    if (!job_state_in(job.state, JOB_STATE_PENDING))
        return bad_state(e, job.state);
    Context c(e);
    std::optional<int64_t> urgency, userid;
    if (auto err = c.integer("urgency", true, JOB_URGENCY_MIN, JOB_URGENCY_MAX, urgency))
        return *err;
    if (auto err = c.integer("userid", true, 0, UID_MAX_, userid))
        return *err;
    job.urgency = static_cast<int>(*urgency);
    return job.state;
}

Result<JobState> on_alloc(Job &job, const EventlogEntry &e)
{
    if (job.state == JobState::CLEANUP) {
        if (job.allocated)
            return bad_state(e, job.state, "resources already allocated");
    }
    else if (job.state != JobState::SCHED)
        return bad_state(e, job.state);
    Context c(e);
    json_t *annotations = nullptr;
    if (auto err = c.value("annotations", false, JSON_OBJECT, "an object", annotations))
        return *err;
    std::string text;
    if (annotations) {
        auto s = dump(annotations);
        if (!s)
            return nomem();
        text = std::move(*s);
    }
    job.allocated = true;
    job.has_resources = true;
    job.alloc_pending = false;
    job.alloc_annotations = std::move(text);
    if (job.state == JobState::SCHED)
        enter(job, JobState::RUN, e.timestamp);
    return job.state;
}

/* start, finish and release come from the exec service, which is only ever
 * asked to run a job that reached RUN; after a fatal exception they may
 * still arrive in CLEANUP. */
std::optional<Error> check_exec_state(const Job &job, const EventlogEntry &e)
{
    if (job.state == JobState::RUN)
        return std::nullopt;
    if (job.state == JobState::CLEANUP) {
        if (!(job.states_visited & bit(JobState::RUN)))
            return bad_state(e, job.state, "job never ran");
        return std::nullopt;
    }
    return bad_state(e, job.state);
}

Result<JobState> on_start(Job &job, const EventlogEntry &e)
{
    if (auto err = check_exec_state(job, e))
        return *err;
    if (job.started)
        return bad_state(e, job.state, "job already started");
    job.started = true;
    return job.state;
}

Result<JobState> on_finish(Job &job, const EventlogEntry &e)
{
    if (auto err = check_exec_state(job, e))
        return *err;
    if (job.finished)
        return bad_state(e, job.state, "job already finished");
    Context c(e);
    std::optional<int64_t> status;
    if (auto err = c.integer("status", true, 0, INT_MAX, status))
        return *err;
    job.finished = true;
    job.wait_status = static_cast<int>(*status);
    if (job.state == JobState::RUN) {
        job.end_event = "finish";
        enter(job, JobState::CLEANUP, e.timestamp);
    }
    return job.state;
}

Result<JobState> on_release(Job &job, const EventlogEntry &e)
{
    if (auto err = check_exec_state(job, e))
        return *err;
    if (job.released)
        return bad_state(e, job.state, "resources already released");
    if (!job.has_resources)
        return bad_state(e, job.state, "job holds no resources");
    Context c(e);
    std::optional<std::string> ranks;
    std::optional<bool> final;
    if (auto err = c.string("ranks", true, ranks))
        return *err;
    if (auto err = c.boolean("final", true, final))
        return *err;
    if (*final && job.state == JobState::RUN)
        return bad_state(e, job.state, "final release before finish");
    if (*final) {
        job.released = true;
        job.start_pending = false;
    }
    return job.state;
}

Result<JobState> on_perilog(Job &job, const EventlogEntry &e, bool prolog, bool start)
{
    bool ok;
    if (prolog)
        ok = start ? job.state == JobState::RUN
                   : (job.state == JobState::RUN || job.state == JobState::CLEANUP);
    else
        ok = job.state == JobState::CLEANUP;
    if (!ok)
        return bad_state(e, job.state);
    int &active = prolog ? job.prolog_active : job.epilog_active;
    if (!start && active == 0)
        return bad_state(e, job.state, prolog ? "no prolog active" : "no epilog active");
    Context c(e);
    std::optional<std::string> desc;
    std::optional<int64_t> status;
    if (auto err = c.string("description", true, desc))
        return *err;
    if (!start) {
        if (auto err = c.integer("status", true, INT_MIN, INT_MAX, status))
            return *err;
    }
    if (start) {
        active++;
    }
    else {
        active--;
        if (*status != 0 && job.perilog_status == 0)
            job.perilog_status = static_cast<int>(*status);
    }
    return job.state;
}

Result<JobState> on_free(Job &job, const EventlogEntry &e)
{
    if (job.state != JobState::CLEANUP)
        return bad_state(e, job.state);
    if (!job.has_resources)
        return bad_state(e, job.state, "job holds no resources");
    job.has_resources = false;
    job.free_pending = false;
    return job.state;
}

Result<JobState> on_clean(Job &job, const EventlogEntry &e)
{
    if (job.state != JobState::CLEANUP)
        return bad_state(e, job.state);
    if (job.has_resources)
        return bad_state(e, job.state, "resources not freed");
    enter(job, JobState::INACTIVE, e.timestamp);
    return job.state;
}

Result<JobState> on_exception(Job &job, const EventlogEntry &e)
{
    if (!job_state_in(job.state, JOB_STATE_ACTIVE))
        return bad_state(e, job.state);
    Context c(e);
    std::optional<std::string> type, note;
    std::optional<int64_t> severity, userid;
    if (auto err = c.require())
        return *err;
    if (auto err = c.string("type", true, type))
        return *err;
    if (auto err = c.integer("severity", true, 0, 7, severity))
        return *err;
    if (auto err = c.string("note", false, note))
        return *err;
    if (auto err = c.integer("userid", false, 0, UID_MAX_, userid))
        return *err;

    job.exception_count++;
    if (!job.exception || *severity < job.exception_severity) {
        job.exception = true;
        job.exception_type = std::move(*type);
        job.exception_severity = static_cast<int>(*severity);
        job.exception_note = note ? std::move(*note) : std::string();
        job.exception_userid = userid ? *userid : -1;
    }
    if (*severity == 0 && job.state != JobState::CLEANUP) {
        job.end_event = "exception";
        enter(job, JobState::CLEANUP, e.timestamp);
    }
    return job.state;
}

Result<JobState> on_set_flags(Job &job, const EventlogEntry &e)
{
    Context c(e);
    json_t *flags = nullptr;
    if (auto err = c.value("flags", true, JSON_ARRAY, "an array", flags))
        return *err;
    bool debug = false, bypass = false, immutable = false;
    size_t i;
    json_t *v;
    json_array_foreach(flags, i, v)
    {
        if (!json_is_string(v))
            return bad_context(e, "'flags' entry is not a string");
        std::string_view name = json_string_value(v);
        if (name == "debug")
            debug = true;
        else if (name == "alloc-bypass")
            bypass = true;
        else if (name == "immutable")
            immutable = true;
        else
            return bad_context(e, "unknown flag '" + std::string(name) + "'");
    }
    if (debug)
        job.flags |= JOB_FLAG_DEBUG;
    if (bypass)
        job.alloc_bypass = true;
    if (immutable)
        job.immutable = true;
    return job.state;
}

Result<JobState> on_jobspec_update(Job &job, const EventlogEntry &e)
{
    Context c(e);
    if (auto err = c.require())
        return *err;
    if (json_object_size(e.context) == 0)
        return bad_context(e, "no updates");
    std::vector<std::pair<std::string, std::string>> updates;
    const char *key;
    json_t *v;
    json_object_foreach(e.context, key, v)
    {
        if (!starts_with(key, "attributes."))
            return bad_context(e,
                               std::string("key '") + key + "' does not begin with 'attributes.'");
        auto s = dump(v);
        if (!s)
            return nomem();
        updates.emplace_back(key, std::move(*s));
    }
    for (auto &[k, s] : updates)
        job.jobspec_updates[k] = std::move(s);
    return job.state;
}

Result<JobState> on_memo(Job &job, const EventlogEntry &e)
{
    Context c(e);
    if (auto err = c.require())
        return *err;
    std::vector<std::pair<std::string, std::optional<std::string>>> changes;
    const char *key;
    json_t *v;
    json_object_foreach(e.context, key, v)
    {
        if (json_is_null(v)) {
            changes.emplace_back(key, std::nullopt);
            continue;
        }
        auto s = dump(v);
        if (!s)
            return nomem();
        changes.emplace_back(key, std::move(*s));
    }
    for (auto &[k, s] : changes) {
        if (s)
            job.memo[k] = std::move(*s);
        else
            job.memo.erase(k);
    }
    return job.state;
}

Result<JobState> dispatch(Job &job, const EventlogEntry &e)
{
    const std::string &n = e.name;

    if (n == "submit")
        return on_submit(job, e);
    /* Nothing precedes submit; nothing follows INACTIVE. */
    if (!job.submitted)
        return bad_state(e, job.state, "job not submitted");
    if (job.state == JobState::INACTIVE)
        return bad_state(e, job.state);

    if (n == "validate" || n == "invalidate") {
        if (job.state != JobState::NEW)
            return bad_state(e, job.state);
        if (n == "validate") {
            enter(job, JobState::DEPEND, e.timestamp);
        }
        else {
            job.invalidated = true;
            enter(job, JobState::INACTIVE, e.timestamp);
        }
        return job.state;
    }
    if (n == "dependency-add")
        return on_dependency(job, e, true);
    if (n == "dependency-remove")
        return on_dependency(job, e, false);
    if (n == "depend")
        return on_depend(job, e);
    if (n == "priority")
        return on_priority(job, e);
    if (n == "urgency")
        return on_urgency(job, e);
    if (n == "alloc")
        return on_alloc(job, e);
    if (n == "prolog-start")
        return on_perilog(job, e, true, true);
    if (n == "prolog-finish")
        return on_perilog(job, e, true, false);
    if (n == "epilog-start")
        return on_perilog(job, e, false, true);
    if (n == "epilog-finish")
        return on_perilog(job, e, false, false);
    if (n == "start")
        return on_start(job, e);
    if (n == "finish")
        return on_finish(job, e);
    if (n == "release")
        return on_release(job, e);
    if (n == "free")
        return on_free(job, e);
    if (n == "clean")
        return on_clean(job, e);
    if (n == "exception")
        return on_exception(job, e);
    if (n == "set-flags")
        return on_set_flags(job, e);
    if (n == "jobspec-update")
        return on_jobspec_update(job, e);
    if (n == "memo")
        return on_memo(job, e);
    /* flux-restart, debug.*, and events this version does not know. */
    return job.state;
}

} // namespace

const char *job_state_name(JobState s)
{
    for (const auto &sn : state_names)
        if (sn.state == s)
            return sn.name;
    return "?";
}

const char *job_state_short(JobState s)
{
    for (const auto &sn : state_names)
        if (sn.state == s)
            return sn.short_name;
    return "?";
}

std::optional<JobState> job_state_parse(std::string_view s)
{
    for (const auto &sn : state_names)
        if (iequals(s, sn.name) || iequals(s, sn.short_name))
            return sn.state;
    return std::nullopt;
}

bool Job::success() const
{
    return wait_status == 0 && !fatal_exception();
}

Result<JobState> job_apply(Job &job, const EventlogEntry &e)
{
    auto r = dispatch(job, e);
    if (r)
        job.event_count++;
    return r;
}

Result<Job> job_replay(uint64_t id, std::string_view eventlog)
{
    auto entries = flux::eventlog_decode(eventlog);
    if (!entries)
        return entries.error();
    if (entries->empty())
        return make_error(EINVAL, "eventlog is empty");
    if ((*entries)[0].name != "submit")
        return make_error(EINVAL, "eventlog line 1: first event is '" + (*entries)[0].name +
                                      "', not 'submit'");
    Job job;
    job.id = id;
    for (size_t i = 0; i < entries->size(); i++) {
        auto r = job_apply(job, (*entries)[i]);
        if (!r)
            return make_error(r.error().errnum,
                              "eventlog line " + std::to_string(i + 1) + ": " + r.error().text);
    }
    return job;
}

int64_t job_priority_from_urgency(int urgency)
{
    if (urgency <= JOB_URGENCY_HOLD)
        return JOB_PRIORITY_MIN;
    if (urgency >= JOB_URGENCY_EXPEDITE)
        return JOB_PRIORITY_MAX;
    return urgency;
}

int64_t job_priority_default(const Job &job)
{
    return job_priority_from_urgency(job.urgency);
}

const char *job_action_name(JobAction a)
{
    switch (a) {
        case JobAction::NONE:
            return "none";
        case JobAction::POST_VALIDATE:
            return "post-validate";
        case JobAction::POST_DEPEND:
            return "post-depend";
        case JobAction::POST_PRIORITY:
            return "post-priority";
        case JobAction::REQUEST_ALLOC:
            return "request-alloc";
        case JobAction::REQUEST_START:
            return "request-start";
        case JobAction::REQUEST_FREE:
            return "request-free";
        case JobAction::POST_CLEAN:
            return "post-clean";
    }
    return "?";
}

JobNext job_next_action(const Job &job, int64_t (*priority_fn)(const Job &))
{
    if (!priority_fn)
        priority_fn = job_priority_default;
    switch (job.state) {
        case JobState::NEW:
            if (job.submitted && !job.invalidated)
                return {JobAction::POST_VALIDATE, -1};
            break;
        case JobState::DEPEND:
            if (job.dependencies.empty())
                return {JobAction::POST_DEPEND, -1};
            break;
        case JobState::PRIORITY:
            return {JobAction::POST_PRIORITY, priority_fn(job)};
        case JobState::SCHED: {
            int64_t p = priority_fn(job);
            if (p != job.priority)
                return {JobAction::POST_PRIORITY, p};
            if (job.priority > 0 && !job.alloc_pending)
                return {JobAction::REQUEST_ALLOC, -1};
            break;
        }
        case JobState::RUN:
            if (job.prolog_active == 0 && !job.start_pending)
                return {JobAction::REQUEST_START, -1};
            break;
        case JobState::CLEANUP:
            if (job.alloc_pending || job.start_pending || job.free_pending ||
                job.prolog_active > 0 || job.epilog_active > 0)
                break;
            if (job.has_resources)
                return {JobAction::REQUEST_FREE, -1};
            return {JobAction::POST_CLEAN, -1};
        case JobState::INACTIVE:
            break;
    }
    return {JobAction::NONE, -1};
}

std::optional<EventlogEntry> job_action_event(const JobNext &next, double timestamp)
{
    switch (next.action) {
        case JobAction::POST_VALIDATE:
            return flux::eventlog_entry_create(timestamp, "validate");
        case JobAction::POST_DEPEND:
            return flux::eventlog_entry_create(timestamp, "depend");
        case JobAction::POST_PRIORITY: {
            json_t *o = json_pack("{s:I}", "priority", static_cast<json_int_t>(next.priority));
            if (!o)
                return std::nullopt;
            return flux::eventlog_entry_create(timestamp, "priority", o);
        }
        case JobAction::POST_CLEAN:
            return flux::eventlog_entry_create(timestamp, "clean");
        default:
            break;
    }
    return std::nullopt;
}

} // namespace fluxd
