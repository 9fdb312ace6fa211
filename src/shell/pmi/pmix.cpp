/* pmix.cpp - shell plugin "pmix": an OpenPMIx server in the job shell.
 *
 * Loaded by the built-in pmix-loader when -o pmi offers pmix (the
 * default for jobs of two or more tasks).  Per shell (one per node per job):
 *
 *   shell.init   PMIx_server_init with a private tmpdir (removed at
 *                shell.exit) and the node's topology (loaded here,
 *                without I/O devices: cheaper than PMIx's discovery);
 *                PMIx_server_register_nspace: the namespace
 *                is the job's F58 id, with the job-level keys (job and
 *                universe size, max procs, node count, node map and proc
 *                map from PMIx_generate_regex/_ppn, local peers, local
 *                size, local leader, app size/leader) and, per rank, its
 *                local rank, node rank, node id, hostname, app number and
 *                app/global rank; for this node's ranks also the CPUs
 *                the affinity plugin binds them to (PMIX_CPUSET) and
 *                their PMIX_LOCALITY_STRING, so that an MPI sees which
 *                local peers share cores or caches.  Multi-node jobs register the service
 *                "<uid>-pmix-<jobid>" (direct modex, publish/lookup; a
 *                guest's services begin with its uid).
 *   task.init    PMIx_server_register_client + PMIx_server_setup_fork:
 *                the task gets PMIX_NAMESPACE, PMIX_RANK, the server URI;
 *                OMPI_MCA_pmix=ext3x when -o pmi names pmix, unless
 *                the job set it (below).
 *   task.exit    a task that connected and exits without PMIx_Finalize
 *                (and did not abort) raises a fatal job exception naming
 *                its rank and exit status.
 *   shell.exit   PMIx_server_finalize when a client connected, the
 *                tmpdir removed.
 *
 * Server module callbacks (the rest are NULL: not supported):
 *   client_connected, client_finalized   tracked per task
 *   abort          fatal exception "task R called PMIx abort (exit code N)"
 *   fence_nb       fences over the whole namespace: the local blob goes
 *                  through the shells' tree exchange (exchange.h, service
 *                  "pmix-fence-<jobid>"), every shell gets all blobs,
 *                  concatenated in node order; a fence over a subset of
 *                  ranks is refused (PMIX_ERR_NOT_SUPPORTED, logged)
 *   direct_modex   asks the shell holding the rank (pmix-<jobid>.dmodex),
 *                  which answers with PMIx_server_dmodex_request's data
 *   publish, lookup, unpublish   within the job; the data lives in node
 *                  0's shell (pmix-<jobid>.publish/.lookup/.unpublish)
 *   job_control    PMIX_JOB_CTRL_KILL/TERMINATE: a fatal exception
 *
 * Threads: PMIx calls the module on its progress thread.  Each callback
 * copies its arguments into a closure posted to the Handoff (handoff.h),
 * which runs it on the shell's loop; the loop finishes the operation
 * through PMIx's callback function.  Nothing else is shared.
 *
 * Open MPI 4.1 picks its "flux" pmix component whenever FLUX_JOB_ID is
 * set (doc/design/shell-pmix.md); when the job names pmix in -o pmi, the
 * shell steers it to PMIx ("ext3x") with OMPI_MCA_pmix in the task
 * environment, which a job can override.
 */
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <ftw.h>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>
#include <vector>

#include <hwloc.h>
#include <pmix.h>
#include <pmix_server.h>
#include <sched.h>

#include "exchange.h"
#include "flux/job.h"
#include "fluid/fluid.h"
#include "handoff.h"
#include "ioencode/ioencode.h"
#include "jobspec/jobspec.h"
#include "libflux/ptr.h"
#include "idset/idset.h"
#include "rv1/rv1.h"
#include "shell/peer.h"
#include "shell/task_cpus.h"
#include "taskmap/taskmap.h"

