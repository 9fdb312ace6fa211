/* initfail.c - test shell plugin whose init() refuses to load (after
 * logging why); the job must fail naming the file and the plugin, and no
 * task may run. */
#include <flux/shell.h>

static int init(flux_shell_t *shell)
{
    flux_shell_log(shell, 3, "initfail: refusing to load, as asked");
    return -1;
}

static const struct flux_shell_plugin_info info = {
    .api_version = FLUX_SHELL_PLUGIN_API_VERSION,
    .name = "initfail",
    .init = init,
};

FLUX_API const struct flux_shell_plugin_info *flux_plugin_init(void)
{
    return &info;
}
