/* perilog.cpp - run the site's prolog, epilog or housekeeping scripts of
 * one job on this rank (see perilog.h for the environment and the config).
 *
 * Attributes read: conf.job-manager.prolog, conf.job-manager.epilog,
 * conf.job-manager.housekeeping (JSON, written by boot.cpp from the TOML
 * config, or given with flux start -S).
 */
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>

#include "fluid/fluid.h"
#include "fluxd/service.h"
#include "libflux/ptr.h"
#include "perilog.h"
#include "spawnattr/spawnattr.h"

extern char **environ;

namespace fluxd {

namespace {

constexpr int kill_grace_seconds = 5;
constexpr size_t line_max = 4096;

struct timeval to_timeval(double s)
{
    struct timeval tv;
    tv.tv_sec = (time_t)s;
    tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
    return tv;
}

} // namespace

const char *perilog_phase_name(PerilogPhase p)
{
    switch (p) {
        case PerilogPhase::prolog:
            return "prolog";
        case PerilogPhase::epilog:
            return "epilog";
        case PerilogPhase::housekeeping:
            return "housekeeping";
    }
    return "?";
}

flux::Result<PerilogConfig> PerilogConfig::parse(const std::string &text)
{
    json_error_t jerr;
    flux::JsonPtr o(json_loads(text.c_str(), 0, &jerr));
    if (!json_is_object(o.get()))
        return flux::make_error(EINVAL, std::string("expected a JSON object: ") + jerr.text);
    PerilogConfig c;
    const char *key;
    json_t *v;
    json_object_foreach(o.get(), key, v)
    {
        std::string k = key;
        if (k == "command") {
            size_t i;
            json_t *arg;
            if (!json_is_array(v) || json_array_size(v) == 0)
                return flux::make_error(EINVAL, "command: expected a non-empty array of strings");
            json_array_foreach(v, i, arg)
            {
                if (!json_is_string(arg) || json_string_length(arg) == 0)
                    return flux::make_error(EINVAL, "command[" + std::to_string(i)
                                                        + "]: expected a non-empty string");
                c.command.push_back(json_string_value(arg));
            }
        }
        else if (k == "directory") {
            if (!json_is_string(v) || json_string_length(v) == 0)
                return flux::make_error(EINVAL, "directory: expected a non-empty path");
            c.directory = json_string_value(v);
        }
        else if (k == "per-rank") {
            if (!json_is_boolean(v))
                return flux::make_error(EINVAL, "per-rank: expected true or false");
            c.per_rank = json_is_true(v);
        }
        else if (k == "timeout") {
            if (!json_is_number(v) || json_number_value(v) < 0)
                return flux::make_error(EINVAL, "timeout: expected seconds >= 0");
            c.timeout = json_number_value(v);
        }
        else
            return flux::make_error(EINVAL, "unknown key '" + k + "'");
    }
    if (c.command.empty() == c.directory.empty())
        return flux::make_error(EINVAL, "expected either command or directory");
    return c;
}

std::optional<PerilogConfig> PerilogConfig::load(ServiceHost &broker, PerilogPhase phase)
{
    std::string name = std::string("conf.job-manager.") + perilog_phase_name(phase);
    auto text = broker.attr(name);
    if (!text || text->empty())
        return std::nullopt;
    auto c = parse(*text);
    if (!c) {
        broker.log(LOG_ERR, "job-exec: %s: %s (no %s will run)", name.c_str(),
                   c.error().text.c_str(), perilog_phase_name(phase));
        return std::nullopt;
    }
    return std::move(*c);
}

std::string PerilogResult::describe(double timeout) const
{
    std::string s = failed.empty() ? "" : failed + ": ";
    if (!error.empty())
        return s + error;
    if (timed_out) {
        char buf[64];
        snprintf(buf, sizeof(buf), "timed out after %gs", timeout);
        return s + buf;
    }
    if (killed)
        return s + "killed (the job was cancelled)";
    if (code > 128)
        return s + "killed by signal " + std::to_string(code - 128);
    return s + "exit " + std::to_string(code);
}

struct PerilogRunner::Run {
    uint64_t key = 0;
    uint64_t id = 0;
    PerilogPhase phase = PerilogPhase::prolog;
    std::string label; /* "prolog ƒ..." for the log */
    std::vector<std::vector<std::string>> scripts;
    size_t index = 0;
    bool from_directory = false;
    std::vector<std::string> env;
    std::string R;
    double timeout = 0;
    pid_t pid = -1;
    int out_fd = -1;
    std::string line; /* output not yet ended by a newline */
    flux::EventPtr out_ev, timer, kill_timer, defer;
    PerilogResult result;
    std::function<void(const PerilogResult &)> done;
    ServiceHost *broker = nullptr;

