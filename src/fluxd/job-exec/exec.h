/* exec.h - job-exec: owns the launch of a job.
 *
 * On rank 0 it takes one job-exec.start per job from the job manager and
 * runs the job's phases, answering with a stream of events (RFC 32 in
 * shape); on every rank it starts that node's flux-shell for a job and
 * delivers signals to it.  See README.md and flux-job-exec(7). */
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cgroup.h"
#include "idset/idset.h"
#include "launcher.h"
#include "libflux/ptr.h"
#include "jobspec/jobspec.h"
#include "perilog.h"
#include "result/result.h"
#include "rv1/rv1.h"
#include "shell_records.h"
#include "taskmap/taskmap.h"

namespace fluxd {

class ServiceHost;

class JobExec {
  public:
    static std::unique_ptr<JobExec> create(ServiceHost &broker);
    ~JobExec();

  private:
    explicit JobExec(ServiceHost &b) : broker_(b) {}

    /* Rank 0: one job's launch.
     *   prolog -> shells (one per rank with tasks) -> per rank, as its
     *   shell exits: release (partial, when no epilog is configured); when
     *   every shell has exited: finish -> epilog (ranks released as their
     *   epilog ends) -> the final release. */
    enum class Phase { prolog, shells, done };
    struct Launch {
        uint64_t id = 0;
        uint32_t userid = 0;
        flux::ConstMsgPtr req; /* job-exec.start: the events go back on it */
        flux::JsonPtr jobspec, R_json;
        flux::Rv1 R;
        Phase phase = Phase::prolog;
        flux::IdSet running;    /* ranks whose shell has not exited */
        flux::IdSet unreleased; /* ranks not yet given back */
        int epilogs = 0;        /* 1 while the epilog runs */
        bool epilog_done = false;
        flux::IdSet prolog_ranks; /* where the prolog runs (to signal it) */
        int max_code = 0;       /* largest shell exit code */
        bool finished = false;  /* finish sent */
        bool killed = false;    /* a kill came before the shells started */
        bool starting = false;  /* shells being started: the launch stays */
        flux::EventPtr expire;  /* R's expiration: the time limit */
        std::unique_ptr<std::pair<JobExec *, uint64_t>> expire_ctx;
        /* --signal=SIG@TIME (shell option "signal" {signum, timeleft}):
         * SIG to the tasks TIME before the expiration, once. */
        int warn_signal = 0;
        double warn_timeleft = 0;
        bool warned = false;
        flux::EventPtr warn;
    };
    void start(const flux_msg_t *msg);
    void kill(const flux_msg_t *msg);
    /* job-exec.expiration {id, expiration}: flux update moved the time
     * limit of a running job (0: none). */
    void expiration(const flux_msg_t *msg);
    /* (Re)arm L's time limit at L.R.expiration while its shells run. */
    void arm_expire(Launch &L);
    /* The site's prolog (before any shell; DONE gets an error to raise a
     * prolog exception) and epilog (after finish).  Without a configured
     * script: DONE at once, no event, no allocation. */
    void prolog(Launch &L, std::function<void(flux::Result<void>)> done);
    void epilog(Launch &L);
    /* One phase's scripts on RANKS (perilog.h); a rank whose script failed
     * is drained (with the reason) before EACH hears of it; ALL follows
     * the last EACH. */
    struct PhaseRun {
        PerilogPhase phase = PerilogPhase::prolog;
        uint64_t id = 0;
        double timeout = 0;
        int left = 0;
        int status = 0;      /* first non-zero exit code */
        std::string note;    /* first failure, "rank N: ..." */
        std::function<void(uint32_t rank, bool ok, bool last)> each;
        std::function<void(PhaseRun &)> all;
    };
    void run_phase(std::shared_ptr<PhaseRun> pr, const PerilogConfig &cfg, uint32_t userid,
                   const flux::IdSet &ranks, const std::string &job_ranks, json_t *R);
    void phase_rank_done(std::shared_ptr<PhaseRun> pr, uint32_t rank, const PerilogResult &res);
    void perilog_request(const flux_msg_t *msg);
    void housekeeping_request(const flux_msg_t *msg);
    const std::optional<PerilogConfig> &config_of(PerilogPhase p) const;
    void start_shells(Launch &L);
    /* OOM: the note of an oom exception (a task of the shell on RANK was
     * killed by the OOM killer in the job's cgroup), raised before the
     * rank counts as done. */
    void shell_exited(uint64_t id, uint32_t rank, int code, const std::string &error,
                      const std::string &oom = "");
    /* Ranks went offline: a job with a shell there gets a node-failure
     * exception (the job manager then kills its other shells), and the
     * lost shells count as killed. */
    void ranks_changed();
    void node_failure(uint64_t id, const flux::IdSet &lost);
    void rank_done(Launch &L, uint32_t rank);
    void finish_if_done(Launch &L);
    void respond_event(Launch &L, const char *type, json_t *data /* stolen */);
    /* Append NAME (CONTEXT stolen, may be null) to the job's exec eventlog,
     * job.<id>.guest.exec.eventlog: init, starting, complete, done here;
     * the leader shell adds shell.init and shell.start. */
    void exec_log(uint64_t id, const char *name, json_t *context = nullptr);
    void exception_event(Launch &L, const char *type, const std::string &note);
    void signal_ranks(Launch &L, int sig, bool escalate);
    const flux::Jobspec *shape_of(json_t *jobspec, std::string *error);
    void reap_orphans(); /* orphans.cpp */