namespace {

using flux::JsonPtr;
using flux::shell::pmi::Exchange;
using flux::shell::pmi::Handoff;

struct Task {
    int rank = -1;
    bool registered = false;
    bool connected = false;
    bool finalized = false;
    bool aborted = false;
};

struct Server {
    flux_shell_t *shell = nullptr;
    uint64_t jobid = 0;
    std::string nspace; /* F58 job id */
    int size = 0;
    int me = -1; /* our index among the nodes with tasks */
    std::vector<std::string> names;            /* per node with tasks */
    std::vector<uint32_t> broker_ranks;        /* per node with tasks */
    std::vector<std::vector<int>> node_ranks;  /* task ranks per node */
    std::vector<int> node_of;                  /* per task rank */
    std::vector<Task> tasks;                   /* local, by localid */
    std::string tmpdir;
    hwloc_topology_t topology = nullptr; /* given to PMIx, ours to destroy */
    bool initialized = false;
    bool raised = false;
    Handoff handoff;
    std::unique_ptr<Exchange> exchange;
    std::unique_ptr<Exchange> exit_barrier; /* multi-node jobs */
    bool fenced = false;       /* a fence of the job completed */
    bool exit_decided = false; /* exit barrier started, or skipped */
    size_t exited = 0;                      /* local tasks */
    std::string service; /* "pmix-<jobid>", multi-node jobs */
    flux_msg_handler_t *mh = nullptr;
    JsonPtr published{json_object()}; /* node 0: key -> {rank, value} */
};

/* One server per shell process: PMIx's callbacks carry no host pointer. */
Server *the_server = nullptr;

void raise_exception(Server *s, const std::string &note)
{
    flux_shell_log(s->shell, LOG_ERR, "%s", note.c_str());
    if (s->raised)
        return;
    s->raised = true;
    flux::FuturePtr f(
        flux_job_raise(flux_shell_get_flux(s->shell), s->jobid, "exec", 0, note.c_str()));
    /* EINVAL "already finishing": another shell's exception won. */
    if (!f || (flux_rpc_get(f.get(), nullptr) < 0 && errno != EINVAL))
        flux_shell_log(s->shell, LOG_ERR, "cannot raise a job exception: %s",
                       f ? flux_future_error_string(f.get()) : strerror(errno));
}

Task *task_of(Server *s, int rank)
{
    for (auto &t : s->tasks)
        if (t.rank == rank)
            return &t;
    return nullptr;
}

/* Wait on the shell's thread for a PMIx operation given op_done as its
 * callback (start-up registration only: nothing else runs then). */
struct OpWait {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    pmix_status_t status = PMIX_SUCCESS;
};

void op_done(pmix_status_t status, void *arg)
{
    auto *w = static_cast<OpWait *>(arg);
    std::lock_guard<std::mutex> lock(w->mu);
    w->status = status;
    w->done = true;
    w->cv.notify_all();
}

pmix_status_t op_wait(pmix_status_t rc, OpWait &w)
{
    if (rc == PMIX_OPERATION_SUCCEEDED)
        return PMIX_SUCCESS;
    if (rc != PMIX_SUCCESS)
        return rc;
    std::unique_lock<std::mutex> lock(w.mu);
    w.cv.wait(lock, [&] { return w.done; });
    return w.status;
}

/* A pmix_value_t as bytes (PMIx_Data_pack), base64 for JSON. */
std::string pack_value(const pmix_value_t *v)
{
    pmix_data_buffer_t buf;
    PMIX_DATA_BUFFER_CONSTRUCT(&buf);
    std::string out;
    if (PMIx_Data_pack(nullptr, &buf, const_cast<pmix_value_t *>(v), 1, PMIX_VALUE)
        == PMIX_SUCCESS)
        out.assign(buf.base_ptr, buf.bytes_used);
    PMIX_DATA_BUFFER_DESTRUCT(&buf);
    return flux::base64_encode(out);
}

bool unpack_value(const char *b64, pmix_value_t *v)
{
    auto bytes = flux::base64_decode(b64 ? b64 : "");
    if (!bytes)
        return false;
    pmix_data_buffer_t buf;
    PMIX_DATA_BUFFER_CONSTRUCT(&buf);
    /* The buffer takes ownership of a malloc'd copy. */
    char *copy = static_cast<char *>(malloc(bytes->size() ? bytes->size() : 1));
    if (!copy)
        return false;
    memcpy(copy, bytes->data(), bytes->size());
    PMIX_DATA_BUFFER_LOAD(&buf, copy, bytes->size());
    int32_t n = 1;
    pmix_status_t rc = PMIx_Data_unpack(nullptr, &buf, v, &n, PMIX_VALUE);
    PMIX_DATA_BUFFER_DESTRUCT(&buf);
    return rc == PMIX_SUCCESS;
}

/* ---- the shells' own service: direct modex, publish/lookup ---- */

/* Send TOPIC to broker RANK; retry while the service is not there yet
 * (that shell has not started) for up to ~10 s. */
struct Call {
    Server *s;
    std::string topic;
    uint32_t rank;
    JsonPtr payload;
    std::function<void(flux_future_t *f)> done; /* f: NULL on local error */
    flux::FuturePtr f;
    flux::EventPtr retry;
    double backoff = 0.005;
    double waited = 0;
};

void call_send(Call *c);

void call_retry_cb(evutil_socket_t, short, void *arg)
{
    call_send(static_cast<Call *>(arg));
}

void call_response_cb(flux_future_t *f, void *arg)
{
    auto *c = static_cast<Call *>(arg);
    if (flux_rpc_get(f, nullptr) < 0 && errno == ENOSYS && c->waited < 10) {
        if (!c->retry)
            c->retry.reset(evtimer_new(flux_shell_get_event_base(c->s->shell), call_retry_cb, c));
        struct timeval tv = {(time_t)c->backoff,
                             (suseconds_t)((c->backoff - (long)c->backoff) * 1e6)};
        c->waited += c->backoff;
        if (c->backoff < 0.5)
            c->backoff *= 2;
        evtimer_add(c->retry.get(), &tv);
        return;
    }
    c->done(f);
    delete c;
}

void call_send(Call *c)
{
    c->f.reset(flux_rpc_pack(flux_shell_get_flux(c->s->shell), c->topic.c_str(), c->rank, 0,
                             "O", c->payload.get()));
    if (!c->f || flux_future_then(c->f.get(), -1, call_response_cb, c) < 0) {
        c->done(nullptr);
        delete c;
    }
}

void call(Server *s, const std::string &method, uint32_t rank, json_t *payload,
          std::function<void(flux_future_t *f)> done)
{
    auto *c = new Call{s, s->service + "." + method, rank, JsonPtr(payload), std::move(done),
                       nullptr, nullptr};
    call_send(c);
}

/* Node 0's table: publish (fails on a key already there), lookup,
 * unpublish (a rank's own keys). */
pmix_status_t table_publish(Server *s, int rank, json_t *data)
{
    const char *key;
    json_t *val;
    json_object_foreach(data, key, val)
    {
        if (json_object_get(s->published.get(), key))
            return PMIX_ERR_DUPLICATE_KEY;
    }
    json_object_foreach(data, key, val)
    {
        json_object_set_new(s->published.get(), key, json_pack("{s:i s:O}", "rank", rank,
                                                               "value", val));
    }
    return PMIX_SUCCESS;
}

json_t *table_lookup(Server *s, json_t *keys)
{
    json_t *out = json_object();
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        json_t *e = json_object_get(s->published.get(), json_string_value(k));
        if (e)
            json_object_set(out, json_string_value(k), e);
    }
    return out;
}

void table_unpublish(Server *s, int rank, json_t *keys)
{
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        json_t *e = json_object_get(s->published.get(), json_string_value(k));
        if (e && json_integer_value(json_object_get(e, "rank")) == rank)
            json_object_del(s->published.get(), json_string_value(k));
    }
    if (json_array_size(keys) == 0) {
        const char *key;
        json_t *e;
        void *tmp;
        json_object_foreach_safe(s->published.get(), tmp, key, e)
        {
            if (json_integer_value(json_object_get(e, "rank")) == rank)
                json_object_del(s->published.get(), key);
        }
    }
}

struct DmodexReply {
    Server *s;
    flux::ConstMsgPtr msg;
};

void dmodex_response(pmix_status_t status, char *data, size_t sz, void *cbdata)
{
    /* PMIx's thread; the data is freed when we return: copy it. */
    auto *r = static_cast<DmodexReply *>(cbdata);
    std::string bytes(data ? data : "", data ? sz : 0);
    r->s->handoff.post([r, status, bytes]() {
        flux_t *h = flux_shell_get_flux(r->s->shell);
        if (status != PMIX_SUCCESS)
            flux_respond_error(h, r->msg.get(), ENOENT, PMIx_Error_string(status));
        else
            flux_respond_pack(h, r->msg.get(), "{s:s}", "data",
                              flux::base64_encode(bytes).c_str());
        delete r;
    });
}

