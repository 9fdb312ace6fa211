/* job-manager/jobtap.cpp - jobtap plugins: load/remove/list/query, the
 * call-out, and the host calls of flux/jobtap.h (exported by fluxd, which
 * is linked with --export-dynamic, so plugins resolve them at dlopen). */
#include "jobtap.h"

#include <cerrno>
#include <cstdarg>
#include <algorithm>
#include <cstring>
#include <syslog.h>

namespace fluxd {

namespace {

const flux::PluginKind jobtap_kind = {
    "jobtap plugin",
    "job manager",
    FLUX_JOBTAP_PLUGIN_INFO_SYMBOL,
    FLUX_JOBTAP_API_VERSION,
};

Jobtap *jobtap_of(flux_plugin_t *p)
{
    return p ? static_cast<Jobtap *>(p->host) : nullptr;
}

std::string vformat(const char *fmt, va_list ap)
{
    if (!fmt)
        return "";
    char buf[512];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    if (n < 0)
        return "";
    return std::string(buf, std::min<size_t>((size_t)n, sizeof(buf) - 1));
}

/* The text a failed callback leaves: OUT errmsg (flux_jobtap_reject_job),
 * else the error of its last pack/unpack; "" if neither. */
std::string failure_text(flux_plugin_arg_t &args)
{
    const char *msg = nullptr;
    if (args.out && json_unpack(args.out.get(), "{s:s}", "errmsg", &msg) == 0 && *msg)
        return msg;
    return args.error;
}

} // namespace

Jobtap::~Jobtap() = default;

flux::Result<std::string> Jobtap::load(const std::string &path, json_t *conf)
{
    auto p = flux_plugin::load(path, jobtap_kind, conf, this);
    if (!p)
        return p.error();
    std::string name = (*p)->name;
    for (const auto &q : plugins_) {
        if (q->name == name)
            return flux::make_error(EEXIST, path + ": a jobtap plugin named '" + name +
                                                "' is already loaded (" + q->path + ")");
    }
    plugins_.push_back(std::move(*p));
    host_.jobtap_log(LOG_DEBUG, "jobtap: loaded " + name + " (" + path + ")");
    return name;
}

flux::Result<void> Jobtap::remove(const std::string &name)
{
    if (name == "all") {
        plugins_.clear();
        return {};
    }
    for (auto it = plugins_.begin(); it != plugins_.end(); ++it) {
        if ((*it)->name == name) {
            plugins_.erase(it);
            return {};
        }
    }
    return flux::make_error(ENOENT, "jobtap plugin '" + name + "' is not loaded");
}

json_t *Jobtap::list() const
{
    json_t *a = json_array();
    for (const auto &p : plugins_)
        json_array_append_new(a, json_pack("{s:s s:s}", "name", p->name.c_str(), "path",
                                           p->path.c_str()));
    return a;
}

flux::Result<json_t *> Jobtap::query(const std::string &name)
{
    for (const auto &p : plugins_) {
        if (p->name != name)
            continue;
        flux_plugin_arg_t args;
        int rc = p->call("plugin.query", &args);
        json_t *o = json_pack("{s:s s:s s:O}", "name", p->name.c_str(), "path", p->path.c_str(),
                              "conf", p->conf.get());
        if (rc < 0)
            json_object_set_new(o, "error", json_string(failure_text(args).c_str()));
        else if (rc > 0 && args.out) {
            /* The host's keys win: a plugin cannot change its name. */
            json_t *own = json_pack("{s:s s:s}", "name", p->name.c_str(), "path", p->path.c_str());
            json_object_update(o, args.out.get());
            json_object_update(o, own);
            json_decref(own);
        }
        return o;
    }
    return flux::make_error(ENOENT, "jobtap plugin '" + name + "' is not loaded");
}

std::optional<Jobtap::Failure> Jobtap::call(const char *topic, json_t *(*build)(void *),
                                            void *ctx, bool stop_at_failure)
{
    std::optional<Failure> first;
    flux_plugin_arg_t args(build, ctx);
    for (const auto &p : plugins_) {
        if (!p->matches(topic))
            continue;
        args.out.reset();
        args.error.clear();
        if (p->call(topic, &args) >= 0)
            continue;
        Failure f{p->name, failure_text(args)};
        f.explicit_message = !f.text.empty();
        if (f.text.empty())
            f.text = "callback failed";
        /* A rejected submission is policy at work, not a fault. */
        host_.jobtap_log(stop_at_failure ? LOG_INFO : LOG_ERR,
                         "jobtap." + f.plugin + ": " + topic + ": " + f.text);
        if (!first)
            first = std::move(f);
        if (stop_at_failure)
            break;
    }
    return first;
}

} // namespace fluxd

