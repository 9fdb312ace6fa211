/* plugin_internal.h - the host side of the one plugin loader (libflux
 * private; plugins see only flux/plugin.h).
 *
 *   flux::Dso            an open shared object (dlopen/dlclose, RAII)
 *   flux::dso_open()     open a file with clear errors
 *   flux::api_version_check()  the major/minor rule of every plugin point
 *   flux::PluginKind     what a plugin point looks for: its info symbol,
 *                        its API version and the words its errors use
 *   flux_plugin          the handle (name, path, conf, handlers, aux, and
 *                        the host's context pointer)
 *   flux_plugin_arg      the IN/OUT arguments of one call; IN may be built
 *                        lazily, on the plugin's first read of it
 *
 * Broker modules use Dso + api_version_check (their entry point is
 * flux_module_init, see flux/module.h); flux_plugin_t plugin points use
 * flux_plugin::load(), which does the whole sequence of flux/plugin.h.
 */
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "flux/plugin.h"
#include "libflux/ptr.h"
#include "result/result.h"

namespace flux {

/* FLUX_API (default visibility): broker modules that load plugins of their
 * own (sched-graph's site match policies) resolve these against fluxd,
 * which exports its libflux; libflux-core.so still exports only flux_*. */
class FLUX_API Dso {
  public:
    Dso() = default;
    explicit Dso(void *handle) : h_(handle) {}
    Dso(Dso &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    Dso &operator=(Dso &&o) noexcept;
    Dso(const Dso &) = delete;
    Dso &operator=(const Dso &) = delete;
    ~Dso();
    explicit operator bool() const { return h_ != nullptr; }
    /* The address of SYMBOL, or nullptr if it is not exported. */
    void *symbol(const char *name) const;
    /* Keep the object loaded for good (no dlclose): for code that may still
     * run, such as a module thread that would not stop. */
    void leak() { h_ = nullptr; }

  private:
    void *h_ = nullptr;
};

/* dlopen(PATH, RTLD_NOW | RTLD_LOCAL).  Errors (errnum from stat, or
 * EINVAL): "PATH: No such file or directory", "PATH: not a regular file",
 * "PATH: cannot load: <dlerror text>". */
FLUX_API Result<Dso> dso_open(const std::string &path);

/* "1.0" for major << 16 | minor. */
FLUX_API std::string api_version_string(uint32_t v);
/* A plugin declaring FOUND may be loaded by a host at HOST: same major,
 * minor no greater.  Error (EINVAL): "PATH: WHAT API version 2.0 is not
 * supported (HOSTNAME has 1.0)". */
FLUX_API Result<void> api_version_check(const std::string &path, const char *what,
                               const char *host_name, uint32_t found, uint32_t host);

/* A flux_plugin_t plugin point. */
struct PluginKind {
    const char *what;        /* "jobtap plugin": used in error texts */
    const char *host_name;   /* "job manager": who checks the version */
    const char *info_symbol; /* "flux_jobtap_plugin_info" */
    uint32_t api_version;    /* the host's */
};

} // namespace flux

struct flux_plugin_arg {
    /* Builds IN (a new reference) on first read; may be null. */
    json_t *(*build_in)(void *ctx) = nullptr;
    void *build_ctx = nullptr;
    flux::JsonPtr in;
    flux::JsonPtr out;
    std::string error;

    flux_plugin_arg() = default;
    flux_plugin_arg(json_t *(*build)(void *), void *ctx) : build_in(build), build_ctx(ctx) {}
    /* IN, built now if it has not been (nullptr if the builder failed). */
    json_t *get_in();
};

struct flux_plugin {
    /* Load PATH as a plugin of KIND: open, check the info symbol and its
     * version, then call flux_plugin_init() with the handle (CONF, a JSON
     * object or NULL, and HOST set first, so init may read them).  The
     * error names PATH (see flux/plugin.h); an init that returns -1 gives
     * "PATH: flux_plugin_init failed". */
    static flux::Result<std::unique_ptr<flux_plugin>>
    load(const std::string &path, const flux::PluginKind &kind, json_t *conf, void *host);
    /* A plugin built into the host (no file): NAME, CONF, HOST as above;
     * INIT registers its handlers like a loaded plugin's flux_plugin_init. */
    static flux::Result<std::unique_ptr<flux_plugin>>
    create(const std::string &name, flux_plugin_init_f init, json_t *conf, void *host);
    ~flux_plugin();

    /* Whether any handler's glob matches TOPIC. */
    bool matches(const char *topic) const;
    /* Call the first handler matching TOPIC.  0: none matched; 1: called
     * and it returned 0; -1: it returned an error (or threw: a C++
     * exception never leaves a call). */
    int call(const char *topic, flux_plugin_arg_t *args);

    std::string name;
    std::string path; /* "" for a built-in plugin */
    void *host = nullptr;
    flux::JsonPtr conf;
    std::string conf_text;

    struct Handler {
        std::string topic;
        flux_plugin_f cb;
        void *data;
    };
    std::vector<Handler> handlers;

    /* Declared after dso: destroyed (by ~flux_plugin) before it closes. */
    flux::Dso dso;
    struct Aux {
        void *val;
        void (*destroy)(void *);
    };
    std::map<std::string, Aux> aux;

  private:
    flux_plugin() = default;
    flux::Result<void> set_conf(json_t *c);
};
