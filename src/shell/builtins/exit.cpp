/* exit.cpp - built-in plugin "exit": end a job whose tasks stop early.
 *
 *   -o exit-timeout=FSD   once the first task of the job has exited (on
 *                         any node), tasks still running FSD later raise
 *                         a fatal exception naming the first task, the
 *                         timeout and how many tasks still run.  Default
 *                         30s as in Flux; "none" disables it.
 *   -o exit-on-error      the first task that exits with a nonzero code or
 *                         a signal raises a fatal job exception
 *                         "task R exited with code N" / "killed by signal S"
 *
 * A fatal exception makes the job manager kill every task of the job.
 *
 * The timeout is watched job-wide by the leader shell (the first node
 * with tasks).  Every other shell reports its count of exited tasks to
 * the leader with a request "<uid>-exit-<jobid>.exited" at the leader's
 * broker rank: one request in flight per shell, the latest count sent
 * again when the answer comes, so a node sends at most a few messages
 * however many tasks it runs.  The leader starts the timer at the first
 * exit it learns of (its own or a report) and holds a completion
 * reference while tasks of the job still run, so that it outlives its
 * own tasks to fire the timer.  See doc/design/shell-exit-timeout.md.
 * exit-on-error needs no message: the failing task's shell raises.
 */
#include <cerrno>
#include <string>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>
#include <vector>

#include <event2/event.h>

#include "flux/job.h"
#include "fsd/fsd.h"
#include "libflux/ptr.h"
#include "shell/internal.h"
#include "shell/peer.h"
#include "taskmap/taskmap.h"

namespace {

constexpr double default_timeout = 30.;
constexpr const char *ref_name = "exit-timeout";

struct Exit {
    flux_shell_t *shell = nullptr;
    flux_jobid_t id = 0;
    bool on_error = false;
    double timeout = default_timeout; /* < 0: none */
    bool raised = false;
    size_t local_ntasks = 0;
    size_t local_exited = 0;

    /* job-wide (multi-node) */
    bool multi = false;
    bool leader = false;
    uint32_t leader_rank = 0;
    int node = 0; /* this shell's node id in R */
    std::string service;
    size_t job_ntasks = 0;
    std::vector<size_t> exited_of; /* leader: per node id, tasks exited */
    flux_msg_handler_t *mh = nullptr;
    bool holding = false; /* the leader's completion reference */

    /* the first exit the timer counts from */
    int first = -1;
    std::string first_how;
    flux::EventPtr timer;