void service_cb(flux_t *h, flux_msg_handler_t *, const flux_msg_t *msg, void *arg)
{
    auto *s = static_cast<Server *>(arg);
    const char *topic = nullptr;
    if (!flux::shell::from_job_shell(h, msg, "ask"))
        return;
    if (flux_msg_get_topic(msg, &topic) < 0) {
        flux_respond_error(h, msg, EPROTO, "no topic");
        return;
    }
    std::string method = std::string(topic).substr(s->service.size() + 1);
    int rank = -1;
    json_t *data = nullptr, *keys = nullptr;
    if (method == "dmodex") {
        if (flux_msg_unpack(msg, "{s:i}", "rank", &rank) < 0 || !task_of(s, rank)) {
            flux_respond_error(h, msg, EINVAL, "dmodex: no such rank on this node");
            return;
        }
        pmix_proc_t proc;
        PMIX_LOAD_PROCID(&proc, s->nspace.c_str(), (pmix_rank_t)rank);
        auto *r = new DmodexReply{s, flux::msg_ref(msg)};
        if (PMIx_server_dmodex_request(&proc, dmodex_response, r) != PMIX_SUCCESS) {
            flux_respond_error(h, msg, ENOENT, "dmodex request failed");
            delete r;
        }
        return;
    }
    if (s->me != 0) {
        flux_respond_error(h, msg, EINVAL, "publish/lookup are served by node 0's shell");
        return;
    }
    if (method == "publish") {
        if (flux_msg_unpack(msg, "{s:i s:o}", "rank", &rank, "data", &data) < 0
            || !json_is_object(data)) {
            flux_respond_error(h, msg, EPROTO, "publish: expected {rank, data}");
            return;
        }
        flux_respond_pack(h, msg, "{s:i}", "status", (int)table_publish(s, rank, data));
    }
    else if (method == "lookup") {
        if (flux_msg_unpack(msg, "{s:o}", "keys", &keys) < 0 || !json_is_array(keys)) {
            flux_respond_error(h, msg, EPROTO, "lookup: expected {keys}");
            return;
        }
        flux_respond_pack(h, msg, "{s:o}", "data", table_lookup(s, keys));
    }
    else if (method == "unpublish") {
        if (flux_msg_unpack(msg, "{s:i s:o}", "rank", &rank, "keys", &keys) < 0
            || !json_is_array(keys)) {
            flux_respond_error(h, msg, EPROTO, "unpublish: expected {rank, keys}");
            return;
        }
        table_unpublish(s, rank, keys);
        flux_respond_pack(h, msg, "{s:i}", "status", 0);
    }
    else
        flux_respond_error(h, msg, ENOSYS, "unknown method");
}

/* ---- the server module (PMIx's thread: copy, post, return) ---- */

pmix_status_t cb_client_connected(const pmix_proc_t *proc, void *, pmix_op_cbfunc_t cbfunc,
                                  void *cbdata)
{
    int rank = (int)proc->rank;
    the_server->handoff.post([rank, cbfunc, cbdata]() {
        if (Task *t = task_of(the_server, rank))
            t->connected = true;
        if (cbfunc)
            cbfunc(PMIX_SUCCESS, cbdata);
    });
    return PMIX_SUCCESS;
}

pmix_status_t cb_client_finalized(const pmix_proc_t *proc, void *, pmix_op_cbfunc_t cbfunc,
                                  void *cbdata)
{
    int rank = (int)proc->rank;
    /* The client gets its finalize answer only once cbfunc runs, so the
     * loop has seen this before the task can exit. */
    the_server->handoff.post([rank, cbfunc, cbdata]() {
        if (Task *t = task_of(the_server, rank))
            t->finalized = true;
        if (cbfunc)
            cbfunc(PMIX_SUCCESS, cbdata);
    });
    return PMIX_SUCCESS;
}

pmix_status_t cb_abort(const pmix_proc_t *proc, void *, int status, const char msg[],
                       pmix_proc_t[], size_t, pmix_op_cbfunc_t cbfunc, void *cbdata)
{
    int rank = (int)proc->rank;
    std::string text = msg ? msg : "";
    the_server->handoff.post([rank, status, text, cbfunc, cbdata]() {
        Server *s = the_server;
        if (Task *t = task_of(s, rank))
            t->aborted = true;
        std::string note = "task " + std::to_string(rank) + " called PMIx abort (exit code "
                           + std::to_string(status) + ")";
        if (!text.empty())
            note += ": " + text.substr(0, 200);
        raise_exception(s, note);
        if (cbfunc)
            cbfunc(PMIX_SUCCESS, cbdata);
    });
    return PMIX_SUCCESS;
}

void release_string(void *arg)
{
    delete static_cast<std::string *>(arg);
}

void fence_finish(pmix_status_t status, std::string *all, pmix_modex_cbfunc_t cbfunc,
                  void *cbdata)
{
    if (!cbfunc) {
        delete all;
        return;
    }
    if (status != PMIX_SUCCESS || !all) {
        delete all;
        cbfunc(status, nullptr, 0, cbdata, nullptr, nullptr);
        return;
    }
    cbfunc(PMIX_SUCCESS, all->data(), all->size(), cbdata, release_string, all);
}

void fence_start(Server *s, std::string blob, pmix_modex_cbfunc_t cbfunc, void *cbdata)
{
    if (!s->exchange) {
        fence_finish(PMIX_SUCCESS, new std::string(std::move(blob)), cbfunc, cbdata);
        return;
    }
    json_t *data = json_pack("{s:s}", std::to_string(s->me).c_str(),
                             flux::base64_encode(blob).c_str());
    int nnodes = (int)s->names.size();
    auto r = s->exchange->start(data, [s, nnodes, cbfunc,
                                       cbdata](const flux::Result<json_t *> &res) {
        if (!res) {
            raise_exception(s, "pmix: fence: " + res.error().text);
            fence_finish(PMIX_ERROR, nullptr, cbfunc, cbdata);
            return;
        }
        s->fenced = true;
        auto *all = new std::string;
        for (int n = 0; n < nnodes; n++) {
            const char *b64 = json_string_value(json_object_get(*res, std::to_string(n).c_str()));
            auto bytes = flux::base64_decode(b64 ? b64 : "");
            if (bytes)
                all->append(*bytes);
        }
        fence_finish(PMIX_SUCCESS, all, cbfunc, cbdata);
    });
    if (!r) {
        raise_exception(s, "pmix: fence: " + r.error().text);
        fence_finish(PMIX_ERROR, nullptr, cbfunc, cbdata);
    }
}

