/* manager.cpp - the job manager.
 *
 * Topics:
 *   job-manager.list     {states?: mask, max?: int}  -> {jobs: [...]}
 *   job-manager.raise    {id, type, severity, note?}  (owner or the job's user)
 *   job-manager.urgency  {id, urgency}
 *   job-manager.wait     {id}  -> {id, success, errstr?} once the job is inactive;
 *                        id FLUX_JOBID_ANY (owner): the next waitable job to end
 *                        (zombies first), ECHILD when none is left
 *   job-manager.queue    {queue?, all?, start?: bool, enable?: bool, reason?} (changes:
 *                        owner) -> {running, active, pending, scheduler, queues: [...]}
 *   job-manager.events-journal {full?: bool} (streaming) -> {id, events: [...]}
 *   job-manager.events-journal-cancel {matchtag} (no response): end that journal (ENODATA)
 *                        per job (backlog), {id: -1, events: []}, then per job and loop turn
 *   job-manager.sched-hello, job-manager.sched-ready   (RFC 27, owner)
 *   job-manager.running-on {userid?, rank} -> {userid, rank, jobs: [id...]}: the
 *                        user's jobs in RUN whose R holds rank (running_on.cpp)
 * Every event is applied to the in-memory job first, then appended to
 * job.<id>.eventlog through the KVS group commit (events of many jobs in one
 * transaction).
 *
 * Scheduling: RFC 27 with whichever scheduler module said sched-ready
 * (sched-simple by default): sched.alloc per job in SCHED state, sched.free
 * per job leaving CLEANUP with resources, sched.cancel and sched.prioritize.
 * Execution: one job-exec.start per job to job-exec on rank 0, which owns
 * the launch (phases, task layout, shells on every rank, the time limit)
 * and answers with the job's start, release, exception and finish events,
 * posted here as they come; jobs with attributes.system.exec.test.run_duration
 * run in test mode instead, here (no processes and no round trip: the
 * "pipeline without fork/exec" of the benchmarks).
 */
#include <algorithm>
#include <cmath>
#include <optional>
#include <malloc.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <sys/time.h>
#include <sys/wait.h>
#include <utility>
#include <syslog.h>

#include "eventlog/eventlog.h"
#include "fluid/fluid.h"
#include "fluxd/service.h"
#include "fluxd/kvs/kvs.h"
#include "manager.h"
#include "r_fast.h"

namespace fluxd {

namespace {


} // namespace

flux::Result<std::unique_ptr<JobManager>> JobManager::create(ServiceHost &broker)
{
    std::unique_ptr<JobManager> jm(new JobManager(broker));
    jm->sched_ev_.reset(event_new(
        broker.base(), -1, 0,
        [](evutil_socket_t, short, void *arg) { ((JobManager *)arg)->send_allocs(); }, jm.get()));
    jm->register_methods();
    jm->housekeeping_ = !broker.attr("conf.job-manager.housekeeping").value_or("").empty();
    jm->guest_list_all_ = broker.attr("access.allow-guest-list-all").value_or("false") == "true";
    if (auto a = broker.attr("conf.job-manager.inactive-age-limit"); a && !a->empty())
        jm->inactive_age_limit_ = strtod(a->c_str(), nullptr);
    if (auto n = broker.attr("conf.job-manager.inactive-num-limit"); n && !n->empty())
        jm->inactive_num_limit_ = strtoll(n->c_str(), nullptr, 10);
    jm->purge_timer_.reset(event_new(
        broker.base(), -1, 0,
        [](evutil_socket_t, short, void *arg) { ((JobManager *)arg)->purge_auto(); }, jm.get()));
    jm->journal_ev_.reset(event_new(
        broker.base(), -1, 0,
        [](evutil_socket_t, short, void *arg) { ((JobManager *)arg)->journal_flush(); }, jm.get()));
    if (auto r = jm->jobtap_load_config(); !r)
        return r.error();
    jm->restart();
    return jm;
}

JobManager::~JobManager() = default;

void JobManager::register_methods()
{
    const uint32_t user = FLUX_ROLE_USER;
    auto reg = [this](const char *topic, uint32_t roles, void (JobManager::*fn)(const flux_msg_t *)) {
        broker_.add_method(topic, roles,
                            [this, fn](const flux_msg_t *m) { (this->*fn)(m); });
    };
    reg("job-manager.list", user, &JobManager::list);
    reg("job-manager.raise", user, &JobManager::raise);
    reg("job-manager.urgency", user, &JobManager::urgency);
    reg("job-manager.wait", user, &JobManager::wait);
    reg("job-manager.disconnect", user, &JobManager::disconnect);
    reg("job-manager.queue", user, &JobManager::queue_ctl);
    reg("job-manager.drain", user, &JobManager::drain);
    reg("job-manager.idle", user, &JobManager::drain);
    reg("job-manager.kill", user, &JobManager::kill);
    reg("job-manager.killall", user, &JobManager::killall);
    reg("job-manager.update", user, &JobManager::update);
    reg("job-manager.events-journal", user, &JobManager::journal);
    reg("job-manager.events-journal-cancel", user, &JobManager::journal_cancel);
    reg("job-manager.sched-hello", 0, &JobManager::sched_hello);
    reg("job-manager.sched-ready", 0, &JobManager::sched_ready);
    reg("job-manager.jobtap", 0, &JobManager::jobtap_rpc);
    reg("job-manager.housekeeping-list", user, &JobManager::housekeeping_list);
    reg("job-manager.running-on", user, &JobManager::running_on);
    reg("job-manager.purge", 0, &JobManager::purge_rpc);
    broker_.add_method("job-manager.ping", user,
                        [this](const flux_msg_t *m) { broker_.respond(m, json_object()); });
    /* flux module stats job-manager: as Flux's, and how many inactive
     * jobs are kept as a Summary only. */
    broker_.add_method("job-manager.stats-get", user, [this](const flux_msg_t *m) {
        uint64_t max_id = 0;
        if (!jobs_.empty())
            max_id = jobs_.rbegin()->first;
        if (!done_.empty())
            max_id = std::max(max_id, done_.rbegin()->first);
        broker_.respond(m, json_pack("{s:{s:I} s:I s:I s:I s:I}", "journal", "listeners",
                                     (json_int_t)journals_.size(), "active_jobs",
                                     (json_int_t)active_, "inactive_jobs",
                                     (json_int_t)inactive_live_, "inactive_summarized",
                                     (json_int_t)done_.size(), "max_jobid", (json_int_t)max_id));
    });
}

/* An instance restarted with its statedir: replay every job's eventlog.
 * Jobs that were running when the old instance died cannot be reattached:
 * they get an exception and are cleaned up. */
void JobManager::restart()
{
    Kvs *kvs = broker_.kvs();
    queues_configure();
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
    std::vector<Entry *> replayed;
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
                e->sched_text = std::make_shared<const std::string>(sched_subset(o.get()));
            if (o) {
                const char *q = nullptr;
                json_unpack(o.get(), "{s:{s:{s:s}}}", "attributes", "system", "queue", &q);
                e->queue_name = q ? q : "";
                e->queue = &queue_for(e->queue_name);
                e->name = job_name(o.get());
                e->cwd = intern(jobspec_system_string(o.get(), "cwd"));
                e->project = intern(jobspec_system_string(o.get(), "project"));
                e->bank = intern(jobspec_system_string(o.get(), "bank"));
                e->test_run_duration = test_run_duration(o.get());
                e->dependencies = job_dependencies(o.get());
                if (auto parsed = flux::jobspec_parse_json(o.get())) {
                    e->ntasks = parsed->ntasks;
                    e->nnodes = parsed->nnodes;
                    e->tasks_per_node = flux::jobspec_tasks_per_node(*parsed);
                    e->duration = parsed->duration;
                }
            }
        }
        if (e->job.state != JobState::INACTIVE && e->job.has_resources) {
            if (auto r = kvs->lookup("primary", d + ".R")) {
                if (auto R = flux::Rv1::decode(*r)) {
                    e->R = std::make_unique<flux::Rv1>(std::move(*R));
                    e->R_text = *r;
                    note_alloc(*e, *e->R);
                }
            }
        }
        else if (e->job.state == JobState::INACTIVE && e->job.t_run > 0) {
            /* Listings keep an ended job's ranks, cores and hosts. */
            if (auto r = kvs->lookup("primary", d + ".R")) {
                if (auto R = flux::Rv1::decode(*r))
                    note_alloc(*e, *R);
            }
        }
        if (!e->queue)
            e->queue = &queue_for("");
        Entry &ref = *e;
        jobs_[*id] = std::move(e);
        if (ref.job.state == JobState::INACTIVE) {
            if (auto hk = kvs->lookup("primary", d + ".housekeeping")) {
                auto R = flux::Rv1::decode(*hk);
                if (housekeeping_ && R && !R->empty()) {
                    housekeeping_jobs_[*id] = Housekept{ref.job.userid, ref.job.priority,
                                                        ref.job.t_submit, *R, broker_.now()};
                    housekeeping_rerun_.push_back(*id);
                }
                else
                    housekeeping_store(*id, nullptr);
            }
            compact_later(*id);
            continue;
        }
        active_++;
        if (ref.job.flags & JOB_FLAG_WAITABLE)
            waitables_++;
        replayed.push_back(&ref);
    }
    /* Purge takes the oldest inactive jobs first. */
    std::vector<std::pair<double, uint64_t>> ended;
    for (const auto &[id, e] : jobs_)
        if (e->job.state == JobState::INACTIVE)
            ended.emplace_back(e->job.t_inactive, id);
    std::sort(ended.begin(), ended.end());
    for (const auto &[t, id] : ended)
        inactive_order_.push_back(id);
    inactive_live_ = ended.size();
    if (inactive_age_limit_ >= 0 || inactive_num_limit_ >= 0)
        event_active(purge_timer_.get(), 0, 0);
    /* Plugins hear of every active job (job.new with restart: true), then
     * of the dependencies of those still in DEPEND, before any job moves:
     * a job a dependency waits for is known by then. */
    if (!jobtap_.empty()) {
        for (Entry *r : replayed)
            jobtap_job(*r, "job.new", nullptr, JobState::NEW);
        for (Entry *r : replayed) {
            if (r->job.state == JobState::DEPEND)
                jobtap_dependencies(*r);
        }
    }
    for (Entry *rp : replayed) {
        Entry &ref = *rp;
        if (ref.job.state == JobState::RUN || ref.job.state == JobState::CLEANUP)
            running_++;
        running_index(ref, JobState::NEW);
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
    e->tasks_per_node = nj.tasks_per_node;
    e->duration = nj.duration;
    e->test_run_duration = nj.test_run_duration;
    e->sched_text = std::move(nj.sched_text);
    e->queue = &queue_for(nj.queue);
    e->queue_name = nj.queue;
    e->cwd = intern(nj.cwd);
    e->project = intern(nj.project);
    e->bank = intern(nj.bank);
    e->dependencies = std::move(nj.dependencies);
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
    if (ref.job.flags & JOB_FLAG_WAITABLE)
        waitables_++;
    if (!journals_.empty()) {
        if (auto line = flux::eventlog_entry_encode(ev))
            journal_send(ref, *line);
    }
    if (!jobtap_.empty())
        jobtap_job(ref, "job.new", nullptr, JobState::NEW);
    advance(ref);
}