    /* Every rank: this node's shell of a job. */
    using ShellDone = std::function<void(int code, const std::string &oom)>;
    struct Shell {
        pid_t pid = -1;
        ShellDone done;
        bool via_imp = false;      /* runs as another user: signals go through the IMP */
        bool cgroup = false; /* in a cgroup of its own */
        CgroupLimits limits;
        flux::EventPtr kill_timer; /* SIGKILL after the grace period */
        std::unique_ptr<std::pair<JobExec *, uint64_t>> kill_ctx;
    };
    /* Forks the owner's shells (launcher.h); started at the first. */
    std::unique_ptr<ShellLauncher> launcher_;
    mutable std::string builtin_shell_; /* shell_path() without conf.shell_path */
    bool launcher_wanted_ = false; /* attribute exec.shell-launcher, no conf.shell_path */
    void shell_request(const flux_msg_t *msg);
    void signal_request(const flux_msg_t *msg);
    /* Spawn the shell with INPUT (its stdin object, stolen), in the job's
     * cgroup when cgroups are on; DONE gets its exit code (128+N for
     * signal N) and, when the OOM killer killed a task in the job's
     * cgroup, the note of the oom exception; it is called once the
     * job's cgroup is empty and removed. */
    flux::Result<void> spawn_shell(uint64_t id, uint32_t userid, json_t *input, ShellDone done,
                                   const std::string &J = "");
    /* Job ID's shell is over: its cgroup's OOM count, stragglers killed,
     * directories removed (retried while a process is exiting), then
     * THEN. */
    void cgroup_end(uint64_t id, const CgroupLimits &limits, std::function<void(std::string)> then);
    struct CgroupRetry {
        uint64_t id = 0;
        int tries = 0;
        std::string oom;
        std::function<void(std::string)> then;
    };
    void cgroup_retry(std::shared_ptr<CgroupRetry> r);
    /* [exec] imp (imp.cpp): the signed jobspec of a job of USERID that must
     * start through the IMP (empty: none needed), or an error. */
    flux::Result<std::string> imp_J(uint64_t id, uint32_t userid);
    /* `IMP kill SIG -PGID` for a shell started through the IMP; WAIT: reap
     * it here (the broker is going away), else through watch_child. */
    void imp_kill(pid_t pgid, int sig, bool wait = false);
    json_t *shell_input(json_t *jobspec, json_t *R,
                        const char *cores, const char *gpus);
    void signal_local(uint64_t id, int sig, bool escalate);
    std::string shell_path() const;

    ServiceHost &broker_;
    std::map<uint64_t, std::unique_ptr<Launch>> launches_;
    std::map<uint64_t, Shell> shells_;
    /* The parsed jobspecs of the last few distinct (resources, tasks)
     * pairs: runs of one jobspec are parsed once for the layout. */
    struct KnownShape {
        flux::JsonPtr resources, tasks;
        flux::Jobspec js;
    };
    std::vector<KnownShape> shapes_;
    std::string site_plugins_; /* [shell] plugins, colon-separated */
    std::string imp_path_;     /* [exec] imp: the setuid launcher, or empty */
    /* [job-manager.prolog|epilog|housekeeping]; unset: nothing runs. */
    std::optional<PerilogConfig> prolog_cfg_, epilog_cfg_, housekeeping_cfg_;
    PerilogRunner perilog_{broker_};
    ShellRecords records_; /* for the next broker, should this one crash */
    /* [exec] cgroup: null when off or not usable (jobs run without). */
    std::unique_ptr<Cgroups> cgroups_;
};

} // namespace fluxd
