/* rawsock.c - test helper: connect to a unix socket, write raw bytes given
 * in hex on the command line, then report whether the peer answered or
 * closed the connection.
 *
 *   rawsock PATH HEXBYTES [TIMEOUT-SECONDS]
 *
 * Prints "closed" if the peer hung up, "data N" if it sent N bytes, or
 * "timeout" if neither happened. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "Usage: rawsock PATH HEXBYTES [TIMEOUT]\n");
        return 2;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        perror("rawsock: connect");
        return 1;
    }
    size_t n = strlen(argv[2]) / 2;
    unsigned char *buf = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        sscanf(argv[2] + 2 * i, "%2hhx", &buf[i]);
    if (n > 0 && write(fd, buf, n) != (ssize_t)n) {
        perror("rawsock: write");
        return 1;
    }
    int ms = argc > 3 ? atoi(argv[3]) * 1000 : 2000;
    struct pollfd pfd = {fd, POLLIN, 0};
    int rc = poll(&pfd, 1, ms);
    if (rc == 0) {
        printf("timeout\n");
        return 0;
    }
    char rbuf[4096];
    ssize_t r = read(fd, rbuf, sizeof(rbuf));
    if (r <= 0)
        printf("closed\n");
    else
        printf("data %zd\n", r);
    free(buf);
    close(fd);
    return 0;
}
