/* pmi-client.c - a PMI-1 client speaking the simple wire protocol (RFC 13)
 * on PMI_FD directly, without any PMI library, to test the shell's server.
 *
 *   pmi-client exchange [ROUNDS]  init, maxes, kvsname, universe size,
 *                                 appnum; per round put key-R-ROUND, barrier,
 *                                 get every rank's key; get an unknown key
 *                                 (must fail); rank 0 prints the process
 *                                 mapping; finalize.  Prints "rank R ok".
 *   pmi-client garbage            a line that is not a command: expects the
 *                                 connection closed, exits 3
 *   pmi-client pmi2               a PMI-2 wire "fullinit": expects the
 *                                 connection closed, exits 3
 *   pmi-client longline           8 KiB without a newline: same
 *   pmi-client nofinalize         init, then exit 0 without finalize
 *   pmi-client abort CODE         init, abort with CODE, then sleep
 *   pmi-client barrier-exit RANK  init; RANK exits 0 at once, the others
 *                                 wait in a barrier that cannot complete
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fd, rank, size;
static char rbuf[65536];
static size_t rlen;

static void die(const char *what, const char *line)
{
    fprintf(stderr, "pmi-client rank %d: %s%s%s\n", rank, what, line ? ": " : "",
            line ? line : "");
    exit(1);
}

static void send_str(const char *s)
{
    size_t len = strlen(s);
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("write failed", strerror(errno));
        }
        s += n;
        len -= (size_t)n;
    }
}

/* 0 with a line, -1 on EOF. */
static int recv_line(char *out, size_t size)
{
    for (;;) {
        char *nl = memchr(rbuf, '\n', rlen);
        if (nl) {
            size_t n = (size_t)(nl - rbuf);
            if (n >= size)
                die("response too long", NULL);
            memcpy(out, rbuf, n);
            out[n] = 0;
            memmove(rbuf, nl + 1, rlen - n - 1);
            rlen -= n + 1;
            return 0;
        }
        ssize_t r = read(fd, rbuf + rlen, sizeof(rbuf) - rlen);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        rlen += (size_t)r;
    }
}

static const char *field(const char *line, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name);
    for (const char *p = line; (p = strstr(p, name)); p += nl) {
        if ((p == line || p[-1] == ' ') && p[nl] == '=') {
            p += nl + 1;
            size_t n = strcspn(p, " ");
            if (n >= size)
                n = size - 1;
            memcpy(out, p, n);
            out[n] = 0;
            return out;
        }
    }
    return NULL;
}

/* Send req, expect "cmd=expect" with rc=want; the line in rsp. */
static void rpc(const char *req, const char *expect, int want, char *rsp, size_t size)
{
    char cmd[64], rc[16];
    send_str(req);
    if (recv_line(rsp, size) < 0)
        die("connection closed after", req);
    if (!field(rsp, "cmd", cmd, sizeof(cmd)) || strcmp(cmd, expect) != 0
        || !field(rsp, "rc", rc, sizeof(rc)) || atoi(rc) != want)
        die("unexpected response", rsp);
}

static void expect_eof(void)
{
    char line[4096];
    while (recv_line(line, sizeof(line)) == 0)
        ;
    printf("rank %d: connection closed\n", rank);
    exit(3);
}

int main(int argc, char **argv)
{
    char rsp[8192], req[8192], kvsname[128], val[2048];
    const char *e = getenv("PMI_FD");
    if (argc < 2 || !e || !getenv("PMI_RANK") || !getenv("PMI_SIZE")) {
        fprintf(stderr, "usage: pmi-client MODE (under a PMI server: PMI_FD, PMI_RANK, PMI_SIZE)\n");
        return 2;
    }
    fd = atoi(e);
    rank = atoi(getenv("PMI_RANK"));
    size = atoi(getenv("PMI_SIZE"));
    const char *mode = argv[1];
    if (!strcmp(mode, "garbage")) {
        send_str("this is not pmi\n");
        expect_eof();
    }
    if (!strcmp(mode, "pmi2")) {
        send_str("    48cmd=fullinit;pmijobid=1;pmirank=0;threaded=FALSE;");
        expect_eof();
    }
    if (!strcmp(mode, "longline")) {
        memset(req, 'x', sizeof(req));
        send_str("cmd=init pmi_version=1 pmi_subversion=1\n");
        if (recv_line(rsp, sizeof(rsp)) < 0)
            die("no init response", NULL);
        req[sizeof(req) - 1] = 0;
        send_str(req);
        expect_eof();
    }
    rpc("cmd=init pmi_version=1 pmi_subversion=1\n", "response_to_init", 0, rsp, sizeof(rsp));
    if (!strcmp(mode, "nofinalize"))
        return 0;
    if (!strcmp(mode, "abort")) {
        snprintf(req, sizeof(req), "cmd=abort exitcode=%s\n", argc > 2 ? argv[2] : "1");
        send_str(req);
        sleep(60);
        return 0;
    }
    if (!strcmp(mode, "barrier-exit")) {
        if (rank == (argc > 2 ? atoi(argv[2]) : 0))
            return 0;
        rpc("cmd=barrier_in\n", "barrier_out", 0, rsp, sizeof(rsp));
        return 0;
    }
    if (strcmp(mode, "exchange") != 0) {
        fprintf(stderr, "pmi-client: unknown mode %s\n", mode);
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 1;
    rpc("cmd=get_maxes\n", "maxes", 0, rsp, sizeof(rsp));
    if (!field(rsp, "vallen_max", val, sizeof(val)) || atoi(val) < 64)
        die("bad maxes", rsp);
    rpc("cmd=get_my_kvsname\n", "my_kvsname", 0, rsp, sizeof(rsp));
    if (!field(rsp, "kvsname", kvsname, sizeof(kvsname)))
        die("no kvsname", rsp);
    rpc("cmd=get_universe_size\n", "universe_size", 0, rsp, sizeof(rsp));
    if (!field(rsp, "size", val, sizeof(val)) || atoi(val) != size)
        die("universe size is not PMI_SIZE", rsp);
    rpc("cmd=get_appnum\n", "appnum", 0, rsp, sizeof(rsp));
    for (int round = 0; round < rounds; round++) {
        snprintf(req, sizeof(req), "cmd=put kvsname=%s key=key-%d-%d value=val-%d-%d\n", kvsname,
                 rank, round, rank, round);
        rpc(req, "put_result", 0, rsp, sizeof(rsp));
        rpc("cmd=barrier_in\n", "barrier_out", 0, rsp, sizeof(rsp));
        for (int r = 0; r < size; r++) {
            char want[64];
            snprintf(req, sizeof(req), "cmd=get kvsname=%s key=key-%d-%d\n", kvsname, r, round);
            rpc(req, "get_result", 0, rsp, sizeof(rsp));
            snprintf(want, sizeof(want), "val-%d-%d", r, round);
            if (!field(rsp, "value", val, sizeof(val)) || strcmp(val, want) != 0)
                die("wrong value", rsp);
        }
    }
    snprintf(req, sizeof(req), "cmd=get kvsname=%s key=no-such-key\n", kvsname);
    rpc(req, "get_result", -1, rsp, sizeof(rsp));
    snprintf(req, sizeof(req), "cmd=get kvsname=%s key=PMI_process_mapping\n", kvsname);
    rpc(req, "get_result", 0, rsp, sizeof(rsp));
    if (rank == 0 && field(rsp, "value", val, sizeof(val)))
        printf("mapping %s\n", val);
    rpc("cmd=finalize\n", "finalize_ack", 0, rsp, sizeof(rsp));
    printf("rank %d ok\n", rank);
    return 0;
}
