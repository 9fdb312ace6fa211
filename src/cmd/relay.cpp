/* relay.cpp - flux relay PATH: copy bytes between stdin/stdout and the
 * broker's unix socket PATH.  ssh:// URIs run it on the remote host. */
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd.h"

namespace fluxcmd {

namespace {

/* Copy what is readable on in to out; false at EOF or error. */
bool pump(int in, int out)
{
    char buf[65536];
    ssize_t n;
    do {
        n = read(in, buf, sizeof(buf));
    } while (n < 0 && errno == EINTR);
    if (n <= 0)
        return false;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(out, buf + off, n - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        off += w;
    }
    return true;
}

} // namespace

int cmd_relay(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("Usage: flux relay /PATH/TO/SOCKET\n");
        return 0;
    }
    if (argc != 2 || argv[1][0] != '/')
        die(1, "Usage: flux relay /PATH/TO/SOCKET");
    struct sockaddr_un sa = {};
    sa.sun_family = AF_UNIX;
    if (strlen(argv[1]) >= sizeof(sa.sun_path))
        die(1, "flux-relay: socket path too long");
    strcpy(sa.sun_path, argv[1]);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        die(1, "flux-relay: connect %s: %s", argv[1], strerror(errno));
    struct pollfd pfd[2] = {{STDIN_FILENO, POLLIN, 0}, {fd, POLLIN, 0}};
    for (;;) {
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (!pump(STDIN_FILENO, fd))
                break;
        }
        if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (!pump(fd, STDOUT_FILENO))
                break;
        }
    }
    close(fd);
    return 0;
}

} // namespace fluxcmd
