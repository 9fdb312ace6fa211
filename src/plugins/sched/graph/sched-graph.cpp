/* sched-graph.cpp - the graph scheduler, a broker module on RFC 27.
 *
 * Resources: resource.acquire's R; its "scheduling" JGF when present (any
 * hierarchy, site types), else the R itself (cluster -> node -> core/gpu).
 * Ranks not up (offline, drained, excluded) are never allocated.
 *
 * Queues: one per named queue (attributes.system.queue; "" for jobs without
 * one), each in priority order (highest first), then submit time, id, with
 * its own queue-policy, reservation-depth and queue-depth
 * ([sched-graph.queues.NAME], else the global settings).  A blocked job
 * holds back only its own queue.  Each pass clears the reservations, then
 * walks the queues (the one whose head comes first in that order first),
 * up to queue-depth jobs of each:
 *   fcfs          the head allocates now or everything waits;
 *   easy          the first job that does not fit gets a reservation
 *                 (allocate_orelse_reserve), later ones start only where
 *                 they do not touch it (backfill);
 *   conservative  every job that does not fit gets a reservation;
 *   hybrid        the first reservation-depth jobs get one.
 * Pending jobs are annotated {sched: {t_estimate, reason_pending}}.
 * sched.expiration (flux update of a running job's duration) moves the
 * job's span in the plan and re-plans the reservations.
 *
 * Services: sched.* and feasibility.check through flux/schedutil.h;
 * sched-graph.status -> {queue, running, reserved, match-policy,
 * queue-policy, vertices, queues: {NAME: {pending, queue-policy,
 * reservation-depth, queue-depth}}}.
 *
 * Settings (module arguments KEY=VALUE, or the broker attributes
 * sched-graph.KEY, i.e. -Ssched-graph.KEY=VALUE or [sched-graph] in the
 * config): match-policy (first), queue-policy (fcfs), reservation-depth
 * (hybrid, 8), queue-depth (32), mode (RFC 27 concurrency, unlimited),
 * queues (JSON {NAME: {queue-policy, reservation-depth, queue-depth}}).
 * See sched-graph(5).
 */
#include <cerrno>
#include <cstring>
#include <ctime>
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <syslog.h>
#include <tuple>
#include <vector>

#include <event2/event.h>
#include <jansson.h>

#include <flux/core.h>
#include <flux/module.h>
#include <flux/schedutil.h>

#include "graph.h"
#include "jobspec/jobspec.h"
#include "match.h"
#include "rv1/rv1.h"

