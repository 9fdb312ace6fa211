/* job_status.cpp - flux job status, flux job last and flux job timeleft, as
 * flux-job(1), all through the job API (flux/job.h):
 *
 *   status JOBID...     wait for the jobs; exit with the largest exit code
 *                       (128+N for signal N, the -e code for a job ended by
 *                       a fatal exception)
 *   last [N|SLICE]      the caller's most recently submitted job ids, newest
 *                       first; SLICE is a Python slice "[start:stop:step]"
 *                       over that list (default "[:1]").  fluxd keeps no
 *                       per-user history: the list is the caller's jobs the
 *                       job manager still holds, by submit time.
 *   timeleft [JOBID]    whole seconds left of the job's time limit (0 once
 *                       it ended, UINT_MAX when unlimited; -H as FSD); no
 *                       JOBID: the enclosing job ($FLUX_JOB_ID, or inside an
 *                       instance its jobid in the parent instance).
 */
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <getopt.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "cmd.h"
#include "eventlog/eventlog.h"
#include "flux/job.h"
#include "fsd/fsd.h"
#include "jobspec_opts.h"
#include "libflux/ptr.h"

namespace fluxcmd {

namespace {

/* How job ID ended, from its eventlog: the finish status (-1 if it never
 * ran) and the type of its first fatal exception, if any. */
struct JobResult {
    int waitstatus = -1;
    std::optional<std::string> exception;
};

JobResult job_result(flux_t *h, uint64_t id, const char *arg)
{
    flux::FuturePtr f(flux_job_lookup(h, id, "eventlog"));
    const char *text;
    if (!f || flux_job_lookup_get_unpack(f.get(), "s", &text) < 0)
        die(1, "flux-job: %s: %s", arg, f ? flux_future_error_string(f.get()) : strerror(errno));
    auto log = flux::eventlog_decode(text);
    if (!log)
        die(1, "flux-job: %s: %s", arg, log.error().text.c_str());
    JobResult r;
    for (const auto &e : *log) {
        int status, severity;
        const char *type;
        if (e.name == "finish" && json_unpack(e.context, "{s:i}", "status", &status) == 0)
            r.waitstatus = status;
        else if (e.name == "exception" && !r.exception
                 && json_unpack(e.context, "{s:s s:i}", "type", &type, "severity", &severity) == 0
                 && severity == 0)
            r.exception = type;
    }
    return r;
}

/* A wait status as the shell's $?. */
int status_to_exitcode(int status)
{
    if (status < 0)
        return 0;
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* "[start:stop:step]" (each part optional, or "[i]") applied to a list of N
 * as Python does: the indices chosen, in order.  nullopt if malformed. */
std::optional<std::vector<long>> slice_indices(const std::string &s, long n)
{
    if (s.size() < 2 || s.front() != '[' || s.back() != ']')
        return std::nullopt;
    std::vector<std::optional<long>> part;
    std::string body = s.substr(1, s.size() - 2);
    size_t pos = 0;
    while (true) {
        size_t colon = body.find(':', pos);
        std::string p = body.substr(pos, colon == std::string::npos ? colon : colon - pos);
        if (p.empty())
            part.push_back(std::nullopt);
        else {
            char *end;
            errno = 0;
            long v = strtol(p.c_str(), &end, 10);
            if (errno || *end)
                return std::nullopt;
            part.push_back(v);
        }
        if (colon == std::string::npos)
            break;
        pos = colon + 1;
    }
    if (part.size() > 3)
        return std::nullopt;
    std::vector<long> idx;
    if (part.size() == 1) {
        if (!part[0])
            return std::nullopt;
        long i = *part[0] < 0 ? *part[0] + n : *part[0];
        if (i >= 0 && i < n)
            idx.push_back(i);
        return idx;
    }
    long step = part.size() == 3 && part[2] ? *part[2] : 1;
    if (step == 0)
        return std::nullopt;
    auto norm = [n, step](std::optional<long> v, long dflt) {
        if (!v)
            return dflt;
        long i = *v < 0 ? *v + n : *v;
        long lo = step > 0 ? 0 : -1, hi = step > 0 ? n : n - 1;
        return std::clamp(i, lo, hi);
    };
    long start = norm(part[0], step > 0 ? 0 : n - 1);
    long stop = norm(part[1], step > 0 ? n : -1);
    for (long i = start; step > 0 ? i < stop : i > stop; i += step)
        idx.push_back(i);
    return idx;
}

/* Job ID's list entry (state, expiration), or dies "unknown job id". */
flux::JsonPtr list_entry(flux_t *h, uint64_t id, const char *arg)
{
    flux::FuturePtr f(flux_job_list(h, 0, "[\"state\",\"expiration\"]", FLUX_USERID_UNKNOWN,
                                    FLUX_JOB_STATE_ALL));
    json_t *jobs;
    if (!f || flux_job_list_get(f.get(), &jobs) < 0)
        die(1, "flux-job: %s", f ? flux_future_error_string(f.get()) : strerror(errno));
    size_t i;
    json_t *job;
    json_array_foreach(jobs, i, job)
    {
        json_int_t jid;
        if (json_unpack(job, "{s:I}", "id", &jid) == 0 && (uint64_t)jid == id)
            return flux::JsonPtr(json_incref(job));
    }
    die(1, "flux-job: %s: unknown job id", arg);
}

} // namespace

int cmd_job_status(int argc, char **argv)
{
    static const struct option opts[] = {
        {"verbose", no_argument, nullptr, 'v'},
        {"exception-exit-code", required_argument, nullptr, 'e'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    const char *usage = "Usage: flux job status [-v] [-e N] JOBID...";
    int verbose = 0, exception_exit_code = 1, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+ve:h", opts, nullptr)) != -1) {
        if (c == 'v')
            verbose++;
        else if (c == 'e')
            exception_exit_code = (int)parse_u32_or_die("flux-job", "--exception-exit-code",
                                                        optarg);
        else if (c == 'h') {
            printf("%s\n", usage);
            return 0;
        }
        else
            die(1, "%s", usage);
    }
    if (optind >= argc)
        die(1, "%s", usage);
    std::vector<uint64_t> ids;
    for (int i = optind; i < argc; i++)
        ids.push_back(parse_jobid_or_die("flux-job", argv[i]));
    flux_t *h = open_or_die("flux-job");
    /* Wait for every job at once: the slowest sets how long this takes. */
    std::vector<flux::FuturePtr> waits;
    for (uint64_t id : ids)
        waits.emplace_back(flux_job_wait(h, id));
    if (verbose && ids.size() > 1)
        fprintf(stderr, "flux-job: fetching status for %zu jobs\n", ids.size());
    int exit_code = 0;
    for (size_t i = 0; i < ids.size(); i++) {
        const char *arg = argv[optind + i];
        flux_future_t *f = waits[i].get();
        if (!f || flux_job_wait_get_status(f, nullptr, nullptr) < 0) {
            if (errno == ENOENT)
                die(1, "flux-job: %s: No such job", arg);
            die(1, "flux-job: %s: %s", arg, f ? flux_future_error_string(f) : strerror(errno));
        }
        JobResult r = job_result(h, ids[i], arg);
        int code = status_to_exitcode(r.waitstatus);
        exit_code = std::max(exit_code, code);
        if (r.exception)
            exit_code = std::max(exit_code, exception_exit_code);
        if (!verbose)
            continue;
        if (r.waitstatus >= 0 && WIFSIGNALED(r.waitstatus))
            fprintf(stderr, "flux-job: %s: job shell died by signal %d\n", arg,
                    WTERMSIG(r.waitstatus));
        else if (verbose > 1 || code != 0 || r.exception) {
            if (r.exception)
                fprintf(stderr, "flux-job: %s: exception type=%s\n", arg, r.exception->c_str());
            else
                fprintf(stderr, "flux-job: %s: exited with exit code %d\n", arg, code);
        }
    }
    if (verbose && ids.size() > 1)
        fprintf(stderr, "flux-job: all done.\n");
    flux_close(h);
    return exit_code;
}

int cmd_job_last(int argc, char **argv)
{
    const char *usage = "Usage: flux job last [N|SLICE]";
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("%s\n", usage);
        return 0;
    }
    if (argc > 2)
        die(1, "%s", usage);
    std::string slice = "[:1]";
    if (argc == 2) {
        slice = argv[1];
        if (slice.find('[') == std::string::npos) {
            char *end;
            errno = 0;
            long n = strtol(argv[1], &end, 10);
            if (errno || *end || !*argv[1])
                die(1, "%s", usage);
            slice = "[:" + std::to_string(n) + "]";
        }
    }
    flux_t *h = open_or_die("flux-job");
    flux::FuturePtr f(flux_job_list(h, 0, "[\"t_submit\"]", (uint32_t)getuid(),
                                    FLUX_JOB_STATE_ALL));
    json_t *jobs;
    if (!f || flux_job_list_get(f.get(), &jobs) < 0)
        die(1, "flux-job: %s", f ? flux_future_error_string(f.get()) : strerror(errno));
    std::vector<std::pair<double, uint64_t>> history;
    size_t i;
    json_t *job;
    json_array_foreach(jobs, i, job)
    {
        json_int_t id;
        double t = 0.;
        if (json_unpack(job, "{s:I s?F}", "id", &id, "t_submit", &t) == 0)
            history.emplace_back(t, (uint64_t)id);
    }
    /* Newest first; ids grow with submit time, so they break ties. */
    std::sort(history.begin(), history.end(), [](const auto &a, const auto &b) {
        return a.first != b.first ? a.first > b.first : a.second > b.second;
    });
    auto idx = slice_indices(slice, (long)history.size());
    if (!idx)
        die(1, "flux-job: last: invalid slice '%s'\n%s", slice.c_str(), usage);
    if (idx->empty())
        die(1, "flux-job: job history is empty");
    for (long k : *idx)
        printf("%s\n", jobid_str(history[k].second).c_str());
    flux_close(h);
    return 0;
}

int cmd_job_timeleft(int argc, char **argv)
{
    static const struct option opts[] = {
        {"human", no_argument, nullptr, 'H'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    const char *usage = "Usage: flux job timeleft [-H|--human] [JOBID]";
    bool human = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+Hh", opts, nullptr)) != -1) {
        if (c == 'H')
            human = true;
        else if (c == 'h') {
            printf("%s\n", usage);
            return 0;
        }
        else
            die(1, "%s", usage);
    }
    if (argc - optind > 1)
        die(1, "%s", usage);
    flux_t *h = open_or_die("flux-job");
    std::string arg;
    if (optind < argc)
        arg = argv[optind];
    else if (const char *env = getenv("FLUX_JOB_ID"))
        arg = env;
    else {
        /* Inside an instance: its job in the parent instance. */
        const char *jobid = flux_attr_get(h, "jobid");
        const char *parent = flux_attr_get(h, "parent-uri");
        if (!jobid || !parent)
            die(1, "flux-job: timeleft: not in a Flux job (FLUX_JOB_ID is not set)");
        flux_t *ph = flux_open(parent, 0);
        if (!ph)
            die(1, "flux-job: timeleft: %s: %s", parent, strerror(errno));
        flux_close(h);
        h = ph;
        arg = jobid;
    }
    uint64_t id = parse_jobid_or_die("flux-job", arg.c_str());
    flux::JsonPtr job = list_entry(h, id, arg.c_str());
    const char *state;
    double expiration = 0.;
    if (json_unpack(job.get(), "{s:s s?F}", "state", &state, "expiration", &expiration) < 0)
        die(1, "flux-job: %s: malformed job listing", arg.c_str());
    double left;
    if (!strcmp(state, "NEW") || !strcmp(state, "DEPEND") || !strcmp(state, "PRIORITY")
        || !strcmp(state, "SCHED"))
        die(1, "flux-job: %s: job has not started", arg.c_str());
    else if (strcmp(state, "RUN") != 0)
        left = 0.;
    else if (expiration <= 0.)
        left = INFINITY;
    else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        left = std::max(0., expiration - (ts.tv_sec + ts.tv_nsec * 1e-9));
    }
    if (human)
        printf("%s\n", std::isinf(left) ? "infinity" : flux::fsd_format(left).c_str());
    else {
        /* Whole seconds; a fraction of one left still says 1, since 0 means
         * the job has expired. */
        unsigned long sec = std::isinf(left) ? UINT_MAX : (unsigned long)std::floor(left);
        if (sec == 0 && left > 0.)
            sec = 1;
        printf("%lu\n", sec);
    }
    flux_close(h);
    return 0;
}

} // namespace fluxcmd
