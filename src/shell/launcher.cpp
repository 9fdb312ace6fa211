/* launcher.cpp - flux-shell --launcher FD: start job shells by fork alone.
 *
 * A job's shell used to be a fresh exec of flux-shell per job per node:
 * the kernel maps the program and its libraries, ld.so binds them and
 * probes the CPU (cpuid traps to the hypervisor in a VM), and only then
 * does the shell begin.  job-exec instead keeps one launcher per broker,
 * started once from the same binary with every symbol bound
 * (LD_BIND_NOW), and asks it for each shell: the launcher forks, and the
 * child runs the shell's main() as a fresh exec would, in a process image
 * that is already loaded.  See doc/design/shell-launcher.md.
 *
 * Protocol on FD (a SOCK_SEQPACKET socket to the broker, one datagram a
 * message, answers in order):
 *
 *   broker -> launcher   "S JOBID"  + SCM_RIGHTS: the shell's stdin
 *   launcher -> broker   "P PID"    the shell started
 *                        "E ERRNO"  fork failed
 *                        "X PID STATUS"  a shell exited (wait status)
 *
 * The launcher is the shells' parent, so it reaps them and reports each
 * exit.  The end of FD (the broker gone) ends the launcher; shells still
 * running carry on (or die with the broker when their description asks).
 */
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include <string>

#include "fluid/fluid.h"
#include "internal.h"
#include "spawnattr/spawnattr.h"

namespace flux::shell {

namespace {

void send_text(int fd, const std::string &text)
{
    while (send(fd, text.data(), text.size(), MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

/* One "S JOBID" request and its stdin: fork the shell.  In the child
 * this never returns. */
void start_shell(int fd, int sfd, const char *msg, int in_fd)
{
    char jobid[64];
    if (sscanf(msg, "S %63s", jobid) != 1 || in_fd < 0) {
        if (in_fd >= 0)
            close(in_fd);
        send_text(fd, "E " + std::to_string(EPROTO));
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(in_fd);
        send_text(fd, "E " + std::to_string(e));
        return;
    }
    if (pid == 0) {
        /* What job-exec's posix_spawn attributes do for an exec'd shell. */
        setpgid(0, 0);
        close(fd);
        close(sfd);
        flux::child_reset_signals();
        if (dup2(in_fd, STDIN_FILENO) < 0)
            _exit(126);
        close(in_fd);
        char name[] = "flux-shell";
        char *argv[] = {name, jobid, nullptr};
        _exit(shell_main(2, argv));
    }
    setpgid(pid, pid); /* also here: the broker may signal the group at once */
    close(in_fd);
    send_text(fd, "P " + std::to_string(pid));
}

void reap(int fd)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        send_text(fd, "X " + std::to_string(pid) + " " + std::to_string(status));
}

} // namespace

int launcher_main(const char *fdarg)
{
    char *end;
    long fd = strtol(fdarg, &end, 10);
    if (*fdarg == '\0' || *end != '\0' || fd < 0 || fd > 1 << 20) {
        fprintf(stderr, "flux-shell: --launcher: '%s' is not a file descriptor\n", fdarg);
        return 1;
    }
    /* The bindings are done (the broker started us with LD_BIND_NOW);
     * shells and their tasks must not inherit the setting. */
    unsetenv("LD_BIND_NOW");
    /* Work every shell would repeat, done once: whether the environment's
     * locale is UTF-8 (the job id's "ƒ"; it reads locale files). */
    (void)flux::fluid_locale_utf8();
    /* jansson seeds its hash function from /dev/urandom at its first
     * object; seeded here, the shells inherit the seed. */
    json_object_seed(0);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, nullptr);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        fprintf(stderr, "flux-shell: --launcher: signalfd: %s\n", strerror(errno));
        return 1;
    }
    for (;;) {
        struct pollfd pfd[2] = {{(int)fd, POLLIN, 0}, {sfd, POLLIN, 0}};
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        if (pfd[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) == sizeof(si))
                ;
            reap((int)fd);
        }
        if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        char buf[128];
        union {
            char space[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } ctl;
        struct iovec iov = {buf, sizeof(buf) - 1};
        struct msghdr mh = {};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = ctl.space;
        mh.msg_controllen = sizeof(ctl.space);
        ssize_t n = recvmsg((int)fd, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0; /* the broker is gone */
        buf[n] = '\0';
        int in_fd = -1;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                memcpy(&in_fd, CMSG_DATA(c), sizeof(int));
        }
        start_shell((int)fd, sfd, buf, in_fd);
    }
}

} // namespace flux::shell
