/* manager.cpp - the job manager and, inside it, sched-simple.
 *
 * Topics:
 *   job-manager.list     {states?: mask, max?: int}  -> {jobs: [...]}
 *   job-manager.raise    {id, type, severity, note?}  (owner or the job's user)
 *   job-manager.urgency  {id, urgency}
 *   job-manager.wait     {id}  -> {id, success, errstr?} once the job is inactive
 *   job-manager.queue    {start: bool} / {} -> {running}  (owner)
 * Every event is applied to the in-memory job first, then appended to
 * job.<id>.eventlog through the KVS group commit (events of many jobs in one
 * transaction).
 *
 * Scheduling (sched-simple): strict FCFS by priority then submit order over
 * the resource service's R: a job that does not fit blocks the jobs behind
 * it.  Execution: job-exec on each allocated rank starts a flux-shell that
 * forks the tasks; jobs with attributes.system.exec.test.run_duration run in
 * test mode instead (no processes: the "pipeline without fork/exec" of the
 * benchmarks).
 */
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <sys/time.h>
#include <sys/wait.h>
#include <syslog.h>

#include "eventlog/eventlog.h"
#include "fluid/fluid.h"
#include "fluxd/broker.h"
#include "fluxd/kvs/kvs.h"
#include "fluxd/resource/resource.h"
#include "libflux/message_internal.h"
#include "manager.h"

