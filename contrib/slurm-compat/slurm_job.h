/* slurm_job.h - what the shims ask of a fluxd instance, on libflux's public
 * API (flux/job.h, flux/core.h): connect, list jobs with their Slurm view
 * (partition, array ids, time limit), node names, follow a job's output,
 * wait for it, and resolve job ids as Slurm users type them ("12", "12_3",
 * or any Flux form). */
#pragma once

#include <flux/core.h>
#include <flux/job.h>
#include <jansson.h>

#include <map>
#include <memory>
#include <functional>
#include <string>
#include <vector>

namespace slurm {

struct JsonDeleter {
    void operator()(json_t *o) const { json_decref(o); }
};
using Json = std::unique_ptr<json_t, JsonDeleter>;

/* The default partition's name, shown for jobs submitted without -p. */
extern const char *default_partition;

/* Connect to FLUX_URI's instance or exit 1 with "PROG: error: ...". */
flux_t *connect_or_die(const char *prog);
/* -p NAME where NAME is the shims' default partition name: the jobspec JS
 * gets queue NAME when the instance has a named queue of that name (a
 * site's "debug" queue), none otherwise (the anonymous queue). */
void partition_queue(flux_t *h, const std::string &partition, json_t *js);

/* Decimal form of a job id (what Slurm users type and see). */
std::string jobid_dec(flux_jobid_t id);

/* A job and what the shims show of it. */
struct JobInfo {
    json_t *job = nullptr;        /* flux_job_list() object (borrowed from List) */
    flux_jobid_t id = 0;
    std::string partition;        /* queue, or default_partition */
    std::string name, user;
    int64_t time_limit = 0;       /* seconds, 0 unlimited */
    flux_jobid_t array_job_id = 0; /* 0: not an array task */
    int array_task_id = -1;
    std::string nodelist;         /* running/finished: its nodes */
    bool batch = false;           /* submitted by sbatch */
    bool srun = false;            /* srun's own job (its step 0 is itself) */
    flux_jobid_t step_of = 0;     /* a step of that allocation (srun in srun) */
    std::string dependency;       /* as typed */
    std::string workdir;
    int64_t cpus_per_task = 1;    /* -c (squeue %c) */
    int64_t mem_mb = 0;           /* --mem (squeue %m), 0 if not given */

    /* "12" or "12_3" */
    std::string display_id() const;
};

struct Nodes {
    std::vector<std::string> hostname; /* by rank */
    std::vector<int> cores, gpus;      /* by rank */
    std::string online, drained;       /* idsets */
    std::map<int, std::string> drain_reason;
    std::map<std::string, std::string> properties; /* R's: name -> idset of ranks */
};

/* The instance's nodes (resource.list). */
Nodes nodes_query(flux_t *h, const char *prog);
/* Host names of the ranks of IDSET compressed Slurm style. */
std::string ranks_nodelist(const Nodes &nodes, const std::string &idset);
/* Ranks of an idset "0-2,5". */
std::vector<int> idset_ranks(const std::string &idset);

/* Jobs in STATES (FLUX_JOB_STATE_* mask), newest first, with their
 * jobspecs looked up when WITH_JOBSPEC (partition, array, limit). */
struct JobList {
    Json jobs; /* owns the job objects */
    std::vector<JobInfo> info;
};
JobList jobs_query(flux_t *h, const char *prog, int states, bool with_jobspec,
                   const Nodes *nodes);

/* Resolve a Slurm job id text to job ids: "12" (with its array tasks if 12
 * is an array's job id), "12_3", "12_[1-3]", F58...  false if malformed. */
bool resolve_jobid(const JobList &jobs, const std::string &text, std::vector<flux_jobid_t> &ids);

/* User name of UID ("uid N" if unknown). */
std::string user_name(uint32_t uid);

/* RAW (srun --pty on a terminal): the local terminal is in raw mode while
 * stdin is sent (restored at exit and on SIGTERM/SIGHUP/SIGQUIT), so the
 * job's pty echoes and turns ^C into SIGINT there. */
/* Follow job ID: print its output as it comes (LABEL: "RANK: " before each
 * line), wait for the end.  Returns Slurm's exit code (largest task exit
 * code; 128+N for signal N); *EXC gets a fatal exception's note.  With
 * STDIN_RANKS ("all" or an idset), this process's stdin is sent to those
 * tasks while the job runs (flux_job_input_create()). */
int job_follow(flux_t *h, flux_jobid_t id, bool output, bool label, std::string *exc,
               const char *stdin_ranks = nullptr, bool raw = false,
               std::function<void()> on_start = {});

/* fd 0 is open for reading and is not /dev/null: worth forwarding. */
bool stdin_forwardable();

/* srun and salloc live on through SIGUSR1/SIGUSR2 sent to their process
 * group (a batch job's --signal, scancel -s USR1 of the allocation): the
 * steps get them from the instance, as with Slurm's --signal. */
void keep_user_signals();

/* SIGINT/SIGTERM are held (blocked) from just before submit until
 * job_follow() has its handlers in place, which releases them: an
 * interrupt in between cancels the job instead of being lost. */
void hold_interrupts();
void release_interrupts();

/* Decode an RFC 24 output "data" entry context: stream, rank, bytes. */
bool output_decode(json_t *ctx, std::string &stream, std::string &rank, std::string &data);

} // namespace slurm