pmix_status_t cb_fence_nb(const pmix_proc_t procs[], size_t nprocs, const pmix_info_t[], size_t,
                          char *data, size_t ndata, pmix_modex_cbfunc_t cbfunc, void *cbdata)
{
    Server *s = the_server;
    bool whole = nprocs == 1 && PMIX_CHECK_NSPACE(procs[0].nspace, s->nspace.c_str())
                 && procs[0].rank == PMIX_RANK_WILDCARD;
    if (!whole) {
        std::string who = nprocs ? std::to_string(procs[0].rank) : "?";
        s->handoff.post([who]() {
            flux_shell_log(the_server->shell, LOG_ERR,
                           "pmix: a fence over a subset of the job's ranks (first %s) is not "
                           "supported: refused",
                           who.c_str());
        });
        return PMIX_ERR_NOT_SUPPORTED;
    }
    std::string blob(data ? data : "", data ? ndata : 0);
    s->handoff.post([s, blob, cbfunc, cbdata]() { fence_start(s, blob, cbfunc, cbdata); });
    return PMIX_SUCCESS;
}

pmix_status_t cb_direct_modex(const pmix_proc_t *proc, const pmix_info_t[], size_t,
                              pmix_modex_cbfunc_t cbfunc, void *cbdata)
{
    Server *s = the_server;
    if (!PMIX_CHECK_NSPACE(proc->nspace, s->nspace.c_str()) || proc->rank >= (pmix_rank_t)s->size
        || s->service.empty())
        return PMIX_ERR_NOT_FOUND;
    int rank = (int)proc->rank;
    s->handoff.post([s, rank, cbfunc, cbdata]() {
        uint32_t broker = s->broker_ranks[(size_t)s->node_of[(size_t)rank]];
        call(s, "dmodex", broker, json_pack("{s:i}", "rank", rank),
             [cbfunc, cbdata](flux_future_t *f) {
                 const char *b64 = nullptr;
                 if (!f || flux_rpc_get_unpack(f, "{s:s}", "data", &b64) < 0) {
                     cbfunc(PMIX_ERR_NOT_FOUND, nullptr, 0, cbdata, nullptr, nullptr);
                     return;
                 }
                 auto bytes = flux::base64_decode(b64);
                 auto *all = new std::string(bytes ? *bytes : std::string());
                 cbfunc(PMIX_SUCCESS, all->data(), all->size(), cbdata, release_string, all);
             });
    });
    return PMIX_SUCCESS;
}

pmix_status_t cb_publish(const pmix_proc_t *proc, const pmix_info_t info[], size_t ninfo,
                         pmix_op_cbfunc_t cbfunc, void *cbdata)
{
    Server *s = the_server;
    int rank = (int)proc->rank;
    json_t *data = json_object();
    for (size_t i = 0; i < ninfo; i++) {
        /* Directives (range, persistence) ride in the same array. */
        if (strncmp(info[i].key, "pmix.", 5) == 0)
            continue;
        json_object_set_new(data, info[i].key, json_string(pack_value(&info[i].value).c_str()));
    }
    s->handoff.post([s, rank, data, cbfunc, cbdata]() {
        if (s->me == 0) {
            pmix_status_t rc = table_publish(s, rank, data);
            json_decref(data);
            if (cbfunc)
                cbfunc(rc, cbdata);
            return;
        }
        call(s, "publish", s->broker_ranks[0],
             json_pack("{s:i s:o}", "rank", rank, "data", data),
             [cbfunc, cbdata](flux_future_t *f) {
                 int st = PMIX_ERROR;
                 if (f && flux_rpc_get_unpack(f, "{s:i}", "status", &st) < 0)
                     st = PMIX_ERROR;
                 if (cbfunc)
                     cbfunc((pmix_status_t)st, cbdata);
             });
    });
    return PMIX_SUCCESS;
}

void lookup_finish(Server *s, json_t *found, size_t nkeys, pmix_lookup_cbfunc_t cbfunc,
                   void *cbdata)
{
    size_t n = json_object_size(found);
    if (n == 0) {
        cbfunc(PMIX_ERR_NOT_FOUND, nullptr, 0, cbdata);
        return;
    }
    pmix_pdata_t *pdata;
    PMIX_PDATA_CREATE(pdata, n);
    size_t i = 0;
    const char *key;
    json_t *e;
    json_object_foreach(found, key, e)
    {
        int rank = (int)json_integer_value(json_object_get(e, "rank"));
        PMIX_LOAD_PROCID(&pdata[i].proc, s->nspace.c_str(), (pmix_rank_t)rank);
        PMIX_LOAD_KEY(pdata[i].key, key);
        if (!unpack_value(json_string_value(json_object_get(e, "value")), &pdata[i].value)) {
            PMIX_PDATA_FREE(pdata, n);
            cbfunc(PMIX_ERR_UNPACK_FAILURE, nullptr, 0, cbdata);
            return;
        }
        i++;
    }
    (void)nkeys;
    cbfunc(PMIX_SUCCESS, pdata, n, cbdata);
    PMIX_PDATA_FREE(pdata, n);
}

pmix_status_t cb_lookup(const pmix_proc_t *, char **keys, const pmix_info_t[], size_t,
                        pmix_lookup_cbfunc_t cbfunc, void *cbdata)
{
    Server *s = the_server;
    json_t *k = json_array();
    for (size_t i = 0; keys && keys[i]; i++)
        json_array_append_new(k, json_string(keys[i]));
    s->handoff.post([s, k, cbfunc, cbdata]() {
        size_t nkeys = json_array_size(k);
        if (s->me == 0) {
            JsonPtr found(table_lookup(s, k));
            json_decref(k);
            lookup_finish(s, found.get(), nkeys, cbfunc, cbdata);
            return;
        }
        call(s, "lookup", s->broker_ranks[0], json_pack("{s:o}", "keys", k),
             [s, nkeys, cbfunc, cbdata](flux_future_t *f) {
                 json_t *found = nullptr;
                 if (!f || flux_rpc_get_unpack(f, "{s:o}", "data", &found) < 0) {
                     cbfunc(PMIX_ERROR, nullptr, 0, cbdata);
                     return;
                 }
                 lookup_finish(s, found, nkeys, cbfunc, cbdata);
             });
    });
    return PMIX_SUCCESS;
}

pmix_status_t cb_unpublish(const pmix_proc_t *proc, char **keys, const pmix_info_t[], size_t,
                           pmix_op_cbfunc_t cbfunc, void *cbdata)
{
    Server *s = the_server;
    int rank = (int)proc->rank;
    json_t *k = json_array();
    for (size_t i = 0; keys && keys[i]; i++)
        json_array_append_new(k, json_string(keys[i]));
    s->handoff.post([s, rank, k, cbfunc, cbdata]() {
        if (s->me == 0) {
            table_unpublish(s, rank, k);
            json_decref(k);
            if (cbfunc)
                cbfunc(PMIX_SUCCESS, cbdata);
            return;
        }
        call(s, "unpublish", s->broker_ranks[0],
             json_pack("{s:i s:o}", "rank", rank, "keys", k), [cbfunc, cbdata](flux_future_t *f) {
                 if (cbfunc)
                     cbfunc(f && flux_rpc_get(f, nullptr) == 0 ? PMIX_SUCCESS : PMIX_ERROR,
                            cbdata);
             });
    });
    return PMIX_SUCCESS;
}