namespace fluxd {

namespace {


} // namespace

flux::Result<std::unique_ptr<JobManager>> JobManager::create(Broker &broker)
{
    std::unique_ptr<JobManager> jm(new JobManager(broker));
    jm->sched_ev_.reset(event_new(
        broker.base(), -1, 0, [](evutil_socket_t, short, void *arg) { ((JobManager *)arg)->schedule(); },
        jm.get()));
    jm->register_methods();
    JobManager *p = jm.get();
    if (Resource *res = broker.resource()) {
        res->when_ready([p, res]() {
            p->pool_ = std::make_unique<flux::sched::Pool>(res->schedulable());
            p->pool_->set_up(res->up());
            p->schedule_later();
        });
        res->on_change([p, res]() {
            if (p->pool_) {
                p->pool_->set_up(res->up());
                p->schedule_later();
            }
        });
    }
    jm->restart();
    return jm;
}

JobManager::~JobManager() = default;

void JobManager::register_methods()
{
    const uint32_t user = FLUX_ROLE_USER;
    auto reg = [this](const char *topic, uint32_t roles, void (JobManager::*fn)(const flux_msg_t *)) {
        broker_.add_builtin(topic, roles,
                            [this, fn](const flux_msg_t *m, Link *) { (this->*fn)(m); });
    };
    reg("job-manager.list", user, &JobManager::list);
    reg("job-manager.raise", user, &JobManager::raise);
    reg("job-manager.urgency", user, &JobManager::urgency);
    reg("job-manager.wait", user, &JobManager::wait);
    reg("job-manager.disconnect", user, &JobManager::disconnect);
    reg("job-manager.queue", 0, &JobManager::queue_ctl);
    reg("job-manager.kill", user, &JobManager::kill);
    reg("job-manager.update", user, &JobManager::update);
    broker_.add_builtin("job-manager.ping", user,
                        [this](const flux_msg_t *m, Link *) { broker_.respond(m, json_object()); });
}

/* An instance restarted with its statedir: replay every job's eventlog.
 * Jobs that were running when the old instance died cannot be reattached:
 * they get an exception and are cleaned up. */
void JobManager::restart()
{
    Kvs *kvs = broker_.kvs();
    /* job.AAAA.BBBB.CCCC.DDDD: walk the four directory levels. */
    std::vector<std::string> dirs = {"job"};
    for (int level = 0; level < 4; level++) {
        std::vector<std::string> next;
        for (const auto &d : dirs) {
            auto entries = kvs->dir("primary", d);
            if (!entries)
                continue;
            for (const auto &e : *entries) {
                if (e.is_dir)
                    next.push_back(d + "." + e.name);
            }
        }
        dirs = std::move(next);
    }
    for (const auto &d : dirs) {
        auto id = flux::fluid_parse(d.substr(4));
        auto log = kvs->lookup("primary", d + ".eventlog");
        if (!id || !log)
            continue;
        json_error_t jerr;
        json_t *str = json_loads(log->c_str(), JSON_DECODE_ANY, &jerr);
        if (!json_is_string(str)) {
            json_decref(str);
            continue;
        }
        auto job = job_replay(*id, json_string_value(str));
        json_decref(str);
        if (!job) {
            broker_.log(LOG_ERR, "job-manager: job %s: %s", d.c_str(), job.error().text.c_str());
            continue;
        }
        auto e = std::make_unique<Entry>();
        e->job = std::move(*job);
        if (auto js = kvs->lookup("primary", d + ".jobspec")) {
            flux::JsonPtr o(json_loads(js->c_str(), 0, &jerr));
            if (o && e->job.state != JobState::INACTIVE)
                e->jobspec = flux::JsonPtr(json_incref(o.get()));
            if (o) {
                e->name = job_name(o.get());
                e->test_run_duration = test_run_duration(o.get());
                if (auto parsed = flux::jobspec_parse_json(o.get())) {
                    e->ntasks = parsed->ntasks;
                    e->nnodes = parsed->nnodes;
                    e->duration = parsed->duration;
                    if (auto req = flux::sched::request_from_jobspec(*parsed))
                        e->request = *req;
                }
            }
        }
        Entry &ref = *e;
        jobs_[*id] = std::move(e);
        if (ref.job.state == JobState::INACTIVE)
            continue;
        active_++;
        if (job_state_in(ref.job.state, JOB_STATE_RUNNING) || ref.job.has_resources) {
            /* Its resources belonged to the old instance's scheduler. */
            ref.job.has_resources = ref.job.state == JobState::RUN;
            post(ref, "exception",
                 json_pack("{s:s s:i s:s}", "type", "dead-instance", "severity", 0, "note",
                           "the instance restarted while the job was running"));
            continue;
        }
        advance(ref);
    }
}

void JobManager::submit(NewJob &&nj)
{
    auto e = std::make_unique<Entry>();
    e->job.id = nj.id;
    e->name = std::move(nj.name);
    e->ntasks = nj.ntasks;
    e->nnodes = nj.nnodes;
    e->duration = nj.duration;
    e->request = nj.request;
    e->test_run_duration = nj.test_run_duration;
    e->jobspec = std::move(nj.jobspec);
    /* The submit event was committed by job-ingest: apply it here too. */
    auto ev = flux::eventlog_entry_create(
        nj.t_submit, "submit",
        json_pack("{s:i s:i s:i s:i}", "userid", (int)nj.userid, "urgency", nj.urgency, "flags",
                  nj.flags, "version", 1));
    if (auto r = job_apply(e->job, ev); !r) {
        broker_.log(LOG_ERR, "job-manager: %s", r.error().text.c_str());
        return;
    }
    Entry &ref = *e;
    jobs_[nj.id] = std::move(e);
    active_++;
    advance(ref);
}

void JobManager::post(Entry &e, const char *name, json_t *context)
{
    auto ev = flux::eventlog_entry_create(broker_.now(), name, context);
    if (auto r = job_apply(e.job, ev); !r) {
        broker_.log(LOG_ERR, "job-manager: %s: %s", flux::fluid_encode(e.job.id, flux::FluidFormat::f58plain).c_str(),
                    r.error().text.c_str());
        return;
    }
    auto line = flux::eventlog_entry_encode(ev);
    if (line) {
        KvsOp op = kvs_string_op(Ingest::job_key(e.job.id) + ".eventlog", *line, true);
        broker_.kvs()->commit("primary", {op}, [this](const flux::Result<uint64_t> &r) {
            if (!r)
                broker_.log(LOG_ERR, "job-manager: eventlog commit: %s", r.error().text.c_str());
        });
    }
    if (e.job.state == JobState::INACTIVE) {
        active_--;
        e.jobspec.reset();
        notify_waiters(e);
    }
    /* A fatal exception stops a running job: the executor reports its end. */
    if (strcmp(name, "exception") == 0 && e.job.fatal_exception() && e.job.started
        && !e.job.finished) {
        e.timer.reset();
        if (e.shells_pending > 0) {
            exec_kill(e, SIGTERM, true); /* finish follows when the shells exit */
            return;
        }
        /* Test mode: wait(2) status of SIGKILL on timeout, SIGTERM otherwise. */
        exec_finish(e, e.job.exception_type == "timeout" ? 9 : 15);
        return;
    }
    advance(e);
}

/* Take the next step the state machine asks for, until it asks for none. */
void JobManager::advance(Entry &e)
{
    if (in_advance_)
        return; /* the outer call loops until idle */
    in_advance_ = true;
    for (int guard = 0; guard < 64; guard++) {
        JobNext next = job_next_action(e.job);
        if (next.action == JobAction::NONE)
            break;
        if (next.action == JobAction::REQUEST_ALLOC) {
            e.job.alloc_pending = true;
            queue_.emplace(-e.job.priority, e.job.id);
            schedule_later();
            break;
        }
        if (next.action == JobAction::REQUEST_START) {
            e.job.start_pending = true;
            in_advance_ = false;
            exec_start(e);
            return;
        }
        if (next.action == JobAction::REQUEST_FREE) {
            e.job.free_pending = true;
            release(e);
            continue;
        }
        auto ev = job_action_event(next, broker_.now());
        if (!ev)
            break;
        in_advance_ = false;
        post(e, ev->name.c_str(), ev->context ? json_incref(ev->context) : nullptr);
        return;
    }
    in_advance_ = false;
}

void JobManager::schedule_later()
{
    if (sched_ev_)
        event_active(sched_ev_.get(), 0, 0);
}

void JobManager::schedule()
{
    if (!pool_ || !sched_running_)
        return;
    while (!queue_.empty()) {
        auto [negprio, id] = *queue_.begin();
        auto it = jobs_.find(id);
        if (it == jobs_.end() || !it->second->job.alloc_pending) {
            queue_.erase(queue_.begin());
            continue;
        }
        Entry &e = *it->second;
        auto R = pool_->alloc(e.request);
        if (!R) {
            if (R.error().errnum == ENOSPC)
                return; /* FCFS: the head waits, and so does everyone behind it */
            queue_.erase(queue_.begin());
            e.job.alloc_pending = false;
            post(e, "exception",
                 json_pack("{s:s s:i s:s}", "type", "alloc", "severity", 0, "note",
                           R.error().text.c_str()));
            continue;
        }
        queue_.erase(queue_.begin());
        double t = broker_.now();
        R->starttime = t;
        R->expiration = e.duration > 0 ? t + e.duration : 0;
        e.R = std::make_unique<flux::Rv1>(std::move(*R));
        e.nnodes = e.R->nnodes();
        e.ranks = e.R->ranks().encode();
        KvsOp op;
        op.key = Ingest::job_key(e.job.id) + ".R";
        if (auto text = e.R->encode())
            op.value = *text;
        broker_.kvs()->commit("primary", {op}, [](const flux::Result<uint64_t> &) {});
        post(e, "alloc", nullptr);
    }
}

void JobManager::exec_start(Entry &e)
{
    if (e.test_run_duration < 0) {
        exec_start_shells(e);
        return;
    }
    post(e, "start", nullptr);
    double run = e.test_run_duration;
    bool timeout = e.duration > 0 && run > e.duration;
    arm_timer(e, timeout ? e.duration : run, [this, timeout](Entry &en) {
        if (timeout)
            post_timeout(en);
        else
            exec_finish(en, 0);
    });
}

/* Tasks per rank: the slots on each allocated rank, times tasks per slot
 * (or a total spread over the slots in rank order). */
void JobManager::exec_start_shells(Entry &e)
{
    json_t *count = json_object_get(json_array_get(json_object_get(e.jobspec.get(), "tasks"), 0),
                                    "count");
    json_int_t per_slot = json_integer_value(json_object_get(count, "per_slot"));
    json_int_t total = json_integer_value(json_object_get(count, "total"));
    if (!e.R || !e.jobspec || (per_slot <= 0 && total <= 0)) {
        e.job.start_pending = false;
        post(e, "exception",
             json_pack("{s:s s:i s:s}", "type", "exec", "severity", 0, "note",
                       "cannot work out the job's tasks"));
        return;
    }
    std::vector<std::pair<uint32_t, int64_t>> plan; /* rank, ntasks */
    uint64_t nranks = e.R->nnodes(), i = 0;
    int64_t remaining = total;
    for (const auto &[rank, res] : e.R->by_rank()) {
        int64_t slots;
        if (e.request.nnodes > 0)
            slots = (int64_t)(e.request.nslots / nranks + (i < e.request.nslots % nranks ? 1 : 0));
        else
            slots = (int64_t)(res.cores().count() / std::max<uint64_t>(1, e.request.cores_per_slot));
        int64_t n = per_slot > 0 ? slots * per_slot : std::min(remaining, slots);
        remaining -= n;
        plan.emplace_back(rank, n);
        i++;
    }
    int64_t size = 0;
    for (auto &[rank, n] : plan)
        size += n;
    /* The output eventlog starts with its header (RFC 24); the shells
     * append data events after it. */
    auto hdr = flux::eventlog_entry_create(
        broker_.now(), "header",
        json_pack("{s:i s:{s:s s:s} s:I}", "version", 1, "encoding", "stdout", "UTF-8", "stderr",
                  "UTF-8", "count", (json_int_t)size));
    if (auto line = flux::eventlog_entry_encode(hdr))
        broker_.kvs()->commit("primary",
                              {kvs_string_op(Ingest::job_key(e.job.id) + ".guest.output", *line)},
                              [](const flux::Result<uint64_t> &) {});
    post(e, "start", nullptr);
    e.max_code = 0;
    int64_t next_task = 0;
    for (auto &[rank, n] : plan) {
        if (n <= 0)
            continue;
        json_t *tasks = json_array();
        for (int64_t t = 0; t < n; t++)
            json_array_append_new(tasks, json_integer(next_task++));
        e.shells_pending++;
        uint64_t id = e.job.id;
        const flux::RankResources *rr = e.R->find(rank);
        std::string cores = rr ? rr->cores().encode() : "";
        std::string gpus = rr ? rr->gpus().encode() : "";
        broker_.rpc("job-exec.start",
                    json_pack("{s:I s:O s:o s:i s:i s:s s:s}", "id", (json_int_t)id, "jobspec",
                              e.jobspec.get(), "tasks", tasks, "size", (int)size, "nnodes",
                              (int)plan.size(), "cores", cores.c_str(), "gpus", gpus.c_str()),
                    rank, [this, id, rank](const flux_msg_t *rsp) {
                        auto it = jobs_.find(id);
                        if (it == jobs_.end())
                            return;
                        Entry &en = *it->second;
                        int code = 1;
                        if (rsp->errnum != 0) {
                            std::string why = rsp->has_payload ? rsp->payload
                                                               : strerror((int)rsp->errnum);
                            if (!en.job.exception)
                                post(en, "exception",
                                     json_pack("{s:s s:i s:s}", "type", "exec", "severity", 0,
                                               "note", ("rank " + std::to_string(rank) + ": " + why).c_str()));
                        }
                        else
                            flux_msg_unpack(rsp, "{s:i}", "status", &code);
                        en.max_code = std::max(en.max_code, code);
                        if (--en.shells_pending == 0) {
                            en.timer.reset();
                            int c = en.max_code;
                            /* wait(2) form: 128+N was signal N. */
                            exec_finish(en, c > 128 && c < 128 + 65 ? c - 128 : c << 8);
                        }
                    });
    }
    /* The time limit, for real jobs. */
    if (e.duration > 0)
        arm_timer(e, e.duration, [this](Entry &en) { post_timeout(en); });
}

void JobManager::post_timeout(Entry &e)
{
    post(e, "exception",
         json_pack("{s:s s:i s:s}", "type", "timeout", "severity", 0, "note",
                   "resource allocation expired"));
}

/* Run FN on the job SECONDS from now, if it is still running then. */
void JobManager::arm_timer(Entry &e, double seconds, std::function<void(Entry &)> fn)
{
    struct Ctx {
        JobManager *jm;
        uint64_t id;
        std::function<void(Entry &)> fn;
    };
    auto *ctx = new Ctx{this, e.job.id, std::move(fn)};
    e.timer.reset(event_new(
        broker_.base(), -1, 0,
        [](evutil_socket_t, short, void *arg) {
            std::unique_ptr<Ctx> c((Ctx *)arg);
            auto it = c->jm->jobs_.find(c->id);
            if (it == c->jm->jobs_.end())
                return;
            Entry &en = *it->second;
            en.timer.reset(); /* frees this event; c owns the context */
            if (en.job.state == JobState::RUN)
                c->fn(en);
        },
        ctx));
    struct timeval tv;
    tv.tv_sec = (time_t)seconds;
    tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
    event_add(e.timer.get(), &tv);
}

void JobManager::exec_kill(Entry &e, int signal, bool escalate)
{
    if (!e.R)
        return;
    e.R->ranks().for_each([&](uint32_t rank) {
        broker_.rpc("job-exec.kill",
                    json_pack("{s:I s:i s:b}", "id", (json_int_t)e.job.id, "signal", signal,
                              "escalate", escalate),
                    rank, [](const flux_msg_t *) {});
    });
}

void JobManager::exec_finish(Entry &e, int status)
{
    if (e.job.started && !e.job.finished)
        post(e, "finish", json_pack("{s:i}", "status", status));
    if (!e.job.released && e.R)
        post(e, "release", json_pack("{s:s s:b}", "ranks", e.R->ranks().encode().c_str(), "final", 1));
}

/* Give a job's resources back to the scheduler. */
void JobManager::release(Entry &e)
{
    if (e.R && pool_) {
        if (auto r = pool_->free(*e.R); !r)
            broker_.log(LOG_ERR, "job-manager: free: %s", r.error().text.c_str());
    }
    e.R.reset();
    e.job.free_pending = false;
    post(e, "free", nullptr);
    schedule_later();
}

void JobManager::notify_waiters(Entry &e)
{
    for (const auto &req : e.waiters) {
        std::string err;
        if (!e.job.success()) {
            if (e.job.exception && e.job.exception_severity == 0)
                err = "job had a fatal exception: " + e.job.exception_type
                      + (e.job.exception_note.empty() ? "" : " (" + e.job.exception_note + ")");
            else if (WIFSIGNALED(e.job.wait_status))
                err = std::string("job was killed by signal ") + strsignal(WTERMSIG(e.job.wait_status));
            else
                err = "job exited with exit code " + std::to_string(WEXITSTATUS(e.job.wait_status));
        }
        broker_.respond(req.get(), json_pack("{s:I s:b s:s}", "id", (json_int_t)e.job.id,
                                             "success", e.job.success(), "errstr", err.c_str()));
    }
    e.waiters.clear();
}

JobManager::Entry *JobManager::lookup(const flux_msg_t *msg, const char *idkey, uint64_t *idp)
{
    json_int_t id;
    if (flux_msg_unpack(msg, "{s:I}", idkey, &id) < 0) {
        broker_.respond_error(msg, EPROTO, std::string("expected {\"") + idkey + "\": integer}");
        return nullptr;
    }
    auto it = jobs_.find((uint64_t)id);
    if (it == jobs_.end()) {
        broker_.respond_error(msg, ENOENT, "unknown job id "
                                               + flux::fluid_encode((uint64_t)id,
                                                                    flux::FluidFormat::f58));
        return nullptr;
    }
    if (idp)
        *idp = (uint64_t)id;
    return it->second.get();
}

bool JobManager::may_modify(const flux_msg_t *msg, const Entry &e)
{
    if ((msg->rolemask & FLUX_ROLE_OWNER) || msg->userid == e.job.userid)
        return true;
    broker_.respond_error(msg, EPERM, "job belongs to another user");
    return false;
}

void JobManager::list(const flux_msg_t *msg)
{
    int states = JOB_STATE_ACTIVE, max = 0;
    if (msg->has_payload
        && flux_msg_unpack(msg, "{s?i s?i}", "states", &states, "max", &max) < 0) {
        broker_.respond_error(msg, EPROTO, "job-manager.list: expected {\"states\": int}");
        return;
    }
    json_t *a = json_array();
    int n = 0;
    /* Newest first, as flux jobs shows them. */
    for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it) {
        const Entry &e = *it->second;
        if (!((int)e.job.state & states))
            continue;
        if (!(msg->rolemask & FLUX_ROLE_OWNER) && e.job.userid != msg->userid)
            continue;
        const Job &j = e.job;
        json_t *o = json_pack("{s:I s:i s:s s:s s:I s:I s:i s:I s:f s:f s:f s:f s:b s:i}", "id",
                              (json_int_t)j.id, "userid", (int)j.userid, "state",
                              job_state_name(j.state), "name", e.name.c_str(), "ntasks",
                              (json_int_t)e.ntasks, "nnodes",
                              (json_int_t)e.nnodes, "urgency", j.urgency,
                              "priority", (json_int_t)j.priority, "t_submit", j.t_submit, "t_run",
                              j.t_run, "t_cleanup", j.t_cleanup, "t_inactive", j.t_inactive,
                              "success", j.success(), "waitstatus", j.wait_status);
        if (!e.ranks.empty())
            json_object_set_new(o, "ranks", json_string(e.ranks.c_str()));
        if (j.exception)
            json_object_set_new(o, "exception",
                                json_pack("{s:s s:i s:s}", "type", j.exception_type.c_str(),
                                          "severity", j.exception_severity, "note",
                                          j.exception_note.c_str()));
        json_array_append_new(a, o);
        if (max > 0 && ++n >= max)
            break;
    }
    broker_.respond(msg, json_pack("{s:o}", "jobs", a));
}

