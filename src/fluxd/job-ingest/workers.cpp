/* workers.cpp - the worker pool of an executable validator or frobnicator
 * (see workers.h for the protocol).  Each worker's stdin and stdout are one
 * end of a socketpair (one bufferevent), its stderr another; the broker
 * reaps it (watch_child). */
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "fluxd/service.h"
#include "spawnattr/spawnattr.h"
#include "workers.h"

extern char **environ;

namespace fluxd {

namespace {

constexpr size_t answer_max = 4 * 1024 * 1024;

std::string status_text(int status)
{
    if (WIFEXITED(status))
        return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " ("
               + strsignal(WTERMSIG(status)) + ")";
    return "stopped";
}

std::string seconds_text(double s)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%gs", s);
    return buf;
}

} // namespace

WorkerPool::Worker::~Worker()
{
    if (io)
        bufferevent_free(io);
    if (err)
        bufferevent_free(err);
    if (pid > 0)
        kill(-pid, SIGKILL); /* its process group (setpgroup at spawn) */
}

WorkerPool::WorkerPool(ServiceHost &host, std::string label, std::vector<std::string> argv,
                       int max_workers, double timeout)
    : host_(host), label_(std::move(label)), argv_(std::move(argv)),
      max_workers_(max_workers < 1 ? 1 : max_workers), timeout_(timeout)
{
    done_ev_.reset(event_new(
        host_.base(), -1, 0,
        [](evutil_socket_t, short, void *arg) {
            auto *pool = (WorkerPool *)arg;
            while (!pool->done_.empty()) {
                auto d = std::move(pool->done_.front());
                pool->done_.pop_front();
                d.first->cb(std::move(d.second));
            }
            pool->retired_.clear();
        },
        this));
}

WorkerPool::~WorkerPool()
{
    workers_.clear();
}

void WorkerPool::submit(std::string line, Answer cb)
{
    queue_.push_back(Request{std::move(line), std::move(cb)});
    dispatch();
}

void WorkerPool::complete(std::unique_ptr<Request> r, flux::Result<flux::JsonPtr> answer)
{
    done_.emplace_back(std::move(r), std::move(answer));
    event_active(done_ev_.get(), 0, 0);
}

/* Hand queued requests to idle workers, starting workers up to the limit. */
void WorkerPool::dispatch()
{
    while (!queue_.empty()) {
        std::shared_ptr<Worker> w;
        for (auto &x : workers_) {
            if (!x->busy && x->io) {
                w = x;
                break;
            }
        }
        if (!w) {
            if ((int)workers_.size() >= max_workers_)
                return;
            auto s = spawn();
            if (!s) {
                auto r = std::make_unique<Request>(std::move(queue_.front()));
                queue_.pop_front();
                complete(std::move(r), s.error());
                continue;
            }
            w = *s;
        }
        w->busy = std::make_unique<Request>(std::move(queue_.front()));
        queue_.pop_front();
        w->busy->line += '\n';
        bufferevent_write(w->io, w->busy->line.data(), w->busy->line.size());
        struct timeval tv;
        tv.tv_sec = (time_t)timeout_;
        tv.tv_usec = (suseconds_t)((timeout_ - (double)tv.tv_sec) * 1e6);
        event_add(w->timer.get(), &tv);
    }
}