void JobManager::post(Entry &e, const char *name, json_t *context, bool then_advance)
{
    auto ev = flux::eventlog_entry_create(broker_.now(), name, context);
    auto busy = [](JobState s) { return s == JobState::RUN || s == JobState::CLEANUP; };
    bool was_busy = busy(e.job.state);
    JobState prev = e.job.state;
    if (auto r = job_apply(e.job, ev); !r) {
        broker_.log(LOG_ERR, "job-manager: %s: %s", flux::fluid_encode(e.job.id, flux::FluidFormat::f58plain).c_str(),
                    r.error().text.c_str());
        return;
    }
    if (prev != e.job.state)
        running_index(e, prev);
    if (busy(e.job.state) != was_busy) {
        running_ += was_busy ? -1 : 1;
        if (running_ == 0 && !idle_waiters_.empty())
            check_quiet();
    }
    auto line = flux::eventlog_entry_encode(ev);
    if (line) {
        broker_.kvs()->write("primary",
                             kvs_eventlog_op(Ingest::job_key(e.job.id) + ".eventlog", *line, true));
        if (!journals_.empty())
            journal_send(e, *line);
    }
    if (!jobtap_.empty()) {
        jobtap_posted(e, ev, prev);
        if (reprioritize_all_)
            jobtap_reprioritize_now(&e);
    }
    /* The scheduler hears of priority changes of the requests it holds. */
    if (e.alloc_sent && strcmp(name, "priority") == 0) {
        if (e.job.priority == 0)
            sched_cancel(e); /* held */
        else
            broker_.rpc("sched.prioritize",
                        json_pack("{s:[[I,I]]}", "jobs", (json_int_t)e.job.id,
                                  (json_int_t)e.job.priority),
                        FLUX_NODEID_ANY, [](const flux_msg_t *) {});
    }
    if (e.job.state == JobState::INACTIVE) {
        inactive_order_.push_back(e.job.id);
        inactive_live_++;
        /* On the next loop turn (the entry must outlive this call-out);
         * jobs ending in one turn are purged together. */
        if (inactive_num_limit_ >= 0 && inactive_live_ > (size_t)inactive_num_limit_)
            event_active(purge_timer_.get(), 0, 0);
        if (--active_ == 0) {
            trim_later();
            if (!drain_waiters_.empty())
                check_quiet();
        }
        e.jobspec_text.reset();
        e.sched_text.reset();
        if (e.job.flags & JOB_FLAG_WAITABLE)
            waitable_inactive(e);
        compact_later(e.job.id);
        /* Waiters may read the eventlog next: answer once it is stored. */
        if (!e.waiters.empty()) {
            uint64_t id = e.job.id;
            broker_.kvs()->after_flush([this, id]() {
                auto it = jobs_.find(id);
                if (it != jobs_.end())
                    notify_waiters(*it->second);
            });
        }
    }
    /* A fatal exception stops a running job: the executor reports its end. */
    if (strcmp(name, "exception") == 0 && e.job.fatal_exception() && e.exec_running) {
        exec_kill(e, SIGTERM, true); /* job-exec reports finish and release */
        return;
    }
    if (strcmp(name, "exception") == 0 && e.job.fatal_exception() && e.job.started
        && !e.job.finished) {
        e.timer.reset();
        /* Test mode: wait(2) status of SIGKILL on timeout, SIGTERM otherwise. */
        exec_finish(e, e.job.exception_type == "timeout" ? 9 : 15);
        return;
    }
    if (then_advance)
        advance(e);
}