void JobManager::raise(const flux_msg_t *msg)
{
    uint64_t id;
    Entry *e = lookup(msg, "id", &id);
    if (!e)
        return;
    const char *type = "cancel", *note = "";
    int severity = 0;
    if (flux_msg_unpack(msg, "{s?s s?i s?s}", "type", &type, "severity", &severity, "note", &note)
            < 0
        || severity < 0 || severity > 7 || !*type || strchr(type, ' ')) {
        broker_.respond_error(msg, EPROTO,
                              "job-manager.raise: expected {\"id\", \"type\": word, \"severity\": 0-7}");
        return;
    }
    if (!may_modify(msg, *e))
        return;
    if (e->job.state == JobState::INACTIVE || e->job.state == JobState::NEW) {
        broker_.respond_error(msg, EINVAL, "job is inactive");
        return;
    }
    if (severity == 0 && e->job.state == JobState::CLEANUP) {
        broker_.respond_error(msg, EINVAL, "job is already finishing");
        return;
    }
    if (severity == 0 && e->job.alloc_pending) {
        e->job.alloc_pending = false;
        queue_.erase({-e->job.priority, e->job.id});
    }
    post(*e, "exception",
         json_pack("{s:s s:i s:s s:i}", "type", type, "severity", severity, "note", note, "userid",
                   (int)msg->userid));
    broker_.respond(msg, nullptr);
}

