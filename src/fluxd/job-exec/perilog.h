/* perilog.h - the site's prolog, epilog and housekeeping scripts, run on
 * one rank for one job.
 *
 * The config ([job-manager.prolog], [job-manager.epilog],
 * [job-manager.housekeeping]) reaches every broker as the JSON text of the
 * attributes conf.job-manager.prolog|epilog|housekeeping (boot.cpp):
 *   {"command": [ARG, ...]} or {"directory": PATH}, "per-rank": bool,
 *   "timeout": seconds (0: none)
 * A directory runs each executable file in it, in name order (files
 * starting with '.' or ending in '~' are skipped), stopping at the first
 * that fails; the timeout covers the whole run.
 *
 * A script runs as the broker's user (the instance owner), in its own
 * process group, with the broker's environment plus FLUX_URI (this
 * broker), FLUX_JOB_ID (F58), FLUX_JOB_USERID, FLUX_JOB_RANKS (the job's
 * ranks, an idset) and FLUX_PERILOG_PHASE (prolog, epilog, housekeeping);
 * the job's R (JSON) is its standard input.  Each line it writes on
 * stdout or stderr goes to the broker log (flux dmesg). */
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "result/result.h"

namespace fluxd {

class ServiceHost;

enum class PerilogPhase { prolog, epilog, housekeeping };
const char *perilog_phase_name(PerilogPhase p);

struct PerilogConfig {
    std::vector<std::string> command; /* argv; empty when directory is set */
    std::string directory;
    bool per_rank = false;
    double timeout = 0; /* seconds; 0: no limit */
    /* The attribute's JSON text; the error names the key. */
    static flux::Result<PerilogConfig> parse(const std::string &json);
    /* The attribute of PHASE (conf.job-manager.PHASE) read from BROKER:
     * nothing when unset; an error is logged and counts as unset. */
    static std::optional<PerilogConfig> load(ServiceHost &broker, PerilogPhase phase);
};

/* How one run ended. */
struct PerilogResult {
    int code = 0;           /* exit code, 128+N for signal N */
    bool timed_out = false; /* killed at the timeout */
    bool killed = false;    /* killed on request (the job was cancelled) */
    std::string failed;     /* the script that failed (directory runs) */
    std::string error;      /* could not start at all */
    bool ok() const { return code == 0 && !timed_out && error.empty(); }
    /* "exit 3", "timed out after 5s", "killed by signal 9", "cannot start X: ..." */
    std::string describe(double timeout) const;
};

/* The scripts running on this rank, at most one per (job, phase). */
class PerilogRunner {
  public:
    explicit PerilogRunner(ServiceHost &broker);
    ~PerilogRunner(); /* kills what still runs */
    PerilogRunner(const PerilogRunner &) = delete;
    PerilogRunner &operator=(const PerilogRunner &) = delete;

    struct Job {
        uint64_t id = 0;
        uint32_t userid = 0;
        std::string ranks; /* the job's ranks, an idset */
        std::string R;     /* JSON text */
    };
    /* Start CFG's scripts for JOB; DONE is called once, from the loop,
     * when they are over (never from within run()). */
    void run(PerilogPhase phase, const PerilogConfig &cfg, const Job &job,
             std::function<void(const PerilogResult &)> done);
    /* Signal the running script of PHASE of job ID; SIGTERM is followed by
     * SIGKILL after a grace period.  Its result is then marked killed. */
    void signal(uint64_t id, PerilogPhase phase, int sig);

  private:
    struct Run;
    void next(Run &r);
    void finish(uint64_t key, PerilogResult res);
    ServiceHost &broker_;
    uint64_t next_key_ = 1;
    std::map<uint64_t, std::unique_ptr<Run>> runs_;
};

} // namespace fluxd
