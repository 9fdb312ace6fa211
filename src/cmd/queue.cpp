/* queue.cpp - flux queue stop|start|status|drain|idle: the job manager's
 * queue through the job API. */
#include <cerrno>
#include <cstring>

#include <string>

#include "cmd.h"
#include "flux/job.h"
#include "fsd/fsd.h"
#include "libflux/ptr.h"

namespace fluxcmd {

int cmd_queue(int argc, char **argv)
{
    const char *usage = "Usage: flux queue stop|start|status|drain|idle [--timeout=FSD]";
    if (argc < 2)
        die(1, "%s", usage);
    std::string sub = argv[1];
    double timeout = -1;
    for (int i = 2; i < argc; i++) {
        std::string a = argv[i];
        std::string val;
        if (a.rfind("--timeout=", 0) == 0)
            val = a.substr(10);
        else if (a == "--timeout" && i + 1 < argc)
            val = argv[++i];
        else
            die(1, "flux-queue: unknown argument '%s'\n%s", a.c_str(), usage);
        auto t = flux::fsd_parse(val);
        if (!t || (sub != "drain" && sub != "idle"))
            die(1, "flux-queue: --timeout: %s", !t ? ("invalid duration '" + val + "'").c_str()
                                                   : "only drain and idle take a timeout");
        /* fsd_parse() reads inf as 0: both mean no limit, as for -t. */
        timeout = *t > 0 ? *t : -1;
    }
    if (sub == "-h" || sub == "--help") {
        printf("%s\n", usage);
        return 0;
    }
    if (sub != "stop" && sub != "start" && sub != "status" && sub != "drain" && sub != "idle")
        die(1, "flux-queue: unknown subcommand '%s'\n%s", sub.c_str(), usage);
    flux_t *h = open_or_die("flux-queue");
    if (sub == "drain" || sub == "idle") {
        /* drain: no active jobs at all; idle: none in RUN or CLEANUP.  The
         * job manager answers when that holds. */
        flux::FuturePtr f(sub == "drain" ? flux_job_queue_drain(h) : flux_job_queue_idle(h));
        if (!f)
            die(1, "flux-queue: %s", strerror(errno));
        if (flux_future_wait_for(f.get(), timeout) < 0)
            die(1, "flux-queue: %s: %s", sub.c_str(),
                errno == ETIMEDOUT ? "timeout" : strerror(errno));
        if (flux_rpc_get(f.get(), nullptr) < 0)
            die(1, "flux-queue: %s", flux_future_error_string(f.get()));
    }
    else {
        flux::FuturePtr f(flux_job_queue_control(h, sub == "status" ? -1 : sub == "start"));
        bool running, sched;
        int64_t active, pending;
        if (!f || flux_job_queue_get(f.get(), &running, &active, &pending, &sched) < 0)
            die(1, "flux-queue: %s", f ? flux_future_error_string(f.get()) : strerror(errno));
        if (sub == "status") {
            printf("Scheduling is %s; %lld active jobs, %lld waiting for resources\n",
                   running ? "started" : "stopped", (long long)active, (long long)pending);
            if (!sched)
                printf("No scheduler is loaded: jobs wait until one is (flux module load "
                       "sched-simple)\n");
        }
    }
    flux_close(h);
    return 0;
}

} // namespace fluxcmd
