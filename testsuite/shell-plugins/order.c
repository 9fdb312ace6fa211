/* order.c - test shell plugin: records every topic it sees, in order.
 *
 * Shell options:
 *   -o order-log=PATH   append "TOPIC" or "TOPIC TASKRANK" per call (the
 *                       task.exec line is written by the child)
 *   -o order-fail=TOPIC return -1 from that topic's handler
 *   -o order-hold=PATH  in task.init of task rank 1, wait (up to 60 s)
 *                       until PATH exists: task 0 runs, task 1 is not
 *                       forked yet
 * It also sets TEST_ORDER_JOB=1 in the job environment (shell.init),
 * TEST_ORDER_TASK=<rank> per task (task.init), overrides FLUX_JOB_NNODES
 * to prove a plugin's settings win (task.init, only with
 * -o order-nnodes=N), and checks flux_shell_get_info() has the layout.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <flux/shell.h>

static void record(flux_shell_t *shell, const char *topic, flux_shell_task_t *task)
{
    const char *path = json_string_value(flux_shell_getopt(shell, "order-log"));
    char line[128];
    int fd, n;
    if (!path)
        return;
    if (task)
        n = snprintf(line, sizeof(line), "%s %d\n", topic, flux_shell_task_rank(task));
    else
        n = snprintf(line, sizeof(line), "%s\n", topic);
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        if (write(fd, line, (size_t)n) < 0)
            perror(path);
        close(fd);
    }
}

static int cb(flux_shell_t *shell, const char *topic, flux_shell_task_t *task, void *arg)
{
    const char *fail = json_string_value(flux_shell_getopt(shell, "order-fail"));
    json_t *nnodes = flux_shell_getopt(shell, "order-nnodes");
    int size = -1, ntasks = -1;
    (void)arg;
    record(shell, topic, task);
    if (fail && strcmp(fail, topic) == 0) {
        flux_shell_log(shell, 3, "failing %s as asked", topic);
        return -1;
    }
    if (strcmp(topic, "shell.init") == 0) {
        if (json_unpack(flux_shell_get_info(shell), "{s:i s:i}", "size", &size, "ntasks",
                        &ntasks) < 0 || size < 1 || ntasks < 0)
            return -1;
        return flux_shell_setenv(shell, "TEST_ORDER_JOB", "1", 1);
    }
    if (strcmp(topic, "task.init") == 0) {
        const char *hold = json_string_value(flux_shell_getopt(shell, "order-hold"));
        char rank[16];
        if (hold && flux_shell_task_rank(task) == 1)
            for (int i = 0; i < 6000 && access(hold, F_OK) != 0; i++)
                usleep(10000);
        snprintf(rank, sizeof(rank), "%d", flux_shell_task_rank(task));
        if (flux_shell_task_setenv(task, "TEST_ORDER_TASK", rank, 1) < 0)
            return -1;
        if (json_is_integer(nnodes)) {
            char n[32];
            snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(nnodes));
            return flux_shell_task_setenv(task, "FLUX_JOB_NNODES", n, 1);
        }
    }
    return 0;
}

static int init(flux_shell_t *shell)
{
    return flux_shell_add_handler(shell, "shell.init", cb, NULL) < 0
                   || flux_shell_add_handler(shell, "shell.post-init", cb, NULL) < 0
                   || flux_shell_add_handler(shell, "task.*", cb, NULL) < 0
                   || flux_shell_add_handler(shell, "shell.start", cb, NULL) < 0
                   || flux_shell_add_handler(shell, "shell.exit", cb, NULL) < 0
               ? -1
               : 0;
}

static const struct flux_shell_plugin_info info = {
    .api_version = FLUX_SHELL_PLUGIN_API_VERSION,
    .name = "order",
    .init = init,
};

FLUX_API const struct flux_shell_plugin_info *flux_plugin_init(void)
{
    return &info;
}