    ~Run() { close_output(); }
    void log_line(const std::string &l)
    {
        broker->log(LOG_INFO, "%s: %s", label.c_str(), l.c_str());
    }
    /* Read what is there; false at end of file or on error. */
    bool drain_output()
    {
        char buf[4096];
        for (;;) {
            ssize_t n = read(out_fd, buf, sizeof(buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return errno == EAGAIN;
            if (n == 0)
                return false;
            for (ssize_t i = 0; i < n; i++) {
                if (buf[i] == '\n' || line.size() >= line_max) {
                    log_line(line);
                    line.clear();
                    if (buf[i] == '\n')
                        continue;
                }
                line += buf[i];
            }
        }
    }
    void close_output()
    {
        out_ev.reset();
        if (out_fd >= 0)
            close(out_fd);
        out_fd = -1;
        if (!line.empty())
            log_line(line);
        line.clear();
    }
    void arm(flux::EventPtr &ev, double seconds, void (*cb)(evutil_socket_t, short, void *))
    {
        ev.reset(event_new(broker->base(), -1, 0, cb, this));
        struct timeval tv = to_timeval(seconds);
        event_add(ev.get(), &tv);
    }
    void signal(int sig)
    {
        if (pid <= 0)
            return;
        ::kill(-pid, sig);
        if (sig != SIGKILL && !kill_timer)
            arm(kill_timer, kill_grace_seconds, [](evutil_socket_t, short, void *arg) {
                auto *r = (Run *)arg;
                if (r->pid > 0)
                    ::kill(-r->pid, SIGKILL);
            });
    }
};

PerilogRunner::PerilogRunner(ServiceHost &broker) : broker_(broker) {}

PerilogRunner::~PerilogRunner()
{
    for (auto &[key, r] : runs_) {
        if (r->pid > 0)
            ::kill(-r->pid, SIGKILL);
    }
}

void PerilogRunner::run(PerilogPhase phase, const PerilogConfig &cfg, const Job &job,
                        std::function<void(const PerilogResult &)> done)
{
    auto r = std::make_unique<Run>();
    r->key = next_key_++;
    r->id = job.id;
    r->phase = phase;
    r->broker = &broker_;
    r->label = std::string(perilog_phase_name(phase)) + " "
               + flux::fluid_encode(job.id, flux::FluidFormat::f58);
    r->R = job.R;
    r->timeout = cfg.timeout;
    r->done = std::move(done);
    if (!cfg.directory.empty()) {
        r->from_directory = true;
        DIR *d = opendir(cfg.directory.c_str());
        if (!d)
            r->result.error = "cannot read " + cfg.directory + ": " + strerror(errno);
        else {
            std::vector<std::string> names;
            while (struct dirent *de = readdir(d)) {
                std::string n = de->d_name;
                if (n.empty() || n[0] == '.' || n.back() == '~')
                    continue;
                std::string path = cfg.directory + "/" + n;
                struct stat sb;
                if (stat(path.c_str(), &sb) == 0 && S_ISREG(sb.st_mode)
                    && access(path.c_str(), X_OK) == 0)
                    names.push_back(path);
            }
            closedir(d);
            std::sort(names.begin(), names.end());
            for (auto &n : names)
                r->scripts.push_back({n});
        }
    }
    else
        r->scripts.push_back(cfg.command);
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, "FLUX_URI=", 9) != 0 && strncmp(*e, "FLUX_JOB_", 9) != 0
            && strncmp(*e, "FLUX_PERILOG_", 13) != 0)
            r->env.push_back(*e);
    }
    r->env.push_back("FLUX_URI=local://" + broker_.local_uri_path());
    r->env.push_back("FLUX_JOB_ID=" + flux::fluid_encode(job.id, flux::FluidFormat::f58));
    r->env.push_back("FLUX_JOB_USERID=" + std::to_string(job.userid));
    r->env.push_back("FLUX_JOB_RANKS=" + job.ranks);
    r->env.push_back(std::string("FLUX_PERILOG_PHASE=") + perilog_phase_name(phase));
    Run &ref = *r;
    runs_[r->key] = std::move(r);
    if (ref.timeout > 0)
        ref.arm(ref.timer, ref.timeout, [](evutil_socket_t, short, void *arg) {
            auto *r = (Run *)arg;
            r->result.timed_out = true;
            r->broker->log(LOG_ERR, "%s: timed out after %gs", r->label.c_str(), r->timeout);
            r->signal(SIGTERM);
        });
    /* Start from the loop: done() is never called from within run(). */
    uint64_t key = ref.key;
    struct Ctx {
        PerilogRunner *self;
        uint64_t key;
    };
    auto *ctx = new Ctx{this, key};
    ref.defer.reset(event_new(
        broker_.base(), -1, 0,
        [](evutil_socket_t, short, void *arg) {
            std::unique_ptr<Ctx> c((Ctx *)arg);
            auto it = c->self->runs_.find(c->key);
            if (it != c->self->runs_.end())
                c->self->next(*it->second);
        },
        ctx));
    event_active(ref.defer.get(), EV_TIMEOUT, 0);
}

