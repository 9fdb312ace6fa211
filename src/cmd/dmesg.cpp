/* dmesg.cpp - flux dmesg (read the broker log ring) and flux logger
 * (append to it). */
#include <cerrno>
#include <cstring>
#include <getopt.h>
#include <sys/time.h>
#include <unistd.h>
#include <syslog.h>

#include <string>

#include "cmd.h"
#include "logentry/logentry.h"

namespace fluxcmd {

int cmd_dmesg(int argc, char **argv)
{
    static const struct option opts[] = {
        {"clear", no_argument, nullptr, 'C'},
        {"read-clear", no_argument, nullptr, 'c'},
        {"follow", no_argument, nullptr, 'f'},
        {"human", no_argument, nullptr, 'H'},
        {"rank", required_argument, nullptr, 'r'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    bool clear = false, read_clear = false, follow = false, human = false;
    uint32_t nodeid = FLUX_NODEID_ANY;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+CcfHr:h", opts, nullptr)) != -1) {
        switch (c) {
            case 'C':
                clear = true;
                break;
            case 'c':
                read_clear = true;
                break;
            case 'f':
                follow = true;
                break;
            case 'H':
                human = true;
                break;
            case 'r':
                nodeid = parse_u32_or_die("flux-dmesg", "rank", optarg);
                break;
            case 'h':
                printf("Usage: flux dmesg [-C|--clear] [-c|--read-clear] [-f|--follow] [-H] "
                       "[-r RANK]\n");
                return 0;
            default:
                return 1;
        }
    }
    if (optind != argc)
        die(1, "flux-dmesg: unexpected argument '%s'", argv[optind]);
    flux_t *h = open_or_die("flux-dmesg");
    if (!clear) {
        flux_future_t *f =
            flux_rpc_pack(h, "log.dmesg", nodeid, FLUX_RPC_STREAMING, "{s:b}", "follow", follow);
        if (!f)
            die(1, "flux-dmesg: %s", strerror(errno));
        for (;;) {
            flux::LogEntry e;
            int level, rank;
            const char *app, *host, *msg;
            double ts;
            if (flux_rpc_get_unpack(f, "{s:i s:i s:f s:s s:s s:s}", "level", &level, "rank", &rank,
                                    "timestamp", &ts, "appname", &app, "hostname", &host, "message",
                                    &msg) < 0) {
                if (errno == ENODATA)
                    break;
                die(1, "flux-dmesg: %s", flux_future_error_string(f));
            }
            e.level = level;
            e.rank = (uint32_t)rank;
            e.timestamp = ts;
            e.appname = app;
            e.hostname = host;
            e.message = msg;
            printf("%s\n", flux::log_format(e, human).c_str());
            fflush(stdout);
            flux_future_reset(f);
        }
        flux_future_destroy(f);
    }
    if (clear || read_clear) {
        flux_future_t *f = flux_rpc(h, "log.clear", nullptr, nodeid, 0);
        if (!f || flux_rpc_get(f, nullptr) < 0)
            die(1, "flux-dmesg: %s", f ? flux_future_error_string(f) : strerror(errno));
        flux_future_destroy(f);
    }
    flux_close(h);
    return 0;
}

int cmd_logger(int argc, char **argv)
{
    static const struct option opts[] = {
        {"severity", required_argument, nullptr, 's'},
        {"appname", required_argument, nullptr, 'n'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    int level = LOG_NOTICE;
    std::string appname = "logger";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+s:n:h", opts, nullptr)) != -1) {
        switch (c) {
            case 's':
                if ((level = flux::log_level_parse(optarg)) < 0)
                    die(1,
                        "flux-logger: unknown severity '%s' (use emerg, alert, crit, err, "
                        "warning, notice, info, debug)",
                        optarg);
                break;
            case 'n':
                appname = optarg;
                break;
            case 'h':
                printf("Usage: flux logger [-s SEVERITY] [-n APPNAME] MESSAGE...\n");
                return 0;
            default:
                return 1;
        }
    }
    if (optind >= argc)
        die(1, "Usage: flux logger [-s SEVERITY] [-n APPNAME] MESSAGE...");
    std::string msg;
    for (int i = optind; i < argc; i++)
        msg += (msg.empty() ? "" : " ") + std::string(argv[i]);
    flux_t *h = open_or_die("flux-logger");
    /* Not flux_log(): it sends without an answer, and a refusal (a guest,
     * a broker that is going away) must not pass for success. */
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    flux_future_t *f = flux_rpc_pack(h, "log.append", FLUX_NODEID_ANY, 0,
                                     "{s:i s:s s:s s:f s:i}", "level", level, "appname",
                                     appname.c_str(), "message", msg.c_str(), "timestamp",
                                     tv.tv_sec + tv.tv_usec * 1e-6, "pid", (int)getpid());
    if (!f || flux_rpc_get(f, nullptr) < 0)
        die(1, "flux-logger: %s", f ? flux_future_error_string(f) : strerror(errno));
    flux_future_destroy(f);
    flux_close(h);
    return 0;
}

} // namespace fluxcmd
