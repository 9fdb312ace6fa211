/* slurm_state.h - Flux job states (RFC 21) and results as Slurm's job
 * states: PD R CG CD F CA TO NF, short and long forms. */
#pragma once

#include <jansson.h>

#include <string>

namespace slurm {

struct State {
    const char *code; /* "PD" */
    const char *name; /* "PENDING" */
};

/* The Slurm state of a job object of flux_job_list() (state, success,
 * waitstatus, exception). */
State job_state(json_t *job);

/* Parse a --states/-t list item ("PD", "pending", "r", "all"): true and the
 * code in *CODE ("ALL" for all). */
bool parse_state_name(const std::string &s, std::string &code);

/* Slurm's exit code pair of a finished job: "0:0", "1:0", "0:9". */
std::string exit_code_pair(json_t *job);

} // namespace slurm
