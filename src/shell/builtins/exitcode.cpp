/* exitcode.cpp - built-in plugin "exitcode": the job's code is the largest
 * task code, an exit code or 128+N for a task killed by signal N. */
#include <sys/wait.h>

#include "shell/internal.h"

namespace {

int task_exit(flux_shell_t *shell, const char *, flux_shell_task_t *task, void *)
{
    int status = flux_shell_task_status(task);
    int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    if (code > flux_shell_get_exit_code(shell))
        flux_shell_set_exit_code(shell, code);
    return 0;
}

int init(flux_shell_t *shell)
{
    return flux_shell_add_handler(shell, "task.exit", task_exit, nullptr);
}

const flux_shell_plugin_info info = {FLUX_SHELL_PLUGIN_API_VERSION, "exitcode", init};

} // namespace

const flux_shell_plugin_info *flux::shell::builtins::exitcode()
{
    return &info;
}
