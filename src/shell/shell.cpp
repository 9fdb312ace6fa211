/* shell.cpp - flux-shell: runs one job's tasks on one node.
 *
 *   flux-shell JOBID        (job-exec starts it; the job description arrives
 *                            on stdin as one JSON object)
 *
 * Input: {"jobspec": {...}, "tasks": [global task ids on this node],
 *         "size": total tasks, "nnodes": nodes, "rank": broker rank,
 *         "cpus": OS CPUs of the allocated cores (idset), "gpus": GPU ids}
 * Tasks are bound to the allocation's CPUs (shell option cpu-affinity=off
 * disables it) and see CUDA_VISIBLE_DEVICES listing their GPUs.
 * For each task: fork/exec the command with the jobspec's environment and
 * cwd plus FLUX_JOB_ID, FLUX_JOB_SIZE, FLUX_JOB_NNODES, FLUX_TASK_RANK,
 * FLUX_TASK_LOCAL_ID and FLUX_URI; stdout and stderr are read through pipes
 * and appended to the KVS eventlog job.<id>.guest.output as RFC 24-style
 * "data" events {stream, rank, data}.  job-exec starts the shell as the
 * leader of a process group that its tasks share, and signals the group;
 * the shell survives SIGTERM/SIGINT/SIGHUP to collect the tasks' output and
 * exits with the largest task code (exit code, or 128+signal).
 */
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <poll.h>
#include <sched.h>
#include <sstream>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "eventlog/eventlog.h"
#include "flux/core.h"
#include "flux/kvs.h"
#include "fluid/fluid.h"
#include "idset/idset.h"

namespace {

volatile sig_atomic_t pending_signal = 0;

void on_signal(int sig)
{
    pending_signal = sig;
}

/* Catchable signals a user may send to a job (flux job kill). */
std::vector<int> forwarded_signals()
{
    return {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGCONT,
            SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF,
            SIGWINCH, SIGPOLL, SIGPWR};
}

struct Task {
    int global_rank;
    int local_id;
    pid_t pid = -1;
    int out_fd = -1, err_fd = -1;
    int status = -1;
};

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

double now_s()
{
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    return tv.tv_sec + tv.tv_usec * 1e-6;
}

/* Output buffered as eventlog lines, committed in batches. */
class Output {
  public:
    Output(flux_t *h, std::string key) : h_(h), key_(std::move(key)) {}
    ~Output()
    {
        for (int fd : {out_fd_, err_fd_})
            if (fd >= 0)
                close(fd);
    }
    /* Send a stream to a file instead of the KVS (--output/--error). */
    void to_file(bool err, int fd) { (err ? err_fd_ : out_fd_) = fd; }
    void add(const char *stream, int rank, const std::string &data)
    {
        int fd = strcmp(stream, "stderr") == 0 ? err_fd_ : out_fd_;
        if (fd >= 0) {
            for (size_t off = 0; off < data.size();) {
                ssize_t n = write(fd, data.data() + off, data.size() - off);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0)
                    break;
                off += (size_t)n;
            }
            return;
        }
        auto e = flux::eventlog_entry_create(
            now_s(), "data",
            json_pack("{s:s s:s s:s#}", "stream", stream, "rank", std::to_string(rank).c_str(),
                      "data", data.data(), data.size()));
        auto line = flux::eventlog_entry_encode(e);
        if (line)
            pending_ += *line;
    }
    void flush()
    {
        if (pending_.empty())
            return;
        flux_kvs_txn_t *txn = flux_kvs_txn_create();
        flux_kvs_txn_put_string(txn, FLUX_KVS_APPEND, key_.c_str(), pending_.c_str());
        flux_future_t *f = flux_kvs_commit(h_, nullptr, 0, txn);
        if (!f || flux_rpc_get(f, nullptr) < 0)
            fprintf(stderr, "flux-shell: output: %s\n",
                    f ? flux_future_error_string(f) : strerror(errno));
        flux_future_destroy(f);
        flux_kvs_txn_destroy(txn);
        pending_.clear();
    }

  private:
    flux_t *h_;
    std::string key_;
    std::string pending_;
    int out_fd_ = -1, err_fd_ = -1;
};

