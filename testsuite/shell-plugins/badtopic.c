/* badtopic.c - test shell plugin registering an unknown topic; init fails
 * and the shell says which topic. */
#include <flux/shell.h>

static int cb(flux_shell_t *shell, const char *topic, flux_shell_task_t *task, void *arg)
{
    (void)shell;
    (void)topic;
    (void)task;
    (void)arg;
    return 0;
}

static int init(flux_shell_t *shell)
{
    return flux_shell_add_handler(shell, "task.bogus", cb, NULL);
}

static const struct flux_shell_plugin_info info = {
    .api_version = FLUX_SHELL_PLUGIN_API_VERSION,
    .name = "badtopic",
    .init = init,
};

FLUX_API const struct flux_shell_plugin_info *flux_plugin_init(void)
{
    return &info;
}
