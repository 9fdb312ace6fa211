/* affinity.cpp - built-in plugin "affinity": CPU binding and GPU lists.
 *
 * Shell option cpu-affinity=on|per-task|off: see shell/task_cpus.h (the
 * PMIx plugin tells tasks the same CPUs).  The CPUs are the OS CPU numbers of the allocated cores, worked out by
 * job-exec (info "cpus").  shell.init also sets CUDA_VISIBLE_DEVICES to the
 * allocated GPU ids (info "gpus"), comma separated.  Binding happens in
 * task.exec, in the child, with sched_setaffinity().
 */
#include <cerrno>
#include <cstring>
#include <sched.h>
#include <string>
#include <vector>

#include "idset/idset.h"
#include "shell/internal.h"
#include "shell/task_cpus.h"

namespace {

using flux::shell::CpuAffinity;

struct State {
    CpuAffinity mode = CpuAffinity::on;
    std::vector<int> cpus;
    int ntasks = 0;
};

State state;

int shell_init(flux_shell_t *shell, const char *, flux_shell_task_t *, void *)
{
    const char *cpus = "", *gpus = "";
    if (json_unpack(flux_shell_get_info(shell), "{s:s s:s s:i}", "cpus", &cpus, "gpus", &gpus,
                    "ntasks", &state.ntasks)
        < 0) {
        flux_shell_log(shell, 3, "job info is malformed");
        return -1;
    }
    std::string error;
    if (!flux::shell::cpu_affinity_parse(flux_shell_getopt(shell, "cpu-affinity"), &state.mode,
                                         &error)) {
        flux_shell_log(shell, 3, "%s", error.c_str());
        return -1;
    }
    if (*cpus) {
        auto ids = flux::IdSet::parse(cpus);
        if (!ids) {
            flux_shell_log(shell, 3, "cpus: invalid idset %s", cpus);
            return -1;
        }
        ids->for_each([](uint32_t c) {
            if (c < CPU_SETSIZE)
                state.cpus.push_back((int)c);
        });
    }
    if (*gpus) {
        auto ids = flux::IdSet::parse(gpus);
        if (!ids) {
            flux_shell_log(shell, 3, "gpus: invalid idset %s", gpus);
            return -1;
        }
        std::string list;
        ids->for_each([&](uint32_t g) { list += (list.empty() ? "" : ",") + std::to_string(g); });
        flux_shell_setenv(shell, "CUDA_VISIBLE_DEVICES", list.c_str(), 1);
    }
    return 0;
}

int task_exec(flux_shell_t *, const char *, flux_shell_task_t *task, void *)
{
    auto mine = flux::shell::task_cpus(state.cpus, state.mode, state.ntasks,
                                       flux_shell_task_localid(task));
    if (mine.empty())
        return 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : mine)
        CPU_SET(c, &set);
    /* A failure is reported but does not stop the task (as before). */
    if (sched_setaffinity(0, sizeof(set), &set) < 0)
        fprintf(stderr, "flux-shell: task %d: cpu binding: %s\n", flux_shell_task_rank(task),
                strerror(errno));
    return 0;
}

int init(flux_shell_t *shell)
{
    if (flux_shell_add_handler(shell, "shell.init", shell_init, nullptr) < 0
        || flux_shell_add_handler(shell, "task.exec", task_exec, nullptr) < 0)
        return -1;
    return 0;
}

const flux_shell_plugin_info info = {FLUX_SHELL_PLUGIN_API_VERSION, "affinity", init};

} // namespace

const flux_shell_plugin_info *flux::shell::builtins::affinity()
{
    return &info;
}
