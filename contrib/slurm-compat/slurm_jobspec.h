/* slurm_jobspec.h - a jobspec (RFC 14/25 version 1, JSON) from Slurm
 * options: -n/-N/--ntasks-per-node/-c/GPUs as node > slot > core/gpu,
 * -t as the duration, -p as the queue, -C as RFC 31 constraints, -d and
 * --begin as RFC 26 dependencies, -o/-e as the output shell options, and
 * the Slurm view kept in attributes.system.slurm for squeue and sacct. */
#pragma once

#include <string>
#include <vector>

#include "slurm_env.h"
#include "slurm_job.h"
#include "slurm_opts.h"

namespace slurm {

struct JobspecExtra {
    bool batch = false;          /* sbatch/salloc: the job is an instance */
    int array_task_id = -1;      /* an array task: its index */
    std::string array_job_id;    /* decimal, "" for the first task (itself) */
    int array_count = 0, array_min = 0, array_max = 0, array_step = 0;
    std::string step_of;         /* srun inside an allocation: the job's id */
    std::string within;          /* hostlist the job must stay inside (a step
                                  * beside its allocation: srun in srun) */
    int step_id = -1;            /* its step number (slurm_steps.h), -1: none */
    bool srun = false;           /* srun's own job (not a step of another) */
    std::vector<std::string> dependency_ids; /* -d ids resolved to Flux ids (decimal) */
    std::string output, error;   /* patterns already expanded but %j */
    std::string input_file;      /* -i FILE (expanded) or /dev/null: every task's stdin */
    std::string input_ranks;     /* -i N: only task N gets srun's stdin */
    bool pty = false;            /* srun --pty: task 0 on a pseudo-terminal */
    int pty_rows = 0, pty_cols = 0;
};

/* Build the jobspec; "" and the JSON in *OUT, or the error text. */
std::string build_jobspec(const Options &o, const std::vector<std::string> &command,
                          const Env &env, const JobspecExtra &x, Json &out);

/* The command of an allocation (sbatch, salloc): a one-broker child
 * instance (flux start) running INNER as its initial program, on the first
 * node; on more nodes the other tasks wait for it. */
/* SIGNAL_FORWARD: the child's broker.signal-forward ("" default: jobs
 * and script; "jobs": sbatch --signal; "script": sbatch --signal=B:). */
std::vector<std::string> batch_command(const std::vector<std::string> &inner,
                                       const std::string &signal_forward = "");

/* The flux command on PATH (absolute), or "flux". */
std::string find_flux();

/* Tasks and nodes O asks for (Slurm's defaults applied). */
int options_ntasks(const Options &o);

} // namespace slurm
