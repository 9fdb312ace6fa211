/* flux/module.h - the broker module ABI.
 *
 * A module is a shared object loaded into fluxd with `flux module load`.
 * It exports one symbol, flux_module_init(), returning a static info struct
 * whose first field is the ABI version; the broker refuses a module whose
 * major version differs from its own.
 *
 * Lifecycle:
 *
 *   flux module load PATH [ARGS]
 *        |  dlopen, flux_module_init(), version check
 *        v
 *   main(h, argc, argv) runs in a thread of its own, with a handle h
 *        |  connected to the broker as the instance owner.  The module
 *        |  registers message handlers and runs flux_reactor_run() on
 *        |  flux_get_reactor(h); requests for "NAME.*" and "NAME.ping" reach it.
 *        |  The load request is answered when the module first enters its
 *        |  reactor (or calls flux_module_set_running()), or with an error
 *        |  if main() returns -1 first.
 *        v
 *   flux module remove NAME -> the reactor is stopped, main() returns,
 *        the handle is closed and the object unloaded.
 *
 * main() returns 0 on success, -1 on failure (the text of its last
 * flux_log(LOG_ERR) is shown to whoever loaded it).
 */
#ifndef FLUX_MODULE_H
#define FLUX_MODULE_H

#include <stdint.h>
#include <flux/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* major << 16 | minor.  A broker loads modules of the same major version and
 * a minor version no greater than its own. */
#define FLUX_MODULE_API_VERSION ((1u << 16) | 0u)

struct flux_module_info {
    uint32_t api_version; /* FLUX_MODULE_API_VERSION */
    const char *name;     /* service name; [a-z0-9_-]+, unique per broker */
    int (*main)(flux_t *h, int argc, char **argv);
};

/* The one symbol a module exports. */
typedef const struct flux_module_info *(*flux_module_init_f)(void);
#define FLUX_MODULE_INIT_SYMBOL "flux_module_init"

/* Tell the broker the module is up (done automatically by the first
 * flux_reactor_run() on the module's handle). */
FLUX_API int flux_module_set_running(flux_t *h);

#ifdef __cplusplus
}
#endif

#endif /* !FLUX_MODULE_H */
