/* env.cpp - built-in plugin "env": the job's own variables in each task.
 *
 * shell.init: FLUX_JOB_ID (F58), FLUX_JOB_SIZE, FLUX_JOB_NNODES, FLUX_URI
 * (this node's broker, from the shell's own environment) and, when the
 * layout came from R, FLUX_TASK_MAP (RFC 34) — each replacing whatever the
 * submitter's environment held, so every name appears once and the shell's
 * settings win.  task.init: FLUX_TASK_RANK, FLUX_TASK_LOCAL_ID.
 */
#include <cstdlib>
#include <string>

#include "fluid/fluid.h"
#include "shell/internal.h"

namespace {

int shell_init(flux_shell_t *shell, const char *, flux_shell_task_t *, void *)
{
    json_int_t id = 0;
    int size = 0, nnodes = 0;
    const char *taskmap = "";
    if (json_unpack(flux_shell_get_info(shell), "{s:I s:i s:i s:s}", "jobid", &id, "size", &size,
                    "nnodes", &nnodes, "taskmap", &taskmap)
        < 0) {
        flux_shell_log(shell, 3, "job info is malformed");
        return -1;
    }
    std::string f58 = flux::fluid_encode((uint64_t)id, flux::FluidFormat::f58);
    flux_shell_setenv(shell, "FLUX_JOB_ID", f58.c_str(), 1);
    flux_shell_setenv(shell, "FLUX_JOB_SIZE", std::to_string(size).c_str(), 1);
    flux_shell_setenv(shell, "FLUX_JOB_NNODES", std::to_string(nnodes).c_str(), 1);
    if (*taskmap)
        flux_shell_setenv(shell, "FLUX_TASK_MAP", taskmap, 1);
    else
        flux_shell_unsetenv(shell, "FLUX_TASK_MAP");
    if (const char *uri = getenv("FLUX_URI"))
        flux_shell_setenv(shell, "FLUX_URI", uri, 1);
    return 0;
}

int task_init(flux_shell_t *, const char *, flux_shell_task_t *task, void *)
{
    flux_shell_task_setenv(task, "FLUX_TASK_RANK",
                           std::to_string(flux_shell_task_rank(task)).c_str(), 1);
    flux_shell_task_setenv(task, "FLUX_TASK_LOCAL_ID",
                           std::to_string(flux_shell_task_localid(task)).c_str(), 1);
    return 0;
}

int init(flux_shell_t *shell)
{
    if (flux_shell_add_handler(shell, "shell.init", shell_init, nullptr) < 0
        || flux_shell_add_handler(shell, "task.init", task_init, nullptr) < 0)
        return -1;
    return 0;
}

const flux_shell_plugin_info info = {FLUX_SHELL_PLUGIN_API_VERSION, "env", init};

} // namespace

const flux_shell_plugin_info *flux::shell::builtins::env()
{
    return &info;
}
