/* badversion.c - test shell plugin declaring an ABI major version the
 * shell does not speak; the job must fail naming the file. */
#include <flux/shell.h>

static int init(flux_shell_t *shell)
{
    (void)shell;
    return 0;
}

static const struct flux_shell_plugin_info info = {
    .api_version = (2u << 16) | 0u,
    .name = "badversion",
    .init = init,
};

FLUX_API const struct flux_shell_plugin_info *flux_plugin_init(void)
{
    return &info;
}
