/* module_runtime.h - the module side of the broker module ABI: runs a
 * module's main() on a handle connected to the broker (libflux private). */
#pragma once

#include <string>
#include <vector>

#include "flux/core.h"

namespace flux {

/* Open a handle on fd, arrange for "module.shutdown" to stop its reactor and
 * for NAME.ping to be answered, announce "running" when the reactor first
 * runs, call main, close the handle.  Returns main's result. */
int module_run(const char *name,
               int (*main_fn)(flux_t *, int, char **),
               int fd,
               std::vector<std::string> &args);

} // namespace flux