pmix_status_t cb_job_control(const pmix_proc_t *requestor, const pmix_proc_t[], size_t,
                             const pmix_info_t directives[], size_t ndirs,
                             pmix_info_cbfunc_t cbfunc, void *cbdata)
{
    bool kill = false;
    for (size_t i = 0; i < ndirs; i++)
        if (PMIX_CHECK_KEY(&directives[i], PMIX_JOB_CTRL_KILL)
            || PMIX_CHECK_KEY(&directives[i], PMIX_JOB_CTRL_TERMINATE))
            kill = true;
    if (!kill)
        return PMIX_ERR_NOT_SUPPORTED;
    int rank = (int)requestor->rank;
    the_server->handoff.post([rank, cbfunc, cbdata]() {
        if (Task *t = task_of(the_server, rank))
            t->aborted = true;
        raise_exception(the_server, "task " + std::to_string(rank)
                                        + " asked PMIx job control to terminate the job");
        if (cbfunc)
            cbfunc(PMIX_SUCCESS, nullptr, 0, cbdata, nullptr, nullptr);
    });
    return PMIX_SUCCESS;
}

pmix_server_module_t module_table()
{
    pmix_server_module_t m;
    memset(&m, 0, sizeof(m));
    m.client_connected = cb_client_connected;
    m.client_finalized = cb_client_finalized;
    m.abort = cb_abort;
    m.fence_nb = cb_fence_nb;
    m.direct_modex = cb_direct_modex;
    m.publish = cb_publish;
    m.lookup = cb_lookup;
    m.unpublish = cb_unpublish;
    m.job_control = cb_job_control;
    return m;
}

/* ---- set-up ---- */

flux::Result<void> compute_layout(Server *s)
{
    json_t *info = flux_shell_get_info(s->shell);
    json_t *R = json_object_get(info, "R");
    int node = 0;
    if (json_unpack(info, "{s:i s:i}", "size", &s->size, "rank", &node) < 0)
        return flux::make_error(EINVAL, "job info is malformed");
    if (!R || json_is_null(R))
        return flux::make_error(EINVAL, "the job has no R: no process map");
    auto r = flux::Rv1::decode(R);
    if (!r)
        return r.error();
    auto js = flux::jobspec_parse_json(json_object_get(info, "jobspec"));
    if (!js)
        return js.error();
    auto m = flux::Taskmap::create(*r, *js);
    if (!m)
        return m.error();
    std::vector<std::string> hosts = r->hostnames();
    std::map<std::string, int> seen;
    for (size_t i = 0; i < m->nodes().size(); i++) {
        const auto &n = m->nodes()[i];
        if (n.ntasks == 0)
            continue;
        if ((int)i == node)
            s->me = (int)s->names.size();
        std::string host = i < hosts.size() && !hosts[i].empty() ? hosts[i] : "node";
        seen[host]++;
        s->names.push_back(host);
        s->broker_ranks.push_back(n.rank);
        std::vector<int> ranks;
        for (uint32_t t = 0; t < n.ntasks; t++)
            ranks.push_back((int)(n.first_task + t));
        s->node_ranks.push_back(ranks);
    }
    if (s->me < 0)
        return flux::make_error(EINVAL, "this node holds no task of the job");
    /* Several brokers of one machine (a test instance) are distinct nodes
     * to PMIx: each shell serves only its own tasks.  Names must then be
     * unique in the node map. */
    for (size_t i = 0; i < s->names.size(); i++)
        if (seen[s->names[i]] > 1)
            s->names[i] += "-" + std::to_string(s->broker_ranks[i]);
    s->node_of.assign((size_t)s->size, 0);
    for (size_t n = 0; n < s->node_ranks.size(); n++)
        for (int t : s->node_ranks[n])
            if (t >= 0 && t < s->size)
                s->node_of[(size_t)t] = (int)n;
    return {};
}

std::string join(const std::vector<int> &v, char sep)
{
    std::string out;
    for (size_t i = 0; i < v.size(); i++) {
        if (i)
            out += sep;
        out += std::to_string(v[i]);
    }
    return out;
}

struct BitmapDeleter {
    void operator()(hwloc_bitmap_t b) const { hwloc_bitmap_free(b); }
};
using BitmapPtr = std::unique_ptr<hwloc_bitmap_s, BitmapDeleter>;

/* Per local task (by localid): the CPUs it runs on, as the affinity
 * plugin binds it (shell/task_cpus.h); a task left unbound runs where
 * the shell may (its own affinity mask). */
flux::Result<std::vector<BitmapPtr>> local_cpusets(Server *s, size_t ntasks)
{
    const char *cpus = "";
    json_unpack(flux_shell_get_info(s->shell), "{s?s}", "cpus", &cpus);
    flux::shell::CpuAffinity mode;
    std::string error;
    if (!flux::shell::cpu_affinity_parse(flux_shell_getopt(s->shell, "cpu-affinity"), &mode,
                                         &error))
        return flux::make_error(EINVAL, error);
    std::vector<int> alloc;
    if (*cpus) {
        auto ids = flux::IdSet::parse(cpus);
        if (!ids)
            return flux::make_error(EINVAL, std::string("cpus: invalid idset ") + cpus);
        ids->for_each([&](uint32_t c) {
            if (c < CPU_SETSIZE)
                alloc.push_back((int)c);
        });
    }
    cpu_set_t own;
    CPU_ZERO(&own);
    if (sched_getaffinity(0, sizeof(own), &own) < 0)
        return flux::make_error(errno, "sched_getaffinity: " + std::string(strerror(errno)));
    std::vector<BitmapPtr> out;
    for (size_t i = 0; i < ntasks; i++) {
        BitmapPtr b(hwloc_bitmap_alloc());
        if (!b)
            return flux::make_error(ENOMEM, "out of memory");
        auto mine = flux::shell::task_cpus(alloc, mode, (int)ntasks, (int)i);
        if (mine.empty()) {
            for (int c = 0; c < CPU_SETSIZE; c++)
                if (CPU_ISSET(c, &own))
                    hwloc_bitmap_set(b.get(), (unsigned)c);
        }
        for (int c : mine)
            hwloc_bitmap_set(b.get(), (unsigned)c);
        out.push_back(std::move(b));
    }
    return out;
}

