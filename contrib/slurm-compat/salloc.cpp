/* salloc - get an allocation and run a command in it, as Slurm's salloc
 * (salloc(1) here).  The allocation is a job whose task is a one-broker
 * child instance; the command (default: $SHELL) is its initial program,
 * with SLURM_JOB_ID and FLUX_URI set so that srun in it runs steps on the
 * allocation.  The command's output is shown as it comes; its exit code
 * is salloc's.  Standard input is not forwarded (no --pty here). */
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "slurm_env.h"
#include "slurm_job.h"
#include "slurm_jobspec.h"
#include "slurm_opts.h"

using namespace slurm;

int main(int argc, char **argv)
{
    keep_user_signals();
    Options o;
    o.prog = SALLOC;
    int next = 0;
    std::string err = parse_options(o, argc, argv, &next);
    if (!err.empty()) {
        fprintf(stderr, "salloc: %s\n", err.c_str());
        return 1;
    }
    if (o.help || o.usage) {
        printf("Usage: salloc [OPTIONS...] [command [args...]]\n"
               "(see salloc(1) for the supported options)\n");
        return 0;
    }
    if (o.version) {
        printf("slurm 22.05 (fluxd shim)\n");
        return 0;
    }
    std::vector<std::string> inner;
    if (next < argc)
        inner.assign(argv + next, argv + argc);
    else
        inner.push_back(getenv("SHELL") ? getenv("SHELL") : "/bin/sh");
    std::vector<std::string> command = batch_command(inner);
    if (o.job_name.empty())
        o.job_name = next < argc ? argv[next] : "interactive";
    JobspecExtra x;
    x.batch = true;
    Env env = job_environment(o);
    Json js;
    err = build_jobspec(o, command, env, x, js);
    if (!err.empty()) {
        fprintf(stderr, "salloc: %s\n", err.c_str());
        return 1;
    }
    flux_t *h = connect_or_die("salloc");
    partition_queue(h, o.partition, js.get());
    char *text = json_dumps(js.get(), JSON_COMPACT);
    flux_future_t *f = flux_job_submit(h, text, o.hold ? 0 : FLUX_JOB_URGENCY_DEFAULT, 0);
    free(text);
    flux_jobid_t id;
    if (!f || flux_job_submit_get_id(f, &id) < 0) {
        fprintf(stderr, "salloc: error: Job submit/allocate failed: %s\n",
                f ? flux_future_error_string(f) : strerror(errno));
        return 1;
    }
    flux_future_destroy(f);
    if (!o.quiet)
        fprintf(stderr, "salloc: Granted job allocation %s\n", jobid_dec(id).c_str());
    std::string exc;
    int rc = job_follow(h, id, true, false, &exc);
    if (!exc.empty())
        fprintf(stderr, "salloc: error: %s\n", exc.c_str());
    if (!o.quiet)
        fprintf(stderr, "salloc: Relinquishing job allocation %s\n", jobid_dec(id).c_str());
    flux_close(h);
    return rc;
}