/* Take the next step the state machine asks for, until it asks for none. */
void JobManager::advance(Entry &e)
{
    if (in_advance_)
        return; /* the outer call loops until idle */
    in_advance_ = true;
    /* With a priority plugin, a job in SCHED keeps its priority until a
     * plugin or an urgency change moves it (set_priority). */
    bool plugin_priority = priority_plugin();
    for (int guard = 0; guard < 64; guard++) {
        JobNext next = plugin_priority
                           ? job_next_action(e.job,
                                             [](const Job &j) {
                                                 return j.priority >= 0 ? j.priority
                                                                        : job_priority_default(j);
                                             })
                           : job_next_action(e.job);
        if (next.action == JobAction::NONE)
            break;
        if (next.action == JobAction::POST_PRIORITY && plugin_priority) {
            if (auto p = jobtap_priority(e))
                next.priority = *p;
        }
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

/* Once the instance has been idle a moment, give the memory that a burst
 * of jobs used back to the system: freed blocks between live ones would
 * otherwise stay in the broker's RSS. */
void JobManager::trim_later()
{
    if (!trim_ev_)
        trim_ev_.reset(event_new(
            broker_.base(), -1, 0,
            [](evutil_socket_t, short, void *arg) {
                auto *jm = (JobManager *)arg;
                if (jm->active_ == 0)
                    malloc_trim(0);
            },
            this));
    struct timeval tv = {0, 500000};
    event_add(trim_ev_.get(), &tv);
}

void JobManager::schedule_later()
{
    if (sched_ev_)
        event_active(sched_ev_.get(), 0, 0);
}

/* Send sched.alloc for queued jobs, in priority then submit order, as far
 * as the scheduler's concurrency mode allows. */
void JobManager::send_allocs()
{
    if (!sched_ready_)
        return;
    while (!queue_.empty() && (sched_limit_ == 0 || allocs_out_ < sched_limit_)) {
        auto key = *queue_.begin();
        queue_.erase(queue_.begin());
        auto it = jobs_.find(key.second);
        if (it == jobs_.end() || !it->second->job.alloc_pending || it->second->alloc_sent)
            continue;
        if (!it->second->queue->started) {
            it->second->queue->held.insert(key);
            continue;
        }
        send_alloc(*it->second);
    }
}

void JobManager::send_alloc(Entry &e)
{
    e.alloc_sent = true;
    allocs_out_++;
    uint64_t id = e.job.id, gen = sched_gen_;
    /* The stored jobspec text is spliced in, not encoded again. */
    char head[160];
    snprintf(head, sizeof(head), "{\"id\":%llu,\"priority\":%lld,\"userid\":%u,\"t_submit\":%.6f",
             (unsigned long long)id, (long long)e.job.priority, (unsigned)e.job.userid,
             e.job.t_submit);
    std::string payload = head;
    if (e.sched_text)
        payload += ",\"jobspec\":" + *e.sched_text;
    payload += "}";
    broker_.rpc_multi("sched.alloc", payload, FLUX_NODEID_ANY,
                      [this, id, gen](const flux_msg_t *rsp) { return alloc_response(id, gen, rsp); });
}

/* Merge annotation updates (RFC 27): objects recursively, null deletes. */
static void annotations_merge(json_t *dst, json_t *src)
{
    const char *key;
    json_t *v;
    json_object_foreach(src, key, v)
    {
        json_t *cur = json_object_get(dst, key);
        if (json_is_null(v))
            json_object_del(dst, key);
        else if (json_is_object(v) && json_is_object(cur))
            annotations_merge(cur, v);
        else
            json_object_set(dst, key, v);
    }
}

/* A response to sched.alloc; true when it is the last one. */
bool JobManager::alloc_response(uint64_t id, uint64_t gen, const flux_msg_t *rsp)
{
    if (gen != sched_gen_)
        return true; /* from a scheduler that has gone away */
    if (msg::errnum(rsp) != 0) {
        std::string why = msg::has_payload(rsp) ? std::string(msg::payload(rsp)) : strerror((int)msg::errnum(rsp));
        sched_lost("sched.alloc: " + why);
        return true;
    }
    json_int_t rid = (json_int_t)id;
    int type = 0;
    json_t *annotations = nullptr, *R = nullptr;
    const char *note = nullptr;
    /* A success exactly {"id":ID,"type":0,"R":{...}} (as schedutil writes
     * it): R's text is checked whole and only its execution part decoded
     * (r_fast.h), not built as a jansson tree of the JGF. */
    std::string_view payload = msg::has_payload(rsp) ? msg::payload(rsp) : std::string_view();
    std::string_view R_fast_text;
    std::optional<flux::Rv1> R_fast;
    {
        char head[64];
        int n = snprintf(head, sizeof(head), "{\"id\":%llu,\"type\":0,\"R\":{",
                         (unsigned long long)id);
        if (n > 0 && (size_t)n < sizeof(head) && payload.starts_with(std::string_view(head, n))
            && payload.ends_with("}}")) {
            std::string_view text = payload.substr(n - 1, payload.size() - n);
            if (auto r = decode_R_fast(text)) {
                R_fast_text = text;
                R_fast = std::move(*r);
            }
        }
    }
    flux::JsonPtr whole;
    if (!R_fast) {
        json_error_t jerr;
        snprintf(jerr.text, sizeof(jerr.text), "no payload");
        whole.reset(payload.empty() ? nullptr
                                    : json_loadb(payload.data(), payload.size(),
                                                 JSON_REJECT_DUPLICATES, &jerr));
        if (!whole) {
            /* Not JSON: the scheduler is broken (as flux-core, drop it;
             * the jobs wait for the next one). */
            sched_lost(std::string("sched.alloc: malformed response (") + jerr.text + ")");
            return true;
        }
        if (json_unpack(whole.get(), "{s:I s:i s?o s?o s?s}", "id", &rid, "type", &type,
                        "annotations", &annotations, "R", &R, "note", &note)
                < 0
            || (uint64_t)rid != id || type < 0 || type > 3) {
            sched_lost("sched.alloc: malformed response");
            return true;
        }
    }
    auto it = jobs_.find(id);
    Entry *e = it == jobs_.end() ? nullptr : it->second.get();
    if (type == 1) { /* annotate */
        if (e && json_is_object(annotations)) {
            if (!e->annotations)
                e->annotations = flux::JsonPtr(json_object());
            annotations_merge(e->annotations.get(), annotations);
        }
        return false;
    }
    allocs_out_--;
    if (!e)
        return true;
    e->alloc_sent = false;
    if (type == 0) {
        /* R comes in the response (as flux-core's schedulers send it); a
         * scheduler that follows the first RFC 27 commits it to the KVS. */
        flux::Result<flux::Rv1> r = flux::make_error(EPROTO, "no R in the response or the KVS");
        bool have_R = R_fast || R;
        if (R_fast)
            r = std::move(*R_fast);
        else if (R)
            r = flux::Rv1::decode(R);
        else if (auto text = broker_.kvs()->lookup("primary", Ingest::job_key(id) + ".R"))
            r = flux::Rv1::decode(*text);
        if (!r) {
            e->job.alloc_pending = false;
            post(*e, "exception",
                 json_pack("{s:s s:i s:s}", "type", "alloc", "severity", 0, "note",
                           ("scheduler sent a bad R: " + r.error().text).c_str()));
            return true;
        }
        /* The scheduler's starttime and expiration stand when they agree
         * with the job's duration (it may have been updated meanwhile), or
         * end earlier: a nested instance's scheduler bounds every job by
         * its own expiration. */
        double t = broker_.now();
        bool as_given = have_R && r->starttime > 0 && fabs(r->starttime - t) < 60
                        && (e->duration > 0
                                ? r->expiration > 0
                                      && r->expiration < r->starttime + e->duration + 1e-3
                                : r->expiration >= 0);
        if (!as_given) {
            /* Written again below: with its scheduling key, which the
             * fast read left out (the text was checked whole already). */
            if (R_fast) {
                if (auto full = flux::Rv1::decode(R_fast_text))
                    r = std::move(*full);
            }
            r->starttime = t;
            r->expiration = e->duration > 0 ? t + e->duration : 0;
        }
        e->R = std::make_unique<flux::Rv1>(std::move(*r));
        e->nnodes = e->R->nnodes();
        note_alloc(*e, *e->R);
        KvsOp op;
        op.key = Ingest::job_key(id) + ".R";
        if (as_given) {
            /* R's own text when the response is exactly {id, type, R} in
             * that order (as schedutil sends it), else encoded again. */
            if (R_fast)
                op.value = R_fast_text;
            else if (char *text = json_dumps(R, JSON_COMPACT)) {
                op.value = text;
                free(text);
            }
        }
        if (op.value.empty()) {
            if (auto text = e->R->encode())
                op.value = *text;
        }
        e->R_text = op.value;
        e->sched_text.reset();
        broker_.kvs()->write("primary", std::move(op));
        if (json_is_object(annotations)) {
            if (!e->annotations)
                e->annotations = flux::JsonPtr(json_object());
            annotations_merge(e->annotations.get(), annotations);
        }
        json_t *ctx = e->annotations ? json_pack("{s:O}", "annotations", e->annotations.get())
                                     : nullptr;
        e->annotations.reset(); /* kept in the alloc event from here on */
        post(*e, "alloc", ctx);
    }
    else if (type == 2) { /* deny */
        e->job.alloc_pending = false;
        e->annotations.reset();
        post(*e, "exception",
             json_pack("{s:s s:i s:s}", "type", "alloc", "severity", 0, "note",
                       note ? note : "the scheduler denied the request"));
    }
    else { /* canceled: the job asks again if it still needs resources */
        e->job.alloc_pending = false;
        e->annotations.reset();
        advance(*e);
    }
    send_allocs();
    return true;
}

void JobManager::sched_cancel(Entry &e)
{
    broker_.rpc("sched.cancel", json_pack("{s:I}", "id", (json_int_t)e.job.id), FLUX_NODEID_ANY,
                [](const flux_msg_t *) {});
}

void JobManager::send_free(Entry &e)
{
    if (!sched_ready_ || e.free_sent)
        return; /* sent when a scheduler is ready */
    if (e.R_text.empty()) {
        /* Nothing the scheduler knows of: done. */
        e.job.free_pending = false;
        post(e, "free", nullptr);
        return;
    }
    e.free_sent = true;
    uint64_t id = e.job.id, gen = sched_gen_;
    /* id and final ahead of R: a scheduler that frees by id reads them
     * without decoding R (schedutil's FLUX_SCHEDUTIL_FREE_BY_ID). */
    broker_.rpc("sched.free",
                "{\"id\":" + std::to_string(id) + ",\"final\":true,\"R\":" + e.R_text + "}",
                FLUX_NODEID_ANY, [this, id, gen](const flux_msg_t *rsp) {
                    if (gen != sched_gen_)
                        return;
                    if (msg::errnum(rsp) != 0) {
                        std::string why = msg::has_payload(rsp) ? std::string(msg::payload(rsp)) : strerror((int)msg::errnum(rsp));
                        sched_lost("sched.free: " + why);
                        return;
                    }
                    auto it = jobs_.find(id);
                    if (it == jobs_.end())
                        return;
                    Entry &en = *it->second;
                    en.free_sent = false;
                    en.R.reset();
                    en.R_text.clear();
                    en.R_text.shrink_to_fit();
                    en.job.free_pending = false;
                    post(en, "free", nullptr);
                });
}

/* The scheduler unloaded or failed: stop scheduling until another says
 * sched-ready.  Outstanding requests are sent again then. */
void JobManager::sched_lost(const std::string &why)
{
    if (!sched_ready_)
        return;
    broker_.log(broker_.shutting_down() ? LOG_DEBUG : LOG_ERR,
                "job-manager: scheduler lost (%s): scheduling suspended", why.c_str());
    sched_ready_ = false;
    sched_gen_++;
    if (on_sched_change)
        on_sched_change();
    sched_hello_.reset();
    allocs_out_ = 0;
    for (auto &[id, e] : jobs_) {
        if (e->alloc_sent) {
            e->alloc_sent = false;
            queue_.emplace(-e->job.priority, id);
        }
        e->free_sent = false;
        e->annotations.reset();
    }
}

/* RFC 27 hello: the jobs holding resources, with their R. */
void JobManager::sched_hello(const flux_msg_t *msg)
{
    if (sched_ready_) {
        broker_.respond_error(msg, EBUSY, "a scheduler is already loaded");
        return;
    }
    json_t *a = json_array();
    for (auto &[id, e] : jobs_) {
        if (!e->job.has_resources || !e->R)
            continue;
        /* R as stored (with its scheduling key: the job manager decodes
         * only the execution part, see r_fast.h). */
        flux::JsonPtr o(e->R_text.empty() ? nullptr : json_loads(e->R_text.c_str(), 0, nullptr));
        if (!o)
            o = e->R->encode_json();
        json_array_append_new(a, json_pack("{s:I s:I s:i s:f s:O}", "id", (json_int_t)id,
                                           "priority", (json_int_t)e->job.priority, "userid",
                                           (int)e->job.userid, "t_submit", e->job.t_submit, "R",
                                           o ? o.get() : json_null()));
    }
    for (auto &[id, hk] : housekeeping_jobs_) {
        auto o = hk.R.encode_json();
        json_array_append_new(a, json_pack("{s:I s:I s:i s:f s:O}", "id", (json_int_t)id,
                                           "priority", (json_int_t)hk.priority, "userid",
                                           (int)hk.userid, "t_submit", hk.t_submit, "R",
                                           o ? o.get() : json_null()));
    }
    broker_.respond(msg, json_pack("{s:o}", "alloc", a));
}

void JobManager::sched_ready(const flux_msg_t *msg)
{
    const char *mode;
    if (flux_msg_unpack(msg, "{s:s}", "mode", &mode) < 0) {
        broker_.respond_error(msg, EPROTO, "job-manager.sched-ready: expected {\"mode\": string}");
        return;
    }
    int limit;
    if (strcmp(mode, "unlimited") == 0)
        limit = 0;
    else if (strcmp(mode, "single") == 0)
        limit = 1;
    else if (strncmp(mode, "limited=", 8) == 0 && atoi(mode + 8) > 0)
        limit = atoi(mode + 8);
    else {
        broker_.respond_error(msg, EPROTO, std::string("unknown scheduler mode '") + mode
                                               + "' (single, unlimited or limited=N)");
        return;
    }
    if (sched_ready_) {
        broker_.respond_error(msg, EBUSY, "a scheduler is already loaded");
        return;
    }
    sched_ready_ = true;
    sched_limit_ = limit;
    if (on_sched_change)
        on_sched_change();
    sched_hello_ = flux::msg_ref(msg);
    /* Housekeeping cut short by a restart runs again now that job-exec
     * and the scheduler (which got its nodes as busy in the hello) are up;
     * the nodes go back as it ends. */
    for (uint64_t id : std::exchange(housekeeping_rerun_, {})) {
        auto it = housekeeping_jobs_.find(id);
        if (it == housekeeping_jobs_.end())
            continue;
        auto text = it->second.R.encode();
        it->second.t_start = broker_.now();
        if (text)
            run_housekeeping(id, it->second.userid, *text);
    }
    broker_.track_disconnect(msg, "job-manager");
    broker_.respond(msg, json_pack("{s:I}", "count", (json_int_t)queue_.size()));
    broker_.log(LOG_DEBUG, "job-manager: scheduler ready (mode %s)", mode);
    /* Resources held since before this scheduler: free them now. */
    for (auto &[id, e] : jobs_) {
        if (e->job.free_pending)
            send_free(*e);
    }
    schedule_later();
}

void JobManager::exec_start(Entry &e)
{
    if (e.test_run_duration < 0) {
        exec_start_job(e);
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

/* One request to job-exec on rank 0, which runs the job's phases and
 * answers with its events (start, release, exception, finish); the stored
 * jobspec and R texts are spliced in, not encoded again. */
void JobManager::exec_start_job(Entry &e)
{
    std::string jobspec;
    if (e.jobspec_text)
        jobspec = *e.jobspec_text;
    else if (auto text = broker_.kvs()->lookup("primary", Ingest::job_key(e.job.id) + ".jobspec"))
        jobspec = std::move(*text);
    if (e.R_text.empty() || jobspec.empty()) {
        e.job.start_pending = false;
        post(e, "exception",
             json_pack("{s:s s:i s:s}", "type", "exec", "severity", 0, "note",
                       e.R_text.empty() ? "the job has no R" : "the job has no jobspec"));
        return;
    }
    uint64_t id = e.job.id;
    std::string payload;
    payload.reserve(jobspec.size() + e.R_text.size() + 64);
    payload += "{\"id\":";
    payload += std::to_string(id);
    payload += ",\"userid\":";
    payload += std::to_string(e.job.userid);
    payload += ",\"R\":";
    payload += e.R_text;
    payload += ",\"jobspec\":";
    payload += jobspec;
    payload += "}";
    e.exec_running = true;
    broker_.rpc_multi("job-exec.start", payload, 0,
                      [this, id](const flux_msg_t *rsp) { return exec_event(id, rsp); });
}

/* One event of a job from job-exec; true on the last (the final release,
 * or an error). */
bool JobManager::exec_event(uint64_t id, const flux_msg_t *rsp)
{
    auto it = jobs_.find(id);
    if (it == jobs_.end())
        return true;
    Entry &e = *it->second;
    if (msg::errnum(rsp) != 0) {
        std::string why = msg::has_payload(rsp) ? std::string(msg::payload(rsp)) : strerror((int)msg::errnum(rsp));
        e.exec_running = false;
        if (!e.job.exception)
            post(e, "exception",
                 json_pack("{s:s s:i s:s}", "type", "exec", "severity", 0, "note", why.c_str()));
        exec_finish(e, 1 << 8);
        return true;
    }
    const char *type;
    json_t *data = nullptr;
    if (flux_msg_unpack(rsp, "{s:s s?o}", "type", &type, "data", &data) < 0) {
        broker_.log(LOG_ERR, "job-manager: job-exec sent a malformed event for %s",
                    flux::fluid_encode(id, flux::FluidFormat::f58plain).c_str());
        return false;
    }
    if (strcmp(type, "start") == 0) {
        if (!e.job.started)
            post(e, "start", nullptr);
        return false;
    }
    if (strcmp(type, "finish") == 0) {
        int status = 0;
        json_unpack(data, "{s:i}", "status", &status);
        if (e.job.started && !e.job.finished)
            post(e, "finish", json_pack("{s:i}", "status", status));
        return false;
    }
    if (strcmp(type, "exception") == 0) {
        if (!e.job.exception)
            post(e, "exception", data ? json_incref(data) : nullptr);
        return false;
    }
    if (strncmp(type, "prolog-", 7) == 0 || strncmp(type, "epilog-", 7) == 0) {
        /* The site's scripts (job-exec runs them).  A job cancelled
         * before its prolog-start arrived has no prolog to show. */
        bool prolog = type[0] == 'p', start = strcmp(type + 7, "start") == 0;
        if (prolog && (start ? e.job.state != JobState::RUN : e.job.prolog_active == 0))
            return false;
        post(e, type, data ? json_incref(data) : nullptr);
        return false;
    }
    if (strcmp(type, "release") == 0) {
        int final = 0;
        json_unpack(data, "{s?b}", "final", &final);
        if (final)
            e.exec_running = false;
        if (!e.job.released && e.R)
            post(e, "release", data ? json_incref(data) : nullptr);
        return final != 0;
    }
    broker_.log(LOG_ERR, "job-manager: job-exec sent an unknown event type '%s'", type);
    return false;
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
    if (seconds <= 0) {
        /* Later in this loop pass: no trip through epoll for a timeout of 0. */
        event_active(e.timer.get(), EV_TIMEOUT, 0);
        return;
    }
    struct timeval tv;
    tv.tv_sec = (time_t)seconds;
    tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
    event_add(e.timer.get(), &tv);
}

void JobManager::exec_kill(Entry &e, int signal, bool escalate)
{
    if (!e.exec_running)
        return;
    broker_.rpc("job-exec.kill",
                json_pack("{s:I s:i s:b}", "id", (json_int_t)e.job.id, "signal", signal,
                          "escalate", escalate),
                0, [](const flux_msg_t *) {});
}

void JobManager::exec_finish(Entry &e, int status)
{
    if (e.job.started && !e.job.finished)
        post(e, "finish", json_pack("{s:i}", "status", status));
    if (!e.job.released && e.R)
        post(e, "release", json_pack("{s:s s:b}", "ranks", e.R->ranks().encode().c_str(), "final", 1));
}

/* Give a job's resources back to the scheduler: at once, or with
 * housekeeping configured, node by node as it ends there. */
void JobManager::release(Entry &e)
{
    if (housekeeping_ && e.R && !e.R_text.empty()) {
        start_housekeeping(e);
        return;
    }
    send_free(e);
}

/* The job is over for its user: post free (it goes INACTIVE), but its R
 * stays held by housekeeping, and each node goes back to the scheduler
 * (sched.free with that part of R) as job-exec reports its housekeeping
 * done.  A scheduler that starts meanwhile hears of what is held in the
 * hello reply. */
void JobManager::start_housekeeping(Entry &e)
{
    uint64_t id = e.job.id;
    /* With R's scheduling key (a scheduler restarted meanwhile hears of it
     * in hello): the job's Rv1 was decoded without it (r_fast.h). */
    auto whole = flux::Rv1::decode(e.R_text);
    housekeeping_jobs_[id] = Housekept{e.job.userid, e.job.priority, e.job.t_submit,
                                       whole ? std::move(*whole) : *e.R, broker_.now()};
    housekeeping_store(id, e.R.get());
    std::string R_text = std::move(e.R_text);
    e.R.reset();
    e.R_text.clear();
    e.R_text.shrink_to_fit();
    e.job.free_pending = false;
    post(e, "free", nullptr);
    run_housekeeping(id, e.job.userid, R_text);
}

/* job.<id>.housekeeping: the part of R housekeeping still holds, so that a
 * restarted instance neither hands it out nor forgets to clean it; removed
 * when the last node is done (LEFT null). */
void JobManager::housekeeping_store(uint64_t id, const flux::Rv1 *left)
{
    KvsOp op;
    op.key = Ingest::job_key(id) + ".housekeeping";
    if (left) {
        auto text = left->encode();
        if (!text)
            return;
        op.value = *text;
    }
    else
        op.kind = KvsOp::Kind::unlink;
    broker_.kvs()->write("primary", std::move(op));
}

void JobManager::run_housekeeping(uint64_t id, uint32_t userid, const std::string &R_text)
{
    std::string payload = "{\"id\":" + std::to_string(id) + ",\"userid\":"
                          + std::to_string(userid) + ",\"R\":" + R_text + "}";
    broker_.rpc_multi("job-exec.housekeeping", payload, 0, [this, id](const flux_msg_t *rsp) {
        auto it = housekeeping_jobs_.find(id);
        if (it == housekeeping_jobs_.end())
            return true;
        Housekept &hk = it->second;
        const char *ranks = "";
        int final = 1;
        std::optional<flux::IdSet> ids;
        if (msg::errnum(rsp) != 0
            || flux_msg_unpack(rsp, "{s:s s:b}", "ranks", &ranks, "final", &final) < 0
            || !(ids = flux::IdSet::parse(ranks))) {
            broker_.log(LOG_ERR, "job-manager: housekeeping of %s: %s; its resources are freed",
                        flux::fluid_encode(id, flux::FluidFormat::f58plain).c_str(),
                        msg::errnum(rsp) != 0 ? std::string(msg::payload(rsp)).c_str()
                                              : "malformed response");
            final = 1;
        }
        flux::Rv1 part = final ? hk.R : hk.R.copy_ranks(*ids);
        if (!final)
            hk.R = hk.R.remove_ranks(*ids);
        bool last = final || hk.R.empty();
        send_partial_free(id, part, last);
        housekeeping_store(id, last ? nullptr : &hk.R);
        if (last)
            housekeeping_jobs_.erase(it);
        return last;
    });
}

/* flux housekeeping list: {jobs: [{id, userid, t_start, ranks, nnodes,
 * nodelist}]}, the nodes each job's housekeeping still holds. */
void JobManager::housekeeping_list(const flux_msg_t *msg)
{
    json_t *a = json_array();
    for (const auto &[id, hk] : housekeeping_jobs_) {
        std::string nodelist;
        if (auto hosts = hk.R.hostnames(); !hosts.empty() && !hosts[0].empty())
            nodelist = hk.R.nodelist().encode();
        json_array_append_new(a, json_pack("{s:I s:i s:f s:s s:I s:s}", "id", (json_int_t)id,
                                           "userid", (int)hk.userid, "t_start", hk.t_start,
                                           "ranks", hk.R.ranks().encode().c_str(), "nnodes",
                                           (json_int_t)hk.R.nnodes(), "nodelist",
                                           nodelist.c_str()));
    }
    broker_.respond(msg, json_pack("{s:o}", "jobs", a));
}

/* RFC 27 sched.free {id, R, final} for part of a job's resources. */
void JobManager::send_partial_free(uint64_t id, const flux::Rv1 &part, bool final)
{
    if (!sched_ready_ || part.empty())
        return; /* a scheduler that starts later treats them as free */
    auto text = part.encode();
    if (!text)
        return;
    uint64_t gen = sched_gen_;
    broker_.rpc("sched.free",
                "{\"id\":" + std::to_string(id) + ",\"final\":" + (final ? "true" : "false")
                    + ",\"R\":" + *text + "}",
                FLUX_NODEID_ANY, [this, gen](const flux_msg_t *rsp) {
                    if (gen == sched_gen_ && msg::errnum(rsp) != 0)
                        sched_lost("sched.free: " + (msg::has_payload(rsp)
                                                         ? std::string(msg::payload(rsp))
                                                         : strerror((int)msg::errnum(rsp))));
                });
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
    e.reap_pending = false;
    if (e.job.state == JobState::INACTIVE)
        compact_later(e.job.id);
}

JobManager::Entry *JobManager::lookup(const flux_msg_t *msg, const char *idkey, uint64_t *idp)
{
    json_int_t id;
    if (flux_msg_unpack(msg, "{s:I}", idkey, &id) < 0) {
        broker_.respond_error(msg, EPROTO, std::string("expected {\"") + idkey + "\": integer}");
        return nullptr;
    }
    Entry *e = find_entry((uint64_t)id);
    if (!e) {
        broker_.respond_error(msg, ENOENT, "unknown job id "
                                               + flux::fluid_encode((uint64_t)id,
                                                                    flux::FluidFormat::f58));
        return nullptr;
    }
    if (idp)
        *idp = (uint64_t)id;
    return e;
}

bool JobManager::may_modify(const flux_msg_t *msg, const Entry &e)
{
    if ((msg::rolemask(msg) & FLUX_ROLE_OWNER) || msg::userid(msg) == e.job.userid)
        return true;
    broker_.respond_error(msg, EPERM,
                          "job " + flux::fluid_encode(e.job.id, flux::FluidFormat::f58)
                              + " belongs to another user");
    return false;
}

void JobManager::note_alloc(Entry &e, const flux::Rv1 &R)
{
    e.nnodes = R.nnodes();
    if (e.tasks_per_node > 0) /* per_resource node: as many as R has nodes */
        e.ntasks = (uint64_t)e.tasks_per_node * e.nnodes;
    e.ranks = R.ranks().encode();
    e.ncores = (uint32_t)R.ncores();
    e.nodelist = R.nodelist().encode();
    e.expiration = R.expiration;
}

/* What a listing shows of E (and all that is kept of an inactive job
 * once nothing waits on it). */
void JobManager::summarize(const Entry &e, Summary &s)
{
    const Job &j = e.job;
    s.userid = j.userid;
    s.state = j.state;
    s.urgency = (int8_t)j.urgency;
    s.exception = j.exception;
    s.success = j.success();
    s.exception_severity = (int8_t)j.exception_severity;
    s.phase = j.prolog_active > 0 ? 'p' : j.epilog_active > 0 ? 'e' : 0;
    s.flags = j.flags;
    s.wait_status = j.wait_status;
    s.priority = j.priority;
    s.t_submit = j.t_submit;
    s.t_depend = j.t_depend;
    s.t_run = j.t_run;
    s.t_cleanup = j.t_cleanup;
    s.t_inactive = j.t_inactive;
    s.expiration = e.expiration;
    s.duration = e.duration;
    s.ntasks = (uint32_t)e.ntasks;
    s.nnodes = (uint32_t)e.nnodes;
    s.ncores = e.ncores;
    s.text.clear();
    s.text.reserve(e.name.size() + e.ranks.size() + e.nodelist.size() + 2);
    s.text.append(e.name.c_str()).append(1, '\0');
    s.text.append(e.ranks.c_str()).append(1, '\0');
    s.text.append(e.nodelist.c_str());
    s.queue = e.queue;
    s.cwd = e.cwd;
    s.project = e.project;
    s.bank = e.bank;
    s.rare.reset();
    if (!j.dependencies.empty() || !j.alloc_annotations.empty() || j.exception || e.annotations) {
        s.rare = std::make_unique<Summary::Rare>();
        s.rare->dependencies.assign(j.dependencies.begin(), j.dependencies.end());
        s.rare->alloc_annotations = j.alloc_annotations;
        s.rare->exception_type = j.exception_type;
        s.rare->exception_note = j.exception_note;
        s.rare->exception_userid = j.exception_userid;
        if (e.annotations)
            s.rare->annotations.reset(json_incref(e.annotations.get()));
    }
}

void JobManager::compact_later(uint64_t id)
{
    compact_ids_.push_back(id);
    if (!compact_ev_)
        compact_ev_.reset(event_new(
            broker_.base(), -1, 0,
            [](evutil_socket_t, short, void *arg) { ((JobManager *)arg)->compact_now(); }, this));
    if (compact_ids_.size() == 1)
        event_active(compact_ev_.get(), 0, 0);
}

/* Keep only the Summary of the inactive jobs nothing needs an Entry for. */
void JobManager::compact_now()
{
    std::vector<uint64_t> ids;
    ids.swap(compact_ids_);
    for (uint64_t id : ids) {
        auto it = jobs_.find(id);
        if (it == jobs_.end())
            continue;
        const Entry &e = *it->second;
        if (e.job.state != JobState::INACTIVE || !e.waiters.empty() || e.zombie
            || e.reap_pending || !e.aux.empty() || e.timer || e.exec_running || e.alloc_sent
            || e.free_sent || e.R)
            continue;
        Summary &sm = done_[id];
        summarize(e, sm);
        sm.queue_name = intern(e.queue_name); /* for an Entry brought back */
        jobs_.erase(it);
    }
}

JobManager::Entry *JobManager::find_entry(uint64_t id)
{
    if (auto it = jobs_.find(id); it != jobs_.end())
        return it->second.get();
    auto d = done_.find(id);
    if (d == done_.end())
        return nullptr;
    /* Back to an Entry: what the job manager reads of an inactive job. */
    const Summary &sm = d->second;
    auto e = std::make_unique<Entry>();
    Job &j = e->job;
    j.id = id;
    j.userid = sm.userid;
    j.urgency = sm.urgency;
    j.priority = sm.priority;
    j.flags = sm.flags;
    j.state = JobState::INACTIVE;
    j.submitted = true;
    j.t_submit = sm.t_submit;
    j.t_depend = sm.t_depend;
    j.t_run = sm.t_run;
    j.t_cleanup = sm.t_cleanup;
    j.t_inactive = sm.t_inactive;
    j.wait_status = sm.wait_status;
    j.exception = sm.exception;
    j.exception_severity = sm.exception_severity;
    j.allocated = sm.t_run > 0;
    j.started = sm.t_run > 0;
    j.finished = sm.wait_status >= 0;
    j.released = true;
    if (sm.rare) {
        j.dependencies.insert(sm.rare->dependencies.begin(), sm.rare->dependencies.end());
        j.alloc_annotations = sm.rare->alloc_annotations;
        j.exception_type = sm.rare->exception_type;
        j.exception_note = sm.rare->exception_note;
        j.exception_userid = sm.rare->exception_userid;
        if (sm.rare->annotations)
            e->annotations.reset(json_incref(sm.rare->annotations.get()));
    }
    e->name = sm.name();
    e->ntasks = sm.ntasks;
    e->nnodes = sm.nnodes;
    e->ranks = sm.ranks();
    e->ncores = sm.ncores;
    e->nodelist = sm.nodelist();
    e->expiration = sm.expiration;
    e->duration = sm.duration;
    e->queue = sm.queue;
    e->queue_name = sm.queue_name ? *sm.queue_name : "";
    e->cwd = sm.cwd;
    e->project = sm.project;
    e->bank = sm.bank;
    done_.erase(d);
    Entry *ep = e.get();
    jobs_[id] = std::move(e);
    compact_later(id); /* once the request is done with it */
    return ep;
}

/* One job as job-manager.list shows it. */
json_t *JobManager::list_entry(uint64_t id, const Summary &s)
{
    json_t *o = json_pack("{s:I s:i s:s s:s s:I s:I s:i s:I s:f s:f s:f s:f s:b s:i}", "id",
                          (json_int_t)id, "userid", (int)s.userid, "state",
                          job_state_name(s.state), "name", s.name(), "ntasks",
                          (json_int_t)s.ntasks, "nnodes", (json_int_t)s.nnodes, "urgency",
                          (int)s.urgency, "priority", (json_int_t)s.priority, "t_submit",
                          s.t_submit, "t_run", s.t_run, "t_cleanup", s.t_cleanup, "t_inactive",
                          s.t_inactive, "success", s.success, "waitstatus", s.wait_status);
    if (s.rare && !s.rare->dependencies.empty()) {
        json_t *deps = json_array();
        for (const auto &d : s.rare->dependencies)
            json_array_append_new(deps, json_string(d.c_str()));
        json_object_set_new(o, "dependencies", deps);
    }
    if (*s.ranks())
        json_object_set_new(o, "ranks", json_string(s.ranks()));
    if (s.ncores > 0)
        json_object_set_new(o, "ncores", json_integer(s.ncores));
    if (s.t_depend > 0)
        json_object_set_new(o, "t_depend", json_real(s.t_depend));
    if (*s.nodelist())
        json_object_set_new(o, "nodelist", json_string(s.nodelist()));
    if (s.expiration > 0)
        json_object_set_new(o, "expiration", json_real(s.expiration));
    if (s.duration > 0)
        json_object_set_new(o, "duration", json_real(s.duration));
    if (s.queue && !s.queue->name.empty())
        json_object_set_new(o, "queue", json_string(s.queue->name.c_str()));
    for (auto [key, val] : {std::pair{"cwd", s.cwd}, {"project", s.project}, {"bank", s.bank}})
        if (val)
            json_object_set_new(o, key, json_string(val->c_str()));
    /* RFC 27 annotations: the scheduler's while pending, then those
     * kept in the alloc event. */
    if (s.rare && s.rare->annotations)
        json_object_set(o, "annotations", s.rare->annotations.get());
    else if (s.rare && !s.rare->alloc_annotations.empty()) {
        json_error_t jerr;
        if (json_t *a = json_loads(s.rare->alloc_annotations.c_str(), 0, &jerr))
            json_object_set_new(o, "annotations", a);
    }
    if (s.phase)
        json_object_set_new(o, "phase", json_string(s.phase == 'p' ? "prolog" : "epilog"));
    if (s.exception)
        json_object_set_new(o, "exception",
                            json_pack("{s:s s:i s:s}", "type", s.rare->exception_type.c_str(),
                                      "severity", (int)s.exception_severity, "note",
                                      s.rare->exception_note.c_str()));
    return o;
}

/* job-manager.list {states?, max?, ids?: [id]}: newest first, or the jobs
 * named by ids (looked up one by one: a tool asking after one job does not
 * pay for the whole list), each only if the caller may see it. */
void JobManager::list(const flux_msg_t *msg)
{
    int states = JOB_STATE_ACTIVE, max = 0;
    json_t *ids = nullptr;
    if (msg::has_payload(msg)
        && (flux_msg_unpack(msg, "{s?i s?i s?o}", "states", &states, "max", &max, "ids", &ids) < 0
            || (ids && !json_is_array(ids)))) {
        broker_.respond_error(msg, EPROTO,
                              "job-manager.list: expected {\"states\": int, \"max\": int,"
                              " \"ids\": [int]}");
        return;
    }
    auto visible = [&](JobState state, uint32_t userid) {
        /* A guest lists its own jobs, every user's where the config allows. */
        return ((int)state & states)
               && ((msg::rolemask(msg) & FLUX_ROLE_OWNER) || guest_list_all_
                   || userid == msg::userid(msg));
    };
    Summary scratch;
    auto entry_json = [&](const Entry &e) {
        summarize(e, scratch);
        return list_entry(e.job.id, scratch);
    };
    json_t *a = json_array();
    if (ids) {
        size_t i;
        json_t *v;
        json_array_foreach(ids, i, v)
        {
            if (!json_is_integer(v))
                continue;
            uint64_t id = (uint64_t)json_integer_value(v);
            if (auto it = jobs_.find(id); it != jobs_.end()) {
                if (visible(it->second->job.state, it->second->job.userid))
                    json_array_append_new(a, entry_json(*it->second));
            }
            else if (auto d = done_.find(id);
                     d != done_.end() && visible(d->second.state, d->second.userid))
                json_array_append_new(a, list_entry(id, d->second));
        }
        broker_.respond(msg, json_pack("{s:o}", "jobs", a));
        return;
    }
    int n = 0;
    /* Newest first, as flux jobs shows them: the live entries and the
     * summaries merged by id (none of the latter without INACTIVE). */
    auto it = jobs_.rbegin();
    auto d = (states & (int)JobState::INACTIVE) ? done_.rbegin() : done_.rend();
    while (it != jobs_.rend() || d != done_.rend()) {
        json_t *o = nullptr;
        if (d == done_.rend() || (it != jobs_.rend() && it->first > d->first)) {
            if (visible(it->second->job.state, it->second->job.userid))
                o = entry_json(*it->second);
            ++it;
        }
        else {
            if (visible(d->second.state, d->second.userid))
                o = list_entry(d->first, d->second);
            ++d;
        }
        if (!o)
            continue;
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
    post_exception(*e, type, severity, note, msg::userid(msg));
    broker_.respond(msg, nullptr);
}

/* Post an exception; a fatal one withdraws the job's request for
 * resources first. */
void JobManager::post_exception(Entry &e, const char *type, int severity, const char *note,
                                int64_t userid)
{
    if (severity == 0 && e.job.alloc_pending) {
        if (e.alloc_sent)
            sched_cancel(e); /* the job waits in CLEANUP for the cancel response */
        else {
            e.job.alloc_pending = false;
            unqueue(e);
        }
    }
    json_t *ctx = json_pack("{s:s s:i s:s}", "type", type, "severity", severity, "note", note);
    if (userid >= 0)
        json_object_set_new(ctx, "userid", json_integer(userid));
    post(e, "exception", ctx);
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
    if (u == JOB_URGENCY_EXPEDITE && !(msg::rolemask(msg) & FLUX_ROLE_OWNER)) {
        broker_.respond_error(msg, EPERM, "only the instance owner may expedite a job");
        return;
    }
    if (u > JOB_URGENCY_DEFAULT && !(msg::rolemask(msg) & FLUX_ROLE_OWNER)) {
        broker_.respond_error(msg, EPERM,
                              "guests may not raise urgency above "
                                  + std::to_string(JOB_URGENCY_DEFAULT));
        return;
    }
    if (!job_state_in(e->job.state, JOB_STATE_PENDING)) {
        broker_.respond_error(msg, EINVAL, "urgency can only change while the job is pending");
        return;
    }
    int old = e->job.urgency;
    if (e->job.alloc_pending && !e->alloc_sent) {
        e->job.alloc_pending = false;
        unqueue(*e);
    }
    uint64_t jid = e->job.id;
    post(*e, "urgency", json_pack("{s:i s:i}", "userid", (int)msg::userid(msg), "urgency", u));
    /* A priority plugin recomputes (hold and expedite are applied first). */
    auto it = jobs_.find(jid);
    if (it != jobs_.end() && it->second->job.state == JobState::SCHED && priority_plugin()) {
        if (auto p = jobtap_priority(*it->second))
            set_priority(*it->second, *p);
    }
    broker_.respond(msg, json_pack("{s:i}", "old_urgency", old));
}

/* A waitable job ended: its waiters by id have it, else the oldest waiter
 * for any job, else it stays a zombie until waited. */
void JobManager::waitable_inactive(Entry &e)
{
    waitables_--;
    if (!e.waiters.empty()) {
        claimed_--;
        e.reap_pending = true;
    }
    else
        hand_over_or_zombie(e, false);
}

/* An inactive waitable job whose result no one holds: to the oldest wait for
 * any job (answered once the KVS is flushed), else a zombie (OLDEST: at the
 * front, as one whose waiter left before hearing). */
void JobManager::hand_over_or_zombie(Entry &e, bool oldest)
{
    if (!any_waiters_.empty()) {
        e.waiters.push_back(std::move(any_waiters_.front()));
        any_waiters_.erase(any_waiters_.begin());
        e.reap_pending = true;
        uint64_t id = e.job.id;
        broker_.kvs()->after_flush([this, id]() {
            auto it = jobs_.find(id);
            if (it != jobs_.end())
                notify_waiters(*it->second);
        });
        return;
    }
    e.zombie = true;
    if (oldest)
        zombies_.push_front(e.job.id);
    else
        zombies_.push_back(e.job.id);
}

/* Waiters for any job beyond the waitable jobs that could answer them get
 * ECHILD, the newest first (as wait(2) when there are no children). */
void JobManager::wait_any_overflow()
{
    while (!any_waiters_.empty() && any_waiters_.size() + claimed_ > waitables_) {
        broker_.respond_error(any_waiters_.back().get(), ECHILD, "there are no more waitable jobs");
        any_waiters_.pop_back();
    }
}

void JobManager::wait_claim(Entry &e, int delta)
{
    if (!(e.job.flags & JOB_FLAG_WAITABLE) || e.job.state == JobState::INACTIVE)
        return;
    claimed_ += delta;
    if (delta > 0)
        wait_any_overflow();
}

void JobManager::wait_any(const flux_msg_t *msg)
{
    /* Waitable jobs are the owner's: a guest would take them. */
    if (!(msg::rolemask(msg) & FLUX_ROLE_OWNER)) {
        broker_.respond_error(msg, EPERM, "only the instance owner may wait for any job"
                                          " (FLUX_JOBID_ANY)");
        return;
    }
    while (!zombies_.empty()) {
        uint64_t id = zombies_.front();
        zombies_.pop_front();
        auto it = jobs_.find(id);
        if (it == jobs_.end() || !it->second->zombie)
            continue; /* purged by id, or waited by id since */
        it->second->zombie = false;
        it->second->reap_pending = true;
        it->second->waiters.push_back(flux::msg_ref(msg));
        broker_.kvs()->after_flush([this, id]() {
            auto it = jobs_.find(id);
            if (it != jobs_.end())
                notify_waiters(*it->second);
        });
        return;
    }
    any_waiters_.push_back(flux::msg_ref(msg));
    broker_.track_disconnect(msg, "job-manager"); /* its disconnect drops the wait */
    wait_any_overflow();
}

void JobManager::wait(const flux_msg_t *msg)
{
    json_int_t raw;
    if (flux_msg_unpack(msg, "{s:I}", "id", &raw) == 0 && (uint64_t)raw == FLUX_JOBID_ANY) {
        wait_any(msg);
        return;
    }
    uint64_t id;
    Entry *e = lookup(msg, "id", &id);
    if (!e)
        return;
    if (!(msg::rolemask(msg) & FLUX_ROLE_OWNER) && msg::userid(msg) != e->job.userid) {
        broker_.respond_error(msg, EPERM, "job belongs to another user");
        return;
    }
    /* By id, any job may be waited for, by any number of waiters, also once
     * reaped (fluxd keeps that of its first versions); a zombie is reaped. */
    if (e->zombie) {
        e->zombie = false; /* zombies_ forgets it lazily */
        e->reap_pending = true;
    }
    e->waiters.push_back(flux::msg_ref(msg));
    broker_.track_disconnect(msg, "job-manager"); /* its disconnect drops the wait */
    if (e->waiters.size() == 1)
        wait_claim(*e, +1);
    if (e->job.state == JobState::INACTIVE) {
        broker_.kvs()->after_flush([this, id]() {
            auto it = jobs_.find(id);
            if (it != jobs_.end())
                notify_waiters(*it->second);
        });
    }
}

/* The journal: every event of every job (the caller's jobs, for a guest),
 * as {id, events: [entry, ...]}.  The backlog comes first, one response per
 * job (active jobs; with full, inactive ones too), read from the KVS; then
 * {id: -1, events: []}; then the events as they are posted, a job's events
 * of one loop turn in one response. */
void JobManager::journal(const flux_msg_t *msg)
{
    int full = 0;
    if (!(msg::streaming(msg))) {
        broker_.respond_error(msg, EPROTO, "job-manager.events-journal requires a streaming request");
        return;
    }
    if (msg::has_payload(msg) && flux_msg_unpack(msg, "{s?b}", "full", &full) < 0) {
        broker_.respond_error(msg, EPROTO, "job-manager.events-journal: expected {\"full\"?: bool}");
        return;
    }
    /* Events still waiting for the turn's end go to the journals there
     * already; the new one reads them in its backlog. */
    journal_flush();
    bool owner = msg::rolemask(msg) & FLUX_ROLE_OWNER;
    Kvs *kvs = broker_.kvs();
    kvs->sync(); /* the backlog must hold every event posted so far */
    /* Every job (with full, the summarized inactive ones too), by id. */
    std::vector<uint64_t> backlog;
    for (auto &[id, e] : jobs_) {
        if (!full && e->job.state == JobState::INACTIVE)
            continue;
        if (!owner && e->job.userid != msg::userid(msg))
            continue;
        backlog.push_back(id);
    }
    if (full) {
        for (auto &[id, sm] : done_)
            if (owner || sm.userid == msg::userid(msg))
                backlog.push_back(id);
        std::sort(backlog.begin(), backlog.end());
    }
    for (uint64_t id : backlog) {
        auto text = kvs->lookup("primary", Ingest::job_key(id) + ".eventlog");
        if (!text)
            continue;
        json_error_t jerr;
        flux::JsonPtr str(json_loads(text->c_str(), JSON_DECODE_ANY, &jerr));
        if (!json_is_string(str.get()))
            continue;
        std::string lines(json_string_value(str.get()), json_string_length(str.get()));
        std::string payload = "{\"id\":" + std::to_string(id) + ",\"events\":[";
        bool first = true;
        size_t pos = 0;
        while (pos < lines.size()) {
            size_t nl = lines.find('\n', pos);
            size_t end = nl == std::string::npos ? lines.size() : nl;
            if (end > pos) {
                if (!first)
                    payload += ',';
                payload.append(lines, pos, end - pos);
                first = false;
            }
            pos = end + 1;
        }
        payload += "]}";
        broker_.respond_text(msg, payload);
    }
    broker_.respond_text(msg, "{\"id\":-1,\"events\":[]}");
    journals_.push_back(flux::msg_ref(msg));
}

/* End one of the sender's journals: {matchtag} names its request, which is
 * answered ENODATA (the stream's end) and dropped. */
void JobManager::journal_cancel(const flux_msg_t *msg)
{
    int tag = 0;
    if (flux_msg_unpack(msg, "{s:i}", "matchtag", &tag) < 0)
        return; /* sent without expecting a response */
    std::erase_if(journals_, [&](const flux::ConstMsgPtr &j) {
        if (!msg::same_sender(j.get(), msg) || msg::matchtag(j.get()) != (uint32_t)tag)
            return false;
        broker_.respond_error(j.get(), ENODATA, "");
        return true;
    });
}

void JobManager::journal_send(const Entry &e, const std::string &line)
{
    size_t len = line.size();
    while (len > 0 && line[len - 1] == '\n')
        len--;
    if (journal_runs_.empty())
        event_active(journal_ev_.get(), 0, 0);
    if (!journal_runs_.empty() && journal_runs_.back().id == e.job.id) {
        journal_runs_.back().events += ',';
        journal_runs_.back().events.append(line, 0, len);
    }
    else
        journal_runs_.push_back({e.job.id, e.job.userid, line.substr(0, len)});
}

/* Send this loop turn's events: a response per run of one job's events,
 * in the order they were posted. */
void JobManager::journal_flush()
{
    auto runs = std::move(journal_runs_);
    journal_runs_.clear();
    for (const auto &r : runs) {
        std::string payload = "{\"id\":" + std::to_string(r.id) + ",\"events\":[" + r.events + "]}";
        for (const auto &req : journals_) {
            if ((msg::rolemask(req.get()) & FLUX_ROLE_OWNER) || msg::userid(req.get()) == r.userid)
                broker_.respond_text(req.get(), payload);
        }
    }
}

/* job-manager.drain and job-manager.idle: {} -> {} once no job is active
 * (drain) or none is in RUN or CLEANUP (idle, with the count of pending
 * jobs), and the events that made it so are stored. */
void JobManager::drain(const flux_msg_t *msg)
{
    bool idle = msg::topic(msg) == "job-manager.idle";
    (idle ? idle_waiters_ : drain_waiters_).push_back(flux::msg_ref(msg));
    broker_.track_disconnect(msg, "job-manager");
    check_quiet();
}

void JobManager::check_quiet()
{
    auto answer = [this](std::vector<flux::ConstMsgPtr> &waiters, bool idle) {
        auto ready = std::make_shared<std::vector<flux::ConstMsgPtr>>(std::move(waiters));
        waiters.clear();
        broker_.kvs()->after_flush([this, ready, idle]() {
            for (auto &m : *ready) {
                if (idle)
                    broker_.respond(m.get(), json_pack("{s:I}", "pending",
                                                       (json_int_t)(active_ - running_)));
                else
                    broker_.respond(m.get(), json_object());
            }
        });
    };
    if (active_ == 0 && !drain_waiters_.empty())
        answer(drain_waiters_, false);
    if (running_ == 0 && !idle_waiters_.empty())
        answer(idle_waiters_, true);
}

void JobManager::disconnect(const flux_msg_t *msg)
{
    std::erase_if(drain_waiters_, [&](const flux::ConstMsgPtr &w) { return msg::same_sender(w.get(), msg); });
    std::erase_if(idle_waiters_, [&](const flux::ConstMsgPtr &w) { return msg::same_sender(w.get(), msg); });
    std::erase_if(journals_, [&](const flux::ConstMsgPtr &j) { return msg::same_sender(j.get(), msg); });
    if (sched_ready_ && sched_hello_ && msg::same_sender(sched_hello_.get(), msg))
        sched_lost("the scheduler disconnected");
    std::erase_if(any_waiters_, [&](const flux::ConstMsgPtr &w) { return msg::same_sender(w.get(), msg); });
    for (auto &[id, e] : jobs_) {
        if (e->waiters.empty())
            continue;
        std::erase_if(e->waiters, [&](const flux::ConstMsgPtr &w) { return msg::same_sender(w.get(), msg); });
        if (!e->waiters.empty())
            continue;
        if (e->reap_pending) { /* a waitable job's result, not heard by anyone */
            e->reap_pending = false;
            hand_over_or_zombie(*e, true);
        }
        else
            wait_claim(*e, -1);
    }
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
    if (e->job.state != JobState::RUN || !e->exec_running) {
        broker_.respond_error(msg, EINVAL, "job is not running");
        return;
    }
    exec_kill(*e, sig, false);
    broker_.respond(msg, nullptr);
}

/* job-manager.killall {signal?, userid?, dry_run?} -> {count}: signal every
 * running job (of USERID; -1 or absent: every user's for the instance
 * owner, a guest's own otherwise), as flux job killall does, and as a
 * broker does with the SIGUSR1/SIGUSR2 it receives (a batch job's
 * --signal reaches the jobs of its instance). */
void JobManager::killall(const flux_msg_t *msg)
{
    int sig = SIGTERM, dry_run = 0;
    json_int_t userid = -1;
    if (flux_msg_unpack(msg, "{s?i s?I s?b}", "signal", &sig, "userid", &userid, "dry_run",
                        &dry_run) < 0
        || sig <= 0 || sig >= 64) {
        broker_.respond_error(msg, EINVAL, "job-manager.killall: expected {\"signal\": 1-63, "
                                           "\"userid\"?, \"dry_run\"?}");
        return;
    }
    bool owner = msg::rolemask(msg) & FLUX_ROLE_OWNER;
    if (!owner) {
        if (userid != -1 && userid != (json_int_t)msg::userid(msg)) {
            broker_.respond_error(msg, EPERM, "only the instance owner may signal other users' jobs");
            return;
        }
        userid = msg::userid(msg);
    }
    std::vector<Entry *> todo;
    for (auto &[id, ep] : jobs_) {
        if (ep->job.state == JobState::RUN && ep->exec_running
            && (userid == -1 || ep->job.userid == (uint32_t)userid))
            todo.push_back(ep.get());
    }
    if (!dry_run)
        for (Entry *e : todo)
            exec_kill(*e, sig, false);
    broker_.respond(msg, json_pack("{s:i}", "count", (int)todo.size()));
}

/* flux update: change a job's time limit (attributes.system.duration:
 * seconds, or "+S"/"-S" relative to the current limit), pending or running.  The owner of the job may shorten it; only the
 * instance owner may extend it (or make it unlimited).  For a running job
 * the expiration moves to R's starttime + duration: R (KVS and the
 * "resource-update" event), job-exec's timer (or the test-mode timer) and
 * the scheduler (RFC 27-style sched.expiration {id, expiration}) follow. */
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
    bool running = e->job.state == JobState::RUN && e->R;
    if (!job_state_in(e->job.state, JOB_STATE_PENDING) && !running) {
        broker_.respond_error(msg, EINVAL, "only a pending or running job can be updated");
        return;
    }
    double duration = -1;
    const char *key;
    json_t *v;
    /* "+S" / "-S": S seconds more or less than the current limit, made
     * absolute first so that plugins (job.update.KEY) judge the new limit. */
    flux::JsonPtr copy(json_deep_copy(updates));
    updates = copy.get();
    if (const char *rel = json_string_value(json_object_get(updates, "attributes.system.duration"));
        rel && (*rel == '+' || *rel == '-')) {
        char *end;
        double d = strtod(rel + 1, &end);
        if (*end || end == rel + 1 || !std::isfinite(d) || d < 0) {
            broker_.respond_error(msg, EINVAL, std::string("duration '") + rel
                                                   + "': expected +SECONDS or -SECONDS");
            return;
        }
        if (e->duration <= 0) {
            broker_.respond_error(msg, EINVAL, "the job has no time limit to change");
            return;
        }
        double abs = *rel == '+' ? e->duration + d : e->duration - d;
        if (abs <= 0) {
            char buf[128];
            snprintf(buf, sizeof(buf), "the limit of %gs would be %gs", e->duration, abs);
            broker_.respond_error(msg, EINVAL, buf);
            return;
        }
        json_object_set_new(updates, "attributes.system.duration", json_real(abs));
    }
    /* Plugins allow (or deny) the keys they know (job.update.KEY); the
     * job manager itself knows attributes.system.duration. */
    std::string unhandled;
    if (auto r = jobtap_update(*e, updates, unhandled); !r) {
        broker_.respond_error(msg, r.error().errnum, r.error().text);
        return;
    }
    if (unhandled.empty()) {
        post(*e, "jobspec-update", json_incref(updates));
        broker_.respond(msg, nullptr);
        return;
    }
    json_object_foreach(updates, key, v)
    {
        if (strcmp(key, "attributes.system.duration") != 0 && unhandled.find(std::string(" ") + key + " ") == std::string::npos)
            continue;
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
    /* 0 is unlimited: more than any limit. */
    bool extends = e->duration > 0 && (duration == 0 || duration > e->duration);
    if (extends && !(msg::rolemask(msg) & FLUX_ROLE_OWNER)) {
        broker_.respond_error(msg, EPERM, "only the instance owner may extend a job's time limit");
        return;
    }
    double expiration = 0;
    if (running) {
        expiration = duration > 0 ? e->R->starttime + duration : 0;
        if (duration > 0 && expiration <= broker_.now()) {
            broker_.respond_error(msg, EINVAL, "a duration of " + std::to_string(duration)
                                                   + "s would end the job before now (it has run "
                                                   + std::to_string(broker_.now() - e->R->starttime)
                                                   + "s)");
            return;
        }
    }
    json_error_t jerr;
    std::string current;
    if (e->jobspec_text)
        current = *e->jobspec_text;
    else if (auto text = broker_.kvs()->lookup("primary", Ingest::job_key(e->job.id) + ".jobspec"))
        current = std::move(*text);
    flux::JsonPtr js(json_loads(current.c_str(), 0, &jerr));
    json_t *attrs = json_object_get(js.get(), "attributes");
    json_t *sys = json_object_get(attrs, "system");
    if (sys)
        json_object_set_new(sys, "duration", json_real(duration));
    e->duration = duration;
    /* The stored jobspec changes too, so a restart sees the new limit. */
    if (js) {
        KvsOp op;
        op.key = Ingest::job_key(e->job.id) + ".jobspec";
        char *text = json_dumps(js.get(), JSON_COMPACT);
        op.value = text ? text : "{}";
        free(text);
        e->jobspec_text = std::make_shared<const std::string>(op.value);
        e->sched_text = std::make_shared<const std::string>(sched_subset(js.get()));
        broker_.kvs()->write("primary", std::move(op));
    }
    post(*e, "jobspec-update", json_pack("{s:f}", "attributes.system.duration", duration));
    if (running)
        update_expiration(*e, expiration);
    broker_.respond(msg, nullptr);
}

/* A running job's time limit moved to EXPIRATION (0: none). */
void JobManager::update_expiration(Entry &e, double expiration)
{
    e.R->expiration = expiration;
    e.expiration = expiration; /* what flux jobs lists: {expiration}, {t_remaining} */
    flux::JsonPtr R(json_loads(e.R_text.c_str(), 0, nullptr));
    if (json_t *ex = json_object_get(R.get(), "execution")) {
        json_object_set_new(ex, "expiration", json_real(expiration));
        if (char *text = json_dumps(R.get(), JSON_COMPACT)) {
            e.R_text = text;
            free(text);
            KvsOp op;
            op.key = Ingest::job_key(e.job.id) + ".R";
            op.value = e.R_text;
            broker_.kvs()->write("primary", std::move(op));
        }
    }
    post(e, "resource-update", json_pack("{s:f}", "expiration", expiration));
    uint64_t id = e.job.id;
    if (sched_ready_)
        broker_.rpc("sched.expiration",
                    json_pack("{s:I s:f}", "id", (json_int_t)id, "expiration", expiration),
                    FLUX_NODEID_ANY, [this, id](const flux_msg_t *rsp) {
                        if (msg::errnum(rsp) != 0 && msg::errnum(rsp) != ENOSYS)
                            broker_.log(LOG_ERR, "sched.expiration %ju: %s", (uintmax_t)id,
                                        msg::has_payload(rsp) ? std::string(msg::payload(rsp)).c_str()
                                                              : strerror((int)msg::errnum(rsp)));
                    });
    if (e.exec_running) {
        broker_.rpc("job-exec.expiration",
                    json_pack("{s:I s:f}", "id", (json_int_t)id, "expiration", expiration), 0,
                    [](const flux_msg_t *) {});
    }
    else if (e.test_run_duration >= 0 && e.job.started && !e.job.finished) {
        /* Exec test mode: the run ends at starttime + run, or times out
         * at the new expiration first. */
        double now = broker_.now();
        double run_left = e.R->starttime + e.test_run_duration - now;
        bool timeout = expiration > 0 && expiration - now < run_left;
        arm_timer(e, std::max(0.0, timeout ? expiration - now : run_left),
                  [this, timeout](Entry &en) {
                      if (timeout)
                          post_timeout(en);
                      else
                          exec_finish(en, 0);
                  });
    }
}

/* [queues] and the default queue from the config, then the state a previous
 * life of the instance kept (job-manager.queues), for queues still
 * configured. */
void JobManager::queues_configure()
{
    json_error_t jerr;
    flux::JsonPtr conf;
    if (auto text = broker_.attr("conf.queues"); text && !text->empty())
        conf.reset(json_loads(text->c_str(), 0, &jerr));
    const char *name;
    json_t *q;
    json_object_foreach(conf.get(), name, q)
    {
        queues_[name].configured = true;
        queues_[name].name = name;
        named_queues_ = true;
    }
    if (!named_queues_)
        queues_[""].configured = true;
    if (auto text = broker_.attr("conf.policy"); text && !text->empty()) {
        flux::JsonPtr policy(json_loads(text->c_str(), 0, &jerr));
        const char *dq = nullptr;
        if (policy
            && json_unpack(policy.get(), "{s:{s:{s:{s:s}}}}", "jobspec", "defaults", "system",
                           "queue", &dq)
                   == 0)
            default_queue_ = dq;
    }
    Kvs *kvs = broker_.kvs();
    /* An older statedir kept only the anonymous queue's scheduling. */
    if (auto old = kvs->lookup("primary", "job-manager.queue-started"); old && *old == "false")
        queues_[""].started = false;
    auto saved = kvs->lookup("primary", "job-manager.queues");
    flux::JsonPtr o(saved ? json_loads(saved->c_str(), 0, &jerr) : nullptr);
    json_object_foreach(o.get(), name, q)
    {
        auto it = queues_.find(name);
        if (it == queues_.end() || !it->second.configured)
            continue;
        int enable = 1, start = 1;
        const char *dr = "", *sr = "";
        if (json_unpack(q, "{s?b s?b s?s s?s}", "enable", &enable, "start", &start,
                        "disable_reason", &dr, "stop_reason", &sr)
            < 0)
            continue;
        it->second.enabled = enable;
        it->second.started = start;
        it->second.disable_reason = dr;
        it->second.stop_reason = sr;
    }
}

void JobManager::queues_save()
{
    json_t *o = json_object();
    for (const auto &[name, q] : queues_) {
        if (!q.configured)
            continue;
        json_object_set_new(o, name.c_str(),
                            json_pack("{s:b s:b s:s s:s}", "enable", q.enabled, "start",
                                      q.started, "disable_reason", q.disable_reason.c_str(),
                                      "stop_reason", q.stop_reason.c_str()));
    }
    KvsOp op;
    op.key = "job-manager.queues";
    if (char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) {
        op.value = text;
        free(text);
    }
    json_decref(o);
    broker_.kvs()->write("primary", std::move(op));
}

/* The state of queue NAME; a name not configured (a job from before the
 * config changed, "default" without [queues]) shares the instance's
 * anonymous queue, or gets a started queue of its own when queues are
 * named, so that it is never stuck. */
JobManager::QueueState &JobManager::queue_for(const std::string &name)
{
    if (name.empty() || !named_queues_)
        return queues_[named_queues_ ? std::string("\x01unnamed") : std::string()];
    QueueState &q = queues_[name];
    q.name = name;
    return q;
}

void JobManager::unqueue(Entry &e)
{
    std::pair<int64_t, uint64_t> key{-e.job.priority, e.job.id};
    queue_.erase(key);
    if (e.queue)
        e.queue->held.erase(key);
}

flux::Result<void> JobManager::submit_check(const std::string &queue) const
{
    auto it = queues_.find(named_queues_ ? queue : std::string());
    if (it == queues_.end() || it->second.enabled)
        return {};
    std::string text = named_queues_ ? "queue " + queue + ": job submission is disabled"
                                     : std::string("job submission is disabled");
    if (!it->second.disable_reason.empty())
        text += ": " + it->second.disable_reason;
    return flux::make_error(EINVAL, text);
}

/* flux queue status|enable|disable|start|stop: QUEUE names one queue, ALL
 * every queue; neither: the anonymous queue, or (status only) every named
 * queue.  Changes are the owner's and kept across restarts. */
void JobManager::queue_ctl(const flux_msg_t *msg)
{
    int start = -1, enable = -1, all = 0;
    const char *qname = nullptr, *reason = "";
    if (msg::has_payload(msg)
        && flux_msg_unpack(msg, "{s?s s?b s?b s?b s?s}", "queue", &qname, "all", &all, "start",
                           &start, "enable", &enable, "reason", &reason)
               < 0) {
        broker_.respond_error(msg, EPROTO,
                              "job-manager.queue: expected {queue?: string, all?: bool, "
                              "start?: bool, enable?: bool, reason?: string}");
        return;
    }
    bool change = start >= 0 || enable >= 0;
    if (change && !(msg::rolemask(msg) & FLUX_ROLE_OWNER)) {
        broker_.respond_error(msg, EPERM, "only the instance owner may change a queue");
        return;
    }
    std::string names;
    for (const auto &[name, q] : queues_) {
        if (q.configured && !name.empty())
            names += (names.empty() ? "" : ", ") + name;
    }
    std::vector<QueueState *> sel;
    if (qname && *qname) {
        auto it = named_queues_ ? queues_.find(qname) : queues_.end();
        if (it == queues_.end() || !it->second.configured) {
            broker_.respond_error(msg, EINVAL,
                                  named_queues_
                                      ? std::string("unknown queue '") + qname + "' (queues: "
                                            + names + ")"
                                      : std::string("unknown queue '") + qname
                                            + "': this instance has no named queues");
            return;
        }
        sel.push_back(&it->second);
    }
    else if (all || !named_queues_ || !change) {
        for (auto &[name, q] : queues_) {
            if (q.configured)
                sel.push_back(&q);
        }
    }
    else {
        broker_.respond_error(msg, EINVAL,
                              "named queues are configured (" + names
                                  + "): name one with --queue=NAME or use --all");
        return;
    }
    bool changed = false;
    for (QueueState *q : sel) {
        if (enable >= 0) {
            std::string r = enable ? "" : reason;
            changed |= q->enabled != (enable == 1) || q->disable_reason != r;
            q->enabled = enable == 1;
            q->disable_reason = r;
        }
        if (start == 1 && !q->started) {
            changed = true;
            q->started = true;
            q->stop_reason.clear();
            queue_.insert(q->held.begin(), q->held.end());
            q->held.clear();
            schedule_later();
        }
        else if (start == 0) {
            changed |= q->started || q->stop_reason != reason;
            q->started = false;
            q->stop_reason = reason;
        }
    }
    if (start == 0) {
        /* Requests already sent for the stopped queues' jobs are withdrawn;
         * the jobs ask again when their queue starts. */
        for (auto &[id, e] : jobs_) {
            if (e->alloc_sent && e->queue && !e->queue->started)
                sched_cancel(*e);
        }
    }
    if (changed)
        queues_save();
    bool running = true;
    for (const auto &[name, q] : queues_)
        running &= !q.configured || q.started;
    size_t held = 0;
    for (const auto &[name, q] : queues_)
        held += q.held.size();
    json_t *qs = json_array();
    for (QueueState *q : sel) {
        json_array_append_new(
            qs, json_pack("{s:s s:b s:b s:s s:s s:b}", "name", q->name.c_str(), "enabled",
                          q->enabled, "started", q->started, "disable_reason",
                          q->disable_reason.c_str(), "stop_reason", q->stop_reason.c_str(),
                          "default", !q->name.empty() && q->name == default_queue_));
    }
    broker_.respond(msg, json_pack("{s:b s:I s:I s:b s:o}", "running", running, "active",
                                   (json_int_t)active_, "pending",
                                   (json_int_t)(queue_.size() + held + (size_t)allocs_out_),
                                   "scheduler", sched_ready_, "queues", qs));
}

} // namespace fluxd

namespace fluxd {

std::vector<uint64_t> JobManager::purge_candidates(double age_limit, int64_t num_limit,
                                                   size_t batch)
{
    /* Forget the front's ids of jobs already gone. */
    while (!inactive_order_.empty() && !known_job(inactive_order_.front()))
        inactive_order_.pop_front();
    bool any_limit = age_limit >= 0 || num_limit >= 0;
    double now = broker_.now();
    std::vector<uint64_t> out;
    size_t i = 0; /* live inactive jobs passed so far, oldest first */
    for (auto it = inactive_order_.begin(); it != inactive_order_.end() && out.size() < batch;
         ++it) {
        const Entry *e = nullptr;
        double t_inactive;
        if (auto j = jobs_.find(*it); j != jobs_.end()) {
            e = j->second.get();
            t_inactive = e->job.t_inactive;
        }
        else if (auto d = done_.find(*it); d != done_.end())
            t_inactive = d->second.t_inactive;
        else
            continue; /* purged by id */
        bool over_count = num_limit >= 0 && inactive_live_ - i > (size_t)num_limit;
        bool too_old = age_limit >= 0 && now - t_inactive > age_limit;
        i++;
        if (any_limit && !over_count && !too_old)
            break; /* the rest are younger and within the count */
        /* Housekeeping still holds its nodes, or a waiter has yet to hear. */
        if (housekeeping_jobs_.contains(*it) || (e && (!e->waiters.empty() || e->zombie)))
            continue;
        out.push_back(*it);
    }
    return out;
}

void JobManager::purge_job(uint64_t id)
{
    /* Plugins hear of it with its Entry (brought back for them). */
    if (!jobtap_.empty() && find_entry(id) == nullptr)
        return;
    auto it = jobs_.find(id);
    if (it != jobs_.end()) {
        if (it->second->job.state != JobState::INACTIVE)
            return;
        if (!jobtap_.empty())
            jobtap_job(*it->second, "job.inactive-remove", nullptr, JobState::INACTIVE);
        jobs_.erase(it);
    }
    else if (done_.erase(id) == 0)
        return;
    KvsOp op;
    op.kind = KvsOp::Kind::unlink;
    op.key = Ingest::job_key(id);
    broker_.kvs()->write("primary", std::move(op));
    inactive_live_--;
}

/* [job-manager] limits: purge in batches, a loop turn each, and look
 * again for the age limit later. */
void JobManager::purge_auto()
{
    if (inactive_age_limit_ < 0 && inactive_num_limit_ < 0)
        return;
    const size_t batch = 1000;
    auto ids = purge_candidates(inactive_age_limit_, inactive_num_limit_, batch);
    for (uint64_t id : ids)
        purge_job(id);
    struct timeval tv = {0, 0};
    if (ids.size() < batch) {
        if (inactive_age_limit_ < 0)
            return;
        double next = std::clamp(inactive_age_limit_ / 10, 1.0, 60.0);
        tv.tv_sec = (time_t)next;
        tv.tv_usec = (suseconds_t)((next - (double)tv.tv_sec) * 1e6);
    }
    event_add(purge_timer_.get(), &tv);
}

/* job-manager.purge {age_limit?, num_limit?, batch?, force?, jobs?: [id]}
 * -> {count}: without force, how many would go. */
void JobManager::purge_rpc(const flux_msg_t *msg)
{
    std::string_view text = msg::payload(msg);
    json_error_t jerr;
    json_t *o = json_loadb(text.data(), text.size(), 0, &jerr);
    double age = -1;
    json_int_t num = -1, batch = 50;
    int force = 0;
    json_t *jobs = nullptr;
    if (!o || json_unpack(o, "{s?F s?I s?I s?b s?o}", "age_limit", &age, "num_limit", &num,
                          "batch", &batch, "force", &force, "jobs", &jobs) < 0
        || batch < 1 || batch > 1000 || (jobs && !json_is_array(jobs))) {
        json_decref(o);
        broker_.respond_error(msg, EPROTO,
                              "job-manager.purge: expected {age_limit?, num_limit?, batch?: "
                              "1-1000, force?, jobs?: [id]}");
        return;
    }
    std::vector<uint64_t> ids;
    if (jobs) {
        size_t i;
        json_t *v;
        json_array_foreach(jobs, i, v)
        {
            uint64_t id = (uint64_t)json_integer_value(v);
            auto it = jobs_.find(id);
            std::string err;
            if (!json_is_integer(v) || (it == jobs_.end() && !done_.contains(id)))
                err = "unknown job id";
            else if (it != jobs_.end() && it->second->job.state != JobState::INACTIVE)
                err = "job is not inactive";
            else if (housekeeping_jobs_.contains(id))
                err = "job is still in housekeeping";
            if (!err.empty()) {
                std::string what = json_is_integer(v)
                                       ? flux::fluid_encode(id, flux::FluidFormat::f58)
                                       : std::string("jobs[") + std::to_string(i) + "]";
                json_decref(o);
                broker_.respond_error(msg, EINVAL, what + ": " + err);
                return;
            }
            ids.push_back(id);
        }
    }
    else
        ids = purge_candidates(age, num, force ? (size_t)batch : SIZE_MAX);
    json_decref(o);
    if (force)
        for (uint64_t id : ids)
            purge_job(id);
    broker_.respond(msg, json_pack("{s:I}", "count", (json_int_t)ids.size()));
}

} // namespace fluxd
