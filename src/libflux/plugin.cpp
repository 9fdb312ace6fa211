/* plugin.cpp - the one plugin loader: shared objects, API version checks,
 * the flux_plugin_t handle and its C API (flux/plugin.h), host side in
 * plugin_internal.h. */
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <dlfcn.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include "libflux/plugin_internal.h"

namespace flux {

Dso &Dso::operator=(Dso &&o) noexcept
{
    if (this != &o) {
        if (h_)
            dlclose(h_);
        h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
}

Dso::~Dso()
{
    if (h_)
        dlclose(h_);
}

void *Dso::symbol(const char *name) const
{
    return h_ ? dlsym(h_, name) : nullptr;
}

Result<Dso> dso_open(const std::string &path)
{
    struct stat sb;
    if (stat(path.c_str(), &sb) < 0)
        return make_error(errno, path + ": " + strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return make_error(EINVAL, path + ": not a regular file");
    /* A name without a slash would make dlopen search the library path:
     * open the file stat() found. */
    std::string file = path.find('/') == std::string::npos ? "./" + path : path;
    void *h = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        return make_error(EINVAL, path + ": cannot load: " + (why ? why : "unknown error"));
    }
    return Dso(h);
}

std::string api_version_string(uint32_t v)
{
    return std::to_string(v >> 16) + "." + std::to_string(v & 0xffff);
}

Result<void> api_version_check(const std::string &path, const char *what, const char *host_name,
                               uint32_t found, uint32_t host)
{
    if ((found >> 16) == (host >> 16) && (found & 0xffff) <= (host & 0xffff))
        return {};
    return make_error(EINVAL, path + ": " + what + " API version " + api_version_string(found) +
                                  " is not supported (" + host_name + " has " +
                                  api_version_string(host) + ")");
}

} // namespace flux

using flux::make_error;
using flux::Result;

json_t *flux_plugin_arg::get_in()
{
    if (!in && build_in) {
        auto build = std::exchange(build_in, nullptr);
        in.reset(build(build_ctx));
    }
    return in.get();
}

namespace {

bool valid_topic(const char *topic)
{
    return topic && *topic && strlen(topic) < 256;
}

std::string basename_no_so(const std::string &path)
{
    size_t slash = path.rfind('/');
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    if (base.size() > 3 && base.compare(base.size() - 3, 3, ".so") == 0)
        base.resize(base.size() - 3);
    return base;
}

/* Call INIT, a C function that should not throw; if it is C++ and does,
 * that is an error like returning -1. */
int call_init(flux_plugin_init_f init, flux_plugin_t *p)
{
    try {
        return init(p);
    } catch (...) {
        return -1;
    }
}

} // namespace

Result<void> flux_plugin::set_conf(json_t *c)
{
    if (c && !json_is_object(c))
        return make_error(EINVAL, "conf must be a table (a JSON object)");
    conf.reset(c ? json_incref(c) : json_object());
    char *s = json_dumps(conf.get(), JSON_COMPACT | JSON_SORT_KEYS);
    if (!s)
        return make_error(ENOMEM, "out of memory");
    conf_text = s;
    free(s);
    return {};
}

Result<std::unique_ptr<flux_plugin>> flux_plugin::load(const std::string &path,
                                                       const flux::PluginKind &kind,
                                                       json_t *conf, void *host)
{
    auto dso = flux::dso_open(path);
    if (!dso)
        return dso.error();
    auto info = (const struct flux_plugin_info *)dso->symbol(kind.info_symbol);
    if (!info)
        return make_error(EINVAL, path + " is not a " + kind.what + ": it does not export " +
                                      kind.info_symbol);
    if (auto r = flux::api_version_check(path, kind.what, kind.host_name, info->api_version,
                                         kind.api_version);
        !r)
        return r.error();
    auto init = (flux_plugin_init_f)dso->symbol(FLUX_PLUGIN_INIT_SYMBOL);
    if (!init)
        return make_error(EINVAL, path + " is not a " + kind.what + ": it does not export " +
                                      FLUX_PLUGIN_INIT_SYMBOL + "()");
    std::unique_ptr<flux_plugin> p(new flux_plugin());
    p->path = path;
    p->name = info->name && *info->name ? info->name : basename_no_so(path);
    p->host = host;
    if (auto r = p->set_conf(conf); !r)
        return make_error(r.error().errnum, path + ": " + r.error().text);
    p->dso = std::move(*dso);
    if (call_init(init, p.get()) < 0)
        return make_error(EINVAL, path + ": " + FLUX_PLUGIN_INIT_SYMBOL + " failed");
    return p;
}

Result<std::unique_ptr<flux_plugin>> flux_plugin::create(const std::string &name,
                                                         flux_plugin_init_f init, json_t *conf,
                                                         void *host)
{
    std::unique_ptr<flux_plugin> p(new flux_plugin());
    p->name = name;
    p->host = host;
    if (auto r = p->set_conf(conf); !r)
        return make_error(r.error().errnum, name + ": " + r.error().text);
    if (init && call_init(init, p.get()) < 0)
        return make_error(EINVAL, name + ": initialization failed");
    return p;
}

flux_plugin::~flux_plugin()
{
    /* Destructors may live in the plugin's code: run them while it is
     * still mapped. */
    for (auto &[key, a] : aux) {
        if (a.destroy)
            a.destroy(a.val);
    }
    aux.clear();
}

bool flux_plugin::matches(const char *topic) const
{
    for (const auto &h : handlers) {
        if (fnmatch(h.topic.c_str(), topic, 0) == 0)
            return true;
    }
    return false;
}

int flux_plugin::call(const char *topic, flux_plugin_arg_t *args)
{
    for (const auto &h : handlers) {
        if (fnmatch(h.topic.c_str(), topic, 0) != 0)
            continue;
        try {
            return h.cb(this, topic, args, h.data) < 0 ? -1 : 1;
        } catch (...) {
            if (args)
                args->error = "callback threw an exception";
            return -1;
        }
    }
    return 0;
}

extern "C" {

int flux_plugin_add_handler(flux_plugin_t *p, const char *topic, flux_plugin_f cb, void *data)
{
    if (!p || !valid_topic(topic) || !cb) {
        errno = EINVAL;
        return -1;
    }
    p->handlers.push_back({topic, cb, data});
    return 0;
}

int flux_plugin_register(flux_plugin_t *p, const char *name,
                         const struct flux_plugin_handler table[])
{
    if (!p || !table || (name && !*name)) {
        errno = EINVAL;
        return -1;
    }
    size_t n = 0;
    for (; table[n].topic; n++) {
        if (!valid_topic(table[n].topic) || !table[n].cb) {
            errno = EINVAL;
            return -1;
        }
    }
    for (size_t i = 0; i < n; i++)
        p->handlers.push_back({table[i].topic, table[i].cb, table[i].data});
    if (name)
        p->name = name;
    return 0;
}

const char *flux_plugin_get_name(flux_plugin_t *p)
{
    return p ? p->name.c_str() : nullptr;
}

const char *flux_plugin_get_path(flux_plugin_t *p)
{
    return p && !p->path.empty() ? p->path.c_str() : nullptr;
}

int flux_plugin_conf_unpack(flux_plugin_t *p, const char *fmt, ...)
{
    if (!p || !fmt) {
        errno = EINVAL;
        return -1;
    }
    va_list ap;
    va_start(ap, fmt);
    int rc = json_vunpack_ex(p->conf.get(), nullptr, 0, fmt, ap);
    va_end(ap);
    if (rc < 0)
        errno = EINVAL;
    return rc < 0 ? -1 : 0;
}

const char *flux_plugin_get_conf(flux_plugin_t *p)
{
    return p ? p->conf_text.c_str() : nullptr;
}

int flux_plugin_aux_set(flux_plugin_t *p, const char *key, void *val, void (*destroy)(void *))
{
    if (!p || !key) {
        errno = EINVAL;
        return -1;
    }
    auto it = p->aux.find(key);
    if (it != p->aux.end()) {
        flux_plugin::Aux old = it->second;
        p->aux.erase(it);
        if (old.destroy)
            old.destroy(old.val);
    }
    if (val) {
        try {
            p->aux.emplace(key, flux_plugin::Aux{val, destroy});
        } catch (...) {
            errno = ENOMEM;
            return -1;
        }
    }
    return 0;
}

void *flux_plugin_aux_get(flux_plugin_t *p, const char *key)
{
    if (!p || !key) {
        errno = EINVAL;
        return nullptr;
    }
    auto it = p->aux.find(key);
    if (it == p->aux.end()) {
        errno = ENOENT;
        return nullptr;
    }
    return it->second.val;
}

int flux_plugin_arg_unpack(flux_plugin_arg_t *args, int flags, const char *fmt, ...)
{
    if (!args || !fmt || (flags != FLUX_PLUGIN_ARG_IN && flags != FLUX_PLUGIN_ARG_OUT)) {
        errno = EINVAL;
        return -1;
    }
    json_t *o = flags == FLUX_PLUGIN_ARG_IN ? args->get_in() : args->out.get();
    if (!o) {
        args->error = flags == FLUX_PLUGIN_ARG_IN ? "no arguments" : "nothing was returned";
        errno = ENOENT;
        return -1;
    }
    json_error_t jerr;
    va_list ap;
    va_start(ap, fmt);
    int rc = json_vunpack_ex(o, &jerr, 0, fmt, ap);
    va_end(ap);
    if (rc < 0) {
        args->error = jerr.text;
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int flux_plugin_arg_pack(flux_plugin_arg_t *args, int flags, const char *fmt, ...)
{
    if (!args || !fmt || (flags != FLUX_PLUGIN_ARG_IN && flags != FLUX_PLUGIN_ARG_OUT)) {
        errno = EINVAL;
        return -1;
    }
    json_error_t jerr;
    va_list ap;
    va_start(ap, fmt);
    json_t *o = json_vpack_ex(&jerr, 0, fmt, ap);
    va_end(ap);
    if (!o || !json_is_object(o)) {
        args->error = o ? "pack: not an object" : jerr.text;
        json_decref(o);
        errno = EINVAL;
        return -1;
    }
    flux::JsonPtr &dst = flags == FLUX_PLUGIN_ARG_IN ? args->in : args->out;
    if (flags == FLUX_PLUGIN_ARG_IN)
        args->get_in();
    if (!dst) {
        dst.reset(o);
        return 0;
    }
    json_object_update(dst.get(), o);
    json_decref(o);
    return 0;
}

const char *flux_plugin_arg_strerror(flux_plugin_arg_t *args)
{
    return args ? args->error.c_str() : "";
}

} // extern "C"
