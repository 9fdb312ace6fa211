/* exec.cpp - job-exec: the launch of a job, in phases.
 *
 * Topics (owner only):
 *   job-exec.start  {id, userid?, jobspec, R}            rank 0, streaming
 *       Sent once per job by the job manager.  Answered with events, each
 *       {id, type, data} (RFC 32 in shape):
 *         start     {}                the shells are being started
 *         release   {ranks, final}    ranks given back (final: the last)
 *         exception {type, severity, note}
 *         finish    {status}          wait(2) status: the largest shell exit
 *       The final release is the last response.  An error response means
 *       the job could not be launched at all (bad R or jobspec).
 *   job-exec.kill   {id, signal, escalate?}  -> {}       rank 0
 *       Signal every rank's shell of the job (with escalate, SIGKILL
 *       follows 5 s later: cancel and time limits).
 *   job-exec.shell  {id, jobspec, R, cores, gpus}
 *       -> {status} when this rank's shell exits          any rank
 *   job-exec.signal {id, signal, escalate?} -> {}         any rank
 *       These two are rank 0 job-exec's fan-out to the other ranks.
 *
 * Phases of a job on rank 0 (README.md has the diagram): prolog, then one
 * flux-shell per rank that has tasks, then per rank as its shell exits an
 * epilog and a partial release; finish once every shell has exited; the
 * final release once every rank is given back.  Prolog and epilog are
 * empty places today (no events): site scripts plug in there.
 * The time limit is R's expiration: past it, a timeout exception.
 *
 * The task layout (which ranks run tasks, how many in all) comes from R
 * and the jobspec through the same taskmap the shell uses
 * (src/common/taskmap).  The shell gets on its standard input
 *   {jobspec, R, rank, cpus, gpus}
 * lays out its own tasks from R, and runs as the leader of its own process group, which its tasks share,
 * so a signal reaches the whole job on that node.
 *
 * Attributes read: conf.shell_path (default: the build tree's or the
 * installed flux-shell); conf.shell.plugins (the config's [shell] plugins,
 * passed to every shell as "plugins" on its standard input).
 */
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "eventlog/eventlog.h"
#include "exec.h"
#include "fluid/fluid.h"
#include "fluxd/service.h"
#include "fluxd/kvs/kvs.h"
#include "selfexe/selfexe.h"

extern char **environ;

