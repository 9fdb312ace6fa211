/* hwloc.cpp - flux hwloc info: the hardware of every rank, summed. */
#include <cerrno>
#include <cstring>
#include <getopt.h>

#include <string>
#include <vector>

#include "cmd.h"

namespace fluxcmd {

int cmd_hwloc(int argc, char **argv)
{
    static const char *usage = "Usage: flux hwloc info [-v|--verbose]";
    if (argc < 2 || strcmp(argv[1], "info") != 0) {
        if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
            printf("%s\n", usage);
            return 0;
        }
        die(1, "%s", usage);
    }
    bool verbose = false;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
            verbose = true;
        else
            die(1, "flux-hwloc: unknown option '%s'\n%s", argv[i], usage);
    }
    flux_t *h = open_or_die("flux-hwloc");
    uint32_t size;
    if (flux_get_size(h, &size) < 0)
        die(1, "flux-hwloc: cannot get instance size: %s", strerror(errno));
    /* Ask every rank at once, then collect. */
    std::vector<flux_future_t *> fs;
    for (uint32_t r = 0; r < size; r++)
        fs.push_back(flux_rpc(h, "hwloc.info", nullptr, r, 0));
    long long packages = 0, cores = 0, pus = 0, gpus = 0, mem = 0;
    int rc = 0;
    for (uint32_t r = 0; r < size; r++) {
        int p, c, u, g;
        json_int_t m;
        const char *host;
        if (!fs[r] ||
            flux_rpc_get_unpack(fs[r], "{s:i s:i s:i s:i s:I s:s}", "packages", &p, "cores", &c,
                                "pus", &u, "gpus", &g, "memory", &m, "hostname", &host) < 0) {
            fprintf(stderr, "flux-hwloc: rank %u: %s\n", r,
                    fs[r] ? flux_future_error_string(fs[r]) : strerror(errno));
            rc = 1;
            continue;
        }
        if (verbose)
            printf("rank %u (%s): %d Packages, %d Cores, %d PUs, %d GPUs, %lld MiB\n", r, host, p,
                   c, u, g, (long long)m >> 20);
        packages += p;
        cores += c;
        pus += u;
        gpus += g;
        mem += m;
    }
    for (auto *f : fs)
        flux_future_destroy(f);
    printf("%u Machine%s, %lld Packages, %lld Cores, %lld PUs, %lld GPUs, %lld MiB memory\n", size,
           size == 1 ? "" : "s", packages, cores, pus, gpus, mem >> 20);
    flux_close(h);
    return rc;
}

} // namespace fluxcmd