flux::Result<void> register_nspace(Server *s)
{
    std::string hosts, ppn;
    for (size_t n = 0; n < s->names.size(); n++) {
        hosts += (n ? "," : "") + s->names[n];
        ppn += (n ? ";" : "") + join(s->node_ranks[n], ',');
    }
    char *node_map = nullptr, *proc_map = nullptr;
    if (PMIx_generate_regex(hosts.c_str(), &node_map) != PMIX_SUCCESS
        || PMIx_generate_ppn(ppn.c_str(), &proc_map) != PMIX_SUCCESS) {
        free(node_map);
        return flux::make_error(EINVAL, "cannot generate the PMIx node/proc maps");
    }
    const std::vector<int> &local = s->node_ranks[(size_t)s->me];
    uint32_t size = (uint32_t)s->size, nnodes = (uint32_t)s->names.size(),
             nlocal = (uint32_t)local.size(), zero = 0, one = 1, nodeid = (uint32_t)s->me;
    pmix_rank_t leader = 0, lldr = (pmix_rank_t)local.front();
    std::string peers = join(local, ',');
    void *list = PMIx_Info_list_start();
    PMIx_Info_list_add(list, PMIX_JOBID, s->nspace.c_str(), PMIX_STRING);
    PMIx_Info_list_add(list, PMIX_UNIV_SIZE, &size, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_JOB_SIZE, &size, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_MAX_PROCS, &size, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_NUM_NODES, &nnodes, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_NODE_MAP, node_map, PMIX_REGEX);
    PMIx_Info_list_add(list, PMIX_PROC_MAP, proc_map, PMIX_REGEX);
    PMIx_Info_list_add(list, PMIX_JOB_NUM_APPS, &one, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_APP_SIZE, &size, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_APPLDR, &leader, PMIX_PROC_RANK);
    PMIx_Info_list_add(list, PMIX_APPNUM, &zero, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_LOCAL_PEERS, peers.c_str(), PMIX_STRING);
    PMIx_Info_list_add(list, PMIX_LOCAL_SIZE, &nlocal, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_NODE_SIZE, &nlocal, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_LOCALLDR, &lldr, PMIX_PROC_RANK);
    PMIx_Info_list_add(list, PMIX_NODEID, &nodeid, PMIX_UINT32);
    PMIx_Info_list_add(list, PMIX_HOSTNAME, s->names[(size_t)s->me].c_str(), PMIX_STRING);
    PMIx_Info_list_add(list, PMIX_TMPDIR, s->tmpdir.c_str(), PMIX_STRING);
    free(node_map);
    free(proc_map);
    auto cpusets = local_cpusets(s, local.size());
    if (!cpusets) {
        PMIx_Info_list_release(list);
        return cpusets.error();
    }
    /* Per rank, every rank of the job. */
    for (size_t n = 0; n < s->node_ranks.size(); n++) {
        uint32_t nid = (uint32_t)n;
        for (size_t i = 0; i < s->node_ranks[n].size(); i++) {
            pmix_rank_t rank = (pmix_rank_t)s->node_ranks[n][i];
            uint16_t lrank = (uint16_t)i;
            void *p = PMIx_Info_list_start();
            PMIx_Info_list_add(p, PMIX_RANK, &rank, PMIX_PROC_RANK);
            PMIx_Info_list_add(p, PMIX_GLOBAL_RANK, &rank, PMIX_PROC_RANK);
            PMIx_Info_list_add(p, PMIX_APP_RANK, &rank, PMIX_PROC_RANK);
            PMIx_Info_list_add(p, PMIX_APPNUM, &zero, PMIX_UINT32);
            PMIx_Info_list_add(p, PMIX_LOCAL_RANK, &lrank, PMIX_UINT16);
            PMIx_Info_list_add(p, PMIX_NODE_RANK, &lrank, PMIX_UINT16);
            PMIx_Info_list_add(p, PMIX_NODEID, &nid, PMIX_UINT32);
            PMIx_Info_list_add(p, PMIX_HOSTNAME, s->names[n].c_str(), PMIX_STRING);
            if ((int)n == s->me) {
                /* Only the server of a proc's node may describe where it
                 * runs (pmix_server.h): local ranks only. */
                pmix_cpuset_t cs;
                PMIX_CPUSET_CONSTRUCT(&cs);
                cs.source = const_cast<char *>("hwloc");
                cs.bitmap = (*cpusets)[i].get();
                char *text = nullptr, *locality = nullptr;
                if (PMIx_server_generate_cpuset_string(&cs, &text) == PMIX_SUCCESS && text)
                    PMIx_Info_list_add(p, PMIX_CPUSET, text, PMIX_STRING);
                if (PMIx_server_generate_locality_string(&cs, &locality) == PMIX_SUCCESS
                    && locality)
                    PMIx_Info_list_add(p, PMIX_LOCALITY_STRING, locality, PMIX_STRING);
                free(text);
                free(locality);
            }
            pmix_data_array_t darray;
            PMIx_Info_list_convert(p, &darray);
            PMIx_Info_list_release(p);
            PMIx_Info_list_add(list, PMIX_PROC_DATA, &darray, PMIX_DATA_ARRAY);
            PMIx_Data_array_destruct(&darray);
        }
    }
    pmix_data_array_t all;
    pmix_status_t rc = PMIx_Info_list_convert(list, &all);
    PMIx_Info_list_release(list);
    if (rc != PMIX_SUCCESS)
        return flux::make_error(EINVAL, std::string("PMIx info list: ") + PMIx_Error_string(rc));
    OpWait w;
    rc = op_wait(PMIx_server_register_nspace(s->nspace.c_str(), (int)nlocal,
                                             static_cast<pmix_info_t *>(all.array), all.size,
                                             op_done, &w),
                 w);
    PMIx_Data_array_destruct(&all);
    if (rc != PMIX_SUCCESS)
        return flux::make_error(EINVAL, std::string("PMIx_server_register_nspace: ")
                                            + PMIx_Error_string(rc));
    return {};
}

int remove_entry(const char *path, const struct stat *, int, struct FTW *)
{
    remove(path);
    return 0;
}

/* This node's CPUs and memory as hwloc sees them, without I/O devices
 * (PCI discovery is most of the cost of a topology here, and nothing the
 * shell registers needs it).  hwloc's GL and OpenCL plugins, loaded at
 * the process's first hwloc_topology_init, only find I/O devices: they are
 * left out unless the user chose plugins.  False: PMIx discovers instead. */