namespace fluxd {

namespace {

constexpr int kill_grace_seconds = 5;
constexpr size_t shapes_max = 4;

std::string job_dir(uint64_t id)
{
    return "job." + flux::fluid_encode(id, flux::FluidFormat::dothex);
}

} // namespace

std::unique_ptr<JobExec> JobExec::create(ServiceHost &broker)
{
    std::unique_ptr<JobExec> je(new JobExec(broker));
    JobExec *p = je.get();
    je->reap_orphans();
    je->site_plugins_ = broker.attr("conf.shell.plugins").value_or("");
    broker.add_method("job-exec.start", 0, [p](const flux_msg_t *m) { p->start(m); });
    broker.add_method("job-exec.kill", 0, [p](const flux_msg_t *m) { p->kill(m); });
    broker.add_method("job-exec.shell", 0,
                       [p](const flux_msg_t *m) { p->shell_request(m); });
    broker.add_method("job-exec.signal", 0,
                       [p](const flux_msg_t *m) { p->signal_request(m); });
    broker.add_method("job-exec.ping", FLUX_ROLE_USER,
                       [&broker](const flux_msg_t *m) { broker.respond(m, json_object()); });
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
    if (auto p = broker_.attr("conf.shell_path"); p && !p->empty())
        return *p;
    std::string built = flux::self_dir() + "/../shell/flux-shell";
    struct stat sb;
    if (stat(built.c_str(), &sb) == 0)
        return built;
    return FLUX_SHELL_PATH;
}

/* The layout depends on resources and tasks only: jobs that differ in
 * their command, environment or attributes share one parse. */
const flux::Jobspec *JobExec::shape_of(json_t *jobspec, std::string *error)
{
    json_t *res = json_object_get(jobspec, "resources");
    json_t *tasks = json_object_get(jobspec, "tasks");
    for (size_t i = 0; i < shapes_.size(); i++) {
        if (json_equal(shapes_[i].resources.get(), res) && json_equal(shapes_[i].tasks.get(), tasks)) {
            if (i > 0)
                std::swap(shapes_[i], shapes_[0]);
            return &shapes_[0].js;
        }
    }
    if (!res || !tasks) {
        *error = "jobspec has no resources or tasks";
        return nullptr;
    }
    auto s = flux::jobspec_parse_json(jobspec);
    if (!s) {
        *error = s.error().text;
        return nullptr;
    }
    if (shapes_.size() == shapes_max)
        shapes_.pop_back();
    shapes_.insert(shapes_.begin(), KnownShape{flux::JsonPtr(json_incref(res)),
                                               flux::JsonPtr(json_incref(tasks)), std::move(*s)});
    return &shapes_[0].js;
}

void JobExec::respond_event(Launch &L, const char *type, json_t *data)
{
    broker_.respond(L.req.get(), json_pack("{s:I s:s s:o}", "id", (json_int_t)L.id, "type", type,
                                           "data", data ? data : json_object()));
}

void JobExec::exception_event(Launch &L, const char *type, const std::string &note)
{
    respond_event(L, "exception",
                  json_pack("{s:s s:i s:s}", "type", type, "severity", 0, "note", note.c_str()));
}

void JobExec::start(const flux_msg_t *msg)
{
    json_int_t id;
    json_t *jobspec, *R;
    if (flux_msg_unpack(msg, "{s:I s:o s:o}", "id", &id, "jobspec", &jobspec, "R", &R) < 0
        || !json_is_object(jobspec)) {
        broker_.respond_error(msg, EPROTO,
                              "job-exec.start: expected {\"id\", \"jobspec\": {...}, \"R\": {...}}");
        return;
    }
    if (launches_.count((uint64_t)id)) {
        broker_.respond_error(msg, EEXIST, "job-exec.start: the job is already running");
        return;
    }
    auto r = flux::Rv1::decode(R);
    if (!r) {
        broker_.respond_error(msg, EINVAL, "job-exec.start: R: " + r.error().text);
        return;
    }
    if (r->empty()) {
        broker_.respond_error(msg, EINVAL, "job-exec.start: R holds no rank");
        return;
    }
    auto L = std::make_unique<Launch>();
    L->id = (uint64_t)id;
    L->req = flux::msg_ref(msg);
    L->jobspec = flux::JsonPtr(json_incref(jobspec));
    L->R_json = flux::JsonPtr(json_incref(R));
    L->R = std::move(*r);
    L->unreleased = L->R.ranks();
    Launch &ref = *L;
    launches_[(uint64_t)id] = std::move(L);
    uint64_t jobid = (uint64_t)id;
    prolog(ref, [this, jobid](flux::Result<void> ok) {
        auto it = launches_.find(jobid);
        if (it == launches_.end())
            return;
        Launch &l = *it->second;
        if (!ok)
            exception_event(l, "exec", "prolog: " + ok.error().text);
        if (!ok || l.killed) {
            /* Never started: give everything back. */
            l.phase = Phase::done;
            finish_if_done(l);
            return;
        }
        start_shells(l);
    });
}

void JobExec::prolog(Launch &, std::function<void(flux::Result<void>)> done)
{
    done(flux::Result<void>());
}

void JobExec::epilog(Launch &, uint32_t, std::function<void(flux::Result<void>)> done)
{
    done(flux::Result<void>());
}

json_t *JobExec::shell_input(json_t *jobspec, json_t *R, const char *cores, const char *gpus)
{
    std::string cpus;
    if (auto ids = flux::IdSet::parse(cores ? cores : ""))
        cpus = broker_.cpus_of_cores(*ids);
    json_t *in = json_pack("{s:O s:i s:s s:s s:O}", "jobspec", jobspec, "rank",
                           (int)broker_.rank(), "cpus", cpus.c_str(), "gpus", gpus ? gpus : "",
                           "R", R);
    if (in && !site_plugins_.empty())
        json_object_set_new(in, "plugins", json_string(site_plugins_.c_str()));
    return in;
}

void JobExec::start_shells(Launch &L)
{
    std::string err;
    const flux::Jobspec *js = shape_of(L.jobspec.get(), &err);
    flux::Result<flux::Taskmap> map = flux::make_error(EINVAL, err.empty() ? "bad jobspec" : err);
    if (js)
        map = flux::Taskmap::create(L.R, *js);
    if (!map) {
        exception_event(L, "exec", "cannot work out the job's tasks: " + map.error().text);
        L.phase = Phase::done;
        finish_if_done(L);
        return;
    }
    int64_t size = map->size();
    /* The output eventlog starts with its header (RFC 24); the shells
     * append data events after it. */
    auto hdr = flux::eventlog_entry_create(
        broker_.now(), "header",
        json_pack("{s:i s:{s:s s:s} s:I}", "version", 1, "encoding", "stdout", "UTF-8", "stderr",
                  "UTF-8", "count", (json_int_t)size));
    if (auto line = flux::eventlog_entry_encode(hdr); line && broker_.kvs())
        broker_.kvs()->write("primary", kvs_string_op(job_dir(L.id) + ".guest.output", *line));
    L.phase = Phase::shells;
    respond_event(L, "start", nullptr);
    uint64_t id = L.id;
    /* Every rank with tasks is running before any is started: a shell
     * that fails to start (even at once) is then one rank done of many.
     * The launch is not ended before this loop is over. */
    for (const auto &node : map->nodes()) {
        if (node.ntasks > 0)
            L.running.insert(node.rank);
    }
    L.starting = true;
    for (const auto &node : map->nodes()) {
        if (node.ntasks == 0)
            continue;
        uint32_t rank = node.rank;
        const flux::RankResources *rr = L.R.find(rank);
        std::string cores = rr ? rr->cores().encode() : "";
        std::string gpus = rr ? rr->gpus().encode() : "";
        uint32_t r = rank;
        if (rank == broker_.rank()) {
            json_t *input = shell_input(L.jobspec.get(), L.R_json.get(), cores.c_str(), gpus.c_str());
            auto ok = spawn_shell(id, input, [this, id, r](int code) {
                shell_exited(id, r, code, "");
            });
            if (!ok)
                shell_exited(id, r, 1, ok.error().text);
            continue;
        }
        json_t *o = json_pack("{s:I s:O s:O s:s s:s}", "id", (json_int_t)id, "jobspec",
                              L.jobspec.get(), "R", L.R_json.get(), "cores", cores.c_str(),
                              "gpus", gpus.c_str());
        broker_.rpc("job-exec.shell", o, rank, [this, id, r](const flux_msg_t *rsp) {
            int code = 1;
            std::string why;
            if (msg::errnum(rsp) != 0)
                why = msg::has_payload(rsp) ? std::string(msg::payload(rsp)) : strerror((int)msg::errnum(rsp));
            else if (flux_msg_unpack(rsp, "{s:i}", "status", &code) < 0)
                why = "malformed job-exec.shell response";
            shell_exited(id, r, code, why);
        });
    }
    L.starting = false;
    /* Ranks already done (a shell that failed to start, a rank without
     * tasks) go back now if others still run. */
    if (!L.running.empty()) {
        flux::IdSet early = L.unreleased.difference(L.running);
        if (!early.empty()) {
            L.unreleased = L.running;
            respond_event(L, "release",
                          json_pack("{s:s s:b}", "ranks", early.encode().c_str(), "final", 0));
        }
    }
    /* The time limit: R's expiration. */
    if (L.R.expiration > 0 && !L.running.empty()) {
        double left = L.R.expiration - broker_.now();
        L.expire_ctx = std::make_unique<std::pair<JobExec *, uint64_t>>(this, id);
        L.expire.reset(event_new(
            broker_.base(), -1, 0,
            [](evutil_socket_t, short, void *arg) {
                auto *ctx = (std::pair<JobExec *, uint64_t> *)arg;
                auto it = ctx->first->launches_.find(ctx->second);
                if (it != ctx->first->launches_.end() && !it->second->running.empty())
                    ctx->first->exception_event(*it->second, "timeout",
                                                "resource allocation expired");
            },
            L.expire_ctx.get()));
        struct timeval tv;
        if (left < 0)
            left = 0;
        tv.tv_sec = (time_t)left;
        tv.tv_usec = (suseconds_t)((left - (double)tv.tv_sec) * 1e6);
        event_add(L.expire.get(), &tv);
    }
    /* Every shell may have failed to start already. */
    finish_if_done(L);
}

void JobExec::shell_exited(uint64_t id, uint32_t rank, int code, const std::string &error)
{
    auto it = launches_.find(id);
    if (it == launches_.end())
        return;
    Launch &L = *it->second;
    if (!error.empty())
        exception_event(L, "exec", "rank " + std::to_string(rank) + ": " + error);
    L.max_code = std::max(L.max_code, code);
    L.running.erase(rank);
    L.epilogs++;
    epilog(L, rank, [this, id, rank](flux::Result<void> ok) {
        auto i = launches_.find(id);
        if (i == launches_.end())
            return;
        Launch &l = *i->second;
        l.epilogs--;
        if (!ok)
            exception_event(l, "exec", "epilog on rank " + std::to_string(rank) + ": " + ok.error().text);
        rank_done(l, rank);
    });
}

/* RANK's shell and epilog are over: give it back, unless it is the last
 * (the final release follows finish). */
void JobExec::rank_done(Launch &L, uint32_t rank)
{
    if (L.starting)
        return; /* released once every shell is started (below) */
    if (!L.running.empty() || L.epilogs > 0) {
        L.unreleased.erase(rank);
        respond_event(L, "release",
                      json_pack("{s:s s:b}", "ranks", std::to_string(rank).c_str(), "final", 0));
        return;
    }
    finish_if_done(L);
}

/* Once no shell runs: finish (if the job started), then the final
 * release of every rank not yet given back, which ends the stream. */
void JobExec::finish_if_done(Launch &L)
{
    if (!L.running.empty() || L.epilogs > 0 || L.starting)
        return;
    if (L.phase == Phase::shells && !L.finished) {
        L.finished = true;
        int c = L.max_code;
        /* wait(2) form: the shell reports 128+N for signal N. */
        int status = c > 128 && c < 128 + 65 ? c - 128 : c << 8;
        respond_event(L, "finish", json_pack("{s:i}", "status", status));
    }
    L.phase = Phase::done;
    respond_event(L, "release",
                  json_pack("{s:s s:b}", "ranks", L.unreleased.encode().c_str(), "final", 1));
    launches_.erase(L.id); /* L is gone */
}

void JobExec::signal_ranks(Launch &L, int sig, bool escalate)
{
    L.running.for_each([&](uint32_t rank) {
        if (rank == broker_.rank()) {
            signal_local(L.id, sig, escalate);
            return;
        }
        broker_.rpc("job-exec.signal",
                    json_pack("{s:I s:i s:b}", "id", (json_int_t)L.id, "signal", sig, "escalate",
                              escalate),
                    rank, [](const flux_msg_t *) {});
    });
}

void JobExec::kill(const flux_msg_t *msg)
{
    json_int_t id;
    int sig = SIGTERM, escalate = 0;
    if (flux_msg_unpack(msg, "{s:I s?i s?b}", "id", &id, "signal", &sig, "escalate", &escalate) < 0
        || sig <= 0 || sig >= 64) {
        broker_.respond_error(msg, EPROTO, "job-exec.kill: expected {\"id\", \"signal\": 1-63}");
        return;
    }
    auto it = launches_.find((uint64_t)id);
    if (it == launches_.end()) {
        broker_.respond(msg, nullptr); /* already gone: nothing to do */
        return;
    }
    Launch &L = *it->second;
    if (L.phase == Phase::prolog)
        L.killed = true; /* the shells will not start */
    else
        signal_ranks(L, sig, escalate);
    broker_.respond(msg, nullptr);
}

/* Any rank: start this node's shell of a job for rank 0's job-exec. */
void JobExec::shell_request(const flux_msg_t *msg)
{
    json_int_t id;
    json_t *jobspec, *R;
    const char *cores = "", *gpus = "";
    if (flux_msg_unpack(msg, "{s:I s:o s:o s?s s?s}", "id", &id, "jobspec", &jobspec, "R", &R,
                        "cores", &cores, "gpus", &gpus)
        < 0) {
        broker_.respond_error(msg, EPROTO, "job-exec.shell: malformed request");
        return;
    }
    json_t *input = shell_input(jobspec, R, cores, gpus);
    auto req = std::make_shared<flux::ConstMsgPtr>(flux::msg_ref(msg));
    auto ok = spawn_shell((uint64_t)id, input, [this, req](int code) {
        broker_.respond(req->get(), json_pack("{s:i}", "status", code));
    });
    if (!ok)
        broker_.respond_error(msg, ok.error().errnum, ok.error().text);
}

void JobExec::signal_request(const flux_msg_t *msg)
{
    json_int_t id;
    int sig = SIGTERM, escalate = 0;
    if (flux_msg_unpack(msg, "{s:I s?i s?b}", "id", &id, "signal", &sig, "escalate", &escalate) < 0
        || sig <= 0 || sig >= 64) {
        broker_.respond_error(msg, EPROTO, "job-exec.signal: expected {\"id\", \"signal\": 1-63}");
        return;
    }
    signal_local((uint64_t)id, sig, escalate);
    broker_.respond(msg, nullptr);
}

flux::Result<void> JobExec::spawn_shell(uint64_t id, json_t *input,
                                        std::function<void(int code)> done)
{
    if (!input)
        return flux::make_error(EINVAL, "job-exec: cannot build the shell's input");
    if (shells_.count(id)) {
        json_decref(input);
        return flux::make_error(EEXIST, "job is already running on this rank");
    }
    char *text = json_dumps(input, JSON_COMPACT);
    json_decref(input);
    if (!text)
        return flux::make_error(ENOMEM, "job-exec: cannot encode the shell's input");
    /* Close-on-exec: a shell started meanwhile must not hold this pipe's
     * write end, or this shell would never see the end of its input. */
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        int e = errno;
        free(text);
        return flux::make_error(e, std::string("job-exec: pipe: ") + strerror(e));
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
        return flux::make_error(rc, "job-exec: cannot start " + path + ": " + strerror(rc));
    }
    /* The description is small (a jobspec and R); the shell reads it at once. */
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
    records_.started(pid, id);
    Shell &sh = shells_[id];
    sh.pid = pid;
    sh.done = std::move(done);
    broker_.watch_child(pid, [this, pid, id](int status) {
        records_.exited(pid);
        auto it = shells_.find(id);
        if (it == shells_.end())
            return;
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        auto done = std::move(it->second.done);
        shells_.erase(it);
        done(code);
    });
    return flux::Result<void>();
}

void JobExec::signal_local(uint64_t id, int sig, bool escalate)
{
    auto it = shells_.find(id);
    if (it == shells_.end())
        return; /* already gone */
    Shell &sh = it->second;
    ::kill(-sh.pid, sig);
    if (escalate && sig != SIGKILL && !sh.kill_timer) {
        sh.kill_ctx = std::make_unique<std::pair<JobExec *, uint64_t>>(this, id);
        sh.kill_timer.reset(event_new(
            broker_.base(), -1, 0,
            [](evutil_socket_t, short, void *arg) {
                auto *c = (std::pair<JobExec *, uint64_t> *)arg;
                auto i = c->first->shells_.find(c->second);
                if (i != c->first->shells_.end())
                    ::kill(-i->second.pid, SIGKILL);
            },
            sh.kill_ctx.get()));
        struct timeval tv = {kill_grace_seconds, 0};
        event_add(sh.kill_timer.get(), &tv);
    }
}

} // namespace fluxd
