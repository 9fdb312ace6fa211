/* undefsym.c - test shell plugin that calls a function the shell does not
 * export; loading it must fail naming the file and the symbol, not crash
 * the shell when the call is reached. */
#include <flux/shell.h>

/* Not part of flux/shell.h: nothing defines it. */
extern int flux_shell_no_such_call(flux_shell_t *shell);

static int init(flux_shell_t *shell)
{
    return flux_shell_no_such_call(shell);
}

static const struct flux_shell_plugin_info info = {
    .api_version = FLUX_SHELL_PLUGIN_API_VERSION,
    .name = "undefsym",
    .init = init,
};

FLUX_API const struct flux_shell_plugin_info *flux_plugin_init(void)
{
    return &info;
}
