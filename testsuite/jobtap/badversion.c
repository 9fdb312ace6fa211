/* badversion.c - test jobtap plugin declaring API version 2.0, which the
 * job manager (1.x) must refuse with a message naming file and versions. */
#include <flux/jobtap.h>

FLUX_API const struct flux_plugin_info flux_jobtap_plugin_info = {(2u << 16) | 0u, "badversion"};

int flux_plugin_init(flux_plugin_t *p)
{
    (void)p;
    return 0;
}
