/* slurm_opts.h - the job options of sbatch, srun and salloc as Slurm 22.05
 * spells them, parsed into one struct; #SBATCH directives; --array,
 * --dependency, --export, --mem and output file patterns.
 *
 * Errors are returned as the text Slurm prints after "PROG: " (the caller
 * prints it and exits 1), so nothing is submitted on a bad option. */
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace slurm {

enum Program { SBATCH = 1, SRUN = 2, SALLOC = 4 };

struct Dependency {
    std::string type;              /* afterok afterany afternotok after singleton */
    std::vector<std::string> ids;  /* job ids as typed ("12", "12_3") */
};

struct ArraySpec {
    std::vector<int> indices;      /* in order, no duplicates */
    int throttle = 0;              /* %K: at most K at once, 0: no limit */
};

struct Options {
    Program prog = SBATCH;
    std::string job_name;
    int nodes = 0, nodes_max = 0;  /* -N MIN[-MAX], 0 unset */
    int ntasks = 0;                /* 0 unset */
    int ntasks_per_node = 0;
    int cpus_per_task = 0;
    int gpus = 0, gpus_per_task = 0, gpus_per_node = 0; /* --gpus, --gpus-per-task, --gres=gpu:N */
    int64_t time_limit = 0;        /* seconds; 0 unset, -1 unlimited */
    std::string partition, output, error, input, chdir, export_spec, constraint, open_mode;
    std::string wrap, mpi, array_text, dependency_text, begin_text;
    /* -w/--nodelist (hosts the job must include, in Slurm's compressed
     * form) and its host count; -x/--exclude (hosts it must not use). */
    std::string nodelist, exclude;
    int nodelist_count = 0;
    ArraySpec array;
    std::vector<Dependency> dependencies;
    bool dependency_any = false;   /* '?' separated: any one suffices */
    int64_t begin = 0;             /* epoch, 0 unset */
    int64_t mem_mb = 0, mem_per_cpu_mb = 0;
    bool parsable = false, wait = false, exclusive = false, hold = false, label = false;
    bool pty = false, quiet = false, help = false, usage = false, version = false;
    int verbose = 0;
    bool overlap = false;
    /* --signal=[{R|B}:]SIG[@TIME]: SIG (0 unset) TIME seconds before the
     * time limit; B: (sbatch) the batch script only, not its steps. */
    int signal = 0;
    int64_t signal_time = 60;
    bool signal_batch = false;
    std::vector<std::string> ignored; /* harmless options accepted and ignored */
};

/* Parse ARGV[0..ARGC) (ARGV[0] is not an option) for PROG, updating O
 * (so directives first, then the command line, makes the command line
 * win).  Stops at the first non-option (the script or command) and sets
 * *NEXT to its index.  Returns "" on success, else the error text. */
std::string parse_options(Options &o, int argc, char **argv, int *next);
std::string parse_options(Options &o, const std::vector<std::string> &args, size_t *next);

/* The #SBATCH directives of a script: each directive line's words (quotes
 * respected), up to the first line that is neither blank nor a comment. */
std::vector<std::string> script_directives(const std::string &script, const char *prefix = "#SBATCH");

/* Parsers of single option values (also unit tested): "" or the error. */
std::string parse_array(const std::string &s, ArraySpec &out);
std::string parse_dependency(const std::string &s, std::vector<Dependency> &out, bool &any);
std::string parse_memory(const std::string &s, int64_t &mb); /* "4G" -> 4096 */
std::string parse_nodes(const std::string &s, int &min, int &max);
std::string parse_signal_spec(const std::string &s, Program prog, Options &o);

/* --export: ALL (default), NONE, or names / NAME=value, optionally after
 * ALL/NONE.  *ALL: the submitter's environment is passed; VARS: names to
 * pass and NAME=value pairs to set. */
std::string parse_export(const std::string &s, bool &all, std::vector<std::string> &vars);

/* Expand an output file pattern: %j (job id) %x (name) %A (array job id)
 * %a (array index) %N (first node) %u (user) %n (node id 0) %t (task 0)
 * %s (step: "batch") %%; an optional zero-pad width between % and the
 * letter ("%4a").  Empty fields in FIELDS stay literal "%X". */
struct PatternFields {
    std::string jobid, name, array_jobid, array_index, node, user;
};
std::string expand_pattern(const std::string &pattern, const PatternFields &f);

/* Whether PATTERN uses %j (the id is only known after submission). */
bool pattern_needs_jobid(const std::string &pattern);

} // namespace slurm
