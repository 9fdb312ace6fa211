/* job-manager/plugins/builtins.h - the jobtap plugins built into fluxd.
 *
 * Each is a plugin on the public ABI alone (flux/jobtap.h, flux/plugin.h,
 * flux/job.h): only its flux_plugin_init() is called directly instead of
 * through dlopen.  They are listed and removed with their leading dot, as
 * in Flux (`flux jobtap load .priority`, `[[job-manager.plugins]] load =
 * ".limit-duration"`).  .dependency is loaded at start (flux jobtap
 * remove .dependency unloads it); see flux-jobtap-plugins(7).
 */
#pragma once

#include <string>

#include "flux/jobtap.h"

namespace fluxd {

/* The init function of built-in plugin NAME (".dependency"), or nullptr. */
flux_plugin_init_f jobtap_builtin(const std::string &name);
/* ".dependency, .priority, ..." for error messages. */
std::string jobtap_builtin_names();

int dependency_plugin_init(flux_plugin_t *p);
int priority_plugin_init(flux_plugin_t *p);
int limit_job_size_plugin_init(flux_plugin_t *p);
int limit_duration_plugin_init(flux_plugin_t *p);

} // namespace fluxd
