/* submit_jobs.cpp - pipelined submission (flux_job_submit, --cc copies as
 * flux_job_submit_array), waiting for the jobs, --progress and --log (see
 * submit_jobs.h).  Waiting with --progress polls flux_job_list() for the
 * active jobs to count pending, running and complete ones. */
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <map>
#include <unordered_set>

#include "cmd.h"
#include "eventlog/eventlog.h"
#include "flux/job.h"
#include "idset/idset.h"
#include "jobspec/jobspec.h"
#include "jobspec_opts.h"
#include "libflux/ptr.h"
#include "submit_jobs.h"

namespace fluxcmd {

namespace {

enum {
    opt_quiet = 3000,
    opt_wait,
    opt_wait_event,
    opt_watch,
    opt_progress,
    opt_jps,
    opt_log,
    opt_log_stderr,
};

/* Requests in flight at once: enough to keep the broker busy, few enough
 * that neither side buffers an unbounded backlog. */
constexpr size_t submit_window = 256;
/* Jobs per job-array request, and array jobs in flight at once. */
constexpr size_t array_chunk = 256;
constexpr size_t array_window = 2048;

/* Poll the job manager until none of IDS is active, updating PROGRESS. */
void wait_with_progress(flux_t *h, const char *prog, const std::vector<uint64_t> &ids,
                        Progress &progress)
{
    std::unordered_set<uint64_t> ours(ids.begin(), ids.end());
    ours.erase(0);
    for (;;) {
        flux::FuturePtr f(flux_job_list(h, 0, "[\"state\"]", FLUX_USERID_UNKNOWN,
                                        FLUX_JOB_STATE_ACTIVE));
        json_t *jobs;
        if (!f || flux_job_list_get(f.get(), &jobs) < 0)
            die(1, "%s: list jobs: %s", prog,
                f ? flux_future_error_string(f.get()) : strerror(errno));
        size_t pending = 0, running = 0, i;
        json_t *job;
        json_array_foreach(jobs, i, job)
        {
            json_int_t id;
            const char *state;
            if (json_unpack(job, "{s:I s:s}", "id", &id, "state", &state) < 0
                || !ours.count((uint64_t)id))
                continue;
            if (!strcmp(state, "RUN") || !strcmp(state, "CLEANUP"))
                running++;
            else
                pending++;
        }
        /* Refused jobs never run: they count as complete. */
        progress.states(pending, running, ids.size() - pending - running);
        if (pending + running == 0)
            return;
        usleep(250000);
    }
}

/* Follow job ID's eventlog until it posts NAME (true) or ends without it
 * (false, with a message). */
bool wait_job_event(flux_t *h, const char *prog, uint64_t id, const std::string &name)
{
    /* exec.NAME: NAME in the exec eventlog (a guest log: the watch waits
     * for it to be written, and ends with the job). */
    bool exec = name.starts_with("exec.");
    std::string want = exec ? name.substr(5) : name;
    flux::FuturePtr f(flux_job_event_watch(h, id, exec ? "guest.exec.eventlog" : "eventlog", 0));
    if (!f)
        die(1, "%s: %s: %s", prog, jobid_str(id).c_str(), strerror(errno));
    for (;;) {
        const char *line;
        if (flux_job_event_watch_get(f.get(), &line) < 0) {
            if (errno == ENODATA)
                break; /* the log ended with the job */
            die(1, "%s: %s: %s", prog, jobid_str(id).c_str(), flux_future_error_string(f.get()));
        }
        auto e = flux::eventlog_entry_decode(line);
        if (e && e->name == want) {
            flux_job_event_watch_cancel(f.get());
            return true;
        }
        if (e && !exec && e->name == "clean") {
            flux_job_event_watch_cancel(f.get());
            break;
        }
        flux_future_reset(f.get());
    }
    fprintf(stderr, "%s: %s: the job ended without event %s\n", prog, jobid_str(id).c_str(),
            name.c_str());
    return false;
}

/* After the connection was lost: which jobs were sent but never answered
 * (they may or may not have been stored) and which were never sent, as
 * --cc copy numbers when they are copies, else as positions (1 = the first
 * job of the command). */
void report_unconfirmed(const char *prog, const JobList &jobs,
                        const std::vector<size_t> &unacked, size_t unsent_from,
                        const std::string &why)
{
    auto describe = [&](auto each) {
        flux::IdSet copies, positions;
        each([&](size_t k) {
            if (jobs[k].cc >= 0)
                copies.insert((uint32_t)jobs[k].cc);
            else
                positions.insert((uint32_t)(k + 1));
        });
        std::string s;
        if (!copies.empty())
            s += " copies " + copies.encode();
        if (!positions.empty())
            s += std::string(copies.empty() ? "" : ",") + " jobs " + positions.encode() + " of "
                 + std::to_string(jobs.size());
        return s;
    };
    fprintf(stderr, "%s: submit: %s\n", prog, why.c_str());
    if (!unacked.empty())
        fprintf(stderr, "%s: %zu not acknowledged (may or may not be submitted):%s\n", prog,
                unacked.size(), describe([&](auto fn) {
                    for (size_t k : unacked)
                        fn(k);
                }).c_str());
    if (unsent_from < jobs.size())
        fprintf(stderr, "%s: %zu not submitted:%s\n", prog, jobs.size() - unsent_from,
                describe([&](auto fn) {
                    for (size_t k = unsent_from; k < jobs.size(); k++)
                        fn(k);
                }).c_str());
}

/* The --log files that hold a replacement, each opened once. */
class JobLogs {
  public:
    ~JobLogs()
    {
        for (auto &[path, fp] : files_)
            fclose(fp);
    }
    FILE *get(const char *prog, const std::string &path)
    {
        auto it = files_.find(path);
        if (it != files_.end())
            return it->second;
        FILE *fp = fopen(path.c_str(), "a");
        if (!fp)
            die(1, "%s: --log: %s: %s", prog, path.c_str(), strerror(errno));
        files_[path] = fp;
        return fp;
    }