void JobManager::urgency(const flux_msg_t *msg)
{
    uint64_t id;
    Entry *e = lookup(msg, "id", &id);
    if (!e)
        return;
    int u;
    if (flux_msg_unpack(msg, "{s:i}", "urgency", &u) < 0 || u < 0 || u > JOB_URGENCY_MAX) {
        broker_.respond_error(msg, EINVAL, "urgency must be between 0 and 31");
        return;
    }
    if (!may_modify(msg, *e))
        return;
    if (u == JOB_URGENCY_EXPEDITE && !(msg->rolemask & FLUX_ROLE_OWNER)) {
        broker_.respond_error(msg, EPERM, "only the instance owner may expedite a job");
        return;
    }
    if (!job_state_in(e->job.state, JOB_STATE_PENDING)) {
        broker_.respond_error(msg, EINVAL, "urgency can only change while the job is pending");
        return;
    }
    int old = e->job.urgency;
    if (e->job.alloc_pending) {
        e->job.alloc_pending = false;
        queue_.erase({-e->job.priority, e->job.id});
    }
    post(*e, "urgency", json_pack("{s:i s:i}", "userid", (int)msg->userid, "urgency", u));
    broker_.respond(msg, json_pack("{s:i}", "old_urgency", old));
}

void JobManager::wait(const flux_msg_t *msg)
{
    uint64_t id;
    Entry *e = lookup(msg, "id", &id);
    if (!e)
        return;
    if (!(msg->rolemask & FLUX_ROLE_OWNER) && msg->userid != e->job.userid) {
        broker_.respond_error(msg, EPERM, "job belongs to another user");
        return;
    }
    e->waiters.push_back(flux::msg_ref(msg));
    if (e->job.state == JobState::INACTIVE)
        notify_waiters(*e);
}

