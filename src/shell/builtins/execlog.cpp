/* execlog.cpp - built-in plugin "exec-events": the shells' events in the
 * job's exec eventlog (job.<id>.guest.exec.eventlog), as Flux's shell
 * posts them:
 *
 *   shell.init   {service, leader-rank, size}   the leader shell, once its
 *                                               shell.init handlers ran
 *   shell.start  {task-count}                   the leader shell, once every
 *                                               shell has started its tasks
 *
 * job-exec posts the rest of the log (init, starting, complete, done).
 * `flux job wait-event -p exec ID shell.start` thus returns when every
 * task of the job has been forked.
 *
 * The leader is the shell of the first node with tasks.  On a multi-node
 * job every other shell reports to it, once, with a request
 * "<uid>-shell-<jobid>.started" at the leader's broker rank, on the
 * shell's channel to the leader (flux::shell::LeaderChannel: in order
 * with the exit reports, ENOSYS retried while the leader is not up yet).
 * The leader waits for every report before it exits, so none is sent to
 * a leader that is gone (a report would then be retried for a minute, or
 * never answered if it reached the leader as it closed); if a shell never
 * reports (it failed before starting its tasks) the leader stops waiting
 * a minute after its own tasks ended.  The commits are not waited for
 * before the tasks start; a completion reference keeps the shell until
 * they are done, so they precede the job's "complete".
 */
#include <cerrno>
#include <cstring>
#include <string>
#include <syslog.h>
#include <unistd.h>
#include <vector>

#include <event2/event.h>

#include "eventlog/eventlog.h"
#include "flux/kvs.h"
#include "fluid/fluid.h"
#include "libflux/ptr.h"
#include "shell/internal.h"
#include "shell/peer.h"
#include "taskmap/taskmap.h"

