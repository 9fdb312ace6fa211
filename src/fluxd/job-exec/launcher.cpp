/* launcher.cpp - job-exec's side of `flux-shell --launcher` (launcher.h). */
#include "launcher.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "fluxd/service.h"
#include "spawnattr/spawnattr.h"

namespace fluxd {

flux::Result<std::unique_ptr<ShellLauncher>> ShellLauncher::start(
    ServiceHost &host, const std::string &path, const std::vector<std::string> &env)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return flux::make_error(errno, std::string("socketpair: ") + strerror(errno));
    std::vector<std::string> e = env;
    e.push_back("LD_BIND_NOW=1");
    std::vector<char *> envp;
    for (auto &s : e)
        envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string arg0 = path, opt = "--launcher", fdarg = "3";
    char *argv[] = {arg0.data(), opt.data(), fdarg.data(), nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
    /* Its own process group: a signal to the broker's group (^C at
     * flux start) must not end it before the shells it reports on. */
    posix_spawnattr_t attr;
    flux::child_spawnattr_init(&attr, true);
    pid_t pid;
    int rc = posix_spawn(&pid, path.c_str(), &fa, &attr, argv, envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(sv[1]);
    if (rc != 0) {
        close(sv[0]);
        return flux::make_error(rc, "cannot start " + path + " --launcher: " + strerror(rc));
    }
    std::unique_ptr<ShellLauncher> l(new ShellLauncher(host));
    l->fd_ = sv[0];
    l->pid_ = pid;
    fcntl(l->fd_, F_SETFL, fcntl(l->fd_, F_GETFL) | O_NONBLOCK);
    l->ev_.reset(event_new(
        host.base(), l->fd_, EV_READ | EV_PERSIST,
        [](evutil_socket_t, short, void *arg) { static_cast<ShellLauncher *>(arg)->on_readable(); },
        l.get()));
    event_add(l->ev_.get(), nullptr);
    l->flush_ev_.reset(event_new(
        host.base(), -1, 0,
        [](evutil_socket_t, short, void *arg) { static_cast<ShellLauncher *>(arg)->dispatch_exits(); },
        l.get()));
    /* The broker reaps it (waitpid(-1)); its end shows as the socket's. */
    host.watch_child(pid, [](int) {});
    return l;
}

ShellLauncher::~ShellLauncher()
{
    ev_.reset();
    flush_ev_.reset();
    if (fd_ >= 0)
        close(fd_); /* the launcher sees the end and exits */
    /* Reap it here: the broker's loop is over, and its orphan might sit
     * as a zombie under an init that does not reap. */
    for (int i = 0; pid_ > 0 && i < 200; i++) {
        pid_t r = waitpid(pid_, nullptr, WNOHANG);
        if (r == pid_ || (r < 0 && errno == ECHILD))
            return;
        if (i == 100)
            ::kill(pid_, SIGKILL);
        usleep(5000);
    }
}

bool ShellLauncher::receive(bool wait, std::string &msg)
{
    char buf[128];
    for (;;) {
        ssize_t n = recv(fd_, buf, sizeof(buf), 0);
        if (n > 0) {
            msg.assign(buf, (size_t)n);
            return true;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            if (!wait) {
                msg.clear();
                return true;
            }
            /* The fork takes a fraction of a millisecond; a launcher that
             * does not answer in 10 s is treated as lost. */
            struct pollfd p = {fd_, POLLIN, 0};
            int r = poll(&p, 1, 10000);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return false;
            continue;
        }
        return false; /* end of file or error */
    }
}

flux::Result<pid_t> ShellLauncher::spawn(uint64_t id, int in_fd)
{
    if (fd_ < 0)
        return flux::make_error(EPIPE, "the shell launcher is gone");
    std::string req = "S " + std::to_string((unsigned long long)id);
    struct iovec iov = {req.data(), req.size()};
    union {
        char space[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof(ctl));
    struct msghdr mh = {};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.space;
    mh.msg_controllen = sizeof(ctl.space);
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &in_fd, sizeof(int));
    ssize_t n;
    do {
        n = sendmsg(fd_, &mh, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        int e = errno;
        lost();
        return flux::make_error(e, std::string("shell launcher: ") + strerror(e));
    }
    /* Answers come in order; exits of other shells heard meanwhile wait
     * for the loop. */
    for (;;) {
        std::string msg;
        if (!receive(true, msg)) {
            lost();
            return flux::make_error(EPIPE, "the shell launcher is gone");
        }
        if (msg.starts_with("X ")) {
            int pid, status;
            if (sscanf(msg.c_str(), "X %d %d", &pid, &status) == 2)
                exits_.emplace_back(pid, status);
            continue;
        }
        if (!exits_.empty())
            event_active(flush_ev_.get(), EV_TIMEOUT, 0);
        int v;
        if (msg.starts_with("P ") && sscanf(msg.c_str(), "P %d", &v) == 1 && v > 0)
            return (pid_t)v;
        if (msg.starts_with("E ") && sscanf(msg.c_str(), "E %d", &v) == 1)
            return flux::make_error(v, std::string("shell launcher: fork: ") + strerror(v));
        host_.log(LOG_ERR, "job-exec: shell launcher: unexpected answer '%s'", msg.c_str());
        lost();
        return flux::make_error(EPROTO, "the shell launcher answered out of protocol");
    }
}

void ShellLauncher::watch(pid_t pid, std::function<void(int status)> cb)
{
    watchers_[pid] = std::move(cb);
}

void ShellLauncher::dispatch_exits()
{
    while (!exits_.empty()) {
        auto [pid, status] = exits_.front();
        exits_.pop_front();
        auto it = watchers_.find(pid);
        if (it == watchers_.end())
            continue;
        auto cb = std::move(it->second);
        watchers_.erase(it);
        cb(status);
    }
}

void ShellLauncher::on_readable()
{
    for (;;) {
        std::string msg;
        if (fd_ < 0 || !receive(false, msg)) {
            lost(); /* its last exits are queued first */
            return;
        }
        if (msg.empty())
            break;
        int pid, status;
        if (sscanf(msg.c_str(), "X %d %d", &pid, &status) == 2)
            exits_.emplace_back(pid, status);
        else
            host_.log(LOG_ERR, "job-exec: shell launcher: unexpected message '%s'", msg.c_str());
    }
    dispatch_exits();
}

/* The launcher is gone: its shells can no longer be reaped by anyone who
 * would tell us, so they are ended and reported killed (from the loop:
 * lost() may run inside spawn()). */
void ShellLauncher::lost()
{
    if (fd_ < 0)
        return;
    host_.log(LOG_ERR, "job-exec: the shell launcher (pid %d) is gone; %zu running shell(s) killed",
              (int)pid_, watchers_.size());
    ev_.reset();
    close(fd_);
    fd_ = -1;
    for (auto &[pid, cb] : watchers_) {
        ::kill(-pid, SIGKILL);
        exits_.emplace_back(pid, W_EXITCODE(0, SIGKILL));
    }
    if (!exits_.empty())
        event_active(flush_ev_.get(), EV_TIMEOUT, 0);
}

} // namespace fluxd
