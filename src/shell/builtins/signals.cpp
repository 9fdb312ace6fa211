/* signals.cpp - built-in plugin "signals".
 *
 * job-exec signals the job's process group, which the tasks share with the
 * shell: the tasks get each signal directly.  The shell must survive the
 * catchable ones to keep collecting output, so shell.init watches them in
 * the event loop (and ignores SIGPIPE).  task.exec, in the child, puts
 * every signal back to its default action and unblocks them all (the core
 * holds signals across fork).
 *
 * job-exec posts "start" before the shell has forked its tasks, so flux
 * job kill, scancel or a --signal timer may signal the group while a task
 * is not in it yet.  None is lost: from shell.init to shell.start the
 * shell keeps the forwarded signals blocked; after each fork, what is
 * pending in the shell arrived before that task joined the group (or
 * just as it did), and at shell.start each task is sent what it may have
 * missed.  A signal right at a fork may so reach that task twice, never
 * zero times.
 */
#include <csignal>
#include <unistd.h>
#include <utility>
#include <vector>

#include "shell/internal.h"

namespace {

/* Catchable signals a user may send to a job (flux job kill). */
const int forwarded[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGUSR1,   SIGUSR2, SIGALRM,
                         SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG,    SIGXCPU, SIGXFSZ,
                         SIGVTALRM, SIGPROF, SIGWINCH, SIGPOLL, SIGPWR};

void noted(evutil_socket_t, short, void *) {}

sigset_t forwarded_set()
{
    sigset_t set;
    sigemptyset(&set);
    for (int sig : forwarded)
        sigaddset(&set, sig);
    return set;
}

/* Each task forked before shell.start, with what was pending in the
 * shell just after its fork. */
std::vector<std::pair<pid_t, sigset_t>> early;

/* The broker that started this shell.  If it dies (kill -9, a node
 * failure) and job-exec asked for it ("pdeathsig" on stdin: the broker's
 * statedir is temporary, so no restart would reap orphans), the kernel
 * sends SIGTERM (PR_SET_PDEATHSIG, set in shell.cpp): the job's tasks on
 * this node and the shell end at once instead of running on as orphans. */
pid_t broker_pid = 0;

void term(evutil_socket_t, short, void *)
{
    if (getppid() != broker_pid)
        killpg(getpgrp(), SIGKILL);
}

int shell_init(flux_shell_t *shell, const char *, flux_shell_task_t *, void *)
{
    struct event_base *base = flux_shell_get_event_base(shell);
    broker_pid = getppid();
    for (int sig : forwarded) {
        /* Owned by the loop until exit (the shell never frees its loop). */
        struct event *ev = evsignal_new(base, sig, sig == SIGTERM ? term : noted, nullptr);
        if (!ev || event_add(ev, nullptr) < 0) {
            flux_shell_log(shell, 3, "cannot watch signal %d", sig);
            return -1;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    sigset_t set = forwarded_set();
    sigprocmask(SIG_BLOCK, &set, nullptr);
    return 0;
}

int task_fork(flux_shell_t *, const char *, flux_shell_task_t *task, void *)
{
    sigset_t pending;
    if (sigpending(&pending) == 0)
        early.push_back({task->pid, pending});
    return 0;
}

int shell_start(flux_shell_t *, const char *, flux_shell_task_t *, void *)
{
    for (const auto &[pid, pending] : early)
        for (int sig : forwarded)
            if (sigismember(&pending, sig))
                kill(pid, sig);
    early.clear();
    early.shrink_to_fit();
    /* What the shell holds now runs its handlers in the loop. */
    sigset_t set = forwarded_set();
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    return 0;
}

int task_exec(flux_shell_t *, const char *, flux_shell_task_t *, void *)
{
    for (int sig : forwarded)
        signal(sig, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    return 0;
}

int init(flux_shell_t *shell)
{
    if (flux_shell_add_handler(shell, "shell.init", shell_init, nullptr) < 0
        || flux_shell_add_handler(shell, "task.fork", task_fork, nullptr) < 0
        || flux_shell_add_handler(shell, "shell.start", shell_start, nullptr) < 0
        || flux_shell_add_handler(shell, "task.exec", task_exec, nullptr) < 0)
        return -1;
    return 0;
}

const flux_shell_plugin_info info = {FLUX_SHELL_PLUGIN_API_VERSION, "signals", init};

} // namespace

const flux_shell_plugin_info *flux::shell::builtins::signals()
{
    return &info;
}
