/* noinit.c - test jobtap plugin that declares itself but exports no
 * flux_plugin_init(): loading it must fail naming the missing symbol. */
#include <flux/jobtap.h>

FLUX_JOBTAP_PLUGIN("noinit");
