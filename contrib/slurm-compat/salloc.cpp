/* salloc - get an allocation and run a command in it, as Slurm's salloc
 * (salloc(1) here).  The allocation is a job whose task is a child
 * instance (a broker per node).  With a command, the command is that
 * instance's initial program, with SLURM_JOB_ID and FLUX_URI set so that
 * srun in it runs steps on the allocation; its output is shown as it
 * comes and salloc's stdin is forwarded to it; its exit code is salloc's.
 * Without one, as Slurm, salloc waits until the allocation's instance is
 * up, prints "Granted job allocation N", runs $SHELL here, on this
 * terminal, with the allocation's SLURM_* variables and the child
 * instance's FLUX_URI, and cancels the allocation when the shell exits. */
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "slurm_env.h"
#include "slurm_job.h"
#include "slurm_steps.h"
#include "slurm_jobspec.h"
#include "slurm_opts.h"

using namespace slurm;

namespace {

/* Wait until job ID's instance has recorded its URI (guest.uri); "" if the
 * job ended first. */
std::string wait_instance_uri(flux_t *h, flux_jobid_t id)
{
    useconds_t delay = 2000;
    for (;;) {
        flux_future_t *f = flux_job_lookup(h, id, "guest.uri");
        const char *uri = nullptr;
        std::string out;
        if (f && flux_job_lookup_get_unpack(f, "s", &uri) == 0 && uri)
            out = uri;
        flux_future_destroy(f);
        if (!out.empty())
            return out;
        f = flux_job_lookup(h, id, "eventlog");
        const char *log = nullptr;
        bool ended = f && flux_job_lookup_get_unpack(f, "s", &log) == 0 && log
                     && (strstr(log, "\"name\":\"finish\"") || strstr(log, "\"name\":\"clean\""));
        flux_future_destroy(f);
        if (ended)
            return "";
        usleep(delay);
        delay = std::min<useconds_t>(delay * 2, 100000);
    }
}

/* Run $SHELL here in allocation ID (instance URI), as Slurm's salloc with
 * no command; its exit code. */
int run_local_shell(flux_t *h, const Options &o, flux_jobid_t id, const std::string &uri)
{
    Env env = job_environment(o);
    for (const auto &[k, v] : env)
        if (k.rfind("SLURM_", 0) == 0)
            setenv(k.c_str(), v.c_str(), 1);
    std::string jid = jobid_dec(id);
    setenv("SLURM_JOB_ID", jid.c_str(), 1);
    setenv("SLURM_JOBID", jid.c_str(), 1);
    setenv("SLURM_JOB_NAME", o.job_name.c_str(), 1);
    setenv("SLURM_CLUSTER_NAME", cluster_name().c_str(), 1);
    if (o.cpus_per_task > 0)
        setenv("SLURM_CPUS_PER_TASK", std::to_string(o.cpus_per_task).c_str(), 1);
    flux_future_t *f = flux_job_list_ids(h, &id, 1, "[\"nnodes\",\"ntasks\",\"nodelist\"]");
    json_t *jobs = nullptr;
    if (f && flux_job_list_get(f, &jobs) == 0 && json_array_size(jobs) == 1) {
        int nnodes = 0, ntasks = 0;
        const char *nodelist = nullptr;
        json_unpack(json_array_get(jobs, 0), "{s?i s?i s?s}", "nnodes", &nnodes, "ntasks",
                    &ntasks, "nodelist", &nodelist);
        if (nnodes > 0) {
            setenv("SLURM_NNODES", std::to_string(nnodes).c_str(), 1);
            setenv("SLURM_JOB_NUM_NODES", std::to_string(nnodes).c_str(), 1);
        }
        if (ntasks > 0 && o.ntasks > 0) {
            setenv("SLURM_NTASKS", std::to_string(ntasks).c_str(), 1);
            setenv("SLURM_NPROCS", std::to_string(ntasks).c_str(), 1);
        }
        if (nodelist && *nodelist) {
            setenv("SLURM_JOB_NODELIST", nodelist, 1);
            setenv("SLURM_NODELIST", nodelist, 1);
        }
    }
    flux_future_destroy(f);
    setenv("FLUX_URI", uri.c_str(), 1);
    const char *sh = getenv("SHELL");
    if (!sh || !*sh)
        sh = "/bin/sh";
    /* The shell owns the terminal's signals; salloc waits for it. */
    struct sigaction ign = {}, old_int, old_quit;
    ign.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    pid_t pid = fork();
    if (pid == 0) {
        sigaction(SIGINT, &old_int, nullptr);
        sigaction(SIGQUIT, &old_quit, nullptr);
        execlp(sh, sh, (char *)nullptr);
        fprintf(stderr, "salloc: error: %s: %s\n", sh, strerror(errno));
        _exit(127);
    }
    int status = 0, rc = 1;
    if (pid < 0)
        fprintf(stderr, "salloc: error: fork: %s\n", strerror(errno));
    else {
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        rc = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    }
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGQUIT, &old_quit, nullptr);
    return rc;
}

} // namespace

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
    bool local_shell = next >= argc;
    if (!local_shell)
        inner.assign(argv + next, argv + argc);
    /* No command: the instance runs until cancelled; $SHELL runs here. */
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
    flux_t *h = cluster_handle(connect_or_die("salloc"));
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
    if (local_shell) {
        std::string uri = wait_instance_uri(h, id);
        if (uri.empty()) {
            std::string exc;
            job_follow(h, id, true, false, &exc);
            fprintf(stderr, "salloc: error: job %s ended before its allocation was ready%s%s\n",
                    jobid_dec(id).c_str(), exc.empty() ? "" : ": ", exc.c_str());
            flux_close(h);
            return 1;
        }
        if (!o.quiet)
            fprintf(stderr, "salloc: Granted job allocation %s\n", jobid_dec(id).c_str());
        int rc = run_local_shell(h, o, id, uri);
        if (!o.quiet)
            fprintf(stderr, "salloc: Relinquishing job allocation %s\n", jobid_dec(id).c_str());
        f = flux_job_cancel(h, id, "salloc: the shell exited");
        if (!f || flux_rpc_get(f, nullptr) < 0)
            fprintf(stderr, "salloc: error: cancel %s: %s\n", jobid_dec(id).c_str(),
                    f ? flux_future_error_string(f) : strerror(errno));
        flux_future_destroy(f);
        flux_close(h);
        return rc;
    }
    if (!o.quiet)
        fprintf(stderr, "salloc: Granted job allocation %s\n", jobid_dec(id).c_str());
    std::string exc;
    int rc = job_follow(h, id, true, false, &exc,
                        stdin_forwardable() ? "all" : nullptr);
    if (!exc.empty())
        fprintf(stderr, "salloc: error: %s\n", exc.c_str());
    if (!o.quiet)
        fprintf(stderr, "salloc: Relinquishing job allocation %s\n", jobid_dec(id).c_str());
    flux_close(h);
    return rc;
}
