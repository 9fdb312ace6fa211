/* rpc.c - test helper: send one request and print the response payload.
 *
 *   rpc [-r NODEID] [-s] TOPIC [JSON]
 *
 * -s sends a streaming request and prints every response until ENODATA.
 * On an error response, prints "ERRNO: text" to stderr and exits 1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <flux/core.h>

int main(int argc, char **argv)
{
    uint32_t nodeid = FLUX_NODEID_ANY;
    int flags = 0, c;
    while ((c = getopt(argc, argv, "+r:s")) != -1) {
        if (c == 'r')
            nodeid = (uint32_t)strtoul(optarg, NULL, 10);
        else if (c == 's')
            flags = FLUX_RPC_STREAMING;
        else
            return 2;
    }
    if (optind >= argc || argc - optind > 2) {
        fprintf(stderr, "Usage: rpc [-r NODEID] [-s] TOPIC [JSON]\n");
        return 2;
    }
    flux_error_t error;
    flux_t *h = flux_open_ex(NULL, 0, &error);
    if (!h) {
        fprintf(stderr, "rpc: %s\n", error.text);
        return 1;
    }
    const char *payload = argc - optind == 2 ? argv[optind + 1] : NULL;
    flux_future_t *f = flux_rpc(h, argv[optind], payload, nodeid, flags);
    if (!f) {
        fprintf(stderr, "rpc: %s\n", strerror(errno));
        return 1;
    }
    for (;;) {
        const char *s = NULL;
        if (flux_rpc_get(f, &s) < 0) {
            if (flags && errno == ENODATA)
                break;
            fprintf(stderr, "%s: %s\n", strerror(errno), flux_future_error_string(f));
            return 1;
        }
        printf("%s\n", s ? s : "");
        fflush(stdout);
        if (!flags)
            break;
        flux_future_reset(f);
    }
    flux_future_destroy(f);
    flux_close(h);
    return 0;
}