bool load_topology(Server *s)
{
    setenv("HWLOC_PLUGINS_BLACKLIST", "hwloc_gl,hwloc_opencl,hwloc_pci,hwloc_xml_libxml", 0);
    hwloc_topology_t t;
    if (hwloc_topology_init(&t) < 0)
        return false;
    if (hwloc_topology_load(t) < 0) {
        hwloc_topology_destroy(t);
        return false;
    }
    s->topology = t;
    return true;
}

int shell_init(flux_shell_t *shell, const char *, flux_shell_task_t *, void *arg)
{
    Server *s = static_cast<Server *>(arg);
    json_int_t id = 0;
    if (json_unpack(flux_shell_get_info(shell), "{s:I}", "jobid", &id) < 0) {
        flux_shell_log(shell, LOG_ERR, "job info is malformed");
        return -1;
    }
    s->shell = shell;
    s->jobid = (uint64_t)id;
    s->nspace = flux::fluid_encode(s->jobid, flux::FluidFormat::f58plain);
    if (auto r = compute_layout(s); !r) {
        flux_shell_log(shell, LOG_ERR, "%s", r.error().text.c_str());
        return -1;
    }
    int ntasks = 0;
    json_unpack(flux_shell_get_info(shell), "{s:i}", "ntasks", &ntasks);
    s->tasks.resize((size_t)ntasks);
    if (auto r = s->handoff.start(flux_shell_get_event_base(shell)); !r) {
        flux_shell_log(shell, LOG_ERR, "%s", r.error().text.c_str());
        return -1;
    }
    /* $TMPDIR, else /dev/shm (memory: Open MPI's shared-memory files go
     * here too), else /tmp. */
    const char *tmp = getenv("TMPDIR");
    struct stat st;
    if (!tmp || !*tmp)
        tmp = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0
                  ? "/dev/shm"
                  : "/tmp";
    std::string templ = std::string(tmp) + "/flux-pmix-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) {
        flux_shell_log(shell, LOG_ERR, "pmix: mkdtemp %s: %s", templ.c_str(), strerror(errno));
        return -1;
    }
    s->tmpdir = buf.data();
    pmix_server_module_t module = module_table();
    bool no = false;
    pmix_rank_t srank = (pmix_rank_t)s->me;
    std::string server_ns = "flux-shell." + s->nspace;
    pmix_info_t info[8];
    size_t ninfo = 6;
    PMIX_INFO_LOAD(&info[0], PMIX_SERVER_TMPDIR, s->tmpdir.c_str(), PMIX_STRING);
    PMIX_INFO_LOAD(&info[1], PMIX_SYSTEM_TMPDIR, s->tmpdir.c_str(), PMIX_STRING);
    PMIX_INFO_LOAD(&info[2], PMIX_SERVER_SYSTEM_SUPPORT, &no, PMIX_BOOL);
    PMIX_INFO_LOAD(&info[3], PMIX_SERVER_TOOL_SUPPORT, &no, PMIX_BOOL);
    PMIX_INFO_LOAD(&info[4], PMIX_SERVER_RANK, &srank, PMIX_PROC_RANK);
    PMIX_INFO_LOAD(&info[5], PMIX_HOSTNAME, s->names[(size_t)s->me].c_str(), PMIX_STRING);
    /* The node's topology, discovered here: left to itself PMIx also
     * discovers PCI devices, which costs every job's shell ~20 ms more
     * (doc/design/shell-pmix.md, "Start-up cost").  PMIx keeps the
     * pointer (an "external" topology it never frees), so the value is
     * built in place and not destructed below.  PMIx shares it with the
     * clients in shared memory (hwloc's shmem topology in the tmpdir), so
     * Open MPI's ranks adopt it instead of each discovering the node:
     * 64 ranks on one node start 3-8% sooner, for ~1 ms per shell. */
    pmix_topology_t topo_arg = {};
    bool yes = true;
    if (load_topology(s)) {
        PMIX_INFO_LOAD(&info[ninfo], PMIX_SERVER_SHARE_TOPOLOGY, &yes, PMIX_BOOL);
        ninfo++;
        topo_arg.source = const_cast<char *>("hwloc");
        topo_arg.topology = s->topology;
        PMIX_INFO_CONSTRUCT(&info[ninfo]);
        PMIX_LOAD_KEY(info[ninfo].key, PMIX_TOPOLOGY2);
        info[ninfo].value.type = PMIX_TOPO;
        info[ninfo].value.data.topo = &topo_arg;
        ninfo++;
    }
    pmix_status_t rc = PMIx_server_init(&module, info, ninfo);
    for (size_t i = 0; i < ninfo - (topo_arg.topology ? 1 : 0); i++)
        PMIX_INFO_DESTRUCT(&info[i]);
    if (rc != PMIX_SUCCESS) {
        flux_shell_log(shell, LOG_ERR, "PMIx_server_init: %s", PMIx_Error_string(rc));
        nftw(s->tmpdir.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        return -1;
    }
    s->initialized = true;
    if (auto r = register_nspace(s); !r) {
        flux_shell_log(shell, LOG_ERR, "%s", r.error().text.c_str());
        return -1;
    }
    if (s->names.size() > 1) {
        s->exchange = std::make_unique<Exchange>(shell, s->jobid, s->me, s->broker_ranks, 2,
                                                 "pmix-fence");
        flux_t *h = flux_shell_get_flux(shell);
        s->service = std::to_string(getuid()) + "-pmix-" + std::to_string(s->jobid);
        std::string glob = s->service + ".*";
        struct flux_match match = FLUX_MATCH_REQUEST;
        match.topic_glob = glob.c_str();
        s->mh = flux_msg_handler_create(h, match, service_cb, s);
        flux::FuturePtr f(flux_service_register(h, s->service.c_str()));
        if (!s->mh || !f || flux_rpc_get(f.get(), nullptr) < 0) {
            flux_shell_log(shell, LOG_ERR, "pmix: cannot register service %s",
                           s->service.c_str());
            return -1;
        }
        flux_msg_handler_allow_rolemask(s->mh, FLUX_ROLE_USER);
        flux_msg_handler_start(s->mh);
        /* A shell whose tasks are done keeps serving direct modex and
         * lookups until every shell's tasks are done (task_exit). */
        s->exit_barrier = std::make_unique<Exchange>(shell, s->jobid, s->me, s->broker_ranks, 2,
                                                     "pmix-exit");
        flux_shell_add_completion_ref(shell, "pmix");
    }
    /* Open MPI 4.1 takes its "flux" component (PMI-1, our libpmi.so)
     * under any job.  Steer it to PMIx (ext3x) only when the job named
     * pmix in -o pmi: offered by default, PMIx serves what needs it
     * (Open MPI 5, PMIx tools) while Open MPI 4.1 keeps the flux path,
     * which starts 64 ranks on a node in 5.1 s here against 8.5 s
     * through ext3x (doc/design/shell-pmix.md). */
    json_t *opt = flux_shell_getopt(shell, "pmi");
    if (opt && json_is_string(opt) && strstr(json_string_value(opt), "pmix"))
        flux_shell_setenv(shell, "OMPI_MCA_pmix", "ext3x", 0);
    /* Its session directory and shared-memory backing files (named by
     * job, host name and local rank, in /dev/shm by default) under this
     * shell's tmpdir: two shells of one job on one machine (a test
     * instance) would otherwise give their local ranks 0..n the same
     * files, and vader crashes. */
    flux_shell_setenv(shell, "OMPI_MCA_orte_tmpdir_base", s->tmpdir.c_str(), 0);
    flux_shell_setenv(shell, "OMPI_MCA_btl_vader_backing_directory", s->tmpdir.c_str(), 0);
    return 0;
}