using fluxd::Jobtap;
using fluxd::jobtap_of;

extern "C" {

int flux_jobtap_reject_job(flux_plugin_t *p, flux_plugin_arg_t *args, const char *fmt, ...)
{
    (void)p;
    if (args) {
        va_list ap;
        va_start(ap, fmt);
        std::string text = fluxd::vformat(fmt, ap);
        va_end(ap);
        if (text.empty())
            text = "rejected by jobtap plugin " + std::string(p ? p->name : "?");
        args->out.reset(json_pack("{s:s}", "errmsg", text.c_str()));
    }
    errno = EINVAL;
    return -1;
}

int flux_jobtap_raise_exception(flux_plugin_t *p, flux_jobid_t id, const char *type, int severity,
                                const char *fmt, ...)
{
    Jobtap *jt = jobtap_of(p);
    if (!jt || !type || !*type || strchr(type, ' ') || severity < 0 || severity > 7) {
        errno = EINVAL;
        return -1;
    }
    va_list ap;
    va_start(ap, fmt);
    std::string note = fluxd::vformat(fmt, ap);
    va_end(ap);
    auto r = jt->host().jobtap_raise(id, type, severity, note);
    if (!r) {
        errno = r.error().errnum;
        return -1;
    }
    return 0;
}

int flux_jobtap_event_post_pack(flux_plugin_t *p, flux_jobid_t id, const char *name,
                                const char *fmt, ...)
{
    Jobtap *jt = jobtap_of(p);
    if (!jt || !name || !*name) {
        errno = EINVAL;
        return -1;
    }
    json_t *context = nullptr;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        context = json_vpack_ex(nullptr, 0, fmt, ap);
        va_end(ap);
        if (!json_is_object(context)) {
            json_decref(context);
            errno = EINVAL;
            return -1;
        }
    }
    auto r = jt->host().jobtap_post(id, name, context);
    if (!r) {
        errno = r.error().errnum;
        return -1;
    }
    return 0;
}

int flux_jobtap_job_unpack(flux_plugin_t *p, flux_jobid_t id, const char *fmt, ...)
{
    Jobtap *jt = jobtap_of(p);
    if (!jt || !fmt) {
        errno = EINVAL;
        return -1;
    }
    flux::JsonPtr info(jt->host().jobtap_job_info(id));
    if (!info) {
        errno = ENOENT;
        return -1;
    }
    va_list ap;
    va_start(ap, fmt);
    int rc = json_vunpack_ex(info.get(), nullptr, 0, fmt, ap);
    va_end(ap);
    if (rc < 0) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

json_t *flux_jobtap_jobspec(flux_plugin_t *p, flux_jobid_t id)
{
    Jobtap *jt = jobtap_of(p);
    if (!jt) {
        errno = EINVAL;
        return nullptr;
    }
    json_t *js = jt->host().jobtap_jobspec(id);
    if (!js)
        errno = ENOENT;
    return js;
}

void flux_jobtap_log(flux_plugin_t *p, int level, const char *fmt, ...)
{
    Jobtap *jt = jobtap_of(p);
    if (!jt)
        return;
    va_list ap;
    va_start(ap, fmt);
    std::string text = fluxd::vformat(fmt, ap);
    va_end(ap);
    jt->host().jobtap_log(level, "jobtap." + p->name + ": " + text);
}

} // extern "C"
