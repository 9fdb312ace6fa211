/* shell.cpp - flux-shell: runs one job's tasks on one node.
 *
 *   flux-shell JOBID        (job-exec starts it; the job description arrives
 *                            on stdin as one JSON object)
 *
 * Input: {"jobspec": {...}, "R": {...} (RFC 20), "rank": broker rank,
 *         "cpus": OS CPUs of the allocated cores (idset), "gpus": GPU ids}
 * The task layout (this node's task ids, the job's size and node count)
 * is computed here from R and the jobspec (src/common/taskmap), as
 * job-exec computes which ranks get a shell.
 *
 * The shell is a libevent program with a plugin stack (flux/shell.h):
 * the built-in plugins (builtins/) set the task environment, handle
 * signals, bind CPUs, carry output and compute the exit code; site and
 * job plugins are loaded after them.  This file holds the lifecycle:
 * parse, load plugins, shell.init, fork tasks (task.init / task.exec /
 * task.fork), reap them (task.exit) on SIGCHLD, and shell.exit once every
 * task has exited and every completion reference is dropped.
 *
 * job-exec starts the shell (exec'd, or forked by the launcher:
 * launcher.cpp) as the leader of a process group its tasks
 * share and signals the group; the shell exits with the exit code the
 * plugins set (the built-in: the largest task code).
 */
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/wait.h>
#include <syslog.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "flux/core.h"
#include "fluid/fluid.h"
#include "internal.h"
#include "jobspec/jobspec.h"
#include "rv1/rv1.h"
#include "taskmap/taskmap.h"

namespace {

[[noreturn]] void fatal(const char *fmt, ...) FLUX_PRINTF(1, 2);
void fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "flux-shell: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

/* Signals the core holds across fork() so that none runs the shell's
 * handler in a child (the signals plugin resets them there). */
sigset_t held_signals()
{
    sigset_t s;
    sigfillset(&s);
    sigdelset(&s, SIGKILL);
    sigdelset(&s, SIGSTOP);
    sigdelset(&s, SIGSEGV);
    sigdelset(&s, SIGBUS);
    sigdelset(&s, SIGFPE);
    sigdelset(&s, SIGILL);
    return s;
}

/* All of FD into TEXT, with large read(2)s: iostreams (and their static
 * initialisation) cost more than the rest of the shell's parsing. */
flux::Result<void> read_all(int fd, std::string &text)
{
    char buf[16384];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return flux::make_error(errno, strerror(errno));
        if (n == 0)
            return {};
        text.append(buf, (size_t)n);
    }
}

struct Layout {
    std::vector<int> tasks; /* global ids on this node */
    int size = 0, nnodes = 0, node = 0;
    std::string taskmap;
    std::optional<flux::Taskmap> map;
};

/* This node's tasks, from R + jobspec (src/common/taskmap). */
flux::Result<Layout> layout(json_t *in, json_t *jobspec, int broker_rank)
{
    Layout l;
    json_t *R = json_object_get(in, "R");
    if (R && !json_is_null(R)) {
        auto r = flux::Rv1::decode(R);
        if (!r)
            return flux::make_error(EINVAL, "R: " + r.error().text);
        auto js = flux::jobspec_parse_json(jobspec);
        if (!js)
            return flux::make_error(EINVAL, "jobspec: " + js.error().text);
        auto m = flux::Taskmap::create(*r, *js);
        if (!m)
            return m.error();
        const flux::Taskmap::Node *n = m->find((uint32_t)broker_rank);
        if (!n)
            return flux::make_error(EINVAL, "R holds no resources on rank "
                                                + std::to_string(broker_rank));
        for (uint32_t t = 0; t < n->ntasks; t++)
            l.tasks.push_back((int)(n->first_task + t));
        l.size = (int)m->size();
        l.nnodes = (int)m->nnodes();
        l.node = (int)(n - m->nodes().data());
        l.taskmap = m->encode();
        l.map = std::move(*m);
        return l;
    }
    return flux::make_error(EPROTO, "malformed job description on stdin: no R");
}

[[noreturn]] void fail(flux_shell_t *shell, const flux::Error &e)
{
    flux_shell_log(shell, LOG_ERR, "%s", e.text.c_str());
    _exit(1);
}

