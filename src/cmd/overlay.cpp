/* overlay.cpp - flux overlay status: walk the TBON from a rank down,
 * asking each online broker for its children's state. */
#include <cerrno>
#include <cstring>
#include <getopt.h>

#include <string>

#include "cmd.h"
#include "idset/idset.h"

namespace fluxcmd {

namespace {

struct Walk {
    flux_t *h;
    double timeout;
    bool print;
    flux::IdSet online, lost, offline, unknown;
};

void descendants(uint32_t rank, uint32_t fanout, uint32_t size, flux::IdSet &set)
{
    for (uint64_t c = (uint64_t)rank * fanout + 1;
         c <= (uint64_t)rank * fanout + fanout && c < size; c++) {
        set.insert((uint32_t)c);
        descendants((uint32_t)c, fanout, size, set);
    }
}

void walk(Walk &w,
          uint32_t rank,
          const std::string &host_hint,
          const std::string &prefix,
          const std::string &branch)
{
    flux_future_t *f = flux_rpc(w.h, "overlay.status", nullptr, rank, 0);
    json_t *kids = nullptr;
    const char *host = "", *status = "";
    int fanout = 2, size = 1;
    if (!f || flux_future_wait_for(f, w.timeout) < 0 ||
        flux_rpc_get_unpack(f, "{s:s s:s s:i s:i s:o}", "hostname", &host, "status", &status,
                            "fanout", &fanout, "size", &size, "children", &kids) < 0) {
        if (w.print)
            printf("%s%u %s: unknown (%s)\n", branch.c_str(), rank, host_hint.c_str(),
                   f ? (errno == ETIMEDOUT ? "timed out" : flux_future_error_string(f))
                     : strerror(errno));
        w.unknown.insert(rank);
        flux_future_destroy(f);
        return;
    }
    w.online.insert(rank);
    if (w.print)
        printf("%s%u %s: %s\n", branch.c_str(), rank, host, status);
    size_t n = json_array_size(kids);
    for (size_t i = 0; i < n; i++) {
        json_t *k = json_array_get(kids, i);
        int crank;
        const char *state, *chost;
        json_unpack(k, "{s:i s:s s:s}", "rank", &crank, "state", &state, "hostname", &chost);
        bool last = i + 1 == n;
        std::string cbranch = prefix + (last ? "└─ " : "├─ ");
        std::string cprefix = prefix + (last ? "   " : "│  ");
        if (strcmp(state, "online") == 0) {
            walk(w, (uint32_t)crank, chost, cprefix, cbranch);
            continue;
        }
        flux::IdSet &set = strcmp(state, "lost") == 0 ? w.lost : w.offline;
        set.insert((uint32_t)crank);
        descendants((uint32_t)crank, (uint32_t)fanout, (uint32_t)size, set);
        if (w.print)
            printf("%s%d %s: %s\n", cbranch.c_str(), crank, chost, state);
    }
    flux_future_destroy(f);
}

} // namespace

int cmd_overlay(int argc, char **argv)
{
    static const char *usage = "Usage: flux overlay status [-r RANK] [-t SEC] [--summary]";
    if (argc < 2 || (strcmp(argv[1], "status") != 0)) {
        if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
            printf("%s\n", usage);
            return 0;
        }
        die(1, "%s", usage);
    }
    argc--;
    argv++;
    static const struct option opts[] = {
        {"rank", required_argument, nullptr, 'r'},
        {"timeout", required_argument, nullptr, 't'},
        {"summary", no_argument, nullptr, 's'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    uint32_t rank = 0;
    double timeout = 2.0;
    bool summary = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+r:t:sh", opts, nullptr)) != -1) {
        switch (c) {
            case 'r':
                rank = parse_u32_or_die("flux-overlay", "rank", optarg);
                break;
            case 't':
                timeout = parse_double_or_die("flux-overlay", "timeout", optarg);
                break;
            case 's':
                summary = true;
                break;
            case 'h':
                printf("%s\n", usage);
                return 0;
            default:
                return 1;
        }
    }
    if (optind != argc)
        die(1, "%s", usage);
    flux_t *h = open_or_die("flux-overlay");
    Walk w{h, timeout, !summary, {}, {}, {}, {}};
    walk(w, rank, "", "", "");
    if (summary) {
        const char *st = !w.lost.empty()                            ? "degraded"
                         : !w.offline.empty() || !w.unknown.empty() ? "partial"
                                                                    : "full";
        printf("%s: online %s", st, w.online.encode().c_str());
        if (!w.lost.empty())
            printf(", lost %s", w.lost.encode().c_str());
        if (!w.offline.empty())
            printf(", offline %s", w.offline.encode().c_str());
        if (!w.unknown.empty())
            printf(", unknown %s", w.unknown.encode().c_str());
        printf("\n");
    }
    flux_close(h);
    return w.unknown.contains(rank) ? 1 : 0;
}

} // namespace fluxcmd
