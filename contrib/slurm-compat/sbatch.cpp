/* sbatch - submit a batch script as Slurm's sbatch (sbatch(1) here).
 *
 * Options come from the command line and the script's #SBATCH directives
 * (up to the first command; the command line wins).  The script runs as
 * the initial program of a child fluxd instance started on the job's
 * allocation, so srun inside it runs steps there (see
 * doc/design/slurm-compat.md for the launch and its limits).  Arrays are
 * one job per index (SLURM_ARRAY_*; "%K" throttles through afterany
 * dependencies), -d maps to RFC 26 dependencies, -o/-e patterns to the
 * shell's output files.  Prints "Submitted batch job N" (--parsable: N);
 * --wait waits and exits with the job's exit code. */
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "slurm_env.h"
#include "slurm_job.h"
#include "slurm_steps.h"
#include "slurm_jobspec.h"
#include "slurm_opts.h"

using namespace slurm;

namespace {

/* The launcher the job runs: a one-broker child instance whose initial
 * program writes the script (passed in SLURM_COMPAT_SCRIPT) to a private
 * file and runs it with its arguments. */
const char *launcher =
    /* It waits for the script: a USR1/USR2 for the script (--signal=B:)
     * must not end it (a trapped signal is default again in the script;
     * one ignored on entry, --signal without B:, stays ignored). */
    "trap : USR1 USR2; "
    "d=$(mktemp -d \"${TMPDIR:-/tmp}/sbatch.XXXXXX\") || exit 1; "
    /* The private copy goes however the job ends short of SIGKILL: a
     * cancel's TERM (the script gets it too) or the instance's HUP run
     * these once the script has ended. */
    "trap 'rm -rf \"$d\"' EXIT; trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM; "
    "printf '%s' \"$SLURM_COMPAT_SCRIPT\" >\"$d/script\" && chmod 700 \"$d/script\" || exit 1; "
    "unset SLURM_COMPAT_SCRIPT; "
    "\"$d/script\" \"$@\"; rc=$?; rm -rf \"$d\"; exit $rc";

int fail(const std::string &msg)
{
    fprintf(stderr, "sbatch: %s\n", msg.c_str());
    return 1;
}

} // namespace