    /* a follower's report to the leader */
    bool queued = false; /* on the shell's channel to the leader */
    size_t reported = 0;
    std::string my_first_how;
    int my_first = -1;
};

void raise_exception(Exit *x, const std::string &note)
{
    if (x->raised)
        return;
    x->raised = true;
    flux_shell_log(x->shell, LOG_ERR, "%s", note.c_str());
    flux::FuturePtr f(flux_job_raise(flux_shell_get_flux(x->shell), x->id, "exec", 0,
                                     note.c_str()));
    /* EINVAL "already finishing": another shell's exception won. */
    if (!f || (flux_rpc_get(f.get(), nullptr) < 0 && errno != EINVAL))
        flux_shell_log(x->shell, LOG_ERR, "cannot raise a job exception: %s",
                       f ? flux_future_error_string(f.get()) : "out of memory");
}

std::string how(int status)
{
    if (WIFSIGNALED(status))
        return "killed by signal " + std::to_string(WTERMSIG(status));
    return "exited with code " + std::to_string(WEXITSTATUS(status));
}

size_t job_exited(const Exit *x)
{
    if (!x->multi)
        return x->local_exited;
    size_t n = 0;
    for (size_t e : x->exited_of)
        n += e;
    return n;
}

size_t job_running(const Exit *x)
{
    size_t total = x->multi ? x->job_ntasks : x->local_ntasks;
    size_t done = job_exited(x);
    return done < total ? total - done : 0;
}

void release(Exit *x)
{
    x->timer.reset();
    if (x->holding) {
        x->holding = false;
        flux_shell_remove_completion_ref(x->shell, ref_name);
    }
}

void timeout_cb(evutil_socket_t, short, void *arg)
{
    auto *x = static_cast<Exit *>(arg);
    size_t running = job_running(x);
    if (running > 0)
        raise_exception(x, "exit-timeout: " + std::to_string(running)
                               + " task(s) still running after task " + std::to_string(x->first)
                               + " " + x->first_how + " (exit-timeout="
                               + flux::fsd_format(x->timeout) + " expired)");
    release(x);
}

/* The watcher (the leader, or a single-node shell) saw task RANK end:
 * start the timer at the first exit, stop watching once all ended. */
void note_exit(Exit *x, int rank, const std::string &how_text)
{
    if (x->timeout < 0 || x->raised)
        return;
    if (x->first < 0 && rank >= 0) {
        x->first = rank;
        x->first_how = how_text;
        if (job_running(x) > 0) {
            x->timer.reset(evtimer_new(flux_shell_get_event_base(x->shell), timeout_cb, x));
            struct timeval tv = {(time_t)x->timeout,
                                 (suseconds_t)((x->timeout - (long)x->timeout) * 1e6)};
            if (!x->timer || evtimer_add(x->timer.get(), &tv) < 0)
                flux_shell_log(x->shell, LOG_ERR, "cannot start the exit-timeout timer");
            else if (x->multi && !x->holding) {
                x->holding = true;
                flux_shell_add_completion_ref(x->shell, ref_name);
            }
        }
    }
    if (job_running(x) == 0)
        release(x);
}

/* ---- leader: reports from the other shells ---- */

void exited_cb(flux_t *h, flux_msg_handler_t *, const flux_msg_t *msg, void *arg)
{
    auto *x = static_cast<Exit *>(arg);
    if (!flux::shell::from_job_shell(h, msg, "report task exits"))
        return;
    int node = -1, exited = -1, first = -1;
    const char *first_how = "";
    if (flux_msg_unpack(msg, "{s:i s:i s?i s?s}", "node", &node, "exited", &exited, "first",
                        &first, "how", &first_how)
            < 0
        || node < 0 || (size_t)node >= x->exited_of.size() || exited < 0) {
        flux_respond_error(h, msg, EPROTO, "exit: expected {node, exited[, first, how]}");
        return;
    }
    if ((size_t)exited > x->exited_of[(size_t)node])
        x->exited_of[(size_t)node] = (size_t)exited;
    flux_respond(h, msg, nullptr);
    note_exit(x, first, first_how);
}

/* ---- follower: report to the leader ---- */

void send_report(Exit *x);

/* The report's answer: send the latest count if more tasks exited since. */
void report_done(Exit *x, flux_future_t *f)
{
    x->queued = false;
    if (!f)
        return; /* not sent: the channel said why */
    if (flux_rpc_get(f, nullptr) < 0) {
        flux_shell_log(x->shell, LOG_ERR,
                       "exit-timeout: cannot report task exits to the leader shell: %s",
                       flux_future_error_string(f));
        return;
    }
    if (x->local_exited > x->reported)
        send_report(x);
}

/* Queued behind this shell's earlier reports (the exec eventlog's
 * "started"), so the leader, which waits for the exit counts, has
 * answered those too before it goes. */
void send_report(Exit *x)
{
    x->queued = true;
    x->shell->to_leader.send(
        x->shell, x->leader_rank, x->service + ".exited",
        [x] {
            x->reported = x->local_exited;
            return json_pack("{s:i s:i s:i s:s}", "node", x->node, "exited", (int)x->reported,
                             "first", x->my_first, "how", x->my_first_how.c_str());
        },
        [x](flux_future_t *f) { report_done(x, f); });
}

int task_exit(flux_shell_t *, const char *, flux_shell_task_t *task, void *arg)
{
    auto *x = static_cast<Exit *>(arg);
    int status = flux_shell_task_status(task);
    int rank = flux_shell_task_rank(task);
    x->local_exited++;
    bool failed = WIFSIGNALED(status) || WEXITSTATUS(status) != 0;
    if (x->on_error && failed)
        raise_exception(x, "task " + std::to_string(rank) + " " + how(status));
    if (x->timeout < 0)
        return 0;
    if (!x->multi) {
        note_exit(x, rank, how(status));
        return 0;
    }
    if (x->leader) {
        x->exited_of[(size_t)x->node] = x->local_exited;
        note_exit(x, rank, how(status));
        return 0;
    }
    if (x->my_first < 0) {
        x->my_first = rank;
        x->my_first_how = how(status);
    }
    if (!x->queued)
        send_report(x);
    return 0;
}

/* Multi-node: find the leader (first node with tasks) and the job size. */
flux::Result<void> job_layout(Exit *x)
{
    if (!x->shell->taskmap)
        return {}; /* no R: watch this node only */
    const flux::Taskmap *m = &*x->shell->taskmap;
    auto leader = flux::shell::find_leader(*m);
    if (leader.nshells < 2)
        return {};
    x->multi = true;
    x->leader_rank = leader.rank;
    x->leader = leader.node == x->node;
    x->job_ntasks = m->size();
    x->exited_of.assign(m->nodes().size(), 0);
    x->service = std::to_string(getuid()) + "-exit-" + std::to_string(x->id);
    if (!x->leader)
        return {};
    flux_t *h = flux_shell_get_flux(x->shell);
    std::string topic = x->service + ".exited";
    struct flux_match match = FLUX_MATCH_REQUEST;
    match.topic_glob = topic.c_str();
    x->mh = flux_msg_handler_create(h, match, exited_cb, x);
    if (!x->mh)
        return flux::make_error(errno, "cannot create the exit report handler");
    flux_msg_handler_allow_rolemask(x->mh, FLUX_ROLE_USER);
    flux_msg_handler_start(x->mh);
    flux::FuturePtr f(flux_service_register(h, x->service.c_str()));
    if (!f || flux_rpc_get(f.get(), nullptr) < 0)
        return flux::make_error(errno, "cannot register service " + x->service + ": "
                                           + (f ? flux_future_error_string(f.get())
                                                : "out of memory"));
    return {};
}

int shell_init(flux_shell_t *shell, const char *, flux_shell_task_t *, void *arg)
{
    auto *x = static_cast<Exit *>(arg);
    x->shell = shell;
    json_t *eoe = flux_shell_getopt(shell, "exit-on-error");
    json_t *eto = flux_shell_getopt(shell, "exit-timeout");
    if (eoe) {
        /* -o exit-on-error (1), =0/=1, true/false */
        if (json_is_boolean(eoe))
            x->on_error = json_is_true(eoe);
        else if (json_is_integer(eoe))
            x->on_error = json_integer_value(eoe) != 0;
        else {
            flux_shell_log(shell, LOG_ERR, "-o exit-on-error: expected no value, 0 or 1");
            return -1;
        }
    }
    if (eto) {
        if (json_is_string(eto) && std::string(json_string_value(eto)) == "none")
            x->timeout = -1;
        else if (json_is_number(eto) && json_number_value(eto) >= 0)
            x->timeout = json_number_value(eto);
        else if (json_is_string(eto)) {
            auto d = flux::fsd_parse(json_string_value(eto));
            if (!d) {
                flux_shell_log(shell, LOG_ERR, "-o exit-timeout: %s", d.error().text.c_str());
                return -1;
            }
            x->timeout = *d;
        }
        else {
            flux_shell_log(shell, LOG_ERR, "-o exit-timeout: expected a duration (FSD) or none");
            return -1;
        }
    }
    json_int_t ntasks = 0, id = 0;
    int node = 0;
    json_unpack(flux_shell_get_info(shell), "{s:I s:I s:i}", "ntasks", &ntasks, "jobid", &id,
                "rank", &node);
    x->local_ntasks = (size_t)ntasks;
    x->id = (flux_jobid_t)id;
    x->node = node;
    if (x->timeout >= 0 && x->local_ntasks > 0) {
        if (auto r = job_layout(x); !r) {
            flux_shell_log(shell, LOG_ERR, "exit-timeout: %s", r.error().text.c_str());
            return -1;
        }
    }
    return 0;
}

int init(flux_shell_t *shell)
{
    static Exit x; /* one shell per process */
    /* task.exit is registered here, not from shell.init (the stack is
     * being walked then). */
    if (flux_shell_add_handler(shell, "shell.init", shell_init, &x) < 0)
        return -1;
    return flux_shell_add_handler(shell, "task.exit", task_exit, &x);
}

const flux_shell_plugin_info info = {FLUX_SHELL_PLUGIN_API_VERSION, "exit", init};

} // namespace

const flux_shell_plugin_info *flux::shell::builtins::exit()
{
    return &info;
}
