/* submit_jobs.cpp - pipelined submission to job-ingest.submit, waiting for
 * the jobs, --progress and --log (see submit_jobs.h).  Waiting with
 * --progress polls job-manager.list for the active jobs (RFC 21 states)
 * to count pending, running and complete ones. */
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
#include "flux/kvs.h"
#include "fluid/fluid.h"
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

/* job-manager.list state bits (RFC 21 order, as flux jobs uses them). */
constexpr int state_new = 1, state_depend = 2, state_priority = 4, state_sched = 8,
              state_run = 16, state_cleanup = 32;
constexpr int states_active =
    state_new | state_depend | state_priority | state_sched | state_run | state_cleanup;

/* Poll the job manager until none of IDS is active, updating PROGRESS. */
void wait_with_progress(flux_t *h, const char *prog, const std::vector<uint64_t> &ids,
                        Progress &progress)
{
    std::unordered_set<uint64_t> ours(ids.begin(), ids.end());
    ours.erase(0);
    for (;;) {
        flux::FuturePtr f(flux_rpc_pack(h, "job-manager.list", FLUX_NODEID_ANY, 0, "{s:i s:i}",
                                        "states", states_active, "max", 0));
        json_t *jobs;
        if (!f || flux_rpc_get_unpack(f.get(), "{s:o}", "jobs", &jobs) < 0)
            die(1, "%s: job-manager.list: %s", prog,
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
    std::string key = "job." + flux::fluid_encode(id, flux::FluidFormat::dothex) + ".eventlog";
    flux::FuturePtr f(
        flux_kvs_lookup(h, nullptr, FLUX_KVS_WATCH | FLUX_KVS_WATCH_APPEND, key.c_str()));
    if (!f)
        die(1, "%s: %s: %s", prog, jobid_str(id).c_str(), strerror(errno));
    std::string partial;
    for (;;) {
        json_t *v = nullptr;
        if (flux_kvs_lookup_get_unpack(f.get(), "o", &v) < 0)
            die(1, "%s: %s: %s", prog, jobid_str(id).c_str(), flux_future_error_string(f.get()));
        partial += json_string_value(v) ? json_string_value(v) : "";
        size_t nl;
        while ((nl = partial.find('\n')) != std::string::npos) {
            auto e = flux::eventlog_entry_decode(partial.substr(0, nl + 1));
            partial.erase(0, nl + 1);
            if (!e)
                continue;
            if (e->name == name || e->name == "clean") {
                flux_kvs_lookup_cancel(f.get());
                if (e->name == name)
                    return true;
                fprintf(stderr, "%s: %s: the job ended without event %s\n", prog,
                        jobid_str(id).c_str(), name.c_str());
                return false;
            }
        }
        flux_future_reset(f.get());
    }
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
            if (!strncmp(arg, "exec.", 5))
                die(1, "flux: --wait-event=%s: the exec eventlog is not supported (use a main "
                       "eventlog event: alloc, start, finish, clean...)",
                    arg);
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

std::vector<uint64_t> submit_jobspecs(flux_t *h, const char *prog,
                                      const std::vector<JobRequest> &jobs, Progress *progress,
                                      const std::function<void(size_t, uint64_t)> &on_id)
{
    std::vector<uint64_t> ids;
    ids.reserve(jobs.size());
    /* Each request in flight, and how many jobs it asks for when it is a
     * job array (0: a single job, answered {id}). */
    std::deque<std::pair<flux::FuturePtr, size_t>> inflight;
    size_t inflight_jobs = 0;
    auto report = [&](uint64_t id) {
        ids.push_back(id);
        if (progress)
            progress->submitted(ids.size());
        if (on_id)
            on_id(ids.size() - 1, id);
    };
    auto report_error = [&](flux_future_t *f) {
        std::string msg = std::string(prog) + ": submit: " + flux_future_error_string(f) + "\n";
        if (progress)
            progress->print_above(stderr, msg);
        else
            fputs(msg.c_str(), stderr);
    };
    /* Take the oldest answer: requests are answered in any order, but ids
     * are reported in request order. */
    auto collect_one = [&]() {
        flux::FuturePtr f = std::move(inflight.front().first);
        size_t count = inflight.front().second;
        inflight.pop_front();
        inflight_jobs -= count;
        if (count == 0) {
            json_int_t id;
            if (flux_rpc_get_unpack(f.get(), "{s:I}", "id", &id) < 0) {
                report_error(f.get());
                id = 0;
            }
            report((uint64_t)id);
            return;
        }
        json_t *array = nullptr;
        if (flux_rpc_get_unpack(f.get(), "{s:o}", "ids", &array) < 0
            || json_array_size(array) != count) {
            report_error(f.get());
            for (size_t i = 0; i < count; i++)
                report(0);
            return;
        }
        for (size_t i = 0; i < count; i++)
            report((uint64_t)json_integer_value(json_array_get(array, i)));
    };
    auto send = [&](const std::string &payload, size_t count) {
        flux_future_t *f = flux_rpc(h, "job-ingest.submit", payload.c_str(), FLUX_NODEID_ANY, 0);
        if (!f)
            die(1, "%s: submit: %s", prog, strerror(errno));
        inflight.emplace_back(f, count);
        inflight_jobs += count;
        while (inflight.size() >= submit_window || inflight_jobs >= array_window)
            collect_one();
    };
    /* A JSON jobspec is spliced into the payload as it is (checked once per
     * distinct text: copies of one jobspec cost a string copy each); other
     * text (YAML) goes as a JSON string for the server to parse. */
    const std::string *last = nullptr;
    bool last_is_json = false;
    auto is_json = [&](const JobRequest &job) {
        /* Copies of a template are JSON when the template is. */
        const std::string &key = job.tmpl ? *job.tmpl : job.jobspec;
        if (!last || *last != key) {
            json_error_t jerr;
            json_t *o = json_loads(job.text().c_str(), 0, &jerr);
            last_is_json = json_is_object(o);
            json_decref(o);
            last = &key;
        }
        return last_is_json;
    };
    auto jobspec_value = [&](const std::string &text, bool json) {
        if (json)
            return text;
        /* All of it, NUL bytes included: the server names what is wrong. */
        json_t *str = json_stringn(text.data(), text.size());
        char *dumped = str ? json_dumps(str, JSON_ENCODE_ANY | JSON_COMPACT) : nullptr;
        json_decref(str);
        if (!dumped) {
            auto checked = flux::jobspec_check_text(text);
            die(1, "%s: submit: %s", prog,
                checked ? "jobspec is not valid UTF-8" : checked.error().text.c_str());
        }
        std::string out = dumped;
        free(dumped);
        return out;
    };
    for (size_t i = 0; i < jobs.size();) {
        const JobRequest &job = jobs[i];
        bool json = job.json || is_json(job);
        if (job.cc < 0 || !job.tmpl || !json) {
            send("{\"jobspec\":" + jobspec_value(job.text(), json)
                     + ",\"urgency\":" + std::to_string(job.urgency) + "}",
                 0);
            i++;
            continue;
        }
        /* A run of copies of one template: job arrays of array_chunk. */
        flux::IdSet ccs;
        size_t n = 0;
        while (i + n < jobs.size() && n < array_chunk && jobs[i + n].cc >= 0
               && jobs[i + n].tmpl == job.tmpl && jobs[i + n].urgency == job.urgency
               && jobs[i + n].bcc == job.bcc && (n == 0 || jobs[i + n].cc > jobs[i + n - 1].cc)) {
            ccs.insert((uint32_t)jobs[i + n].cc);
            n++;
        }
        std::string text = *job.tmpl;
        if (!job.bcc)
            text.replace(job.at, job.len, "\"\"");
        send("{\"jobspec\":" + text + ",\"urgency\":" + std::to_string(job.urgency) + ",\""
                 + (job.bcc ? "bcc" : "cc") + "\":\"" + ccs.encode() + "\"}",
             n);
        i += n;
    }
    while (!inflight.empty())
        collect_one();
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

int submit_and_wait(flux_t *h, const char *prog, const std::vector<JobRequest> &jobs,
                    const SubmitFlags &flags)
{
    int rc = 0;
    std::vector<uint64_t> ids;
    JobLogs logs;
    bool wait_end = flags.wait || flags.watch || flags.wait_event == "clean";
    {
        Progress progress(flags.progress, jobs.size(), flags.jps);
        ids = submit_jobspecs(h, prog, jobs, &progress, [&](size_t i, uint64_t id) {
            if (id == 0)
                rc = 1;
            else if (!flags.quiet && !jobs[i].log.empty())
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
        FILE *log = jobs[i].log.empty() ? nullptr : logs.get(prog, jobs[i].log);
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
