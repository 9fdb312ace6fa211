/* rpc-rate.c - benchmark: RPC round trips per second to a broker rank.
 *
 *   rpc-rate [-n COUNT] [-r RANK] [-w WINDOW] [-t TOPIC]
 *
 * Sends COUNT requests (default broker.ping) to RANK keeping WINDOW of them
 * in flight (1 = strictly sequential round trips) and prints the rate. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <flux/core.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct bench {
    flux_t *h;
    const char *topic;
    uint32_t rank;
    int sent, done, count, errors;
};

static void send_one(struct bench *b);

static void continuation(flux_future_t *f, void *arg)
{
    struct bench *b = arg;
    if (flux_rpc_get(f, NULL) < 0)
        b->errors++;
    flux_future_destroy(f);
    b->done++;
    if (b->sent < b->count)
        send_one(b);
}

static void send_one(struct bench *b)
{
    flux_future_t *f = flux_rpc_pack(b->h, b->topic, b->rank, 0, "{s:i}", "seq", b->sent);
    if (!f || flux_future_then(f, -1, continuation, b) < 0) {
        fprintf(stderr, "rpc-rate: %s\n", strerror(errno));
        exit(1);
    }
    b->sent++;
}

int main(int argc, char **argv)
{
    struct bench b = {.topic = "broker.ping", .rank = 0, .count = 10000};
    int window = 1, c;
    while ((c = getopt(argc, argv, "n:r:w:t:")) != -1) {
        switch (c) {
            case 'n':
                b.count = atoi(optarg);
                break;
            case 'r':
                b.rank = (uint32_t)strtoul(optarg, NULL, 10);
                break;
            case 'w':
                window = atoi(optarg);
                break;
            case 't':
                b.topic = optarg;
                break;
            default:
                fprintf(stderr, "Usage: rpc-rate [-n COUNT] [-r RANK] [-w WINDOW] [-t TOPIC]\n");
                return 2;
        }
    }
    if (b.count < 1 || window < 1)
        return 2;
    flux_error_t error;
    if (!(b.h = flux_open_ex(NULL, 0, &error))) {
        fprintf(stderr, "rpc-rate: %s\n", error.text);
        return 1;
    }
    double t0 = now();
    for (int i = 0; i < window && b.sent < b.count; i++)
        send_one(&b);
    flux_reactor_run(flux_get_reactor(b.h), 0);
    double t = now() - t0;
    printf("rpc-rate: %d x %s to rank %u, window %d: %.3f s, %.0f rpc/s, %.1f us/rpc%s\n", b.count,
           b.topic, b.rank, window, t, b.count / t, t / b.count * 1e6, b.errors ? " (ERRORS)" : "");
    flux_close(b.h);
    return b.errors ? 1 : 0;
}
