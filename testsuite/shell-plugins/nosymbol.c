/* nosymbol.c - test shell plugin without flux_plugin_init(); the job must
 * fail naming the file. */
#include <flux/shell.h>

FLUX_API int not_a_shell_plugin(void)
{
    return 0;
}