  private:
    std::map<std::string, FILE *> files_;
};

/* Run FN with stdout and stderr sent to FP (when not null). */
template <typename F> auto with_output_to(FILE *fp, F fn)
{
    if (!fp)
        return fn();
    fflush(stdout);
    fflush(stderr);
    fflush(fp);
    int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
    dup2(fileno(fp), STDOUT_FILENO);
    dup2(fileno(fp), STDERR_FILENO);
    auto result = fn();
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);
    return result;
}

} // namespace

const struct option submit_flag_longopts[] = {
    {"quiet", no_argument, nullptr, opt_quiet},
    {"wait", no_argument, nullptr, opt_wait},
    {"wait-event", required_argument, nullptr, opt_wait_event},
    {"watch", no_argument, nullptr, opt_watch},
    {"progress", no_argument, nullptr, opt_progress},
    {"jps", no_argument, nullptr, opt_jps},
    {"log", required_argument, nullptr, opt_log},
    {"log-stderr", required_argument, nullptr, opt_log_stderr},
    {nullptr, 0, nullptr, 0},
};

const char *submit_flag_help =
    "      --quiet               do not print job ids\n"
    "      --wait                wait for the jobs; exit with the largest exit code\n"
    "      --wait-event=NAME     wait until each job has posted event NAME\n"
    "      --watch               like --wait, showing the jobs' output\n"
    "      --progress            show progress on stderr (when it is a terminal)\n"
    "      --jps                 with --progress, show jobs per second\n"
    "      --log=FILE            append stdout (and stderr) to FILE\n"
    "      --log-stderr=FILE     append stderr to FILE\n";

bool submit_flag_handle(SubmitFlags &flags, int c, const char *arg)
{
    switch (c) {
        case opt_quiet:
            flags.quiet = true;
            return true;
        case opt_wait:
            flags.wait = true;
            return true;
        case opt_wait_event:
            if (!*arg || strchr(arg, ' '))
                die(1, "flux: --wait-event: expected an event name, got '%s'", arg);
            if (!strcmp(arg, "exec."))
                die(1, "flux: --wait-event: expected an event name after exec.");
            flags.wait_event = arg;
            return true;
        case opt_watch:
            flags.watch = true;
            return true;
        case opt_progress:
            flags.progress = true;
            return true;
        case opt_jps:
            flags.jps = true;
            return true;
        case opt_log:
            flags.log = arg;
            return true;
        case opt_log_stderr:
            flags.log_stderr = arg;
            return true;
    }
    return false;
}

