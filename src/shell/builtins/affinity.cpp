/* affinity.cpp - built-in plugin "affinity": CPU binding and GPU lists.
 *
 * Shell option cpu-affinity (-o cpu-affinity=MODE):
 *   on (default)  every task is bound to all the allocation's CPUs here
 *   per-task      the CPUs are split into ntasks contiguous, even blocks
 *                 and task i gets block i (with fewer CPUs than tasks,
 *                 task i gets CPU i mod ncpus)
 *   off           no binding
 * The CPUs are the OS CPU numbers of the allocated cores, worked out by
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

namespace {

enum class Mode { on, per_task, off };

struct State {
    Mode mode = Mode::on;
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
    json_t *opt = flux_shell_getopt(shell, "cpu-affinity");
    const char *mode = json_string_value(opt);
    if (opt && !mode) {
        flux_shell_log(shell, 3, "cpu-affinity: expected on, off or per-task");
        return -1;
    }
    if (!mode || strcmp(mode, "on") == 0)
        state.mode = Mode::on;
    else if (strcmp(mode, "per-task") == 0)
        state.mode = Mode::per_task;
    else if (strcmp(mode, "off") == 0)
        state.mode = Mode::off;
    else {
        flux_shell_log(shell, 3, "cpu-affinity: unknown value '%s' (expected on, off or per-task)",
                       mode);
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
    if (state.mode == Mode::off || state.cpus.empty())
        return 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    size_t n = state.cpus.size(), k = (size_t)std::max(1, state.ntasks);
    size_t i = (size_t)flux_shell_task_localid(task);
    if (state.mode == Mode::on)
        for (int c : state.cpus)
            CPU_SET(c, &set);
    else if (n >= k)
        for (size_t c = i * n / k; c < (i + 1) * n / k; c++)
            CPU_SET(state.cpus[c], &set);
    else
        CPU_SET(state.cpus[i % n], &set);
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
