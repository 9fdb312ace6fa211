/* jobs.cpp - flux jobs: list jobs (flux_job_list) in Flux's formats. */
#include <cerrno>
#include <cstring>
#include <ctime>
#include <getopt.h>
#include <pwd.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cmd.h"
#include "flux/job.h"
#include "instance_summary.h"
#include "jobs_format.h"
#include "libflux/ptr.h"

namespace fluxcmd {

namespace {

enum State {
    NEW = FLUX_JOB_STATE_NEW,
    DEPEND = FLUX_JOB_STATE_DEPEND,
    PRIORITY = FLUX_JOB_STATE_PRIORITY,
    SCHED = FLUX_JOB_STATE_SCHED,
    RUN = FLUX_JOB_STATE_RUN,
    CLEANUP = FLUX_JOB_STATE_CLEANUP,
    INACTIVE = FLUX_JOB_STATE_INACTIVE,
};
constexpr int pending = FLUX_JOB_STATE_PENDING, running = FLUX_JOB_STATE_RUNNING,
              active = pending | running;

/* Results of inactive jobs, for --filter. */
enum Result { COMPLETED = 1, FAILED = 2, CANCELED = 4, TIMEOUT = 8 };

int job_result(json_t *job)
{
    int success = 0;
    const char *type = nullptr;
    json_unpack(job, "{s?b s?{s?s}}", "success", &success, "exception", "type", &type);
    if (success)
        return COMPLETED;
    if (type && strcmp(type, "cancel") == 0)
        return CANCELED;
    if (type && strcmp(type, "timeout") == 0)
        return TIMEOUT;
    return FAILED;
}

/* STATES (states and results, comma separated) -> a state mask; *RESULTS
 * gets the results asked for, and *INACTIVE whether INACTIVE itself was. */
int parse_states(const char *s, int *results = nullptr, bool *inactive = nullptr)
{
    int mask = 0;
    std::string str = s;
    size_t start = 0;
    while (start <= str.size()) {
        size_t comma = str.find(',', start);
        std::string w = str.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        for (auto &ch : w)
            ch = (char)toupper((unsigned char)ch);
        int m = w == "NEW" || w == "N"           ? NEW
                : w == "DEPEND" || w == "D"      ? DEPEND
                : w == "PRIORITY" || w == "P"    ? PRIORITY
                : w == "SCHED" || w == "S"       ? SCHED
                : w == "RUN" || w == "R"         ? RUN
                : w == "CLEANUP" || w == "C"     ? CLEANUP
                : w == "INACTIVE" || w == "I"    ? INACTIVE
                : w == "PENDING"                 ? pending
                : w == "RUNNING"                 ? running
                : w == "ACTIVE"                  ? active
                : w == "ALL"                     ? 127
                                                 : 0;
        int r = w == "COMPLETED" || w == "CD" ? COMPLETED
                : w == "FAILED" || w == "F"   ? FAILED
                : w == "CANCELED" || w == "CA" ? CANCELED
                : w == "TIMEOUT" || w == "TO" ? TIMEOUT
                                              : 0;
        if (!m && !r)
            die(1, "flux-jobs: unknown state or result '%s' (states: new depend priority sched "
                   "run cleanup inactive pending running active all; results: completed "
                   "failed canceled timeout)",
                w.c_str());
        if (r && results)
            *results |= r;
        if (r)
            m = INACTIVE;
        else if ((m & INACTIVE) && inactive)
            *inactive = true;
        mask |= m;
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return mask;
}



double now_s()
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}


/* --user=NAME|UID|all: the uid to list, or -1 for every user. */
long parse_user(const char *s)
{
    if (!strcmp(s, "all"))
        return -1;
    if (struct passwd *pw = getpwnam(s))
        return (long)pw->pw_uid;
    char *end;
    errno = 0;
    unsigned long uid = strtoul(s, &end, 10);
    if (!*s || *end || errno || *s == '-' || uid > 0xfffffffeUL)
        die(1, "flux-jobs: --user: unknown user '%s' (give a name, a uid, or 'all')", s);
    return (long)uid;
}

enum { opt_stats = 1000, opt_stats_only };

/* --stats: the instance's job counts, as Flux prints them.  False when no
 * job is active (flux jobs --stats-only exits 1 then).  H: NULL opens one. */
bool print_stats(flux_t *h = nullptr)
{
    flux_t *own = h ? nullptr : open_or_die("flux-jobs");
    flux::FuturePtr f(flux_job_list(h ? h : own, 0, nullptr, FLUX_USERID_UNKNOWN, 127));
    json_t *all;
    if (!f || flux_job_list_get(f.get(), &all) < 0)
        die(1, "flux-jobs: %s", f ? flux_future_error_string(f.get()) : strerror(errno));
    int pending_n = 0, running_n = 0, completed = 0, failed = 0, canceled = 0, timeout = 0;
    size_t k;
    json_t *job;
    json_array_foreach(all, k, job)
    {
        const char *st = "";
        json_unpack(job, "{s?s}", "state", &st);
        int mask = parse_states(st);
        if (mask & pending)
            pending_n++;
        else if (mask & running)
            running_n++;
        else {
            int r = job_result(job);
            completed += r == COMPLETED;
            failed += r == FAILED;
            canceled += r == CANCELED;
            timeout += r == TIMEOUT;
        }
    }
    /* Flux counts canceled and timed out jobs among the failed ones. */
    printf("%d running, %d completed, %d failed, %d pending\n", running_n, completed,
           failed + canceled + timeout, pending_n);
    if (own)
        flux_close(own);
    return pending_n + running_n > 0;
}

/* {uri}: the URI each job that ran recorded as a Flux instance (guest.uri,
 * as flux uri JOBID finds it), set as "uri" in its entry.  The lookups go
 * out together, then are read in turn: one round trip for the listing. */
void add_instance_uris(flux_t *h, json_t *jobs)
{
    std::vector<std::pair<json_t *, flux::FuturePtr>> pending;
    size_t i;
    json_t *job;
    json_array_foreach(jobs, i, job)
    {
        json_int_t id = 0;
        double t_run = 0;
        if (json_unpack(job, "{s:I s?f}", "id", &id, "t_run", &t_run) < 0 || t_run <= 0)
            continue;
        if (flux_future_t *f = flux_job_lookup(h, (flux_jobid_t)id, "guest.uri"))
            pending.emplace_back(job, flux::FuturePtr(f));
    }
    for (auto &[entry, f] : pending) {
        const char *uri = nullptr;
        if (flux_job_lookup_get_unpack(f.get(), "s", &uri) == 0 && uri && *uri)
            json_object_set_new(entry, "uri", json_string(uri));
    }
}

/* {instance.*}: each running instance job's own job counts and resources,
 * asked over its URI (set by add_instance_uris) as "instance". */
void add_instance_summaries(json_t *jobs)
{
    size_t i;
    json_t *job;
    json_array_foreach(jobs, i, job)
    {
        const char *uri = nullptr, *state = "";
        if (json_unpack(job, "{s:s s:s}", "uri", &uri, "state", &state) < 0
            || strcmp(state, "RUN") != 0)
            continue;
        flux_error_t error;
        flux_t *child = flux_open_ex(uri, 0, &error);
        if (!child)
            continue; /* not reachable from here: the fields stay empty */
        if (json_t *s = instance_summary(child))
            json_object_set_new(job, "instance", s);
        flux_close(child);
    }
}

} // namespace

int cmd_jobs(int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, nullptr, 'a'},
        {"stats", no_argument, nullptr, opt_stats},
        {"stats-only", no_argument, nullptr, opt_stats_only},
        {"suppress-header", no_argument, nullptr, 'n'},
        {"all-users", no_argument, nullptr, 'A'},
        {"user", required_argument, nullptr, 'u'},
        {"filter", required_argument, nullptr, 'f'},
        {"count", required_argument, nullptr, 'c'},
        {"no-header", no_argument, nullptr, 'n'},
        {"json", no_argument, nullptr, 'j'},
        {"format", required_argument, nullptr, 'o'},
        {"queue", required_argument, nullptr, 'q'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    int states = active, max = 0, c, results = 0;
    bool inactive_all = true;
    long user = (long)getuid(); /* -1: every user's jobs */
    bool header = true, json = false;
    std::string format = jobs_default_format;
    bool stats = false, stats_only = false;
    std::set<std::string> queues; /* -q: only jobs of these queues */
    optind = 1;
    while ((c = getopt_long(argc, argv, "+aAu:f:c:no:q:h", opts, nullptr)) != -1) {
        switch (c) {
            case 'a':
                states = 127;
                break;
            case 'A':
                user = -1;
                break;
            case 'u':
                user = parse_user(optarg);
                break;
            case 'f':
                results = 0;
                inactive_all = false;
                states = parse_states(optarg, &results, &inactive_all);
                break;
            case 'c':
                max = (int)parse_u32_or_die("flux-jobs", "count", optarg);
                break;
            case 'n':
                header = false;
                break;
            case 'j':
                json = true;
                break;
            case 'o':
                format = optarg;
                break;
            case 'q': {
                std::string list = optarg;
                for (size_t pos = 0; pos <= list.size();) {
                    size_t comma = list.find(',', pos);
                    if (comma == std::string::npos)
                        comma = list.size();
                    if (comma > pos)
                        queues.insert(list.substr(pos, comma - pos));
                    pos = comma + 1;
                }
                if (queues.empty())
                    die(1, "flux-jobs: --queue: expected QUEUE[,QUEUE...]");
                break;
            }
            case opt_stats:
                stats = true;
                break;
            case opt_stats_only:
                stats_only = true;
                break;
            case 'h':
                printf("Usage: flux jobs [-a] [-A | -u USER] [--filter=STATES] [-c N] [-n] "
                       "[-q QUEUE,...] [--json] [-o FORMAT|NAME|help] [--stats] [--stats-only] [ID...]\n");
                return 0;
            default:
                return 1;
        }
    }
    if (format == "help") {
        JobsFormat::help(stdout);
        return 0;
    }
    if (stats_only) /* as Flux: every other option is ignored */
        return print_stats() ? 0 : 1;
    /* flux jobs ID...: those jobs, in any state, in argument order. */
    std::vector<flux_jobid_t> wanted;
    for (int i = optind; i < argc; i++) {
        flux_jobid_t id;
        if (flux_job_id_parse(argv[i], &id) < 0)
            die(1, "flux-jobs: invalid job id '%s'", argv[i]);
        wanted.push_back(id);
    }
    if (!wanted.empty()) {
        states = 127;
        max = 0;
        results = 0;
        user = -1; /* the jobs named, whoever submitted them (as flux-core) */
    }
    auto fmt = JobsFormat::parse(format);
    if (!fmt)
        die(1, "flux-jobs: %s", fmt.error().text.c_str());
    flux_t *h = open_or_die("flux-jobs");
    /* The job manager shows the owner every user's jobs and anyone else
     * their own; --count applies after the --filter results. */
    flux::FuturePtr f(flux_job_list(h, user < 0 && !results && queues.empty() ? max : 0, nullptr,
                                    user < 0 ? FLUX_USERID_UNKNOWN : (uint32_t)user, states));
    json_t *all;
    if (!f || flux_job_list_get(f.get(), &all) < 0)
        die(1, "flux-jobs: %s", f ? flux_future_error_string(f.get()) : strerror(errno));
    flux::JsonPtr jobs(json_array());
    size_t k;
    json_t *entry;
    int rc = 0;
    if (!wanted.empty()) {
        std::map<flux_jobid_t, json_t *> byid;
        json_array_foreach(all, k, entry)
        {
            json_int_t id = 0;
            if (json_unpack(entry, "{s:I}", "id", &id) == 0)
                byid[(flux_jobid_t)id] = entry;
        }
        for (size_t i = 0; i < wanted.size(); i++) {
            auto it = byid.find(wanted[i]);
            if (it == byid.end()) {
                fprintf(stderr, "flux-jobs: %s: unknown job id\n", argv[optind + (int)i]);
                rc = 1;
                continue;
            }
            json_array_append(jobs.get(), it->second);
        }
    }
    else json_array_foreach(all, k, entry)
    {
        int userid = -1;
        json_unpack(entry, "{s:i}", "userid", &userid);
        if (user >= 0 && userid != (int)user)
            continue;
        if (!queues.empty()) {
            const char *q = "";
            json_unpack(entry, "{s?s}", "queue", &q);
            if (!queues.count(q))
                continue;
        }
        const char *st = "";
        json_unpack(entry, "{s?s}", "state", &st);
        if (results && !inactive_all && strcmp(st, "INACTIVE") == 0
            && !(job_result(entry) & results))
            continue;
        if (max > 0 && (int)json_array_size(jobs.get()) >= max)
            break;
        json_array_append(jobs.get(), entry);
    }
    bool instance = fmt->uses("instance.");
    if ((fmt->uses("uri") || instance) && !json)
        add_instance_uris(h, jobs.get());
    if (instance && !json)
        add_instance_summaries(jobs.get());
    if (json) {
        char *s = json_dumps(jobs.get(), JSON_COMPACT);
        printf("%s\n", s);
        free(s);
    }
    else {
        if (stats)
            print_stats(h);
        for (const auto &line : fmt->render_table(jobs.get(), now_s(), header))
            printf("%s\n", line.c_str());
    }
    flux_close(h);
    return rc;
}

} // namespace fluxcmd