namespace {

using namespace flux::graph;

enum class QueuePolicy { fcfs, easy, conservative, hybrid };

struct PendingJob {
    uint64_t id = 0;
    uint32_t priority = 0;
    double t_submit = 0;
    std::shared_ptr<const Request> req;
    const flux_msg_t *msg = nullptr; /* payload-less copy of sched.alloc */
    std::string annotation;          /* the last one sent */
    /* What it said (a pass re-annotates every job it considers: most
     * passes change nothing, and then no JSON is built). */
    const char *reason = nullptr;
    double t_estimate = -1;
};

using QueueKey = std::tuple<int64_t, double, uint64_t>;

struct QueueConf {
    QueuePolicy qpolicy = QueuePolicy::fcfs;
    std::string qpolicy_name = "fcfs";
    int reservation_depth = 8;
    int queue_depth = 32;
};

/* [sched-graph.queues.NAME]: what one queue sets; the rest is global. */
struct QueueOverride {
    std::optional<std::pair<QueuePolicy, std::string>> qpolicy;
    std::optional<int> reservation_depth, queue_depth;
};

struct Queue {
    std::string name;
    QueueConf conf;
    std::map<QueueKey, PendingJob> jobs;
};

double wallclock()
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct Sched {
    flux_t *h = nullptr;
    flux_schedutil_t *util = nullptr;
    std::unique_ptr<Graph> graph;
    std::unique_ptr<Planner> planner;
    std::unique_ptr<Policy> policy;
    QueueConf defaults; /* [sched-graph] */
    std::map<std::string, QueueOverride> overrides;
    std::string mode = "unlimited";
    std::map<std::string, Queue> queues; /* by name, created on first use */
    std::map<uint64_t, std::pair<Queue *, QueueKey>> by_id;
    flux_future_t *acquire = nullptr;
    flux_msg_handler_t **handlers = nullptr;
    bool ready = false;
    std::vector<const flux_msg_t *> feas_waiting;
    struct Known {
        json_t *jobspec;
        flux::Result<std::shared_ptr<const Request>> req;
    };
    std::vector<Known> known;

    ~Sched()
    {
        for (auto &[name, q] : queues)
            for (auto &[k, job] : q.jobs)
                flux_msg_decref(job.msg);
        for (auto *m : feas_waiting)
            flux_msg_decref(m);
        flux_future_destroy(acquire);
        flux_msg_handler_delvec(handlers);
        flux_schedutil_destroy(util);
        if (annotate_timer)
            event_free(annotate_timer);
        for (auto &k : known)
            json_decref(k.jobspec);
    }

    /* Parsed and compiled once per distinct jobspec (arrays, --cc). */
    flux::Result<std::shared_ptr<const Request>> request_for(json_t *jobspec)
    {
        for (size_t i = 0; i < known.size(); i++) {
            if (json_equal(known[i].jobspec, jobspec)) {
                if (i > 0)
                    std::swap(known[i], known[0]);
                return known[0].req;
            }
        }
        flux::Result<std::shared_ptr<const Request>> req =
            flux::make_error(EINVAL, "no resources yet");
        auto js = flux::jobspec_parse_json(jobspec);
        if (!js)
            req = flux::make_error(EINVAL, "invalid jobspec: " + js.error().text);
        else {
            auto r = request_compile(*js, *graph);
            if (!r)
                req = r.error();
            else
                req = std::make_shared<const Request>(std::move(*r));
        }
        if (known.size() == 4) {
            json_decref(known.back().jobspec);
            known.pop_back();
        }
        known.insert(known.begin(), Known{json_incref(jobspec), req});
        return req;
    }

    Queue &queue_for(const std::string &name)
    {
        auto it = queues.find(name);
        if (it != queues.end())
            return it->second;
        Queue q;
        q.name = name;
        q.conf = defaults;
        if (auto o = overrides.find(name); o != overrides.end()) {
            if (o->second.qpolicy) {
                q.conf.qpolicy = o->second.qpolicy->first;
                q.conf.qpolicy_name = o->second.qpolicy->second;
            }
            if (o->second.reservation_depth)
                q.conf.reservation_depth = *o->second.reservation_depth;
            if (o->second.queue_depth)
                q.conf.queue_depth = *o->second.queue_depth;
        }
        return queues.emplace(name, std::move(q)).first->second;
    }

    size_t npending() const
    {
        size_t n = 0;
        for (const auto &[name, q] : queues)
            n += q.jobs.size();
        return n;
    }

    void remove(Queue &q, std::map<QueueKey, PendingJob>::iterator it)
    {
        by_id.erase(it->second.id);
        flux_msg_decref(it->second.msg);
        q.jobs.erase(it);
    }

    /* A pass says why each job it considers waits; the job manager hears
     * of it after annotate_delay, and only if the job still waits then:
     * under a stream of short jobs most of them start within a pass or
     * two, and telling it for each cost as much as the rest of the
     * scheduler (two messages, a JSON tree each way, a larger alloc event). */
    static constexpr double annotate_delay = 0.05;
    struct event *annotate_timer = nullptr;
    std::vector<uint64_t> annotate_due;

    void annotate(PendingJob &job, double t_estimate, const char *reason)
    {
        if (job.reason && !strcmp(job.reason, reason) && job.t_estimate == t_estimate)
            return;
        job.reason = reason;
        job.t_estimate = t_estimate;
        annotate_due.push_back(job.id);
        if (!annotate_timer) {
            annotate_timer = evtimer_new(flux_reactor_get_event_base(flux_get_reactor(h)),
                                         annotate_timer_cb, this);
            if (!annotate_timer) {
                send_annotations(); /* no timer: say it now */
                return;
            }
        }
        if (!evtimer_pending(annotate_timer, nullptr)) {
            struct timeval tv = {0, (suseconds_t)(annotate_delay * 1e6)};
            evtimer_add(annotate_timer, &tv);
        }
    }

    static void annotate_timer_cb(evutil_socket_t, short, void *arg)
    {
        static_cast<Sched *>(arg)->send_annotations();
    }

    void send_annotations()
    {
        std::vector<uint64_t> due;
        due.swap(annotate_due);
        for (uint64_t id : due) {
            auto it = by_id.find(id);
            if (it == by_id.end())
                continue; /* started or gone meanwhile */
            auto j = it->second.first->jobs.find(it->second.second);
            if (j != it->second.first->jobs.end() && j->second.reason)
                send_annotation(j->second);
        }
    }

    void send_annotation(PendingJob &job)
    {
        const char *reason = job.reason;
        double t_estimate = job.t_estimate;
        json_t *sched = json_pack("{s:s}", "reason_pending", reason);
        if (t_estimate > 0)
            json_object_set_new(sched, "t_estimate", json_real(t_estimate));
        else
            json_object_set_new(sched, "t_estimate", json_null());
        json_t *o = json_pack("{s:o}", "sched", sched);
        char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        if (s && job.annotation != s) {
            job.annotation = s;
            if (flux_schedutil_alloc_annotate(util, job.msg, job.id, o) < 0)
                flux_log_error(h, "sched.alloc: annotate");
        }
        free(s);
        json_decref(o);
    }

    static bool may_reserve(const QueueConf &c, int reserved)
    {
        switch (c.qpolicy) {
        case QueuePolicy::fcfs:
            return false;
        case QueuePolicy::easy:
            return reserved < 1;
        case QueuePolicy::conservative:
            return true;
        case QueuePolicy::hybrid:
            return reserved < c.reservation_depth;
        }
        return false;
    }

    /* One pass over the queues (see the top of the file). */
    void schedule()
    {
        if (!planner || !ready)
            return;
        planner->clear_reservations();
        double now = wallclock();
        std::vector<Queue *> order;
        for (auto &[name, q] : queues) {
            if (!q.jobs.empty())
                order.push_back(&q);
        }
        std::sort(order.begin(), order.end(), [](const Queue *a, const Queue *b) {
            return a->jobs.begin()->first < b->jobs.begin()->first;
        });
        for (Queue *q : order)
            schedule_queue(*q, now);
    }

    void schedule_queue(Queue &q, double now)
    {
        int reserved = 0, considered = 0;
        bool blocked = false;
        for (auto it = q.jobs.begin(); it != q.jobs.end();) {
            PendingJob &job = it->second;
            /* Bounded work per pass: queue-depth jobs, blocked ones included. */
            if (considered++ >= q.conf.queue_depth)
                break;
            if (blocked) {
                annotate(job, 0, "priority");
                ++it;
                continue;
            }
            Op op = may_reserve(q.conf, reserved) ? Op::allocate_orelse_reserve : Op::allocate;
            auto r = match(*planner, *policy, *job.req, op, job.id, now, false);
            if (r && !r->reserved) {
                auto R = alloc_to_R_text(*graph, r->alloc);
                if (!R
                    || flux_schedutil_alloc_success_text(util, job.msg, job.id, R->c_str(), nullptr)
                           < 0) {
                    flux_log(h, LOG_ERR, "sched.alloc: job %ju: %s", (uintmax_t)job.id,
                             R ? strerror(errno) : R.error().text.c_str());
                    (void)planner->remove(job.id);
                    ++it;
                    continue;
                }
                auto next = std::next(it);
                remove(q, it);
                it = next;
                continue;
            }
            if (r) { /* reserved */
                reserved++;
                annotate(job, r->at, "insufficient resources");
                ++it;
                continue;
            }
            if (r.error().errnum == EOVERFLOW || r.error().errnum == EINVAL) {
                if (flux_schedutil_alloc_deny(util, job.msg, job.id, r.error().text.c_str()) < 0)
                    flux_log_error(h, "sched.alloc: deny");
                auto next = std::next(it);
                remove(q, it);
                it = next;
                continue;
            }
            annotate(job, 0, "insufficient resources");
            if (q.conf.qpolicy == QueuePolicy::fcfs)
                blocked = true;
            ++it;
        }
    }
};

Sched *ctx(void *arg)
{
    return static_cast<Sched *>(arg);
}

void alloc_cb(flux_schedutil_t *, const flux_msg_t *msg, json_t *jobj, void *arg)
{
    Sched *s = ctx(arg);
    json_int_t id, priority;
    double t_submit = 0;
    json_t *jobspec = nullptr;
    if (json_unpack(jobj, "{s:I s:I s?f s:o}", "id", &id, "priority", &priority, "t_submit",
                    &t_submit, "jobspec", &jobspec)
        < 0) {
        flux_respond_error(s->h, msg, EPROTO, "sched.alloc: expected {id, priority, jobspec}");
        return;
    }
    if (s->by_id.count((uint64_t)id)) {
        flux_respond_error(s->h, msg, EEXIST, "sched.alloc: job already has a request pending");
        return;
    }
    auto req = s->request_for(jobspec);
    if (!req) {
        flux_schedutil_alloc_deny(s->util, msg, (uint64_t)id, req.error().text.c_str());
        return;
    }
    auto sat = match(*s->planner, *s->policy, **req, Op::satisfiability, 0, 0);
    if (!sat) {
        flux_schedutil_alloc_deny(s->util, msg, (uint64_t)id, sat.error().text.c_str());
        return;
    }
    const char *qname = nullptr;
    (void)json_unpack(jobspec, "{s?{s?{s?s}}}", "attributes", "system", "queue", &qname);
    Queue &q = s->queue_for(qname ? qname : "");
    PendingJob job;
    job.id = (uint64_t)id;
    job.priority = (uint32_t)priority;
    job.t_submit = t_submit;
    job.req = *req;
    if (!(job.msg = flux_msg_copy(msg, false))) {
        flux_respond_error(s->h, msg, ENOMEM, nullptr);
        return;
    }
    QueueKey key{-(int64_t)job.priority, job.t_submit, job.id};
    s->by_id[job.id] = {&q, key};
    q.jobs.emplace(key, std::move(job));
    /* A pass considers the first queue-depth jobs of each queue: a job that
     * lands behind them changes no pass (a long queue of submissions costs
     * no match each); the next free, arrival ahead, or priority change
     * runs one. */
    if ((int)q.jobs.size() > q.conf.queue_depth) {
        auto last = std::next(q.jobs.begin(), q.conf.queue_depth - 1);
        if (last->first < key)
            return;
    }
    s->schedule();
}

/* With FLUX_SCHEDUTIL_FREE_BY_ID, R is NULL on the final free (the whole
 * allocation goes back by the job's id) and names the ranks of a partial
 * release (housekeeping returning nodes one by one). */
void free_cb(flux_schedutil_t *util, const flux_msg_t *msg, uint64_t id, json_t *R, void *arg)
{
    Sched *s = ctx(arg);
    int final = 1;
    if (R)
        (void)flux_msg_unpack(msg, "{s?b}", "final", &final);
    if (s->planner) {
        flux::Result<void> r;
        if (final)
            r = s->planner->remove(id);
        else if (auto part = flux::Rv1::decode(R); !part)
            r = flux::make_error(EPROTO, "R: " + part.error().text);
        else
            r = s->planner->release_ranks(id, part->ranks());
        if (!r)
            flux_log(s->h, LOG_ERR, "sched.free: %s", r.error().text.c_str());
    }
    flux_schedutil_free_respond(util, msg, id);
    s->schedule();
}

/* flux update moved a running job's end: move its span in the plan, so
 * that reservations (re-planned now) and backfill see the new end. */
void expiration_cb(flux_schedutil_t *util, const flux_msg_t *msg, uint64_t id, double expiration,
                   void *arg)
{
    Sched *s = ctx(arg);
    const Alloc *cur = s->planner ? s->planner->find(id) : nullptr;
    if (!cur || !cur->running) {
        flux_schedutil_expiration_respond(util, msg, ENOENT, "no running allocation for the job");
        return;
    }
    Alloc a = *cur;
    a.end = expiration > 0 ? expiration : forever;
    s->planner->clear_reservations(); /* the next pass plans them again */
    (void)s->planner->remove(id);
    if (auto r = s->planner->add(id, a); !r) {
        flux_log(s->h, LOG_ERR, "sched.expiration: %s", r.error().text.c_str());
        flux_schedutil_expiration_respond(util, msg, r.error().errnum, r.error().text.c_str());
        return;
    }
    flux_schedutil_expiration_respond(util, msg, 0, nullptr);
    s->schedule();
}

void cancel_cb(flux_schedutil_t *util, uint64_t id, void *arg)
{
    Sched *s = ctx(arg);
    auto it = s->by_id.find(id);
    if (it == s->by_id.end())
        return;
    Queue &q = *it->second.first;
    auto j = q.jobs.find(it->second.second);
    flux_schedutil_alloc_cancel(util, j->second.msg, id);
    s->remove(q, j);
    s->schedule();
}

void prioritize_cb(flux_schedutil_t *, json_t *jobs, void *arg)
{
    Sched *s = ctx(arg);
    size_t i;
    json_t *entry;
    json_array_foreach(jobs, i, entry)
    {
        json_int_t id, priority;
        if (json_unpack(entry, "[I,I]", &id, &priority) < 0)
            continue;
        auto it = s->by_id.find((uint64_t)id);
        if (it == s->by_id.end())
            continue;
        Queue &q = *it->second.first;
        auto node = q.jobs.extract(it->second.second);
        QueueKey key{-(int64_t)priority, std::get<1>(it->second.second), (uint64_t)id};
        node.key() = key;
        node.mapped().priority = (uint32_t)priority;
        q.jobs.insert(std::move(node));
        it->second.second = key;
    }
    s->schedule();
}

void feasibility_answer(Sched *s, const flux_msg_t *msg, json_t *jobspec)
{
    auto req = s->request_for(jobspec);
    if (!req) {
        flux_schedutil_feasibility_respond(s->util, msg, req.error().errnum,
                                           req.error().text.c_str());
        return;
    }
    auto ok = match(*s->planner, *s->policy, **req, Op::satisfiability, 0, 0);
    flux_schedutil_feasibility_respond(s->util, msg, ok ? 0 : ok.error().errnum,
                                       ok ? nullptr : ok.error().text.c_str());
}

void feasibility_cb(flux_schedutil_t *, const flux_msg_t *msg, json_t *jobspec, void *arg)
{
    Sched *s = ctx(arg);
    if (!s->planner) {
        s->feas_waiting.push_back(flux_msg_incref(msg));
        return;
    }
    feasibility_answer(s, msg, jobspec);
}

void status_cb(flux_t *h, flux_msg_handler_t *, const flux_msg_t *msg, void *arg)
{
    Sched *s = ctx(arg);
    int running = 0, reserved = 0;
    if (s->planner)
        for (const auto &[id, a] : s->planner->jobs())
            (a.running ? running : reserved)++;
    json_t *queues = json_object();
    for (const auto &[name, q] : s->queues)
        json_object_set_new(queues, name.c_str(),
                            json_pack("{s:I s:s s:i s:i}", "pending", (json_int_t)q.jobs.size(),
                                      "queue-policy", q.conf.qpolicy_name.c_str(),
                                      "reservation-depth", q.conf.reservation_depth,
                                      "queue-depth", q.conf.queue_depth));
    flux_respond_pack(h, msg, "{s:I s:i s:i s:s s:s s:I s:o}", "queue", (json_int_t)s->npending(),
                      "running", running, "reserved", reserved, "match-policy",
                      s->policy->name(), "queue-policy", s->defaults.qpolicy_name.c_str(),
                      "vertices", (json_int_t)(s->graph ? s->graph->size() : 0), "queues",
                      queues);
}

void ready_cb(flux_schedutil_t *, int, void *arg)
{
    Sched *s = ctx(arg);
    s->ready = true;
    s->schedule();
}

/* A running job from before: its resources are reserved before anything
 * new is matched. */
int hello_cb(flux_schedutil_t *, json_t *job, void *arg)
{
    Sched *s = ctx(arg);
    json_int_t id = 0;
    json_t *jr = nullptr;
    if (json_unpack(job, "{s:I s:o}", "id", &id, "R", &jr) < 0)
        return 0;
    auto a = alloc_from_R(*s->graph, jr);
    if (!a) {
        flux_log(s->h, LOG_ERR, "sched-graph: job %ju: %s", (uintmax_t)id, a.error().text.c_str());
        return 0;
    }
    if (auto ok = s->planner->add((uint64_t)id, std::move(*a)); !ok)
        flux_log(s->h, LOG_ERR, "sched-graph: job %ju: %s", (uintmax_t)id,
                 ok.error().text.c_str());
    return 0;
}

void mark(Sched *s, const char *ids, Status st)
{
    if (!ids || !*ids)
        return;
    std::string err;
    if (auto set = flux::IdSet::parse(ids, &err))
        set->for_each([&](uint32_t r) { s->planner->set_status(r, st); });
}

void acquire_cb(flux_future_t *f, void *arg)
{
    Sched *s = ctx(arg);
    if (!s->planner) {
        json_t *R, *topology = nullptr;
        const char *up = "";
        if (flux_rpc_get_unpack(f, "{s:o s?s s?o}", "resources", &R, "up", &up, "topology",
                                &topology)
            < 0) {
            flux_log(s->h, LOG_ERR, "sched-graph: resource.acquire: %s",
                     flux_future_error_string(f));
            flux_reactor_stop_error(flux_get_reactor(s->h));
            return;
        }
        auto g = Graph::from_json(R, topology);
        auto rv = flux::Rv1::decode(R);
        if (!g || !rv) {
            flux_log(s->h, LOG_ERR, "sched-graph: %s",
                     (!g ? g.error() : rv.error()).text.c_str());
            flux_reactor_stop_error(flux_get_reactor(s->h));
            return;
        }
        s->graph = std::make_unique<Graph>(std::move(*g));
        s->planner = std::make_unique<Planner>(*s->graph);
        /* Hosts of the graph that R does not hold are never used; those R
         * holds start down until listed up. */
        flux::IdSet inR = rv->ranks(), upset;
        if (auto u = flux::IdSet::parse(up ? up : ""))
            upset = *u;
        for (size_t r = 0; r < s->graph->hosts().size(); r++) {
            if (s->graph->host_of((uint32_t)r) < 0)
                continue;
            Status st = !inR.contains((uint32_t)r)       ? Status::excluded
                        : upset.contains((uint32_t)r) ? Status::up
                                                      : Status::down;
            s->planner->set_status((uint32_t)r, st);
        }
        flux_log(s->h, LOG_INFO, "sched-graph: %zu vertices, %zu hosts, match-policy=%s "
                                 "queue-policy=%s",
                 s->graph->size(), s->graph->hosts().size(), s->policy->name(),
                 s->defaults.qpolicy_name.c_str());
        for (const auto &[name, o] : s->overrides) {
            Queue &q = s->queue_for(name);
            flux_log(s->h, LOG_INFO,
                     "sched-graph: queue %s: queue-policy=%s reservation-depth=%d queue-depth=%d",
                     name.c_str(), q.conf.qpolicy_name.c_str(), q.conf.reservation_depth,
                     q.conf.queue_depth);
        }
        flux_future_reset(f);
        for (auto *m : s->feas_waiting) {
            json_t *jobspec = nullptr;
            if (flux_msg_unpack(m, "{s:o}", "jobspec", &jobspec) == 0)
                feasibility_answer(s, m, jobspec);
            flux_msg_decref(m);
        }
        s->feas_waiting.clear();
        flux_error_t error;
        if (flux_schedutil_start(s->util, s->mode.c_str(), &error) < 0) {
            flux_log(s->h, LOG_ERR, "sched-graph: %s", error.text);
            flux_reactor_stop_error(flux_get_reactor(s->h));
        }
        return;
    }
    const char *up = nullptr, *down = nullptr;
    if (flux_rpc_get_unpack(f, "{s?s s?s}", "up", &up, "down", &down) < 0) {
        flux_log(s->h, LOG_ERR, "resource.acquire: %s", flux_future_error_string(f));
        flux_reactor_stop_error(flux_get_reactor(s->h));
        return;
    }
    mark(s, up, Status::up);
    mark(s, down, Status::down);
    flux_future_reset(f);
    s->schedule();
}

const struct flux_msg_handler_spec htab[] = {
    {FLUX_MSGTYPE_REQUEST, "sched-graph.status", status_cb, FLUX_ROLE_USER},
    FLUX_MSGHANDLER_TABLE_END,
};

bool parse_qpolicy(const std::string &val, QueuePolicy *out)
{
    static const std::pair<const char *, QueuePolicy> names[] = {
        {"fcfs", QueuePolicy::fcfs},
        {"easy", QueuePolicy::easy},
        {"conservative", QueuePolicy::conservative},
        {"hybrid", QueuePolicy::hybrid},
    };
    for (const auto &[n, p] : names) {
        if (val == n) {
            *out = p;
            return true;
        }
    }
    return false;
}

int configure(Sched &s, const std::string &key, const std::string &val);

/* queues={"NAME": {"queue-policy": "easy", "queue-depth": 8, ...}, ...} */
int configure_queues(Sched &s, const std::string &val)
{
    flux_t *h = s.h;
    json_error_t jerr;
    json_t *o = json_loads(val.c_str(), 0, &jerr);
    if (!json_is_object(o)) {
        flux_log(h, LOG_ERR, "sched-graph: queues: expected a JSON object of queues");
        json_decref(o);
        return -1;
    }
    int rc = 0;
    const char *name;
    json_t *conf;
    json_object_foreach(o, name, conf)
    {
        QueueOverride ov;
        const char *k;
        json_t *v;
        if (!json_is_object(conf)) {
            flux_log(h, LOG_ERR, "sched-graph: queues.%s: expected a table", name);
            rc = -1;
            break;
        }
        json_object_foreach(conf, k, v)
        {
            std::string key = k, text;
            if (json_is_string(v))
                text = json_string_value(v);
            else if (json_is_integer(v))
                text = std::to_string(json_integer_value(v));
            /* Check the value as the global KEY would be, on a scratch copy. */
            Sched scratch;
            scratch.h = h;
            if (key != "queue-policy" && key != "reservation-depth" && key != "queue-depth") {
                flux_log(h, LOG_ERR,
                         "sched-graph: queues.%s.%s: unknown key (queue-policy, "
                         "reservation-depth, queue-depth)",
                         name, k);
                rc = -1;
                break;
            }
            if (configure(scratch, key, text) < 0) {
                flux_log(h, LOG_ERR, "sched-graph: queues.%s.%s: bad value", name, k);
                rc = -1;
                break;
            }
            if (key == "queue-policy")
                ov.qpolicy = std::make_pair(scratch.defaults.qpolicy, text);
            else if (key == "reservation-depth")
                ov.reservation_depth = scratch.defaults.reservation_depth;
            else
                ov.queue_depth = scratch.defaults.queue_depth;
        }
        if (rc < 0)
            break;
        s.overrides[name] = ov;
    }
    json_decref(o);
    return rc;
}

/* KEY=VALUE from the module arguments or the sched-graph.KEY attribute. */
int configure(Sched &s, const std::string &key, const std::string &val)
{
    flux_t *h = s.h;
    auto positive = [&](int *out) {
        char *end;
        long n = strtol(val.c_str(), &end, 10);
        if (val.empty() || *end || n < 1 || n > 1000000) {
            flux_log(h, LOG_ERR, "sched-graph: %s=%s: expected an integer from 1 to 1000000",
                     key.c_str(), val.c_str());
            return -1;
        }
        *out = (int)n;
        return 0;
    };
    if (key == "queues")
        return configure_queues(s, val);
    if (key == "match-policy") {
        /* A name, or the path of a site policy (flux/sched_policy.h). */
        const char *conf = flux_attr_get(h, "sched-graph.policy-conf");
        auto p = policy_open(val, conf && *conf ? conf : "{}");
        if (!p) {
            flux_log(h, LOG_ERR, "sched-graph: match-policy %s", p.error().text.c_str());
            return -1;
        }
        s.policy = std::move(*p);
        return 0;
    }
    if (key == "queue-policy") {
        if (!parse_qpolicy(val, &s.defaults.qpolicy)) {
            flux_log(h, LOG_ERR,
                     "sched-graph: queue-policy '%s': expected fcfs, easy, conservative or hybrid",
                     val.c_str());
            return -1;
        }
        s.defaults.qpolicy_name = val;
        return 0;
    }
    if (key == "reservation-depth")
        return positive(&s.defaults.reservation_depth);
    if (key == "queue-depth")
        return positive(&s.defaults.queue_depth);
    if (key == "mode") {
        bool limited = val.starts_with("limited=") && val.size() > 8
                       && val.find_first_not_of("0123456789", 8) == std::string::npos
                       && atoi(val.c_str() + 8) > 0;
        if (val != "unlimited" && val != "single" && !limited) {
            flux_log(h, LOG_ERR, "sched-graph: mode '%s': expected unlimited, single or limited=N",
                     val.c_str());
            return -1;
        }
        s.mode = val;
        return 0;
    }
    flux_log(h, LOG_ERR,
             "sched-graph: unknown setting '%s' (match-policy, queue-policy, "
             "reservation-depth, queue-depth, mode, queues)",
             key.c_str());
    return -1;
}

int setup(Sched &s)
{
    flux_t *h = s.h;
    struct flux_schedutil_ops ops = {};
    ops.api_version = FLUX_SCHEDUTIL_API_VERSION;
    ops.flags = FLUX_SCHEDUTIL_FREE_BY_ID;
    ops.hello = hello_cb;
    ops.ready = ready_cb;
    ops.alloc = alloc_cb;
    ops.free = free_cb;
    ops.cancel = cancel_cb;
    ops.prioritize = prioritize_cb;
    ops.feasibility = feasibility_cb;
    ops.expiration = expiration_cb;
    flux_error_t error;
    if (!(s.util = flux_schedutil_create(h, &ops, &s, &error))) {
        flux_log(h, LOG_ERR, "sched-graph: %s", error.text);
        return -1;
    }
    if (flux_msg_handler_addvec(h, htab, &s, &s.handlers) < 0)
        return -1;
    s.acquire = flux_rpc(h, "resource.acquire", "{}", 0, FLUX_RPC_STREAMING);
    if (!s.acquire || flux_future_then(s.acquire, -1, acquire_cb, &s) < 0) {
        flux_log(h, LOG_ERR, "sched-graph: resource.acquire: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int sched_main(flux_t *h, int argc, char **argv)
{
    Sched s;
    s.h = h;
    s.policy = policy_create("first");
    for (const char *key :
         {"match-policy", "queue-policy", "reservation-depth", "queue-depth", "mode", "queues"}) {
        const char *v = flux_attr_get(h, (std::string("sched-graph.") + key).c_str());
        if (v && *v && configure(s, key, v) < 0)
            return -1;
    }
    for (int i = 0; i < argc; i++) {
        std::string a = argv[i];
        size_t eq = a.find('=');
        if (eq == std::string::npos || eq == 0) {
            flux_log(h, LOG_ERR, "sched-graph: argument '%s': expected KEY=VALUE", argv[i]);
            return -1;
        }
        if (configure(s, a.substr(0, eq), a.substr(eq + 1)) < 0)
            return -1;
    }
    if (setup(s) < 0)
        return -1;
    return flux_reactor_run(flux_get_reactor(h), 0);
}

const struct flux_module_info info = {
    FLUX_MODULE_API_VERSION,
    "sched-graph",
    sched_main,
};

} // namespace

extern "C" FLUX_API const struct flux_module_info *flux_module_init(void)
{
    return &info;
}