int main(int argc, char **argv)
{
    /* First the command line, to find the script; then directives, then
     * the command line again so that it wins. */
    Options cl;
    cl.prog = SBATCH;
    int next = 0;
    std::string err = parse_options(cl, argc, argv, &next);
    if (!err.empty())
        return fail(err);
    if (cl.help || cl.usage) {
        printf("Usage: sbatch [OPTIONS(0)...] [ : [OPTIONS(N)...]] script(0) [args(0)...]\n"
               "(see sbatch(1) for the supported options)\n");
        return 0;
    }
    if (cl.version) {
        printf("slurm 22.05 (fluxd shim)\n");
        return 0;
    }
    std::string script, script_name = "sbatch";
    std::vector<std::string> script_args;
    if (!cl.wrap.empty()) {
        if (next < argc)
            return fail("error: script arguments not permitted with --wrap option");
        script = "#!/bin/sh\n# This script was created by sbatch --wrap.\n\n" + cl.wrap + "\n";
        script_name = "wrap";
    }
    else {
        std::stringstream ss;
        if (next < argc) {
            std::ifstream in(argv[next]);
            if (!in)
                return fail(std::string("error: Unable to open file ") + argv[next]);
            ss << in.rdbuf();
            std::string base = argv[next];
            script_name = base.substr(base.rfind('/') == std::string::npos ? 0
                                                                           : base.rfind('/') + 1);
            script_args.assign(argv + next + 1, argv + argc);
        }
        else {
            ss << std::cin.rdbuf();
        }
        script = ss.str();
    }
    if (script.rfind("#!", 0) != 0)
        return fail("error: This does not look like a batch script.  The first\n"
                    "sbatch: error: line must start with #! followed by the path to an "
                    "interpreter.\nsbatch: error: For instance: #!/bin/sh");
    Options o;
    o.prog = SBATCH;
    std::vector<std::string> dirs = script_directives(script);
    size_t dnext = 0;
    err = parse_options(o, dirs, &dnext);
    if (!err.empty())
        return fail(err);
    if (dnext < dirs.size())
        return fail("error: Invalid directive: #SBATCH " + dirs[dnext]);
    err = parse_options(o, argc, argv, &next);
    if (!err.empty())
        return fail(err);
    if (o.job_name.empty())
        o.job_name = script_name;
    if (o.time_limit == 0) {
        /* No -t: the partition's limit (unlimited here). */
    }

    flux_t *h = cluster_handle(connect_or_die("sbatch"));
    /* Dependencies name Slurm ids: "12" (with its array tasks), "12_3". */
    JobspecExtra x;
    x.batch = true;
    /* The script reads -i FILE, else /dev/null (nobody attaches to it). */
    x.input_file = o.input.empty() ? "/dev/null" : o.input;
    if (!o.dependencies.empty()) {
        bool needs_list = false;
        for (const auto &d : o.dependencies)
            for (const auto &id : d.ids)
                needs_list = needs_list || !id.empty();
        if (needs_list) {
            JobList list = jobs_query(h, "sbatch", FLUX_JOB_STATE_ALL, true, nullptr);
            std::vector<Dependency> expanded;
            for (auto d : o.dependencies) {
                std::vector<std::string> ids;
                for (const auto &id : d.ids) {
                    std::vector<flux_jobid_t> r;
                    if (!resolve_jobid(list, id, r) || r.empty())
                        return fail("error: Batch job submission failed: Job dependency problem");
                    for (auto v : r)
                        ids.push_back(jobid_dec(v));
                }
                d.ids = ids;
                expanded.push_back(d);
            }
            o.dependencies = expanded;
        }
    }
    std::string user;
    if (struct passwd *pw = getpwuid(getuid()))
        user = pw->pw_name;
    bool is_array = !o.array.indices.empty();
    std::string out = o.output, errf = o.error;
    if (out.empty())
        out = is_array ? "slurm-%A_%a.out" : "slurm-%j.out";
    Env env = job_environment(o);
    env["SLURM_COMPAT_SCRIPT"] = script;
    /* Slurm's --signal reaches the steps, not the batch script (which
     * B: alone reaches). */
    std::string forward = o.signal == 0 ? "" : o.signal_batch ? "script" : "jobs";
    std::vector<std::string> command =
        batch_command({"/bin/sh", "-c", launcher, script_name}, forward);
    command.insert(command.end(), script_args.begin(), script_args.end());

    std::vector<int> indices = is_array ? o.array.indices : std::vector<int>{-1};
    std::vector<flux_jobid_t> ids;
    std::string array_job_id;
    int amin = 0, amax = 0;
    if (is_array) {
        amin = amax = indices[0];
        for (int i : indices) {
            amin = std::min(amin, i);
            amax = std::max(amax, i);
        }
    }
    for (size_t k = 0; k < indices.size(); k++) {
        Options oo = o;
        JobspecExtra xx = x;
        Env ee = env;
        PatternFields pf;
        pf.jobid = "{{id.dec}}";
        pf.name = o.job_name;
        pf.user = user;
        if (is_array) {
            xx.array_task_id = indices[k];
            xx.array_job_id = array_job_id;
            pf.array_jobid = array_job_id.empty() ? "{{id.dec}}" : array_job_id;
            pf.array_index = std::to_string(indices[k]);
            ee["SLURM_ARRAY_TASK_ID"] = std::to_string(indices[k]);
            ee["SLURM_ARRAY_TASK_COUNT"] = std::to_string(indices.size());
            ee["SLURM_ARRAY_TASK_MIN"] = std::to_string(amin);
            ee["SLURM_ARRAY_TASK_MAX"] = std::to_string(amax);
            int step = indices.size() > 1 ? indices[1] - indices[0] : 1;
            for (size_t i = 2; i < indices.size(); i++)
                if (indices[i] - indices[i - 1] != step)
                    step = 1;
            ee["SLURM_ARRAY_TASK_STEP"] = std::to_string(step > 0 ? step : 1);
            if (!array_job_id.empty())
                ee["SLURM_ARRAY_JOB_ID"] = array_job_id;
            /* %K: task k starts after task k-K ends (K lanes). */
            if (o.array.throttle > 0 && k >= (size_t)o.array.throttle) {
                Dependency d;
                d.type = "afterany";
                d.ids.push_back(jobid_dec(ids[k - o.array.throttle]));
                oo.dependencies.push_back(d);
            }
        }
        else {
            pf.array_jobid = "{{id.dec}}";
        }
        /* %N: the node the script runs on (the job's first), named by
         * the shell that opens the file. */
        pf.node = "{{node.name}}";
        xx.output = expand_pattern(out, pf);
        xx.error = errf.empty() ? "" : expand_pattern(errf, pf);
        Json js;
        err = build_jobspec(oo, command, ee, xx, js);
        if (!err.empty())
            return fail(err);
        partition_queue(h, oo.partition, js.get());
        char *text = json_dumps(js.get(), JSON_COMPACT);
        flux_future_t *f = flux_job_submit(h, text, o.hold ? 0 : FLUX_JOB_URGENCY_DEFAULT, 0);
        free(text);
        flux_jobid_t id;
        if (!f || flux_job_submit_get_id(f, &id) < 0) {
            std::string why = f ? flux_future_error_string(f) : strerror(errno);
            if (ids.empty())
                return fail("error: Batch job submission failed: " + why);
            fprintf(stderr, "sbatch: error: array task %d: %s\n", indices[k], why.c_str());
            break;
        }
        flux_future_destroy(f);
        ids.push_back(id);
        if (is_array && array_job_id.empty())
            array_job_id = jobid_dec(id);
    }
    std::string shown = jobid_dec(ids[0]);
    if (o.parsable)
        printf("%s\n", shown.c_str());
    else
        printf("Submitted batch job %s\n", shown.c_str());
    fflush(stdout);
    int rc = 0;
    if (o.wait) {
        for (flux_jobid_t id : ids) {
            std::string exc;
            int r = job_follow(h, id, false, false, &exc);
            if (r > rc)
                rc = r;
            if (!exc.empty() && r == 1 && !o.quiet)
                fprintf(stderr, "sbatch: error: job %s: %s\n", jobid_dec(id).c_str(), exc.c_str());
        }
    }
    flux_close(h);
    return rc;
}
