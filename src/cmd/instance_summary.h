/* instance_summary.h - a child instance as flux jobs {instance.*} shows it. */
#pragma once

#include <jansson.h>

#include "flux/core.h"

namespace fluxcmd {

/* Ask the instance behind H for {"stats": {pending, running, successful,
 * failed, total}, "resources": {all|up|down|allocated|free: {ncores,
 * ngpus}}} (new reference), or NULL if it does not answer. */
json_t *instance_summary(flux_t *h);

} // namespace fluxcmd