/* In the child: task.exec, then exec the command. */
[[noreturn]] void exec_task(flux_shell_t *shell, flux_shell_task_t *task, json_t *command,
                            const char *cwd)
{
    if (!shell->stack.call(shell, "task.exec", task, true)) {
        fprintf(stderr, "flux-shell: task %d: a plugin refused to start it\n", task->rank);
        _exit(126);
    }
    std::vector<std::string> envs = task->env.strings();
    std::vector<char *> envp, av;
    for (auto &e : envs)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    size_t k;
    json_t *a;
    json_array_foreach(command, k, a) av.push_back(const_cast<char *>(json_string_value(a)));
    av.push_back(nullptr);
    if (cwd && chdir(cwd) < 0) {
        fprintf(stderr, "flux-shell: task %d: chdir %s: %s\n", task->rank, cwd, strerror(errno));
        _exit(126);
    }
    environ = envp.data();
    execvp(av[0], av.data());
    fprintf(stderr, "flux-shell: task %d: %s: %s\n", task->rank, av[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

void sigchld_cb(evutil_socket_t, short, void *arg)
{
    auto *shell = static_cast<flux_shell_t *>(arg);
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (auto &t : shell->tasks) {
            if (t.pid == pid && t.status < 0) {
                t.status = status;
                shell->exited++;
                (void)shell->stack.call(shell, "task.exit", &t, false);
            }
        }
    }
    shell->maybe_finish();
}

/* Plugin paths: the site's ([shell] plugins, "plugins" on stdin from
 * job-exec) and FLUX_SHELL_PLUGINS (both colon-separated), then the job's
 * -o plugins=PATH[,PATH] (string, or array of strings). */
std::vector<std::string> plugin_paths(flux_shell_t *shell, json_t *in)
{
    std::vector<std::string> paths;
    auto split = [&](const std::string &s, char sep) {
        size_t start = 0;
        while (start <= s.size()) {
            size_t end = s.find(sep, start);
            if (end == std::string::npos)
                end = s.size();
            if (end > start)
                paths.push_back(s.substr(start, end - start));
            start = end + 1;
        }
    };
    if (const char *site = json_string_value(json_object_get(in, "plugins")))
        split(site, ':');
    if (const char *env = getenv("FLUX_SHELL_PLUGINS"))
        split(env, ':');
    json_t *opt = flux_shell_getopt(shell, "plugins");
    if (json_is_string(opt))
        split(json_string_value(opt), ',');
    else if (json_is_array(opt)) {
        size_t i;
        json_t *p;
        json_array_foreach(opt, i, p)
        {
            if (!json_is_string(p))
                fatal("shell option plugins: entry %zu is not a string", i);
            paths.push_back(json_string_value(p));
        }
    }
    else if (opt)
        fatal("shell option plugins: expected a path, a comma list or an array of paths");
    return paths;
}

} // namespace

void flux_shell::maybe_finish()
{
    if (exited == tasks.size() && refs.empty())
        event_base_loopbreak(base);
}

int flux::shell::shell_main(int argc, char **argv)
{
    if (argc != 2)
        fatal("Usage: flux-shell JOBID (job description on stdin)");
    auto id = flux::fluid_parse(argv[1]);
    if (!id)
        fatal("%s", id.error().text.c_str());
    std::string text;
    if (auto r = read_all(STDIN_FILENO, text); !r)
        fatal("reading the job description on stdin: %s", r.error().text.c_str());
    json_error_t jerr;
    flux::JsonPtr in(json_loadb(text.data(), text.size(), 0, &jerr));
    json_t *jobspec = nullptr;
    int broker_rank = 0;
    const char *cpus = "", *gpus = "";
    if (!in
        || json_unpack(in.get(), "{s:o s:i s?s s?s}", "jobspec", &jobspec, "rank", &broker_rank,
                       "cpus", &cpus, "gpus", &gpus)
               < 0)
        fatal("malformed job description on stdin");
    json_t *task0 = json_array_get(json_object_get(jobspec, "tasks"), 0);
    json_t *command = json_object_get(task0, "command");
    json_t *sys = json_object_get(json_object_get(jobspec, "attributes"), "system");
    const char *cwd = json_string_value(json_object_get(sys, "cwd"));
    if (!json_is_array(command) || json_array_size(command) == 0)
        fatal("jobspec has no command");
    size_t k;
    json_t *a;
    json_array_foreach(command, k, a)
    {
        if (!json_is_string(a))
            fatal("jobspec: tasks[0].command[%zu] is not a string", k);
    }
    /* Die with the broker when no later broker would reap us (signals.cpp). */
    if (json_is_true(json_object_get(in.get(), "pdeathsig")))
        prctl(PR_SET_PDEATHSIG, SIGTERM);
    static flux_shell shell; /* lives until exit: plugins may hold it */
    shell.id = *id;
    shell.rank = broker_rank;
    shell.pid = getpid();
    shell.options = json_object_get(json_object_get(sys, "shell"), "options");
    flux_error_t error;
    shell.h = flux_open_ex(nullptr, 0, &error);
    if (!shell.h)
        fatal("%s", error.text);
    auto lr = layout(in.get(), jobspec, broker_rank);
    if (!lr)
        fail(&shell, lr.error());
    Layout &l = *lr;
    shell.taskmap = std::move(l.map);
    shell.rank = l.node;
    /* The loop is the handle's own, so RPC continuations and request
     * handlers (the PMI exchange) run in it. */
    shell.base = flux_reactor_get_event_base(flux_get_reactor(shell.h));
    if (!shell.base)
        fatal("cannot create an event loop");
    json_t *R = json_object_get(in.get(), "R");
    shell.info.reset(json_pack("{s:I s:i s:i s:i s:i s:i s:O s:O s:s s:s s:s}", "jobid",
                               (json_int_t)*id, "rank", l.node, "broker_rank", broker_rank, "size",
                               l.size, "nnodes", l.nnodes, "ntasks", (int)l.tasks.size(),
                               "jobspec", jobspec, "R", R ? R : json_null(), "taskmap",
                               l.taskmap.c_str(), "cpus", cpus, "gpus", gpus));
    if (!shell.info)
        fatal("cannot build the job info object");

    /* The tasks' environment starts as the jobspec's; plugins (the
     * built-in env first) add the job's own variables over it. */
    const char *key;
    json_t *val;
    json_object_foreach(json_object_get(sys, "environment"), key, val)
    {
        if (json_is_string(val))
            shell.env.set(key, json_string_value(val), true);
    }

    /* pmix-loader last: the PMIx plugin's shell.init (server start,
     * namespace registration) is the slow one, and the leader shell's
     * exit service must be registered before a fast task on another node
     * reports its exit. */
    for (auto info : {flux::shell::builtins::env(), flux::shell::builtins::signals(),
                      flux::shell::builtins::affinity(), flux::shell::builtins::output(),
                      flux::shell::builtins::input(),
                      flux::shell::builtins::exitcode(), flux::shell::builtins::pmi_simple(),
                      flux::shell::builtins::exit(), flux::shell::builtins::jobtmp(),
                      flux::shell::builtins::exec_events(),
                      flux::shell::builtins::pmix_loader()}) {
        if (auto r = shell.stack.add(&shell, info, "built-in"); !r)
            fail(&shell, r.error());
    }
    for (const auto &path : plugin_paths(&shell, in.get())) {
        if (auto r = shell.stack.load(&shell, path); !r)
            fail(&shell, r.error());
    }

    struct event *chld = evsignal_new(shell.base, SIGCHLD, sigchld_cb, &shell);
    if (!chld || event_add(chld, nullptr) < 0)
        fatal("cannot watch SIGCHLD");

    for (const char *topic : {"shell.init", "shell.post-init"}) {
        if (auto r = shell.stack.call(&shell, topic, nullptr, true); !r)
            fail(&shell, r.error());
    }

    shell.tasks.resize(l.tasks.size());
    sigset_t held = held_signals(), prev;
    for (size_t i = 0; i < l.tasks.size(); i++) {
        flux_shell_task_t *task = &shell.tasks[i];
        task->shell = &shell;
        task->rank = l.tasks[i];
        task->localid = (int)i;
        task->env = shell.env;
        if (auto r = shell.stack.call(&shell, "task.init", task, true); !r)
            fail(&shell, r.error());
        sigprocmask(SIG_BLOCK, &held, &prev);
        pid_t pid = fork();
        if (pid < 0)
            fatal("fork: %s", strerror(errno));
        if (pid == 0)
            exec_task(&shell, task, command, cwd);
        sigprocmask(SIG_SETMASK, &prev, nullptr);
        task->pid = pid;
        (void)shell.stack.call(&shell, "task.fork", task, false);
    }
    (void)shell.stack.call(&shell, "shell.start", nullptr, false);

    /* Reap anything that exited before SIGCHLD was first noticed. */
    sigchld_cb(-1, 0, &shell);
    if (!(shell.exited == shell.tasks.size() && shell.refs.empty()))
        event_base_dispatch(shell.base);
    (void)shell.stack.call(&shell, "shell.exit", nullptr, false);
    int code = shell.exit_code;
    event_free(chld);
    fflush(stderr);
    /* Plugins' objects stay mapped until exit: a handler may have left
     * an event in the loop. */
    flux_close(shell.h);
    _exit(code);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--launcher") == 0)
        return flux::shell::launcher_main(argv[2]);
    return flux::shell::shell_main(argc, argv);
}