flux::Result<std::shared_ptr<WorkerPool::Worker>> WorkerPool::spawn()
{
    int io[2], err[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, io) < 0)
        return flux::make_error(errno, label_ + ": socketpair: " + strerror(errno));
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, err) < 0) {
        int e = errno;
        close(io[0]);
        close(io[1]);
        return flux::make_error(e, label_ + ": socketpair: " + strerror(e));
    }
    std::vector<std::string> env;
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, "FLUX_URI=", 9) != 0)
            env.push_back(*e);
    }
    env.push_back("FLUX_URI=local://" + host_.local_uri_path());
    std::vector<char *> envp;
    for (auto &e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = argv_;
    std::vector<char *> argv;
    for (auto &a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, io[1], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, io[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
    posix_spawnattr_t attr;
    flux::child_spawnattr_init(&attr, true);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(io[1]);
    close(err[1]);
    if (rc != 0) {
        close(io[0]);
        close(err[0]);
        return flux::make_error(EIO, label_ + ": cannot start " + argv_[0] + ": " + strerror(rc));
    }
    started_++;
    auto w = std::make_shared<Worker>();
    w->pool = this;
    w->pid = pid;
    evutil_make_socket_nonblocking(io[0]);
    evutil_make_socket_nonblocking(err[0]);
    w->io = bufferevent_socket_new(host_.base(), io[0], BEV_OPT_CLOSE_ON_FREE);
    w->err = bufferevent_socket_new(host_.base(), err[0], BEV_OPT_CLOSE_ON_FREE);
    if (!w->io || !w->err) {
        if (!w->io)
            close(io[0]);
        if (!w->err)
            close(err[0]);
        return flux::make_error(ENOMEM, label_ + ": out of memory");
    }
    Worker *wp = w.get();
    bufferevent_setcb(
        w->io,
        [](bufferevent *, void *arg) {
            auto *x = (Worker *)arg;
            x->pool->read_lines(*x);
        },
        nullptr,
        [](bufferevent *, short what, void *arg) {
            auto *x = (Worker *)arg;
            if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
                x->pool->on_eof(*x);
        },
        wp);
    bufferevent_enable(w->io, EV_READ | EV_WRITE);
    bufferevent_setcb(
        w->err,
        [](bufferevent *bev, void *arg) {
            auto *x = (Worker *)arg;
            evbuffer *in = bufferevent_get_input(bev);
            while (char *l = evbuffer_readln(in, nullptr, EVBUFFER_EOL_LF)) {
                x->pool->host_.log(LOG_ERR, "job-ingest: %s: %s", x->pool->label_.c_str(), l);
                free(l);
            }
        },
        nullptr,
        [](bufferevent *bev, short what, void *) {
            if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
                bufferevent_disable(bev, EV_READ);
        },
        wp);
    bufferevent_enable(w->err, EV_READ);
    w->timer.reset(event_new(
        host_.base(), -1, 0,
        [](evutil_socket_t, short, void *arg) {
            auto *x = (Worker *)arg;
            x->pool->on_timeout(*x);
        },
        wp));
    std::weak_ptr<Worker> ww = w;
    host_.watch_child(pid, [ww](int status) {
        if (auto x = ww.lock())
            x->pool->on_exit(*x, status);
    });
    workers_.push_back(w);
    return w;
}

void WorkerPool::read_lines(Worker &w)
{
    if (!w.io)
        return;
    evbuffer *in = bufferevent_get_input(w.io);
    while (w.io) {
        size_t len = 0;
        char *l = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
        if (!l) {
            if (evbuffer_get_length(in) > answer_max)
                retire(w, flux::make_error(EINVAL, label_ + ": answer longer than 4 MiB"));
            return;
        }
        std::string line(l, len);
        free(l);
        on_line(w, std::move(line));
    }
}

void WorkerPool::on_line(Worker &w, std::string line)
{
    if (line.empty())
        return;
    if (!w.busy) {
        retire(w, flux::make_error(EPROTO, label_ + ": answer to no request"));
        dispatch();
        return;
    }
    event_del(w.timer.get());
    std::unique_ptr<Request> r = std::move(w.busy);
    json_error_t jerr;
    flux::JsonPtr o(json_loadb(line.data(), line.size(), 0, &jerr));
    if (!json_is_object(o.get()))
        complete(std::move(r),
                 flux::make_error(EINVAL, label_ + ": invalid answer (expected one JSON object "
                                                   "per line): " + (o ? "not an object" : jerr.text)));
    else
        complete(std::move(r), std::move(o));
    dispatch();
}

void WorkerPool::on_timeout(Worker &w)
{
    retire(w, flux::make_error(ETIMEDOUT, label_ + ": no answer within " + seconds_text(timeout_)
                                               + " (the worker was killed)"));
    dispatch();
}

/* Its output closed: it takes no more requests; the one it has fails when
 * it exits (or at the time limit if it does not). */
void WorkerPool::on_eof(Worker &w)
{
    read_lines(w);
    if (w.io) {
        bufferevent_free(w.io);
        w.io = nullptr;
    }
    if (!w.busy)
        retire(w, flux::make_error(0, ""));
    dispatch();
}

void WorkerPool::on_exit(Worker &w, int status)
{
    w.pid = -1;
    /* An answer written just before exiting may still be in the socket. */
    if (w.io) {
        evbuffer *in = bufferevent_get_input(w.io);
        while (evbuffer_read(in, bufferevent_getfd(w.io), 65536) > 0)
            ;
        read_lines(w);
    }
    std::string why = label_ + " " + status_text(status);
    if (w.busy)
        host_.log(LOG_ERR, "job-ingest: %s", why.c_str());
    retire(w, flux::make_error(EIO, why));
    dispatch();
}

void WorkerPool::retire(Worker &w, flux::Error err)
{
    if (w.busy)
        complete(std::move(w.busy), std::move(err));
    if (w.timer)
        event_del(w.timer.get());
    if (w.io) {
        bufferevent_free(w.io);
        w.io = nullptr;
    }
    if (w.pid > 0)
        kill(-w.pid, SIGKILL);
    for (size_t i = 0; i < workers_.size(); i++) {
        if (workers_[i].get() == &w) {
            /* Freed from the loop: a callback of W may be running. */
            retired_.push_back(std::move(workers_[i]));
            workers_.erase(workers_.begin() + (long)i);
            event_active(done_ev_.get(), 0, 0);
            return;
        }
    }
}

} // namespace fluxd
