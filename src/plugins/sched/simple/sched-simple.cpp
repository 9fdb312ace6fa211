/* sched-simple.cpp - the reference scheduler, a broker module.
 *
 * It speaks RFC 27 with the job manager and allocates first fit, strictly
 * first come first served by priority then submit time: a job that does not
 * fit blocks the jobs behind it.  Resources come from the resource service
 * (resource.acquire: the instance's R, then up/down changes).
 *
 * The RFC 27 plumbing is the public helper flux/schedutil.h, as for any
 * site scheduler; this file is the policy.
 *
 * Startup: the sched and feasibility services (schedutil), then
 * resource.acquire; once R is known, the schedutil handshake: hello (jobs
 * that already hold resources are marked allocated), then ready with mode
 * "unlimited" (or the mode=single|limited=N argument): the job manager
 * sends a sched.alloc for every job in SCHED state (or that many at a time)
 * and this module keeps the queue.
 *
 * Services (RFC 27):
 *   sched.alloc      {id, priority, userid, t_submit, jobspec}
 *                    -> {id, type: 0, R} | {id, type: 2, note}
 *                       | {id, type: 3} (canceled)
 *   sched.free       {id, R, final?} -> {id}   R may be part of the job's
 *                    allocation (RFC 27 partial release, housekeeping):
 *                    exactly R goes back to the pool
 *   sched.cancel     {id}                (no response; the alloc gets type 3)
 *   sched.prioritize {jobs: [[id, priority], ...]}   (no response)
 *   feasibility.check {jobspec} -> {} | error EOVERFLOW/EINVAL "why"
 *                    (job-ingest asks it once per distinct request)
 *   sched-simple.status -> {queue, free_cores, free_gpus, allocated_cores}
 * The alloc response carries R and the job manager commits it to the KVS,
 * as flux-core's job manager does, rather than the scheduler.  The alloc
 * request carries the jobspec so the scheduler need not read the KVS.
 */
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <syslog.h>
#include <tuple>
#include <vector>

#include <jansson.h>

#include <flux/core.h>
#include <flux/module.h>
#include <flux/schedutil.h>

#include "alloc.h"
#include "jobspec/jobspec.h"
#include "rv1/rv1.h"

namespace {

using flux::sched::Pool;
using flux::sched::Request;

struct PendingJob {
    uint64_t id = 0;
    uint32_t priority = 0;
    double t_submit = 0;
    Request request;
    const flux_msg_t *msg = nullptr; /* the sched.alloc request (a reference) */
};

/* Queue order: priority (highest first), submit time, id. */
using QueueKey = std::tuple<int64_t, double, uint64_t>;

struct Sched {
    flux_t *h = nullptr;
    flux_schedutil_t *util = nullptr;
    std::unique_ptr<Pool> pool;
    /* The instance's own end (its R's expiration, a nested instance's
     * time limit; 0: none): no allocation outlives it. */
    double instance_expiration = 0;
    std::map<QueueKey, PendingJob> queue;
    std::map<uint64_t, QueueKey> by_id;
    flux_future_t *acquire = nullptr;
    flux_msg_handler_t **handlers = nullptr; /* sched-simple.status */
    bool ready = false;
    std::string mode = "unlimited"; /* RFC 27 concurrency: unlimited, single, limited=N */
    /* The requests of the last few distinct jobspecs: copies of one job
     * (arrays, --cc) are parsed and checked once. */
    struct Known {
        json_t *jobspec;
        flux::Result<Request> req;
    };
    std::vector<Known> known;
    /* feasibility.check requests that came before the resources did. */
    std::vector<const flux_msg_t *> feas_waiting;

    flux::Result<Request> request_for(json_t *jobspec)
    {
        for (size_t i = 0; i < known.size(); i++) {
            if (json_equal(known[i].jobspec, jobspec)) {
                if (i > 0)
                    std::swap(known[i], known[0]);
                return known[0].req;
            }
        }
        auto js = flux::jobspec_parse_json(jobspec);
        flux::Result<Request> req = js ? flux::sched::request_from_jobspec(*js)
                                       : flux::Result<Request>(js.error());
        if (known.size() == 4) {
            json_decref(known.back().jobspec);
            known.pop_back();
        }
        known.insert(known.begin(), Known{json_incref(jobspec), req});
        return req;
    }