/* {{id}} (= {{id.f58}}), {{id.dec}}, {{name}} in an output path. */
std::string expand_template(std::string s, uint64_t id, const std::string &name)
{
    const std::pair<std::string, std::string> subs[] = {
        {"{{id}}", flux::fluid_encode(id, flux::FluidFormat::f58)},
        {"{{id.f58}}", flux::fluid_encode(id, flux::FluidFormat::f58)},
        {"{{id.dec}}", std::to_string((unsigned long long)id)},
        {"{{name}}", name},
    };
    for (const auto &[from, to] : subs)
        for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
            s.replace(pos, from.size(), to);
    return s;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 2)
        fatal("Usage: flux-shell JOBID (job description on stdin)");
    auto id = flux::fluid_parse(argv[1]);
    if (!id)
        fatal("%s", id.error().text.c_str());
    std::stringstream ss;
    ss << std::cin.rdbuf();
    json_error_t jerr;
    json_t *in = json_loads(ss.str().c_str(), 0, &jerr);
    json_t *jobspec = nullptr, *tasks = nullptr;
    int size = 0, nnodes = 0, rank = 0;
    const char *cpus = "", *gpus = "";
    if (!in
        || json_unpack(in, "{s:o s:o s:i s:i s:i s?s s?s}", "jobspec", &jobspec, "tasks", &tasks,
                       "size", &size, "nnodes", &nnodes, "rank", &rank, "cpus", &cpus, "gpus",
                       &gpus)
               < 0
        || !json_is_array(tasks))
        fatal("malformed job description on stdin");
    json_t *task0 = json_array_get(json_object_get(jobspec, "tasks"), 0);
    json_t *command = json_object_get(task0, "command");
    json_t *sys = json_object_get(json_object_get(jobspec, "attributes"), "system");
    json_t *env = json_object_get(sys, "environment");
    const char *cwd = json_string_value(json_object_get(sys, "cwd"));
    if (!json_is_array(command) || json_array_size(command) == 0)
        fatal("jobspec has no command");

    flux_error_t error;
    flux_t *h = flux_open_ex(nullptr, 0, &error);
    if (!h)
        fatal("%s", error.text);
    std::string idstr = std::to_string((unsigned long long)*id);
    std::string f58 = flux::fluid_encode(*id, flux::FluidFormat::f58);
    Output out(h, "job." + flux::fluid_encode(*id, flux::FluidFormat::dothex) + ".guest.output");

    /* The tasks' environment: the jobspec's, then the job's own variables. */
    std::vector<std::string> base;
    const char *key;
    json_t *val;
    json_object_foreach(env, key, val)
    {
        if (json_is_string(val))
            base.push_back(std::string(key) + "=" + json_string_value(val));
    }
    const char *uri = getenv("FLUX_URI");
    /* --output/--error: append to files (stderr follows stdout unless given). */
    json_t *outopt = json_object_get(
        json_object_get(json_object_get(json_object_get(sys, "shell"), "options"), "output"),
        "stdout");
    json_t *erropt = json_object_get(
        json_object_get(json_object_get(json_object_get(sys, "shell"), "options"), "output"),
        "stderr");
    std::string jobname;
    if (const char *n = json_string_value(json_object_get(json_object_get(sys, "job"), "name")))
        jobname = n;
    else if (const char *a0 = json_string_value(json_array_get(command, 0)))
        jobname = strrchr(a0, '/') ? strrchr(a0, '/') + 1 : a0;
    auto open_output = [&](json_t *opt) {
        const char *path = json_string_value(json_object_get(opt, "path"));
        if (!path)
            return -1;
        std::string p = expand_template(path, *id, jobname);
        if (p[0] != '/' && cwd)
            p = std::string(cwd) + "/" + p;
        int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
            fatal("output %s: %s", p.c_str(), strerror(errno));
        return fd;
    };
    int out_fd = open_output(outopt), err_fd = open_output(erropt);
    if (out_fd >= 0)
        out.to_file(false, out_fd);
    if (err_fd >= 0)
        out.to_file(true, err_fd);
    else if (out_fd >= 0)
        out.to_file(true, dup(out_fd));
    /* GPUs: the ids as a comma list, as CUDA expects. */
    if (*gpus) {
        std::string list;
        if (auto ids = flux::IdSet::parse(gpus))
            ids->for_each([&](uint32_t g) { list += (list.empty() ? "" : ",") + std::to_string(g); });
        base.push_back("CUDA_VISIBLE_DEVICES=" + list);
    }
    /* CPU binding unless -o cpu-affinity=off. */
    json_t *aff = json_object_get(json_object_get(json_object_get(sys, "shell"), "options"),
                                  "cpu-affinity");
    bool bind = !(json_is_string(aff) && strcmp(json_string_value(aff), "off") == 0);
    cpu_set_t cpuset;
    CPU_ZERO(&cpuset);
    bool have_cpus = false;
    if (bind && *cpus) {
        if (auto ids = flux::IdSet::parse(cpus)) {
            ids->for_each([&](uint32_t c) {
                if (c < CPU_SETSIZE) {
                    CPU_SET(c, &cpuset);
                    have_cpus = true;
                }
            });
        }
    }

    /* Signals sent to the job's process group are for the tasks: the shell
     * notes and survives them (the tasks reset them to default). */
    struct sigaction sa = {};
    sa.sa_handler = on_signal;
    for (int sig : forwarded_signals())
        sigaction(sig, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    std::vector<Task> ts;
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t)
    {
        Task task;
        task.global_rank = (int)json_integer_value(t);
        task.local_id = (int)i;
        int outp[2], errp[2];
        if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
            fatal("pipe: %s", strerror(errno));
        /* A signal for the tasks that arrives between fork() and the reset
         * below must not run the shell's handler in the child (the task
         * would never see it): hold the signals across fork. */
        sigset_t held, prev;
        sigemptyset(&held);
        for (int sig : forwarded_signals())
            sigaddset(&held, sig);
        sigprocmask(SIG_BLOCK, &held, &prev);
        pid_t pid = fork();
        if (pid < 0)
            fatal("fork: %s", strerror(errno));
        if (pid == 0) {
            /* Tasks stay in the shell's process group: job-exec signals the
             * whole group. */
            dup2(outp[1], STDOUT_FILENO);
            dup2(errp[1], STDERR_FILENO);
            int devnull = open("/dev/null", O_RDONLY);
            if (devnull >= 0)
                dup2(devnull, STDIN_FILENO);
            if (have_cpus && sched_setaffinity(0, sizeof(cpuset), &cpuset) < 0)
                fprintf(stderr, "flux-shell: task %d: cpu binding: %s\n", task.global_rank,
                        strerror(errno));
            for (int sig : forwarded_signals())
                signal(sig, SIG_DFL);
            signal(SIGPIPE, SIG_DFL);
            sigset_t none; /* held signals now take their default action */
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, nullptr);
            std::vector<std::string> envs = base;
            envs.push_back("FLUX_JOB_ID=" + f58);
            envs.push_back("FLUX_JOB_SIZE=" + std::to_string(size));
            envs.push_back("FLUX_JOB_NNODES=" + std::to_string(nnodes));
            envs.push_back("FLUX_TASK_RANK=" + std::to_string(task.global_rank));
            envs.push_back("FLUX_TASK_LOCAL_ID=" + std::to_string(task.local_id));
            if (uri)
                envs.push_back(std::string("FLUX_URI=") + uri);
            std::vector<char *> envp, av;
            for (auto &e : envs)
                envp.push_back(e.data());
            envp.push_back(nullptr);
            std::vector<std::string> args;
            size_t k;
            json_t *a;
            json_array_foreach(command, k, a) args.push_back(json_string_value(a) ? json_string_value(a) : "");
            for (auto &a2 : args)
                av.push_back(a2.data());
            av.push_back(nullptr);
            if (cwd && chdir(cwd) < 0) {
                fprintf(stderr, "flux-shell: task %d: chdir %s: %s\n", task.global_rank, cwd,
                        strerror(errno));
                _exit(126);
            }
            environ = envp.data();
            execvp(av[0], av.data());
            fprintf(stderr, "flux-shell: task %d: %s: %s\n", task.global_rank, av[0],
                    strerror(errno));
            _exit(errno == ENOENT ? 127 : 126);
        }
        sigprocmask(SIG_SETMASK, &prev, nullptr); /* the shell notes what came meanwhile */
        close(outp[1]);
        close(errp[1]);
        task.pid = pid;
        task.out_fd = outp[0];
        task.err_fd = errp[0];
        ts.push_back(task);
    }

    /* Pump output until every pipe closes, then reap.  Signals sent to the
     * job reach the tasks directly (same process group); the shell keeps
     * collecting their output. */
    size_t open_fds = ts.size() * 2;
    while (open_fds > 0) {
        std::vector<struct pollfd> pfds;
        std::vector<std::pair<size_t, int>> who; /* task index, 1 = out, 2 = err */
        for (size_t k = 0; k < ts.size(); k++) {
            if (ts[k].out_fd >= 0) {
                pfds.push_back({ts[k].out_fd, POLLIN, 0});
                who.push_back({k, 1});
            }
            if (ts[k].err_fd >= 0) {
                pfds.push_back({ts[k].err_fd, POLLIN, 0});
                who.push_back({k, 2});
            }
        }
        int rc = poll(pfds.data(), pfds.size(), 100);
        if (rc < 0 && errno != EINTR)
            fatal("poll: %s", strerror(errno));
        for (size_t k = 0; rc > 0 && k < pfds.size(); k++) {
            if (!(pfds[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            Task &task = ts[who[k].first];
            int &fd = who[k].second == 1 ? task.out_fd : task.err_fd;
            char buf[65536];
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n > 0)
                out.add(who[k].second == 1 ? "stdout" : "stderr", task.global_rank,
                        std::string(buf, n));
            else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                close(fd);
                fd = -1;
                open_fds--;
            }
        }
        out.flush();
    }
    /* The job's code is the largest task code: an exit code, or 128+N for a
     * task killed by signal N. */
    int result = 0;
    for (auto &task : ts) {
        int status;
        while (waitpid(task.pid, &status, 0) < 0 && errno == EINTR)
            ;
        task.status = status;
        int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
        if (code > result)
            result = code;
    }
    out.flush();
    flux_close(h);
    json_decref(in);
    return result;
}
