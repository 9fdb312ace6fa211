/* slurm_steps.h - job steps: srun inside an allocation (sbatch, salloc,
 * or an srun job's own tasks) numbers its step 0, 1, 2... as Slurm does,
 * and records it when it starts and when it ends, so sacct lists N.0, N.1... under the
 * allocation N (doc/design/slurm-compat.md, "Steps").
 *
 * The records are lines of JSON appended (FLUX_KVS_APPEND) to
 * job.<N>.guest.slurm.steps in the instance that holds N: the parent of a
 * batch/salloc instance, or the instance itself for an srun job's tasks. */
#pragma once

#include <flux/core.h>
#include <flux/job.h>
#include <flux/kvs.h>
#include <jansson.h>

#include <string>
#include <vector>

namespace slurm {

/* Where the steps of the allocation this process runs in (SLURM_JOB_ID)
 * are numbered and recorded; valid() is false outside one. */
struct StepPlace {
    flux_jobid_t alloc = 0;
    bool in_child = false; /* h is the allocation's own instance */
    bool valid() const { return alloc != 0; }
};
StepPlace step_place(flux_t *h);

/* The instance a Slurm command means: inside a batch job or salloc (H is
 * the allocation's own instance), the enclosing one, where the job and
 * its step records are, as Slurm's commands inside a job see the
 * cluster; otherwise H.  H is closed when another handle is returned. */
flux_t *cluster_handle(flux_t *h);

/* The next step number of the allocation (0, 1, ...), unique among
 * concurrent sruns; -1 on error (errno set). */
int step_claim(flux_t *h, const StepPlace &p);

/* Append the record of step STEP (job ID of H) to the allocation's steps:
 * once when it starts (state RUNNING, no end) and once when it has
 * finished.  Best effort: false if it could not be written. */
bool step_record(flux_t *h, const StepPlace &p, int step, flux_jobid_t id);

/* One recorded step, as sacct shows it. */
struct StepRecord {
    int step = 0;
    std::string name, state, exitcode, nodelist;
    int64_t ntasks = 0, ncpus = 0, nnodes = 0;
    double start = 0, end = 0;
    /* The step's own job: its id, in the allocation's own instance
     * (inner: a batch or salloc instance, whose URI is job.<N>.guest.uri)
     * or beside the allocation (srun in srun); 0 in older records. */
    flux_jobid_t jobid = 0;
    bool inner = false;
};
/* Parse the text of job.<N>.guest.slurm.steps (lines of JSON); bad lines
 * are skipped.  Ordered by step number; a step recorded twice (start,
 * then end) appears once, as its last record says. */
std::vector<StepRecord> steps_parse(const char *text);
/* The JSON line of a record (without the newline). */
std::string step_line(const StepRecord &r);

/* Cancel (SIGNUM 0) or signal the running step STEP of allocation ALLOC
 * (RUNNING: the allocation is), H being the instance that holds it
 * (scancel N.S).  Step 0 of srun's own job (SRUN_JOB) is the job itself
 * (*WHOLE set: the caller acts on ALLOC).  Returns 0, or -1 with *ERR
 * Slurm's words for why not. */
int step_kill(flux_t *h, flux_jobid_t alloc, bool running, bool srun_job, int step, int signum,
              bool *whole, std::string *err);

} // namespace slurm