void JobManager::disconnect(const flux_msg_t *msg)
{
    for (auto &[id, e] : jobs_)
        std::erase_if(e->waiters, [&](const flux::ConstMsgPtr &w) { return w->routes == msg->routes; });
}

void JobManager::kill(const flux_msg_t *msg)
{
    uint64_t id;
    Entry *e = lookup(msg, "id", &id);
    if (!e)
        return;
    int sig = SIGTERM;
    if (flux_msg_unpack(msg, "{s?i}", "signal", &sig) < 0 || sig <= 0 || sig >= 64) {
        broker_.respond_error(msg, EINVAL, "signal must be between 1 and 63");
        return;
    }
    if (!may_modify(msg, *e))
        return;
    if (e->job.state != JobState::RUN || e->shells_pending == 0) {
        broker_.respond_error(msg, EINVAL, "job is not running");
        return;
    }
    exec_kill(*e, sig, false);
    broker_.respond(msg, nullptr);
}

/* flux update: change a pending job's time limit (attributes.system.duration). */
void JobManager::update(const flux_msg_t *msg)
{
    uint64_t id;
    Entry *e = lookup(msg, "id", &id);
    if (!e)
        return;
    json_t *updates;
    if (flux_msg_unpack(msg, "{s:o}", "updates", &updates) < 0 || !json_is_object(updates)) {
        broker_.respond_error(msg, EPROTO, "job-manager.update: expected {\"id\", \"updates\": {...}}");
        return;
    }
    if (!may_modify(msg, *e))
        return;
    if (!job_state_in(e->job.state, JOB_STATE_PENDING)) {
        broker_.respond_error(msg, EINVAL, "only a pending job can be updated");
        return;
    }
    double duration = -1;
    const char *key;
    json_t *v;
    json_object_foreach(updates, key, v)
    {
        if (strcmp(key, "attributes.system.duration") != 0) {
            broker_.respond_error(msg, EINVAL, std::string("updating '") + key
                                                   + "' is not supported (only duration)");
            return;
        }
        if (!json_is_number(v) || json_number_value(v) < 0) {
            broker_.respond_error(msg, EINVAL, "duration must be a number of seconds >= 0");
            return;
        }
        duration = json_number_value(v);
    }
    if (duration < 0) {
        broker_.respond_error(msg, EINVAL, "nothing to update");
        return;
    }
    json_t *attrs = json_object_get(e->jobspec.get(), "attributes");
    json_t *sys = json_object_get(attrs, "system");
    if (sys)
        json_object_set_new(sys, "duration", json_real(duration));
    e->duration = duration;
    e->request.duration = duration;
    /* The stored jobspec changes too, so a restart sees the new limit. */
    if (e->jobspec) {
        KvsOp op;
        op.key = Ingest::job_key(e->job.id) + ".jobspec";
        char *text = json_dumps(e->jobspec.get(), JSON_COMPACT);
        op.value = text ? text : "{}";
        free(text);
        broker_.kvs()->commit("primary", {op}, [](const flux::Result<uint64_t> &) {});
    }
    post(*e, "jobspec-update", json_pack("{s:f}", "attributes.system.duration", duration));
    broker_.respond(msg, nullptr);
}

void JobManager::queue_ctl(const flux_msg_t *msg)
{
    int start = -1;
    if (msg->has_payload && flux_msg_unpack(msg, "{s?b}", "start", &start) < 0) {
        broker_.respond_error(msg, EPROTO, "job-manager.queue: expected {\"start\": bool}");
        return;
    }
    if (start == 1) {
        sched_running_ = true;
        schedule_later();
    }
    else if (start == 0)
        sched_running_ = false;
    broker_.respond(msg, json_pack("{s:b s:I s:I}", "running", sched_running_, "active",
                                   (json_int_t)active_, "pending", (json_int_t)queue_.size()));
}

} // namespace fluxd