namespace {

constexpr const char *ref_name = "exec-events";
constexpr const char *await_ref = "exec-events-started";
constexpr double await_grace = 60.; /* after the leader's own tasks ended */

struct ExecLog {
    flux_shell_t *shell = nullptr;
    uint64_t id = 0;
    std::string key;
    std::string service;
    bool leader = true;
    uint32_t leader_rank = 0;
    int node = 0;
    int size = 0;     /* tasks in the job */
    int nshells = 1;  /* shells with tasks */
    int started = 0;  /* leader: shells whose tasks have started, itself included */
    std::vector<bool> started_of; /* leader: per node id */
    bool posted_start = false;
    int commits = 0; /* in flight */
    flux_msg_handler_t *mh = nullptr;
    bool awaiting = false;     /* leader: holds a reference until every shell started */
    flux::EventPtr grace;      /* leader: stop awaiting reports that never come */
};

ExecLog x;

void commit_cb(flux_future_t *f, void *)
{
    if (flux_rpc_get(f, nullptr) < 0)
        flux_shell_log(x.shell, LOG_ERR, "%s: %s", x.key.c_str(), flux_future_error_string(f));
    flux_future_destroy(f);
    if (--x.commits == 0)
        flux_shell_remove_completion_ref(x.shell, ref_name);
}

/* Append one event; the shell stays until it is committed. */
void post(const char *name, json_t *context /* stolen */)
{
    auto line = flux::eventlog_entry_encode(flux::eventlog_entry_create(0, name, context));
    if (!line) {
        flux_shell_log(x.shell, LOG_ERR, "%s: cannot encode %s", x.key.c_str(), name);
        return;
    }
    flux_kvs_txn_t *txn = flux_kvs_txn_create();
    flux_kvs_txn_put_string(txn, FLUX_KVS_APPEND, x.key.c_str(), line->c_str());
    flux_future_t *f = flux_kvs_commit(flux_shell_get_flux(x.shell), nullptr, FLUX_KVS_ORDERED,
                                       txn);
    flux_kvs_txn_destroy(txn);
    if (!f || flux_future_then(f, -1, commit_cb, nullptr) < 0) {
        flux_shell_log(x.shell, LOG_ERR, "%s: %s", x.key.c_str(), strerror(errno));
        flux_future_destroy(f);
        return;
    }
    if (x.commits++ == 0)
        flux_shell_add_completion_ref(x.shell, ref_name);
}

void stop_awaiting()
{
    x.grace.reset();
    if (x.awaiting) {
        x.awaiting = false;
        flux_shell_remove_completion_ref(x.shell, await_ref);
    }
}

void maybe_post_start()
{
    if (x.leader && !x.posted_start && x.started == x.nshells) {
        x.posted_start = true;
        post("shell.start", json_pack("{s:i}", "task-count", x.size));
        stop_awaiting();
    }
}

/* ---- leader: the other shells' reports ---- */

void started_cb(flux_t *h, flux_msg_handler_t *, const flux_msg_t *msg, void *)
{
    if (!flux::shell::from_job_shell(h, msg, "report"))
        return;
    int node = -1;
    if (flux_msg_unpack(msg, "{s:i}", "node", &node) < 0 || node < 0
        || (size_t)node >= x.started_of.size()) {
        flux_respond_error(h, msg, EPROTO, "started: expected {node}");
        return;
    }
    if (!x.started_of[(size_t)node]) {
        x.started_of[(size_t)node] = true;
        x.started++;
    }
    flux_respond(h, msg, nullptr);
    maybe_post_start();
}

void grace_cb(evutil_socket_t, short, void *)
{
    flux_shell_log(x.shell, LOG_ERR, "%d of %d shells did not report their tasks started",
                   x.nshells - x.started, x.nshells);
    stop_awaiting();
}

/* The leader's own task ended: once all did, wait for missing reports a
 * bounded time only. */
int task_exit(flux_shell_t *shell, const char *, flux_shell_task_t *, void *)
{
    if (!x.awaiting || shell->exited < shell->tasks.size())
        return 0;
    x.grace.reset(evtimer_new(flux_shell_get_event_base(shell), grace_cb, nullptr));
    struct timeval tv = {(time_t)await_grace, 0};
    if (!x.grace || evtimer_add(x.grace.get(), &tv) < 0)
        stop_awaiting();
    return 0;
}

/* ---- follower: report to the leader ---- */

void report_done(flux_future_t *f)
{
    if (f && flux_rpc_get(f, nullptr) < 0)
        flux_shell_log(x.shell, LOG_ERR, "cannot report started tasks to the leader shell: %s",
                       flux_future_error_string(f));
}

/* Multi-node: the leader (first node with tasks), and the nodes with tasks. */
void job_layout(const flux::Taskmap &m)
{
    auto l = flux::shell::find_leader(m);
    x.nshells = l.nshells;
    x.leader_rank = l.rank;
    x.leader = l.node == x.node;
    x.started_of.assign(m.nodes().size(), false);
    for (size_t i = 0; i < m.nodes().size(); i++)
        if (m.nodes()[i].ntasks == 0)
            x.started_of[i] = true; /* no shell there */
}

int shell_init(flux_shell_t *shell, const char *, flux_shell_task_t *, void *)
{
    x.shell = shell;
    json_t *info = flux_shell_get_info(shell);
    json_int_t id = 0;
    int nnodes = 1, broker_rank = 0;
    if (json_unpack(info, "{s:I s:i s:i s:i s:i}", "jobid", &id, "rank", &x.node, "size", &x.size,
                    "nnodes", &nnodes, "broker_rank", &broker_rank)
        < 0)
        return -1;
    x.id = (uint64_t)id;
    x.key = "job." + flux::fluid_encode(x.id, flux::FluidFormat::dothex) + ".guest.exec.eventlog";
    x.service = std::to_string(getuid()) + "-shell-" + std::to_string(x.id);
    x.leader_rank = (uint32_t)broker_rank;
    if (nnodes > 1 && shell->taskmap)
        job_layout(*shell->taskmap);
    if (!x.leader || x.nshells < 2)
        return 0;
    flux_t *h = flux_shell_get_flux(shell);
    std::string topic = x.service + ".started";
    struct flux_match match = FLUX_MATCH_REQUEST;
    match.topic_glob = topic.c_str();
    x.mh = flux_msg_handler_create(h, match, started_cb, nullptr);
    if (!x.mh)
        return -1;
    flux_msg_handler_allow_rolemask(x.mh, FLUX_ROLE_USER);
    flux_msg_handler_start(x.mh);
    flux::FuturePtr f(flux_service_register(h, x.service.c_str()));
    if (!f || flux_rpc_get(f.get(), nullptr) < 0) {
        flux_shell_log(shell, LOG_ERR, "cannot register service %s: %s", x.service.c_str(),
                       f ? flux_future_error_string(f.get()) : "out of memory");
        return -1;
    }
    x.awaiting = true;
    flux_shell_add_completion_ref(shell, await_ref);
    return 0;
}

/* After every plugin's shell.init: the leader says the shells are up. */
int shell_post_init(flux_shell_t *, const char *, flux_shell_task_t *, void *)
{
    if (x.leader)
        post("shell.init", json_pack("{s:s s:i s:i}", "service", x.service.c_str(),
                                     "leader-rank", (int)x.leader_rank, "size", x.nshells));
    return 0;
}

/* Every local task has been forked. */
int shell_start(flux_shell_t *shell, const char *, flux_shell_task_t *, void *)
{
    if (x.leader) {
        if ((size_t)x.node < x.started_of.size())
            x.started_of[(size_t)x.node] = true;
        x.started++;
        maybe_post_start();
        return 0;
    }
    shell->to_leader.send(
        shell, x.leader_rank, x.service + ".started",
        [] { return json_pack("{s:i}", "node", x.node); }, report_done);
    return 0;
}

int init(flux_shell_t *shell)
{
    if (flux_shell_add_handler(shell, "shell.init", shell_init, nullptr) < 0
        || flux_shell_add_handler(shell, "shell.post-init", shell_post_init, nullptr) < 0)
        return -1;
    if (flux_shell_add_handler(shell, "task.exit", task_exit, nullptr) < 0)
        return -1;
    return flux_shell_add_handler(shell, "shell.start", shell_start, nullptr);
}

const flux_shell_plugin_info info = {FLUX_SHELL_PLUGIN_API_VERSION, "exec-events", init};

} // namespace

const flux_shell_plugin_info *flux::shell::builtins::exec_events()
{
    return &info;
}
