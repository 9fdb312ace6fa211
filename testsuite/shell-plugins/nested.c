/* nested.c - test shell plugin: a shell.init handler that registers
 * another shell.init handler (and a task.init one) while the stack walks
 * shell.init.  Both must run: the late shell.init handler in the same
 * walk, the task.init one for every task.
 *
 * Shell option: -o nested-log=PATH   append "first", "second" and
 * "task RANK" as the handlers run.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <flux/shell.h>

static void record(flux_shell_t *shell, const char *what)
{
    const char *path = json_string_value(flux_shell_getopt(shell, "nested-log"));
    int fd;
    if (!path)
        return;
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        if (write(fd, what, strlen(what)) < 0 || write(fd, "\n", 1) < 0)
            perror(path);
        close(fd);
    }
}

static int second(flux_shell_t *shell, const char *topic, flux_shell_task_t *task, void *arg)
{
    char line[32];
    (void)topic;
    (void)arg;
    if (task) {
        snprintf(line, sizeof(line), "task %d", flux_shell_task_rank(task));
        record(shell, line);
    }
    else
        record(shell, "second");
    return 0;
}

static int first(flux_shell_t *shell, const char *topic, flux_shell_task_t *task, void *arg)
{
    (void)topic;
    (void)task;
    (void)arg;
    record(shell, "first");
    return flux_shell_add_handler(shell, "shell.init", second, NULL) < 0
                   || flux_shell_add_handler(shell, "task.init", second, NULL) < 0
               ? -1
               : 0;
}

static int init(flux_shell_t *shell)
{
    return flux_shell_add_handler(shell, "shell.init", first, NULL);
}

static const struct flux_shell_plugin_info info = {
    .api_version = FLUX_SHELL_PLUGIN_API_VERSION,
    .name = "nested",
    .init = init,
};

FLUX_API const struct flux_shell_plugin_info *flux_plugin_init(void)
{
    return &info;
}
