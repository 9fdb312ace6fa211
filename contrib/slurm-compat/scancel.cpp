/* scancel - cancel or signal jobs of a fluxd instance as Slurm's scancel
 * (scancel(1) here): job ids ("12", "12_3", "12_[1-3]"), -u, --me, -n,
 * -t, -p, -s/--signal. */
#include <getopt.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

#include "signame/signame.h"
#include "slurm_job.h"
#include "slurm_steps.h"
#include "slurm_state.h"

using namespace slurm;

int main(int argc, char **argv)
{
    std::string user, name, state, partition;
    int signum = 0;
    bool quiet = false, verbose = false;
    const struct option opts[] = {
        {"user", required_argument, nullptr, 'u'},  {"name", required_argument, nullptr, 'n'},
        {"state", required_argument, nullptr, 't'}, {"partition", required_argument, nullptr, 'p'},
        {"signal", required_argument, nullptr, 's'}, {"me", no_argument, nullptr, 'M'},
        {"quiet", no_argument, nullptr, 'Q'},       {"verbose", no_argument, nullptr, 'v'},
        {"batch", no_argument, nullptr, 'b'},       {"full", no_argument, nullptr, 'f'},
        {"interactive", no_argument, nullptr, 'i'}, {"help", no_argument, nullptr, 'h'},
        {"usage", no_argument, nullptr, 'U'},       {"jobname", required_argument, nullptr, 'n'},
        {nullptr, 0, nullptr, 0},
    };
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "u:n:t:p:s:QvbfihM", opts, nullptr)) != -1) {
        switch (c) {
            case 'u':
                user = optarg;
                break;
            case 'M':
                user = user_name(getuid());
                break;
            case 'n':
                name = optarg;
                break;
            case 't': {
                std::string code;
                if (!parse_state_name(optarg, code)
                    || (code != "PD" && code != "R" && code != "S")) {
                    fprintf(stderr, "scancel: error: Invalid job state specified: %s\n", optarg);
                    return 1;
                }
                state = code;
                break;
            }
            case 'p':
                partition = optarg;
                break;
            case 's':
                signum = flux::signal_parse(optarg);
                if (signum < 0) {
                    fprintf(stderr, "scancel: error: Invalid job signal: %s\n", optarg);
                    return 1;
                }
                break;
            case 'Q':
                quiet = true;
                break;
            case 'v':
                verbose = true;
                break;
            case 'b':
            case 'f':
                break;
            case 'i':
                fprintf(stderr, "scancel: error: option --interactive is not supported by the "
                                "fluxd Slurm shims (see scancel(1))\n");
                return 1;
            case 'h':
            case 'U':
                printf("Usage: scancel [-u user] [--me] [-n name] [-t state] [-p partition] "
                       "[-s signal] [job_id[_array_id]]...\n");
                return 0;
            default:
                fprintf(stderr, "scancel: unrecognized option '%s'\n", argv[optind - 1]);
                fprintf(stderr, "Try \"scancel --help\" for more information\n");
                return 1;
        }
    }
    bool filters = !user.empty() || !name.empty() || !state.empty() || !partition.empty();
    if (optind == argc && !filters) {
        fprintf(stderr, "scancel: error: No job identification provided\n");
        return 1;
    }
    flux_t *h = cluster_handle(connect_or_die("scancel"));
    JobList jobs = jobs_query(h, "scancel", FLUX_JOB_STATE_ALL, true, nullptr);
    std::set<flux_jobid_t> targets;
    std::vector<std::pair<std::string, flux_jobid_t>> named; /* as typed, for messages */
    int rc = 0;
    bool by_id = optind < argc;
    std::set<flux_jobid_t> chosen;
    for (int i = optind; i < argc; i++) {
        std::vector<flux_jobid_t> ids;
        /* N.S: step S of job N (slurm_steps.h). */
        if (const char *dot = strrchr(argv[i], '.')) {
            std::string job(argv[i], dot - argv[i]);
            char *end;
            long step = strtol(dot + 1, &end, 10);
            const JobInfo *ji = nullptr;
            if (*(dot + 1) && !*end && step >= 0 && resolve_jobid(jobs, job, ids) && ids.size() == 1)
                for (const auto &j : jobs.info)
                    if (j.id == ids[0])
                        ji = &j;
            if (!ji) {
                fprintf(stderr, "scancel: error: Invalid job id %s\n", argv[i]);
                rc = 1;
                continue;
            }
            bool whole = false;
            std::string err;
            if (step_kill(h, ji->id, !strcmp(job_state(ji->job).code, "R"), ji->srun, (int)step,
                          signum, &whole, &err) < 0) {
                fprintf(stderr, "scancel: error: Kill job error on job id %s: %s\n", argv[i],
                        err.c_str());
                rc = 1;
            }
            else if (whole) {
                chosen.insert(ji->id);
                named.push_back({argv[i], ji->id});
            }
            else if (verbose)
                fprintf(stderr, "scancel: %s step %s\n", signum ? "Signal sent to" : "Terminating",
                        argv[i]);
            continue;
        }
        if (!resolve_jobid(jobs, argv[i], ids)) {
            fprintf(stderr, "scancel: error: Invalid job id %s\n", argv[i]);
            rc = 1;
            continue;
        }
        for (auto id : ids) {
            chosen.insert(id);
            named.push_back({argv[i], id});
        }
    }
    for (const auto &ji : jobs.info) {
        if (by_id && !chosen.count(ji.id))
            continue;
        State s = job_state(ji.job);
        const char *st = "";
        json_unpack(ji.job, "{s?s}", "state", &st);
        if (!filters && !strcmp(st, "INACTIVE"))
            continue; /* reported below for ids typed */
        if (filters && !strcmp(st, "INACTIVE"))
            continue;
        if (!user.empty() && ji.user != user)
            continue;
        if (!name.empty() && ji.name != name)
            continue;
        if (!state.empty() && state != s.code)
            continue;
        if (!partition.empty() && ji.partition != partition)
            continue;
        targets.insert(ji.id);
    }
    std::set<flux_jobid_t> known;
    for (const auto &ji : jobs.info)
        known.insert(ji.id);
    for (const auto &[typed, id] : named) {
        if (targets.count(id))
            continue;
        if (!known.count(id)) {
            fprintf(stderr, "scancel: error: Kill job error on job id %s: Invalid job id specified\n",
                    typed.c_str());
            rc = 1;
        }
        else if (!filters && !quiet)
            fprintf(stderr,
                    "scancel: error: Kill job error on job id %s: Job/step already completing or "
                    "completed\n",
                    typed.c_str());
    }
    for (flux_jobid_t id : targets) {
        flux_future_t *f = signum ? flux_job_kill(h, id, signum)
                                  : flux_job_cancel(h, id, "Cancelled by scancel");
        if (!f || flux_rpc_get(f, nullptr) < 0) {
            const char *why = f ? flux_future_error_string(f) : strerror(errno);
            /* A pending job cannot take a signal: Slurm cancels it only
             * with KILL; here the error says so. */
            fprintf(stderr, "scancel: error: Kill job error on job id %s: %s\n",
                    jobid_dec(id).c_str(), why);
            rc = 1;
        }
        else if (verbose)
            fprintf(stderr, "scancel: %s job %s\n", signum ? "Signal sent to" : "Terminating",
                    jobid_dec(id).c_str());
        flux_future_destroy(f);
    }
    flux_close(h);
    return rc;
}
