/* cancel.cpp - flux cancel (and flux job cancel): raise a fatal "cancel"
 * exception on the jobs named, or on the jobs selected by --all, --user and
 * --states, as flux-cancel(1).  Selection lists jobs through the job API and
 * cancels them one by one (jobs in CLEANUP are left to finish); only the
 * instance owner (security.owner) may select another user's jobs. */
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <pwd.h>
#include <strings.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "cmd.h"
#include "flux/job.h"
#include "jobspec_opts.h"
#include "libflux/ptr.h"

namespace fluxcmd {

namespace {

const char *cancel_usage =
    "Usage: flux cancel [-n] [-m NOTE] JOBID...\n"
    "       flux cancel [-n] [-q] [-m NOTE] --all | -u USER|all | -S STATES\n"
    "  --all                  the caller's jobs (with -u, that user's)\n"
    "  -u, --user=USER|all    target user (another user or all: instance owner only)\n"
    "  -S, --states=STATES    comma list of depend, priority, sched, run, pending,\n"
    "                         running, active (default: active)\n"
    "  -n, --dry-run          say how many jobs would be canceled, cancel none\n"
    "  -q, --quiet            say nothing when no job matches\n"
    "  -m, --message=NOTE     exception note";

struct StateName {
    const char *name;
    int mask;
};

const StateName cancel_states[] = {
    {"depend", FLUX_JOB_STATE_DEPEND},   {"priority", FLUX_JOB_STATE_PRIORITY},
    {"sched", FLUX_JOB_STATE_SCHED},     {"run", FLUX_JOB_STATE_RUN},
    {"pending", FLUX_JOB_STATE_PENDING}, {"running", FLUX_JOB_STATE_RUNNING},
    {"active", FLUX_JOB_STATE_ACTIVE},
};

/* The mask of a comma list of state names (any case); dies on an unknown one. */
int parse_states(const std::string &list)
{
    int mask = 0;
    std::stringstream words(list);
    std::string w;
    while (std::getline(words, w, ',')) {
        int m = 0;
        for (const auto &s : cancel_states) {
            if (!strcasecmp(w.c_str(), s.name))
                m = s.mask;
        }
        if (!m)
            die(1, "flux-cancel: Invalid state %s specified", w.c_str());
        mask |= m;
    }
    return mask;
}

/* USER: "all", a user name or a uid. */
uint32_t parse_user(const char *user)
{
    if (!strcmp(user, "all"))
        return FLUX_USERID_UNKNOWN;
    if (struct passwd *pw = getpwnam(user))
        return pw->pw_uid;
    char *end;
    errno = 0;
    unsigned long uid = strtoul(user, &end, 10);
    if (!*user || *end || errno || *user == '-' || uid >= FLUX_USERID_UNKNOWN)
        die(1, "flux-cancel: Invalid user %s specified", user);
    return (uint32_t)uid;
}

/* "1 job", "2 jobs", "0 errors" */
std::string count_of(size_t n, const char *what)
{
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

/* The ids of USERID's jobs in STATES, newest first. */
std::vector<uint64_t> select_jobs(flux_t *h, uint32_t userid, int states)
{
    flux::FuturePtr f(flux_job_list(h, 0, "[]", userid, states));
    json_t *jobs;
    if (!f || flux_job_list_get(f.get(), &jobs) < 0)
        die(1, "flux-cancel: %s", f ? flux_future_error_string(f.get()) : strerror(errno));
    std::vector<uint64_t> ids;
    size_t i;
    json_t *job;
    json_array_foreach(jobs, i, job)
    {
        json_int_t id;
        if (json_unpack(job, "{s:I}", "id", &id) == 0)
            ids.push_back((uint64_t)id);
    }
    return ids;
}

/* Cancel IDS; each failure is reported.  Returns the number of failures. */
size_t cancel_jobs(flux_t *h, const std::vector<uint64_t> &ids, const char *note)
{
    std::vector<flux::FuturePtr> futures;
    for (uint64_t id : ids)
        futures.emplace_back(flux_job_cancel(h, id, note));
    size_t errors = 0;
    for (size_t i = 0; i < ids.size(); i++) {
        flux_future_t *f = futures[i].get();
        if (!f || flux_rpc_get(f, nullptr) < 0) {
            fprintf(stderr, "flux-cancel: %s: %s\n", jobid_str(ids[i]).c_str(),
                    f ? flux_future_error_string(f) : strerror(errno));
            errors++;
        }
    }
    return errors;
}

} // namespace

int cmd_cancel(int argc, char **argv)
{
    static const struct option opts[] = {
        {"message", required_argument, nullptr, 'm'},
        {"all", no_argument, nullptr, 'a'},
        {"user", required_argument, nullptr, 'u'},
        {"states", required_argument, nullptr, 'S'},
        {"state", required_argument, nullptr, 'S'},
        {"dry-run", no_argument, nullptr, 'n'},
        {"dry", no_argument, nullptr, 'n'},
        {"quiet", no_argument, nullptr, 'q'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    const char *note = "";
    const char *user = nullptr;
    std::string states;
    bool all = false, dry_run = false, quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+m:au:S:nqh", opts, nullptr)) != -1) {
        if (c == 'm')
            note = optarg;
        else if (c == 'a')
            all = true;
        else if (c == 'u')
            user = optarg;
        else if (c == 'S')
            states += (states.empty() ? "" : ",") + std::string(optarg);
        else if (c == 'n')
            dry_run = true;
        else if (c == 'q')
            quiet = true;
        else if (c == 'h') {
            printf("%s\n", cancel_usage);
            return 0;
        }
        else
            die(1, "%s", cancel_usage);
    }
    if (user || !states.empty())
        all = true;
    if (all && optind < argc)
        die(1, "flux-cancel: Do not specify a list of jobids with --all,--user,--states options");
    if (!all && optind >= argc)
        die(1, "flux-cancel: No target jobs were provided\n%s", cancel_usage);

    if (!all) {
        std::vector<uint64_t> ids;
        for (int i = optind; i < argc; i++)
            ids.push_back(parse_jobid_or_die("flux-cancel", argv[i]));
        if (dry_run) {
            fprintf(stderr, "flux-cancel: Would cancel %s\n", count_of(ids.size(), "job").c_str());
            return 0;
        }
        flux_t *h = open_or_die("flux-cancel");
        size_t errors = cancel_jobs(h, ids, note);
        flux_close(h);
        return errors ? 1 : 0;
    }

    uint32_t userid = user ? parse_user(user) : (uint32_t)getuid();
    int mask = states.empty() ? FLUX_JOB_STATE_PENDING | FLUX_JOB_STATE_RUNNING
                              : parse_states(states);
    flux_t *h = open_or_die("flux-cancel");
    const char *owner = flux_attr_get(h, "security.owner");
    if (userid != (uint32_t)getuid() && (!owner || strtoul(owner, nullptr, 10) != getuid()))
        die(1, "flux-cancel: only the instance owner may cancel other users' jobs");
    /* A job in CLEANUP is already finishing: the job manager refuses to
     * cancel it, and there is nothing left to stop. */
    std::vector<uint64_t> ids = select_jobs(h, userid, mask & ~FLUX_JOB_STATE_CLEANUP);
    if (ids.empty()) {
        if (!quiet)
            fprintf(stderr, "flux-cancel: Matched 0 jobs\n");
    }
    else if (dry_run)
        fprintf(stderr, "flux-cancel: Would cancel %s\n", count_of(ids.size(), "job").c_str());
    else {
        size_t errors = cancel_jobs(h, ids, note);
        fprintf(stderr, "flux-cancel: Canceled %s (%s)\n", count_of(ids.size(), "job").c_str(),
                count_of(errors, "error").c_str());
    }
    flux_close(h);
    return 0;
}

} // namespace fluxcmd