    ~Sched()
    {
        for (auto &[k, job] : queue)
            flux_msg_decref(job.msg);
        for (auto *m : feas_waiting)
            flux_msg_decref(m);
        flux_future_destroy(acquire);
        flux_msg_handler_delvec(handlers);
        flux_schedutil_destroy(util);
        for (auto &k : known)
            json_decref(k.jobspec);
    }

    void deny(const PendingJob &job, const char *note)
    {
        if (flux_schedutil_alloc_deny(util, job.msg, job.id, note) < 0)
            flux_log_error(h, "sched.alloc: respond");
    }

    void remove(std::map<QueueKey, PendingJob>::iterator it)
    {
        by_id.erase(it->second.id);
        flux_msg_decref(it->second.msg);
        queue.erase(it);
    }

    /* Allocate from the head of the queue until the head does not fit. */
    void schedule()
    {
        if (!pool || !ready)
            return;
        while (!queue.empty()) {
            auto it = queue.begin();
            PendingJob &job = it->second;
            auto R = pool->alloc(job.request);
            if (!R) {
                if (R.error().errnum == ENOSPC)
                    return;
                deny(job, R.error().text.c_str());
                remove(it);
                continue;
            }
            /* The allocation starts now and, with a duration, expires
             * (the job manager keeps these when they agree with it). */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            R->starttime = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
            R->expiration = job.request.duration > 0 ? R->starttime + job.request.duration : 0;
            if (instance_expiration > 0
                && (R->expiration == 0 || R->expiration > instance_expiration))
                R->expiration = instance_expiration;
            auto o = R->encode_json();
            if (!o || flux_schedutil_alloc_success(util, job.msg, job.id, o.get(), nullptr) < 0) {
                flux_log_error(h, "sched.alloc: respond");
                (void)pool->free(*R);
            }
            remove(it);
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
    PendingJob job;
    job.id = (uint64_t)id;
    job.priority = (uint32_t)priority;
    job.t_submit = t_submit;
    job.msg = msg;
    flux::Result<Request> req = s->request_for(jobspec);
    if (!req) {
        s->deny(job, req.error().text.c_str());
        return;
    }
    job.request = *req;
    if (s->by_id.count(job.id)) {
        flux_respond_error(s->h, msg, EEXIST, "sched.alloc: job already has a request pending");
        return;
    }
    if (s->pool) {
        if (auto ok = s->pool->feasible(job.request); !ok) {
            s->deny(job, ok.error().text.c_str());
            return;
        }
    }
    /* Keep what the response needs (routes, matchtag), not the payload. */
    job.msg = flux_msg_copy(msg, false);
    if (!job.msg) {
        flux_respond_error(s->h, msg, ENOMEM, nullptr);
        return;
    }
    QueueKey key{-(int64_t)job.priority, job.t_submit, job.id};
    s->by_id[job.id] = key;
    s->queue.emplace(key, job);
    /* Only the new head can change what fits now. */
    if (s->queue.begin()->first == key)
        s->schedule();
}

void free_cb(flux_schedutil_t *util, const flux_msg_t *msg, uint64_t id, json_t *R, void *arg)
{
    Sched *s = ctx(arg);
    if (!R) {
        flux_respond_error(s->h, msg, EPROTO, "sched.free: expected {id, R}");
        return;
    }
    auto r = flux::Rv1::decode(R);
    if (!r) {
        flux_respond_error(s->h, msg, EINVAL, ("sched.free: R: " + r.error().text).c_str());
        return;
    }
    if (s->pool) {
        if (auto f = s->pool->free(*r); !f)
            flux_log(s->h, LOG_ERR, "sched.free: job %llu: %s", (unsigned long long)id,
                     f.error().text.c_str());
    }
    flux_schedutil_free_respond(util, msg, id);
    s->schedule();
}

void cancel_cb(flux_schedutil_t *util, uint64_t id, void *arg)
{
    Sched *s = ctx(arg);
    auto it = s->by_id.find(id);
    if (it == s->by_id.end())
        return;
    auto q = s->queue.find(it->second);
    bool head = q == s->queue.begin();
    flux_schedutil_alloc_cancel(util, q->second.msg, id);
    s->remove(q);
    if (head)
        s->schedule(); /* the new head may fit */
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
        auto node = s->queue.extract(it->second);
        QueueKey key{-(int64_t)priority, std::get<1>(it->second), (uint64_t)id};
        node.key() = key;
        node.mapped().priority = (uint32_t)priority;
        s->queue.insert(std::move(node));
        it->second = key;
    }
    s->schedule();
}

/* feasibility.check {jobspec} -> {} if the request could ever be satisfied
 * (all resources free and up), else EOVERFLOW (or EINVAL for a request it
 * cannot read) with the reason: what job-ingest refuses a submission with. */
void feasibility_answer(Sched *s, const flux_msg_t *msg, json_t *jobspec)
{
    flux::Result<Request> req = s->request_for(jobspec);
    if (!req) {
        flux_schedutil_feasibility_respond(s->util, msg, req.error().errnum,
                                           req.error().text.c_str());
        return;
    }
    if (auto ok = s->pool->feasible(*req); !ok) {
        flux_schedutil_feasibility_respond(s->util, msg, ok.error().errnum,
                                           ok.error().text.c_str());
        return;
    }
    flux_schedutil_feasibility_respond(s->util, msg, 0, nullptr);
}

void feasibility_cb(flux_schedutil_t *, const flux_msg_t *msg, json_t *jobspec, void *arg)
{
    Sched *s = ctx(arg);
    if (!s->pool) {
        s->feas_waiting.push_back(flux_msg_incref(msg));
        return;
    }
    feasibility_answer(s, msg, jobspec);
}

void status_cb(flux_t *h, flux_msg_handler_t *, const flux_msg_t *msg, void *arg)
{
    Sched *s = ctx(arg);
    flux_respond_pack(h, msg, "{s:I s:I s:I s:I}", "queue", (json_int_t)s->queue.size(),
                      "free_cores", (json_int_t)(s->pool ? s->pool->free_cores() : 0),
                      "free_gpus", (json_int_t)(s->pool ? s->pool->free_gpus() : 0),
                      "allocated_cores",
                      (json_int_t)(s->pool ? s->pool->allocated_cores() : 0));
}

void ready_cb(flux_schedutil_t *, int, void *arg)
{
    Sched *s = ctx(arg);
    s->ready = true;
    s->schedule();
}

/* A job that holds resources from before (the scheduler was reloaded). */
int hello_cb(flux_schedutil_t *, json_t *job, void *arg)
{
    Sched *s = ctx(arg);
    json_int_t id = 0;
    json_t *jr = nullptr;
    if (json_unpack(job, "{s:I s:o}", "id", &id, "R", &jr) < 0)
        return 0;
    auto r = flux::Rv1::decode(jr);
    if (!r) {
        flux_log(s->h, LOG_ERR, "sched-simple: job %llu: R: %s", (unsigned long long)id,
                 r.error().text.c_str());
        return 0;
    }
    if (auto ok = s->pool->claim(*r); !ok)
        flux_log(s->h, LOG_ERR, "sched-simple: job %llu: %s", (unsigned long long)id,
                 ok.error().text.c_str());
    return 0;
}

/* resource.acquire: R and the up ranks first (then hello and ready), then
 * ranks going up or down. */
void acquire_cb(flux_future_t *f, void *arg)
{
    Sched *s = ctx(arg);
    if (!s->pool) {
        json_t *R;
        const char *up = "";
        if (flux_rpc_get_unpack(f, "{s:o s?s}", "resources", &R, "up", &up) < 0) {
            flux_log(s->h, LOG_ERR, "sched-simple: resource.acquire: %s",
                     flux_future_error_string(f));
            flux_reactor_stop_error(flux_get_reactor(s->h));
            return;
        }
        auto all = flux::Rv1::decode(R);
        if (!all) {
            flux_log(s->h, LOG_ERR, "sched-simple: R: %s", all.error().text.c_str());
            flux_reactor_stop_error(flux_get_reactor(s->h));
            return;
        }
        s->instance_expiration = all->expiration;
        s->pool = std::make_unique<Pool>(std::move(*all));
        std::string err;
        auto upset = flux::IdSet::parse(up ? up : "", &err);
        s->pool->set_up(upset ? *upset : flux::IdSet());
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
            flux_log(s->h, LOG_ERR, "sched-simple: %s", error.text);
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
    std::string err;
    if (up && *up) {
        if (auto ids = flux::IdSet::parse(up, &err))
            s->pool->mark_up(*ids);
    }
    if (down && *down) {
        if (auto ids = flux::IdSet::parse(down, &err))
            s->pool->mark_down(*ids);
    }
    flux_future_reset(f);
    s->schedule();
}

const struct flux_msg_handler_spec htab[] = {
    {FLUX_MSGTYPE_REQUEST, "sched-simple.status", status_cb, FLUX_ROLE_USER},
    FLUX_MSGHANDLER_TABLE_END,
};

/* Startup: the sched service and handlers now; resources (which may take
 * a while on a large instance) asynchronously, so that the module answers
 * module.shutdown meanwhile. */
int setup(Sched &s)
{
    flux_t *h = s.h;
    struct flux_schedutil_ops ops = {};
    ops.api_version = FLUX_SCHEDUTIL_API_VERSION;
    ops.hello = hello_cb;
    ops.ready = ready_cb;
    ops.alloc = alloc_cb;
    ops.free = free_cb;
    ops.cancel = cancel_cb;
    ops.prioritize = prioritize_cb;
    ops.feasibility = feasibility_cb;
    flux_error_t error;
    if (!(s.util = flux_schedutil_create(h, &ops, &s, &error))) {
        flux_log(h, LOG_ERR, "sched-simple: %s", error.text);
        return -1;
    }
    if (flux_msg_handler_addvec(h, htab, &s, &s.handlers) < 0)
        return -1;
    s.acquire = flux_rpc(h, "resource.acquire", "{}", 0, FLUX_RPC_STREAMING);
    if (!s.acquire || flux_future_then(s.acquire, -1, acquire_cb, &s) < 0) {
        flux_log(h, LOG_ERR, "sched-simple: resource.acquire: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int sched_main(flux_t *h, int argc, char **argv)
{
    Sched s;
    s.h = h;
    for (int i = 0; i < argc; i++) {
        std::string a = argv[i];
        if (a.starts_with("mode=")) {
            std::string m = a.substr(5);
            bool limited = m.starts_with("limited=") && m.size() > 8
                           && m.find_first_not_of("0123456789", 8) == std::string::npos
                           && atoi(m.c_str() + 8) > 0;
            if (m != "unlimited" && m != "single" && !limited) {
                flux_log(h, LOG_ERR,
                         "sched-simple: mode '%s': expected unlimited, single or limited=N",
                         m.c_str());
                return -1;
            }
            s.mode = m;
            continue;
        }
        flux_log(h, LOG_ERR, "sched-simple: unknown argument '%s' (takes mode=MODE)", argv[i]);
        return -1;
    }
    if (setup(s) < 0)
        return -1;
    return flux_reactor_run(flux_get_reactor(h), 0);
}

const struct flux_module_info info = {
    FLUX_MODULE_API_VERSION,
    "sched-simple",
    sched_main,
};

} // namespace

extern "C" FLUX_API const struct flux_module_info *flux_module_init(void)
{
    return &info;
}
