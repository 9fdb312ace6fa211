/* exec.cpp - job-exec on every rank.
 *
 * Topics (owner only; the job manager on rank 0 sends them):
 *   job-exec.start {id, jobspec, tasks: [global task ids], size, nnodes,
 *                   cores, gpus (idsets of this rank's allocation)}
 *       -> {status: exit code of the shell} when the shell exits
 *   job-exec.kill {id, signal, escalate?}  -> {}
 *       (with escalate, SIGKILL follows 5 s later: cancel and time limits)
 * The shell (flux-shell) runs as the leader of its own process group, which
 * its tasks share, so a signal reaches the whole job.
 *
 * Attributes read: conf.shell_path (default: the build tree's or the
 * installed flux-shell).
 */
#include <cerrno>
#include <csignal>
#include <cstring>
#include <spawn.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "exec.h"
#include "fluxd/broker.h"
#include "selfexe/selfexe.h"
#include "libflux/message_internal.h"

extern char **environ;

namespace fluxd {

namespace {

constexpr int kill_grace_seconds = 5;


} // namespace

std::unique_ptr<JobExec> JobExec::create(Broker &broker)
{
    std::unique_ptr<JobExec> je(new JobExec(broker));
    JobExec *p = je.get();
    je->reap_orphans();
    broker.add_builtin("job-exec.start", 0, [p](const flux_msg_t *m, Link *) { p->start(m); });
    broker.add_builtin("job-exec.kill", 0, [p](const flux_msg_t *m, Link *) { p->kill(m); });
    broker.add_builtin("job-exec.ping", FLUX_ROLE_USER,
                       [&broker](const flux_msg_t *m, Link *) { broker.respond(m, json_object()); });
    return je;
}

JobExec::~JobExec()
{
    for (auto &[id, sh] : shells_) {
        if (sh.pid > 0)
            ::kill(-sh.pid, SIGKILL);
    }
}

std::string JobExec::shell_path() const
{
    if (auto p = broker_.attrs().get("conf.shell_path"); p && !p->empty())
        return *p;
    std::string built = flux::self_dir() + "/../shell/flux-shell";
    struct stat sb;
    if (stat(built.c_str(), &sb) == 0)
        return built;
    return FLUX_SHELL_PATH;
}

void JobExec::start(const flux_msg_t *msg)
{
    json_int_t id;
    json_t *jobspec, *tasks;
    int size, nnodes;
    const char *cores = "", *gpus = "";
    if (flux_msg_unpack(msg, "{s:I s:o s:o s:i s:i s?s s?s}", "id", &id, "jobspec", &jobspec,
                        "tasks", &tasks, "size", &size, "nnodes", &nnodes, "cores", &cores, "gpus",
                        &gpus)
        < 0) {
        broker_.respond_error(msg, EPROTO, "job-exec.start: malformed request");
        return;
    }
    if (shells_.count((uint64_t)id)) {
        broker_.respond_error(msg, EEXIST, "job is already running on this rank");
        return;
    }
    std::string cpus;
    if (auto ids = flux::IdSet::parse(cores))
        cpus = broker_.cpus_of_cores(*ids);
    json_t *input = json_pack("{s:O s:O s:i s:i s:i s:s s:s}", "jobspec", jobspec, "tasks", tasks,
                              "size", size, "nnodes", nnodes, "rank", (int)broker_.rank(), "cpus",
                              cpus.c_str(), "gpus", gpus);
    char *text = json_dumps(input, JSON_COMPACT);
    json_decref(input);
    int pfd[2];
    if (pipe(pfd) < 0) {
        free(text);
        broker_.respond_error(msg, errno, std::string("job-exec: pipe: ") + strerror(errno));
        return;
    }
    std::string path = shell_path();
    std::string idarg = std::to_string((unsigned long long)id);
    std::vector<std::string> env;
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, "FLUX_URI=", 9) != 0)
            env.push_back(*e);
    }
    env.push_back("FLUX_URI=local://" + broker_.local_uri_path());
    std::vector<char *> envp;
    for (auto &e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    char *argv[] = {path.data(), idarg.data(), nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[0], STDIN_FILENO);
    posix_spawn_file_actions_addclose(&fa, pfd[1]);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD})
        sigaddset(&dfl, s);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK
                                        | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int rc = posix_spawn(&pid, path.c_str(), &fa, &attr, argv, envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(pfd[0]);
    if (rc != 0) {
        close(pfd[1]);
        free(text);
        broker_.respond_error(msg, rc, "job-exec: cannot start " + path + ": " + strerror(rc));
        return;
    }
    /* The description is small (a jobspec); the shell reads it at once. */
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t n = write(pfd[1], text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(pfd[1]);
    free(text);
    records_.started(pid, (uint64_t)id);
    Shell &sh = shells_[(uint64_t)id];
    sh.pid = pid;
    sh.req = flux::msg_ref(msg);
    broker_.watch_child(pid, [this, pid, jobid = (uint64_t)id](int status) {
        records_.exited(pid);
        auto it = shells_.find(jobid);
        if (it == shells_.end())
            return;
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        broker_.respond(it->second.req.get(), json_pack("{s:i}", "status", code));
        shells_.erase(it);
    });
}

void JobExec::kill(const flux_msg_t *msg)
{
    json_int_t id;
    int sig = SIGTERM, escalate = 0;
    if (flux_msg_unpack(msg, "{s:I s?i s?b}", "id", &id, "signal", &sig, "escalate", &escalate) < 0
        || sig <= 0 || sig >= 64) {
        broker_.respond_error(msg, EPROTO, "job-exec.kill: expected {\"id\", \"signal\"}");
        return;
    }
    auto it = shells_.find((uint64_t)id);
    if (it == shells_.end()) {
        broker_.respond(msg, nullptr); /* already gone: nothing to do */
        return;
    }
    Shell &sh = it->second;
    ::kill(-sh.pid, sig);
    if (escalate && sig != SIGKILL && !sh.kill_timer) {
        struct Ctx {
            JobExec *je;
            uint64_t id;
        };
        auto *ctx = new Ctx{this, (uint64_t)id};
        sh.kill_timer.reset(event_new(
            broker_.base(), -1, 0,
            [](evutil_socket_t, short, void *arg) {
                std::unique_ptr<Ctx> c((Ctx *)arg);
                auto i = c->je->shells_.find(c->id);
                if (i != c->je->shells_.end())
                    ::kill(-i->second.pid, SIGKILL);
            },
            ctx));
        struct timeval tv = {kill_grace_seconds, 0};
        event_add(sh.kill_timer.get(), &tv);
    }
    broker_.respond(msg, nullptr);
}

} // namespace fluxd
