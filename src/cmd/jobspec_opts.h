/* jobspec_opts.h - the job options shared by flux submit, run and
 * bulksubmit: -n -N -c -g -t, --env, --cwd, --setattr, ... */
#pragma once

#include <getopt.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "libflux/ptr.h"
#include "result/result.h"

namespace fluxcmd {

struct JobOptions {
    uint64_t ntasks = 1, nodes = 0, cores_per_task = 1, gpus_per_task = 0;
    uint64_t tasks_per_node = 0; /* --tasks-per-node, 0: not given */
    bool ntasks_set = false;
    double duration = 0;
    bool exclusive = false;
    std::string job_name, cwd, queue, output, error;
    std::string input;       /* --input=FILE: every task's stdin */
    std::string input_ranks; /* flux run --input=RANKS: who gets stdin */
    bool input_null = false; /* no stdin to forward: /dev/null unless -o input */
    int urgency = 16;
    int flags = 0; /* --flags: FLUX_JOB_DEBUG, FLUX_JOB_WAITABLE */
    std::vector<std::string> env_rules;  /* --env */
    std::vector<std::string> setattrs;   /* --setattr KEY=VAL */
    std::vector<std::string> setopts;    /* --setopt OPT[=VAL] */
    /* --dependency SCHEME:VALUE, --begin-time (RFC 26), in order. */
    std::vector<std::pair<std::string, std::string>> dependencies;
    /* --signal=SIG@TIME: SIG (0: not given) TIME seconds before the
     * time limit (shell option "signal", as Flux). */
    int signal = 0;
    double signal_timeleft = 60;
    std::vector<std::string> requires_; /* --requires (RFC 35), ANDed */
};

/* getopt_long table entries and handling for the shared options.  handle()
 * returns true if it consumed option C (dies with a message on a bad value). */
bool job_option_handle(JobOptions &o, int c, const char *arg);
extern const char *job_option_shortopts; /* "n:N:c:g:t:o:S:" */
extern const struct option job_option_longopts[]; /* ends with a null entry */
/* The long options of a job-submitting command: job_option_longopts, then
 * each of the null-terminated TABLES, then EXTRA, then the null entry. */
std::vector<struct option> job_command_longopts(std::initializer_list<const struct option *> tables,
                                                std::initializer_list<struct option> extra);
extern const char *job_option_help;
/* The option code of --urgency (for commands that take only it). */
int urgency_option();
/* The long name of shared option C ("ntasks"), or "" if C is not one. */
std::string job_option_name(int c);

/* A shared option as given, kept to be applied to each job after a
 * substitution (flux submit's {cc}, flux bulksubmit's fields). */
struct JobOptionArg {
    int code;
    std::string arg; /* "" for an option without a value */
};

/* Build the jobspec (JSON) for COMMAND with the options. */
flux::Result<flux::JsonPtr> job_options_jobspec(const JobOptions &o,
                                                const std::vector<std::string> &command);

/* A job id as the user sees it: F58 ("ƒ..." or "f..." without UTF-8). */
std::string jobid_str(uint64_t id);

} // namespace fluxcmd
