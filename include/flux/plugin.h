/* flux/plugin.h - the plugin handle every fluxd plugin point shares.
 *
 * One loader serves every kind of plugin (jobtap plugins now; ingest
 * plugins, scheduler policies and shell plugins next).  A plugin is a
 * shared object that exports two symbols:
 *
 *   - an info struct whose first field is the API version of its plugin
 *     point, under a name chosen by that point (jobtap:
 *     flux_jobtap_plugin_info, declared with FLUX_JOBTAP_PLUGIN("name")
 *     from flux/jobtap.h);
 *   - int flux_plugin_init (flux_plugin_t *p), which registers its
 *     callbacks, each on a topic glob ("job.state.*"), and returns 0, or -1
 *     to refuse to load.
 *
 * Lifecycle (host side in brackets):
 *
 *   [dlopen PATH]           missing file -> "PATH: No such file or directory"
 *   [info symbol, version]  missing -> "PATH is not a jobtap plugin: it does
 *        |                  not export flux_jobtap_plugin_info"; other major
 *        |                  or newer minor -> "PATH: jobtap plugin API version
 *        |                  2.0 is not supported (job manager has 1.0)"
 *   flux_plugin_init(p)     flux_plugin_register(), flux_plugin_conf_unpack()
 *        v
 *   callbacks: cb(p, topic, args, data) on each host call whose topic
 *        |     matches; the first matching handler, in registration order,
 *        |     is called.  Return 0, or -1 (an error: the host logs it and
 *        |     says what becomes of it on its man page).
 *        v
 *   [unload]                aux items destroyed, then dlclose
 *
 * Callbacks run in the host's event loop: return fast, never block.
 * Arguments travel as jansson objects: IN holds what the host passes, OUT
 * what the plugin returns; both are keyed, so a key added later never
 * breaks an existing plugin.  No function here takes ownership of a
 * caller's json_t unless it says so.
 */
#ifndef FLUX_PLUGIN_H
#define FLUX_PLUGIN_H

#include <stdint.h>
#include <jansson.h>

#include <flux/core.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct flux_plugin flux_plugin_t;
typedef struct flux_plugin_arg flux_plugin_arg_t;

/* A callback: 0 on success, -1 on error. */
typedef int (*flux_plugin_f)(flux_plugin_t *p, const char *topic, flux_plugin_arg_t *args,
                             void *data);

/* The entry point every plugin exports. */
#define FLUX_PLUGIN_INIT_SYMBOL "flux_plugin_init"
typedef int (*flux_plugin_init_f)(flux_plugin_t *p);
FLUX_API int flux_plugin_init(flux_plugin_t *p);

/* The info struct a plugin exports under its plugin point's symbol name.
 * api_version is major << 16 | minor: a host loads plugins of its own
 * major version whose minor version is no greater than its own.  name may
 * be NULL (the file's name without directory and ".so" is used). */
struct flux_plugin_info {
    uint32_t api_version;
    const char *name;
};

/* In C++, a const object has internal linkage unless declared extern. */
#ifdef __cplusplus
#define FLUX_PLUGIN_EXTERN extern "C"
#else
#define FLUX_PLUGIN_EXTERN
#endif

/* One entry of a handler table; the table ends with a NULL topic. */
struct flux_plugin_handler {
    const char *topic; /* a glob (fnmatch(3)): "job.state.*" */
    flux_plugin_f cb;
    void *data; /* passed to cb as is */
};

/* Register every handler of TABLE (NULL-topic terminated), after those
 * already registered; if NAME is not NULL it replaces the plugin's name.
 * 0, or -1 with errno EINVAL (bad topic or NULL callback; nothing is
 * registered then). */
FLUX_API int flux_plugin_register(flux_plugin_t *p, const char *name,
                                  const struct flux_plugin_handler table[]);
/* Register one handler.  0, or -1 with errno EINVAL. */
FLUX_API int flux_plugin_add_handler(flux_plugin_t *p, const char *topic, flux_plugin_f cb,
                                     void *data);

/* The plugin's name; its path (NULL for a plugin built into the host).
 * Owned by the handle. */
FLUX_API const char *flux_plugin_get_name(flux_plugin_t *p);
FLUX_API const char *flux_plugin_get_path(flux_plugin_t *p);

/* The plugin's configuration: the TOML table given where it is loaded
 * (`conf = {...}`), as a JSON object ({} when none was given).
 * flux_plugin_conf_unpack() is json_unpack() on it: 0, or -1 with errno
 * EINVAL (the text of the mismatch is logged by no one: check the result).
 * flux_plugin_get_conf() returns the object as compact JSON text, owned by
 * the handle. */
FLUX_API int flux_plugin_conf_unpack(flux_plugin_t *p, const char *fmt, ...);
FLUX_API const char *flux_plugin_get_conf(flux_plugin_t *p);

/* Data the plugin keeps with its handle.  aux_set replaces (destroying the
 * old value) or, with VAL NULL, deletes KEY; DESTROY (may be NULL) is
 * called on the value when it is replaced, deleted or the plugin unloaded.
 * 0, or -1 with errno EINVAL (NULL key) or ENOMEM.  aux_get returns NULL
 * with errno ENOENT if KEY is not set. */
FLUX_API int flux_plugin_aux_set(flux_plugin_t *p, const char *key, void *val,
                                 void (*destroy)(void *));
FLUX_API void *flux_plugin_aux_get(flux_plugin_t *p, const char *key);

/* Callback arguments.  FLUX_PLUGIN_ARG_IN: what the host passed;
 * FLUX_PLUGIN_ARG_OUT: what the plugin hands back. */
enum {
    FLUX_PLUGIN_ARG_IN = 0,
    FLUX_PLUGIN_ARG_OUT = 1,
};
/* json_unpack() on the IN or OUT object.  0, or -1 with errno EINVAL (a
 * mismatch; the text is in flux_plugin_arg_strerror()), or ENOENT (OUT
 * before anything was packed into it). */
FLUX_API int flux_plugin_arg_unpack(flux_plugin_arg_t *args, int flags, const char *fmt, ...);
/* json_pack() an object and merge its keys into IN or OUT (replacing keys
 * already there).  0, or -1 with errno EINVAL. */
FLUX_API int flux_plugin_arg_pack(flux_plugin_arg_t *args, int flags, const char *fmt, ...);
/* The text of the last failed pack/unpack on ARGS ("" if none). */
FLUX_API const char *flux_plugin_arg_strerror(flux_plugin_arg_t *args);

#ifdef __cplusplus
}
#endif

#endif /* !FLUX_PLUGIN_H */
