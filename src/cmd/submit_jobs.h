/* submit_jobs.h - what flux submit, run, job submit and bulksubmit do once
 * their jobspecs are built: send them pipelined, print the ids in order,
 * wait for the jobs (--wait, --watch), with the --progress display and
 * --log redirection. */
#pragma once

#include <getopt.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "flux/core.h"
#include "progress.h"

namespace fluxcmd {

struct JobRequest {
    JobRequest(std::string js = {}, int u = 16, std::string l = {})
        : jobspec(std::move(js)), urgency(u), log(std::move(l))
    {
    }
    std::string jobspec; /* JSON or YAML text */
    int urgency = 16;
    int flags = 0; /* FLUX_JOB_DEBUG, FLUX_JOB_WAITABLE */
    /* This job's --log file when --log held a replacement ({cc}, {}...):
     * its id, and with --watch its output, go there.  Empty: stdout. */
    std::string log;
    /* Or, for copies that differ in one value: TMPL with the text at
     * [at, at + len) replaced by SUBST (see text()). */
    std::shared_ptr<const std::string> tmpl;
    size_t at = 0, len = 0;
    std::string subst;
    /* A --cc (or --bcc) copy of TMPL: copy CC, FLUX_JOB_CC=CC in the
     * environment unless BCC.  Runs of copies go to the server as job
     * arrays (flux_job_submit_array), which set FLUX_JOB_CC
     * themselves: TMPL with the text at [at, at + len) replaced by "". */
    int64_t cc = -1;
    bool bcc = false;
    /* The text is JSON built by this command (not a file's YAML or JSON
     * to be checked): spares a parse per job. */
    bool json = false;

    std::string text() const
    {
        if (!tmpl)
            return jobspec;
        std::string t = *tmpl;
        t.replace(at, len, subst);
        return t;
    }
};

/* The jobs of one command, held as a list or made one at a time on demand
 * by a function (a million --cc copies must not be a million jobspecs in
 * memory at once).  jobs[i] returns a copy. */
class JobList {
  public:
    JobList(std::vector<JobRequest> jobs) : jobs_(std::move(jobs)), size_(jobs_.size()) {}
    JobList(size_t size, std::function<JobRequest(size_t)> make)
        : size_(size), make_(std::move(make))
    {
    }
    size_t size() const { return size_; }
    JobRequest operator[](size_t i) const { return make_ ? make_(i) : jobs_[i]; }

  private:
    std::vector<JobRequest> jobs_;
    size_t size_;
    std::function<JobRequest(size_t)> make_;
};

/* The flags flux submit and flux bulksubmit share: --quiet --wait
 * --wait-event=NAME --watch --progress --jps --log=FILE --log-stderr=FILE. */
struct SubmitFlags {
    bool quiet = false, wait = false, watch = false, progress = false, jps = false;
    std::string wait_event; /* --wait-event; --wait sets "clean" */
    std::string log, log_stderr;
};
extern const struct option submit_flag_longopts[]; /* ends with a null entry */
extern const char *submit_flag_help;
/* Returns true if it consumed option C (dies on a bad value). */
bool submit_flag_handle(SubmitFlags &flags, int c, const char *arg);

/* Send every request without waiting for an answer before the next (at most
 * a window of requests in flight) and return the ids in request order: 0 for
 * a refused request, whose error is printed on stderr as "PROG: submit: ...".
 * ON_ID, if set, gets each (index, id) in order as soon as it is known.
 * PROGRESS may be null. */
std::vector<uint64_t> submit_jobspecs(flux_t *h, const char *prog, const JobList &jobs,
                                      Progress *progress,
                                      const std::function<void(size_t, uint64_t)> &on_id = {});

/* Apply --log/--log-stderr: append stdout (and stderr, unless --log-stderr
 * names another file) to the files.  Dies naming the file it cannot open. */
void submit_flags_open_logs(const char *prog, const SubmitFlags &flags);

/* Submit JOBS and print their ids (unless --quiet), then with --wait,
 * --watch or --wait-event wait for them all.  Returns the exit code: the
 * largest exit code of the jobs when waiting for them to end, 1 if a job
 * ended without the --wait-event event, and at least 1 if any job was
 * refused. */
int submit_and_wait(flux_t *h, const char *prog, const JobList &jobs,
                    const SubmitFlags &flags);

} // namespace fluxcmd