std::vector<uint64_t> submit_jobspecs(flux_t *h, const char *prog, const JobList &jobs,
                                      Progress *progress,
                                      const std::function<void(size_t, uint64_t)> &on_id)
{
    std::vector<uint64_t> ids;
    ids.reserve(jobs.size());
    /* Each request in flight, the index of its first job, and how many jobs
     * it asks for when it is a job array (0: a single job). */
    struct InFlight {
        flux::FuturePtr f;
        size_t first, count;
    };
    std::deque<InFlight> inflight;
    size_t inflight_jobs = 0;
    /* Jobs sent whose answer never came (the connection was lost): they may
     * or may not have been stored.  Jobs never sent after that. */
    std::vector<size_t> unacked;
    size_t unsent_from = jobs.size();
    std::string lost_why;
    auto report = [&](uint64_t id) {
        ids.push_back(id);
        if (progress)
            progress->submitted(ids.size());
        if (on_id)
            on_id(ids.size() - 1, id);
    };
    auto print_error = [&](const std::string &text) {
        std::string msg = std::string(prog) + ": submit: " + text + "\n";
        if (progress)
            progress->print_above(stderr, msg);
        else
            fputs(msg.c_str(), stderr);
    };
    auto report_error = [&](const InFlight &r) {
        if (errno == ECONNRESET) {
            if (lost_why.empty())
                lost_why = flux_future_error_string(r.f.get());
            for (size_t k = 0; k < std::max<size_t>(r.count, 1); k++)
                unacked.push_back(r.first + k);
        }
        else {
            const char *why = errno == EPROTO && flux_future_is_ready(r.f.get())
                                  ? "malformed answer from the instance"
                                  : flux_future_error_string(r.f.get());
            print_error(why ? why : strerror(errno));
        }
        for (size_t k = 0; k < std::max<size_t>(r.count, 1); k++)
            report(0);
    };
    /* Take the oldest answer: requests are answered in any order, but ids
     * are reported in request order. */
    auto collect_one = [&]() {
        InFlight r = std::move(inflight.front());
        inflight.pop_front();
        inflight_jobs -= r.count;
        if (r.count == 0) {
            flux_jobid_t id;
            if (flux_job_submit_get_id(r.f.get(), &id) < 0)
                report_error(r);
            else
                report(id);
            return;
        }
        const flux_jobid_t *array;
        size_t n = 0;
        if (flux_job_submit_get_ids(r.f.get(), &array, &n) < 0) {
            report_error(r);
            return;
        }
        if (n != r.count) {
            errno = EPROTO;
            report_error(r);
            return;
        }
        for (size_t k = 0; k < n; k++)
            report(array[k]);
    };
    auto sent = [&](flux_future_t *f, size_t first, size_t count) {
        if (!f) {
            if (errno == EINVAL && count == 0)
                die(1, "%s: submit: jobspec is not valid UTF-8", prog);
            if (lost_why.empty())
                lost_why = strerror(errno);
            return false;
        }
        inflight.push_back({flux::FuturePtr(f), first, count});
        inflight_jobs += count;
        while (inflight.size() >= submit_window || inflight_jobs >= array_window)
            collect_one();
        return true;
    };
    for (size_t i = 0; i < jobs.size();) {
        const JobRequest job = jobs[i];
        if (!lost_why.empty()) {
            unsent_from = i;
            break;
        }
        if (job.cc < 0 || !job.tmpl) {
            std::string text = job.text();
            /* The API takes C text: name a NUL byte or bad UTF-8 here. */
            if (auto checked = flux::jobspec_check_text(text); !checked)
                die(1, "%s: submit: %s", prog, checked.error().text.c_str());
            if (!sent(flux_job_submit(h, text.c_str(), job.urgency, job.flags), i, 0)) {
                unsent_from = i;
                break;
            }
            i++;
            continue;
        }
        /* A run of copies of one template: job arrays of array_chunk. */
        flux::IdSet ccs;
        size_t n = 1;
        int64_t last = job.cc;
        ccs.insert((uint32_t)job.cc);
        while (i + n < jobs.size() && n < array_chunk) {
            const JobRequest next = jobs[i + n];
            if (next.cc < 0 || next.tmpl != job.tmpl || next.urgency != job.urgency
                || next.flags != job.flags
                || next.bcc != job.bcc || next.cc <= last)
                break;
            ccs.insert((uint32_t)next.cc);
            last = next.cc;
            n++;
        }
        std::string text = *job.tmpl;
        if (!job.bcc)
            text.replace(job.at, job.len, "\"\"");
        flux_future_t *f = flux_job_submit_array(h, text.c_str(), job.urgency, job.flags,
                                                 ccs.encode().c_str(),
                                                 job.bcc ? FLUX_JOB_ARRAY_BCC : 0);
        if (!f && errno == EINVAL) {
            /* Not JSON (a copy of a YAML file): one request per copy. */
            for (size_t k = 0; k < n; k++) {
                if (!sent(flux_job_submit(h, jobs[i + k].text().c_str(), job.urgency, job.flags), i + k,
                          0)) {
                    unsent_from = i + k;
                    break;
                }
            }
            if (unsent_from < jobs.size())
                break;
        }
        else if (!sent(f, i, n)) {
            unsent_from = i;
            break;
        }
        i += n;
    }
    while (!inflight.empty())
        collect_one();
    for (size_t k = unsent_from; k < jobs.size(); k++)
        report(0);
    if (!unacked.empty() || unsent_from < jobs.size())
        report_unconfirmed(prog, jobs, unacked, unsent_from, lost_why);
    return ids;
}

