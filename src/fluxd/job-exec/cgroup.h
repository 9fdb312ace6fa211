/* cgroup.h - a cgroup per job for job-exec: the job's shell and tasks on
 * this node in one cgroup, with limits from R and the jobspec, an OOM kill
 * noticed, stragglers killed and the directories removed at job end.
 *
 * Layout (doc/design/cgroups.md):
 *   v1 (no /sys/fs/cgroup/cgroup.controllers): for each controller used
 *       (memory, cpuset, pids, freezer) MOUNT/fluxd-BROKERPID/job-ID
 *   v2: OWN/fluxd-BROKERPID/job-ID, OWN being the broker's own cgroup,
 *       with memory, cpuset and pids enabled in the subtree_control of
 *       OWN (when the kernel allows it) and of fluxd-BROKERPID.
 * ID is the job id in decimal.  The broker's directory is made when the
 * broker starts and removed when it ends; directories left by a broker
 * that died (its pid no longer runs) are emptied and removed then too.
 *
 * Config: [exec] cgroup = true | false | "auto" (the attribute
 * conf.exec.cgroup).  Shell options read from the jobspec:
 * cgroup.memory (a size: 64M, 1G, bytes) and cgroup.pids (a count).
 */
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

#include <jansson.h>

#include "result/result.h"

namespace fluxd {

/* What a job's cgroup is given on one node. */
struct CgroupLimits {
    std::string cpus;    /* cpuset.cpus (OS CPU numbers); empty: the parent's */
    uint64_t memory = 0; /* bytes; 0: no limit */
    uint64_t pids = 0;   /* 0: no limit */
};

/* "1048576", "64k", "64K", "32M", "32MB", "2G", "2GiB", "1T" (powers of
 * 1024) -> bytes.  Errors name the text. */
flux::Result<uint64_t> cgroup_parse_size(const std::string &text);

/* Limits for a job whose shell gets CPUS (NCPUS of them) on this node,
 * from the jobspec's attributes.system.shell.options.cgroup {memory,
 * memory-per-cpu (times NCPUS, at least 1; with memory, the smaller),
 * pids}.  Errors name the option ("cgroup.memory: ..."). */
flux::Result<CgroupLimits> cgroup_limits(json_t *jobspec, const std::string &cpus,
                                         size_t ncpus = 0);

/* The memory the scheduler gave the job on broker RANK: the sum of the
 * memory vertices of R's scheduling graph (JGF, as sched-graph writes it:
 * metadata {type: "memory", rank, size, unit}) on that rank, in bytes; 0
 * when R schedules no memory there. */
uint64_t cgroup_memory_from_R(json_t *R, uint32_t rank);

/* The size in the units a person reads ("32M", "1.5G", "100 bytes"). */
std::string cgroup_size_text(uint64_t bytes);

/* "oom_kill N" from a memory.oom_control (v1) or memory.events (v2) text;
 * 0 when absent. */
uint64_t cgroup_oom_kills(const std::string &text);

/* The directory of job ID under the broker's directory PARENT. */
std::string cgroup_job_dir(const std::string &parent, uint64_t id);

class Cgroups {
  public:
    enum class Mode { off, on, automatic };
    /* "true"/"false"/"auto" (also "on"/"off"/"1"/"0"; empty: off). */
    static flux::Result<Mode> parse_mode(const std::string &text);

    using Logger = std::function<void(int level, const std::string &text)>;
    /* Set up the broker's directories under ROOT (normally /sys/fs/cgroup)
     * for a broker whose pid is PID.  Null (after a log line saying why)
     * when MODE is off or cgroups cannot be used here: jobs then run
     * without them. */
    static std::unique_ptr<Cgroups> create(Mode mode, const std::string &root, pid_t pid,
                                           Logger log);
    ~Cgroups(); /* removes the broker's directories (after killing what is left) */
    Cgroups(const Cgroups &) = delete;
    Cgroups &operator=(const Cgroups &) = delete;

    bool v2() const { return v2_; }
    /* The broker's directory in each hierarchy used. */
    const std::vector<std::string> &parents() const { return parents_; }

    /* Make job ID's directories and write LIMITS.  An error leaves
     * nothing behind. */
    flux::Result<void> create_job(uint64_t id, const CgroupLimits &limits);
    /* Put PID (the job's shell, before it reads its input, so before it
     * forks any task) into job ID's cgroup. */
    flux::Result<void> attach(uint64_t id, pid_t pid);
    /* Tasks of job ID the OOM killer killed so far. */
    uint64_t oom_kills(uint64_t id) const;
    /* Kill what still runs in job ID's cgroup and remove its directories.
     * True once they are gone; false while a process is still exiting
     * (call again a little later). */
    bool remove_job(uint64_t id);

  private:
    Cgroups() = default;
    std::vector<std::string> job_dirs(uint64_t id) const;
    std::string memory_dir(uint64_t id) const;
    std::string freezer_dir(uint64_t id) const;
    void kill_all(const std::string &dir) const;
    static void sweep(const std::string &dir, Logger &log);

    bool v2_ = false;
    bool have_cgroup_kill_ = false;
    std::vector<std::string> parents_;   /* one per hierarchy (v2: one) */
    std::vector<std::string> ctl_names_; /* v1: the controller of each parent */
    std::string cpus_, mems_;            /* the parent cpuset's */
    Logger log_;
};

} // namespace fluxd
