/* srun - run a parallel job as Slurm's srun (srun(1) here).  Outside an
 * allocation it creates a job in the instance of FLUX_URI; inside one
 * (SLURM_JOB_ID set: a batch script or salloc's command, whose FLUX_URI
 * is the allocation's own instance) it runs a step there, taking the
 * allocation's task count by default.  Output is shown as it comes (-l:
 * "RANK: " labels); stdin goes to every task unless -i says otherwise
 * (none, a task id, a file); the exit code is Slurm's: the largest task
 * exit code, 128+N for signal N. */
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "slurm_env.h"
#include "slurm_job.h"
#include "slurm_jobspec.h"
#include "slurm_opts.h"
#include "slurm_steps.h"

using namespace slurm;

namespace {

int env_int(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : 0;
}

} // namespace

int main(int argc, char **argv)
{
    keep_user_signals();
    Options o;
    o.prog = SRUN;
    int next = 0;
    std::string err = parse_options(o, argc, argv, &next);
    if (!err.empty()) {
        fprintf(stderr, "srun: %s\n", err.c_str());
        return 1;
    }
    if (o.help || o.usage) {
        printf("Usage: srun [-n ntasks] [-N nodes] [-c cpus] [-t time] [-l] [--mpi=pmix|pmi2|none]"
               " executable [args...]\n(see srun(1) for the supported options)\n");
        return 0;
    }
    if (o.version) {
        printf("slurm 22.05 (fluxd shim)\n");
        return 0;
    }
    if (o.mpi == "list") {
        printf("MPI plugin types are...\n\tnone\n\tpmi2\n\tpmix\n");
        return 0;
    }
    if (next >= argc) {
        fprintf(stderr, "srun: fatal: No command given to execute.\n");
        return 1;
    }
    std::vector<std::string> command(argv + next, argv + argc);
    JobspecExtra x;
    if (inside_allocation()) {
        /* A step: the allocation's shape unless asked otherwise. */
        x.step_of = getenv("SLURM_JOB_ID");
        if (o.ntasks == 0 && o.nodes == 0 && o.ntasks_per_node == 0) {
            int n = env_int("SLURM_NTASKS");
            if (n > 0)
                o.ntasks = n;
        }
        if (o.cpus_per_task == 0 && env_int("SLURM_CPUS_PER_TASK") > 0)
            o.cpus_per_task = env_int("SLURM_CPUS_PER_TASK");
        /* SLURM_JOB_NAME is the allocation's: a step is named after its
         * command unless -J (srun(1), as Slurm). */
        if (o.partition.empty())
            if (const char *p = getenv("SLURM_JOB_PARTITION"))
                o.partition = p;
    }
    /* --pty: task 0 runs on a pseudo-terminal (flux-shell -o pty) that
     * gets srun's stdin; srun's terminal, if it has one, is relayed raw. */
    if (o.pty) {
        x.pty = true;
        struct winsize ws;
        if (isatty(STDIN_FILENO) && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
            x.pty_rows = ws.ws_row;
            x.pty_cols = ws.ws_col;
        }
        if (o.input.empty())
            o.input = "0";
    }
    Env env = job_environment(o);
    /* %x: the job's name (a step's is the allocation's). */
    std::string xname = o.job_name;
    if (xname.empty() && !x.step_of.empty() && getenv("SLURM_JOB_NAME"))
        xname = getenv("SLURM_JOB_NAME");
    if (!o.output.empty()) {
        PatternFields pf;
        pf.jobid = "{{id.dec}}";
        pf.name = xname;
        pf.node = "{{node.name}}"; /* %N: a file per node, as srun(1) */
        pf.user = getenv("USER") ? getenv("USER") : "";
        x.output = expand_pattern(o.output, pf);
    }
    if (!o.error.empty()) {
        PatternFields pf;
        pf.jobid = "{{id.dec}}";
        pf.name = xname;
        pf.node = "{{node.name}}";
        x.error = expand_pattern(o.error, pf);
    }
    /* -i/--input (srun(1) IO Redirection): all (the default) sends srun's
     * stdin to every task, none gives them /dev/null, a task id sends it
     * to that task only (the others: /dev/null), anything else is a file
     * every task reads.  With stdin /dev/null or closed nothing is sent. */
    std::string stdin_ranks = "all";
    bool forward = false;
    if (o.input == "none")
        x.input_file = "/dev/null";
    else if (!o.input.empty() && o.input != "all"
             && o.input.find_first_not_of("0123456789") != std::string::npos) {
        PatternFields pf;
        pf.jobid = "{{id.dec}}";
        pf.name = xname;
        pf.user = getenv("USER") ? getenv("USER") : "";
        x.input_file = expand_pattern(o.input, pf);
    }
    else if (!stdin_forwardable())
        x.input_file = "/dev/null";
    else {
        forward = true;
        if (!o.input.empty() && o.input != "all") {
            stdin_ranks = std::to_string(atoi(o.input.c_str()));
            x.input_ranks = stdin_ranks;
        }
    }
    flux_t *h = connect_or_die("srun");
    /* A step of an allocation gets the allocation's next step number;
     * srun's own job is step 0 of itself. */
    StepPlace place;
    if (!x.step_of.empty()) {
        place = step_place(h);
        if (place.valid() && (x.step_id = step_claim(h, place)) < 0)
            fprintf(stderr, "srun: warning: cannot number this step: %s\n", strerror(errno));
        /* Beside its allocation (srun in srun's tasks), a step stays on
         * the allocation's nodes, as Slurm's steps do; in a batch or
         * salloc instance those are all the nodes there are. */
        const char *nl = getenv("SLURM_JOB_NODELIST");
        if (place.valid() && !place.in_child && nl && *nl)
            x.within = nl;
    }
    else
        x.srun = true;
    Json js;
    err = build_jobspec(o, command, env, x, js);
    if (!err.empty()) {
        fprintf(stderr, "srun: %s\n", err.c_str());
        return 1;
    }
    partition_queue(h, o.partition, js.get());
    char *text = json_dumps(js.get(), JSON_COMPACT);
    /* An interrupt from here on cancels the job: held until job_follow()
     * can act on it. */
    hold_interrupts();
    flux_future_t *f = flux_job_submit(h, text, FLUX_JOB_URGENCY_DEFAULT, 0);
    free(text);
    flux_jobid_t id;
    if (!f || flux_job_submit_get_id(f, &id) < 0) {
        fprintf(stderr, "srun: error: Unable to allocate resources: %s\n",
                f ? flux_future_error_string(f) : strerror(errno));
        return 1;
    }
    flux_future_destroy(f);
    if (o.verbose)
        fprintf(stderr, "srun: jobid %s: submitted\n", jobid_dec(id).c_str());
    std::string exc;
    /* sacct shows a running step (N.S RUNNING) from its start. */
    auto record_start = [&]() {
        if (x.step_id >= 0)
            (void)step_record(h, place, x.step_id, id);
    };
    int rc = job_follow(h, id, true, o.label, &exc, forward ? stdin_ranks.c_str() : nullptr,
                        o.pty, record_start);
    if (!exc.empty())
        fprintf(stderr, "srun: error: %s: %s\n", jobid_dec(id).c_str(), exc.c_str());
    else if (rc > 128)
        fprintf(stderr, "srun: error: job %s: task(s) killed by signal %d\n", jobid_dec(id).c_str(),
                rc - 128);
    else if (rc != 0)
        fprintf(stderr, "srun: error: job %s: task(s) exited with exit code %d\n",
                jobid_dec(id).c_str(), rc);
    /* For sacct's N.S rows (best effort: a step that ran is not failed
     * for want of its record). */
    if (x.step_id >= 0 && !step_record(h, place, x.step_id, id))
        fprintf(stderr, "srun: warning: step %s.%d: no accounting record: %s\n",
                x.step_of.c_str(), x.step_id, strerror(errno));
    flux_close(h);
    return rc;
}