void submit_flags_open_logs(const char *prog, const SubmitFlags &flags)
{
    if (!flags.log.empty()) {
        if (!freopen(flags.log.c_str(), "a", stdout))
            die(1, "%s: --log: %s: %s", prog, flags.log.c_str(), strerror(errno));
        if (flags.log_stderr.empty()) {
            fflush(stderr);
            if (dup2(fileno(stdout), STDERR_FILENO) < 0)
                die(1, "%s: --log: %s", prog, strerror(errno));
        }
    }
    if (!flags.log_stderr.empty()) {
        FILE *fp = fopen(flags.log_stderr.c_str(), "a");
        if (!fp)
            die(1, "%s: --log-stderr: %s: %s", prog, flags.log_stderr.c_str(), strerror(errno));
        fflush(stderr);
        if (dup2(fileno(fp), STDERR_FILENO) < 0)
            die(1, "%s: --log-stderr: %s", prog, strerror(errno));
        fclose(fp);
    }
}

int submit_and_wait(flux_t *h, const char *prog, const JobList &jobs,
                    const SubmitFlags &flags)
{
    int rc = 0;
    std::vector<uint64_t> ids;
    JobLogs logs;
    bool wait_end = flags.wait || flags.watch || flags.wait_event == "clean";
    /* Whether any job has a --log file of its own (else each costs nothing). */
    bool per_job_logs = jobs.size() > 0 && !jobs[0].log.empty();
    {
        Progress progress(flags.progress, jobs.size(), flags.jps);
        ids = submit_jobspecs(h, prog, jobs, &progress, [&](size_t i, uint64_t id) {
            if (id == 0)
                rc = 1;
            else if (!flags.quiet && per_job_logs && !jobs[i].log.empty())
                fprintf(logs.get(prog, jobs[i].log), "%s\n", jobid_str(id).c_str());
            else if (!flags.quiet)
                progress.print_above(stdout, jobid_str(id) + "\n");
        });
        fflush(stdout);
        /* --watch interleaves the jobs' output: no display while it runs. */
        if (wait_end && !flags.watch && progress.active())
            wait_with_progress(h, prog, ids, progress);
    }
    for (size_t i = 0; i < ids.size(); i++) {
        if (ids[i] == 0)
            continue;
        std::string path = per_job_logs ? jobs[i].log : "";
        FILE *log = path.empty() ? nullptr : logs.get(prog, path);
        if (wait_end) {
            /* The largest exit code of the jobs becomes ours. */
            int code = with_output_to(log, [&] { return job_attach(h, ids[i], !flags.watch); });
            rc = std::max(rc, code);
        }
        else if (!flags.wait_event.empty()) {
            bool seen = with_output_to(
                log, [&] { return wait_job_event(h, prog, ids[i], flags.wait_event); });
            if (!seen)
                rc = std::max(rc, 1);
        }
    }
    return rc;
}

} // namespace fluxcmd
