/* housekeeping.cpp - flux housekeeping list: the jobs whose housekeeping
 * ([job-manager.housekeeping], flux-prolog(7)) still holds nodes, through
 * the job API, in Flux's columns (JOBID NNODES RUNTIME NODELIST). */
#include <cerrno>
#include <cstring>
#include <sys/time.h>

#include <string>

#include <jansson.h>

#include "cmd.h"
#include "flux/job.h"
#include "fsd/fsd.h"
#include "libflux/ptr.h"

namespace fluxcmd {

int cmd_housekeeping(int argc, char **argv)
{
    const char *usage = "Usage: flux housekeeping list [-n]";
    if (argc < 2)
        die(1, "%s", usage);
    std::string sub = argv[1];
    if (sub == "-h" || sub == "--help") {
        printf("%s\n", usage);
        return 0;
    }
    if (sub != "list")
        die(1, "flux-housekeeping: unknown subcommand '%s'\n%s", sub.c_str(), usage);
    bool header = true;
    for (int i = 2; i < argc; i++) {
        std::string a = argv[i];
        if (a == "-n" || a == "--no-header")
            header = false;
        else
            die(1, "flux-housekeeping: list: unknown argument '%s'\n%s", a.c_str(), usage);
    }
    flux_t *h = open_or_die("flux-housekeeping");
    flux::FuturePtr f(flux_job_housekeeping_list(h));
    json_t *jobs;
    if (!f || flux_job_housekeeping_list_get(f.get(), &jobs) < 0)
        die(1, "flux-housekeeping: list: %s",
            f ? flux_future_error_string(f.get()) : strerror(errno));
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    double now = tv.tv_sec + tv.tv_usec / 1e6;
    if (header)
        printf("%12s %6s %8s %s\n", "JOBID", "NNODES", "RUNTIME", "NODELIST");
    size_t i;
    json_t *job;
    json_array_foreach(jobs, i, job)
    {
        json_int_t id = 0, nnodes = 0;
        double t_start = 0;
        const char *ranks = "", *nodelist = "";
        if (json_unpack(job, "{s:I s:I s:f s:s s:s}", "id", &id, "nnodes", &nnodes, "t_start",
                        &t_start, "ranks", &ranks, "nodelist", &nodelist)
            < 0)
            die(1, "flux-housekeeping: list: malformed answer");
        char buf[64];
        if (flux_job_id_encode((flux_jobid_t)id, "f58", buf, sizeof(buf)) < 0)
            snprintf(buf, sizeof(buf), "%lld", (long long)id);
        double run = now > t_start ? now - t_start : 0;
        printf("%12s %6lld %8s %s\n", buf, (long long)nnodes, flux::fsd_format(run).c_str(),
               *nodelist ? nodelist : ranks);
    }
    flux_close(h);
    return 0;
}

} // namespace fluxcmd
