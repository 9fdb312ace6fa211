/* ping.cpp - flux ping: round trips to a broker rank or a service. */
#include <cerrno>
#include <cstring>
#include <getopt.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "cmd.h"

namespace fluxcmd {

namespace {

double monotime()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

bool all_digits(const std::string &s)
{
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

} // namespace

int cmd_ping(int argc, char **argv)
{
    static const struct option opts[] = {
        {"count", required_argument, nullptr, 'c'},
        {"interval", required_argument, nullptr, 'i'},
        {"pad", required_argument, nullptr, 'p'},
        {"rank", required_argument, nullptr, 'r'},
        {"batch", no_argument, nullptr, 'b'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    uint32_t count = 0, pad = 0;
    bool have_count = false, batch = false;
    double interval = 1.0;
    uint32_t nodeid = FLUX_NODEID_ANY;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+c:i:p:r:bh", opts, nullptr)) != -1) {
        switch (c) {
            case 'c':
                count = parse_u32_or_die("flux-ping", "count", optarg);
                have_count = true;
                break;
            case 'i':
                interval = parse_double_or_die("flux-ping", "interval", optarg);
                break;
            case 'p':
                pad = parse_u32_or_die("flux-ping", "pad", optarg);
                if (pad > FLUX_MSG_MAX_SIZE / 2)
                    die(1, "flux-ping: pad must be at most %u bytes", FLUX_MSG_MAX_SIZE / 2);
                break;
            case 'r':
                nodeid = parse_u32_or_die("flux-ping", "rank", optarg);
                break;
            case 'b':
                batch = true;
                break;
            case 'h':
                printf("Usage: flux ping [-c N] [-i SEC] [-p BYTES] [-r RANK] [-b] TARGET\n"
                       "TARGET: RANK (broker), SERVICE, or RANK!SERVICE\n");
                return 0;
            default:
                return 1;
        }
    }
    if (optind != argc - 1)
        die(1, "Usage: flux ping [-c N] [-i SEC] [-p BYTES] [-r RANK] [-b] TARGET");
    std::string target = argv[optind];
    std::string service = target;
    size_t bang = target.find('!');
    if (bang != std::string::npos) {
        nodeid = parse_u32_or_die("flux-ping", "rank", target.substr(0, bang).c_str());
        service = target.substr(bang + 1);
    }
    else if (all_digits(target)) {
        nodeid = parse_u32_or_die("flux-ping", "rank", target.c_str());
        service = "broker";
    }
    if (service.empty() || service.find('.') != std::string::npos)
        die(1, "flux-ping: invalid target '%s'", target.c_str());
    std::string topic = service + ".ping";
    std::string padding(pad, 'p');
    std::string prefix = nodeid == FLUX_NODEID_ANY ? "" : std::to_string(nodeid) + "!";
    if (!have_count)
        count = UINT32_MAX;

    flux_t *h = open_or_die("flux-ping");
    int rc = 0;
    double total = 0, tmin = 1e9, tmax = 0;
    uint32_t done = 0;
    for (uint32_t seq = 0; seq < count; seq++) {
        double t0 = monotime();
        flux_future_t *f = flux_rpc_pack(h, topic.c_str(), nodeid, 0, "{s:i s:s}", "seq", (int)seq,
                                         "pad", padding.c_str());
        const char *route = "";
        int rseq = -1;
        if (!f || flux_rpc_get_unpack(f, "{s:i s?s}", "seq", &rseq, "route", &route) < 0) {
            fprintf(stderr, "flux-ping: %s%s: %s\n", prefix.c_str(), topic.c_str(),
                    f ? flux_future_error_string(f) : strerror(errno));
            flux_future_destroy(f);
            rc = 1;
            break;
        }
        double ms = (monotime() - t0) * 1e3;
        if (rseq != (int)seq) {
            fprintf(stderr, "flux-ping: reply sequence %d, expected %u\n", rseq, seq);
            rc = 1;
        }
        total += ms;
        tmin = std::min(tmin, ms);
        tmax = std::max(tmax, ms);
        done++;
        if (!batch)
            printf("%s%s pad=%u seq=%u time=%.3f ms (%s)\n", prefix.c_str(), topic.c_str(), pad,
                   seq, ms, route);
        fflush(stdout);
        flux_future_destroy(f);
        if (seq + 1 < count && interval > 0 && !batch)
            usleep((useconds_t)(interval * 1e6));
    }
    if (batch && done > 0)
        printf("%s%s pad=%u seq=0-%u min/avg/max=%.3f/%.3f/%.3f ms\n", prefix.c_str(),
               topic.c_str(), pad, done - 1, tmin, total / done, tmax);
    flux_close(h);
    return rc;
}

} // namespace fluxcmd