int task_init(flux_shell_t *shell, const char *, flux_shell_task_t *task, void *arg)
{
    Server *s = static_cast<Server *>(arg);
    Task &t = s->tasks[(size_t)flux_shell_task_localid(task)];
    t.rank = flux_shell_task_rank(task);
    pmix_proc_t proc;
    PMIX_LOAD_PROCID(&proc, s->nspace.c_str(), (pmix_rank_t)t.rank);
    OpWait w;
    pmix_status_t rc = op_wait(PMIx_server_register_client(&proc, getuid(), getgid(), nullptr,
                                                           op_done, &w),
                               w);
    if (rc != PMIX_SUCCESS) {
        flux_shell_log(shell, LOG_ERR, "task %d: PMIx_server_register_client: %s", t.rank,
                       PMIx_Error_string(rc));
        return -1;
    }
    t.registered = true;
    char **env = nullptr;
    rc = PMIx_server_setup_fork(&proc, &env);
    if (rc != PMIX_SUCCESS) {
        flux_shell_log(shell, LOG_ERR, "task %d: PMIx_server_setup_fork: %s", t.rank,
                       PMIx_Error_string(rc));
        return -1;
    }
    for (size_t i = 0; env && env[i]; i++) {
        const char *eq = strchr(env[i], '=');
        if (eq)
            flux_shell_task_setenv(task, std::string(env[i], (size_t)(eq - env[i])).c_str(),
                                   eq + 1, 1);
        free(env[i]);
    }
    free(env);
    return 0;
}

/* Once every local task has exited (multi-node jobs): the ranks of other
 * nodes may still ask this shell for its ranks' data (a Get after a fence
 * without data collection) or node 0's for a lookup, so leave only when
 * every shell's tasks are done.  That is needed only by a job whose ranks
 * exchanged data, i.e. completed a fence (MPI_Init does): every shell sees
 * a fence complete, so all of them agree.  A job that never fenced (no
 * PMIx clients: `flux run -N2 hostname`) leaves at once, so a node whose
 * tasks finish first is released before the others (partial release).
 * After an exception every task is killed, so every shell still gets
 * here. */
void exit_barrier_maybe(Server *s)
{
    if (!s->exit_barrier || s->exit_decided || s->exited < s->tasks.size())
        return;
    s->exit_decided = true;
    flux_shell_t *shell = s->shell;
    if (!s->fenced) {
        flux_shell_remove_completion_ref(shell, "pmix");
        return;
    }
    auto r = s->exit_barrier->start(json_object(), [shell](const flux::Result<json_t *> &res) {
        if (!res)
            flux_shell_log(shell, LOG_ERR, "pmix: exit barrier: %s", res.error().text.c_str());
        flux_shell_remove_completion_ref(shell, "pmix");
    });
    if (!r) {
        flux_shell_log(shell, LOG_ERR, "pmix: exit barrier: %s", r.error().text.c_str());
        flux_shell_remove_completion_ref(shell, "pmix");
    }
}

int task_exit(flux_shell_t *, const char *, flux_shell_task_t *task, void *arg)
{
    Server *s = static_cast<Server *>(arg);
    /* What the task told PMIx before it exited is in the queue now. */
    s->handoff.drain();
    Task &t = s->tasks[(size_t)flux_shell_task_localid(task)];
    if (t.connected && !t.finalized && !t.aborted) {
        int st = flux_shell_task_status(task);
        std::string how = WIFSIGNALED(st) ? "killed by signal " + std::to_string(WTERMSIG(st))
                                          : "exit code " + std::to_string(WEXITSTATUS(st));
        raise_exception(s, "task " + std::to_string(t.rank)
                               + " exited without calling PMIx_Finalize (" + how + ")");
    }
    ++s->exited;
    exit_barrier_maybe(s);
    return 0;
}

int shell_exit(flux_shell_t *, const char *, flux_shell_task_t *, void *arg)
{
    Server *s = static_cast<Server *>(arg);
    /* PMIx_server_finalize only when a client connected: otherwise it
     * just stops PMIx's threads and empties the tmpdir (removed below),
     * ~3 ms of every non-PMIx job's exit that the process exit does for
     * free.  PMIx then still owns the topology: it is not destroyed. */
    bool connected = false;
    for (const Task &t : s->tasks)
        connected = connected || t.connected;
    if (s->initialized && connected) {
        PMIx_server_finalize();
        s->initialized = false;
        if (s->topology) {
            hwloc_topology_destroy(s->topology);
            s->topology = nullptr;
        }
    }
    if (s->mh) {
        flux_msg_handler_destroy(s->mh);
        s->mh = nullptr;
    }
    if (!s->tmpdir.empty())
        nftw(s->tmpdir.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

int init(flux_shell_t *shell)
{
    if (the_server) {
        flux_shell_log(shell, LOG_ERR, "the pmix plugin is loaded twice");
        return -1;
    }
    /* Lives as long as the shell process (PMIx's thread may still call). */
    the_server = new Server;
    void *arg = the_server;
    if (flux_shell_add_handler(shell, "shell.init", shell_init, arg) < 0
        || flux_shell_add_handler(shell, "task.init", task_init, arg) < 0
        || flux_shell_add_handler(shell, "task.exit", task_exit, arg) < 0
        || flux_shell_add_handler(shell, "shell.exit", shell_exit, arg) < 0)
        return -1;
    return 0;
}

const flux_shell_plugin_info info = {FLUX_SHELL_PLUGIN_API_VERSION, "pmix", init};

} // namespace

extern "C" FLUX_API const flux_shell_plugin_info *flux_plugin_init(void)
{
    return &info;
}