/* Start the next script, or end the run (all done, a failure, no script). */
void PerilogRunner::next(Run &r)
{
    if (!r.result.error.empty() || r.index >= r.scripts.size()) {
        finish(r.key, r.result);
        return;
    }
    const std::vector<std::string> &script = r.scripts[r.index];
    std::string name = script[0];
    auto fail = [&](const std::string &why) {
        r.result.error = "cannot start " + name + ": " + why;
        finish(r.key, r.result);
    };
    /* R on standard input, from a memory file: nothing to block on when
     * the script does not read it. */
    int mfd = memfd_create("flux-job-R", MFD_CLOEXEC);
    if (mfd < 0) {
        fail(strerror(errno));
        return;
    }
    size_t off = 0;
    while (off < r.R.size()) {
        ssize_t n = write(mfd, r.R.data() + off, r.R.size() - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    lseek(mfd, 0, SEEK_SET);
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) {
        int e = errno;
        close(mfd);
        fail(strerror(e));
        return;
    }
    std::vector<std::string> args = script;
    std::vector<char *> argv;
    for (auto &a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char *> envp;
    for (auto &e : r.env)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, mfd, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], STDERR_FILENO);
    posix_spawnattr_t attr;
    flux::child_spawnattr_init(&attr, true);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(mfd);
    close(pfd[1]);
    if (rc != 0) {
        close(pfd[0]);
        fail(strerror(rc));
        return;
    }
    r.pid = pid;
    r.out_fd = pfd[0];
    fcntl(r.out_fd, F_SETFL, fcntl(r.out_fd, F_GETFL) | O_NONBLOCK);
    r.out_ev.reset(event_new(
        broker_.base(), r.out_fd, EV_READ | EV_PERSIST,
        [](evutil_socket_t, short, void *arg) {
            auto *run = (Run *)arg;
            if (!run->drain_output())
                run->close_output();
        },
        &r));
    event_add(r.out_ev.get(), nullptr);
    uint64_t key = r.key;
    broker_.watch_child(pid, [this, key, name](int status) {
        auto it = runs_.find(key);
        if (it == runs_.end())
            return;
        Run &run = *it->second;
        run.pid = -1;
        run.kill_timer.reset();
        if (run.out_fd >= 0) {
            run.drain_output();
            run.close_output();
        }
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        run.result.code = code;
        if (code != 0 || run.result.timed_out || run.result.killed) {
            if (run.from_directory)
                run.result.failed = name;
            finish(key, run.result);
            return;
        }
        run.index++;
        next(run);
    });
}

void PerilogRunner::finish(uint64_t key, PerilogResult res)
{
    auto it = runs_.find(key);
    if (it == runs_.end())
        return;
    auto done = std::move(it->second->done);
    runs_.erase(it); /* the Run's events go with it */
    done(res);
}

void PerilogRunner::signal(uint64_t id, PerilogPhase phase, int sig)
{
    for (auto &[key, r] : runs_) {
        if (r->id != id || r->phase != phase)
            continue;
        r->result.killed = true;
        r->signal(sig);
    }
}

} // namespace fluxd
