/* cancel.cpp - flux cancel (and flux job cancel): raise a fatal "cancel"
 * exception on jobs, or on all of the caller's pending and running jobs. */
#include <cerrno>
#include <cstring>
#include <getopt.h>
#include <unistd.h>

#include <vector>

#include "cmd.h"
#include "flux/job.h"
#include "jobspec_opts.h"
#include "libflux/ptr.h"

namespace fluxcmd {

int cmd_cancel(int argc, char **argv)
{
    static const struct option opts[] = {
        {"message", required_argument, nullptr, 'm'},
        {"all", no_argument, nullptr, 'a'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    const char *note = "";
    bool all = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+m:ah", opts, nullptr)) != -1) {
        if (c == 'm')
            note = optarg;
        else if (c == 'a')
            all = true;
        else if (c == 'h') {
            printf("Usage: flux cancel [-m NOTE] JOBID... | flux cancel --all\n");
            return 0;
        }
        else
            return 1;
    }
    if ((optind >= argc) == !all)
        die(1, "Usage: flux cancel [-m NOTE] JOBID... | flux cancel --all");
    std::vector<uint64_t> ids;
    for (int i = optind; i < argc; i++)
        ids.push_back(parse_jobid_or_die("flux-cancel", argv[i]));
    flux_t *h = open_or_die("flux-cancel");
    if (all) {
        flux::FuturePtr f(flux_job_list(h, 0, "[]", (uint32_t)getuid(),
                                        FLUX_JOB_STATE_PENDING | FLUX_JOB_STATE_RUN));
        json_t *jobs;
        if (!f || flux_job_list_get(f.get(), &jobs) < 0)
            die(1, "flux-cancel: %s", f ? flux_future_error_string(f.get()) : strerror(errno));
        size_t i;
        json_t *job;
        json_array_foreach(jobs, i, job)
        {
            json_int_t id;
            if (json_unpack(job, "{s:I}", "id", &id) == 0)
                ids.push_back((uint64_t)id);
        }
    }
    int rc = 0;
    for (uint64_t id : ids) {
        flux::FuturePtr f(flux_job_cancel(h, id, note));
        if (!f || flux_rpc_get(f.get(), nullptr) < 0) {
            fprintf(stderr, "flux-cancel: %s: %s\n", jobid_str(id).c_str(),
                    f ? flux_future_error_string(f.get()) : strerror(errno));
            rc = 1;
        }
    }
    if (all)
        fprintf(stderr, "flux-cancel: canceled %zu jobs\n", ids.size());
    flux_close(h);
    return rc;
}

} // namespace fluxcmd
