/* slurm_env.h - the environment a shim gives its job: --export applied to
 * the submitter's environment, then the SLURM_* variables known at
 * submission (SLURM_SUBMIT_DIR, SLURM_SUBMIT_HOST, SLURM_CLUSTER_NAME,
 * SLURM_JOB_PARTITION, SLURM_ARRAY_*).  The per-job and per-task ones
 * (SLURM_JOB_ID, SLURM_PROCID, ...) are set in the job by the shell plugin
 * slurm_env.so (slurm_env_plugin.cpp). */
#pragma once

#include <map>
#include <string>

#include "slurm_opts.h"

namespace slurm {

using Env = std::map<std::string, std::string>;

/* The environment for a job of O (ENVIRON-style input: the current one). */
Env job_environment(const Options &o);

/* The cluster name jobs see in SLURM_CLUSTER_NAME: $SLURM_COMPAT_CLUSTER or
 * "fluxd". */
std::string cluster_name();

/* Whether this process runs inside an allocation (a job of a shim or a
 * child instance): SLURM_JOB_ID is set. */
bool inside_allocation();

/* The shell plugin's path: beside the running program (build tree) or the
 * installed one. */
std::string env_plugin_path();

} // namespace slurm
