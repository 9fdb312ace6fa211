/* job-manager/jobtap.cpp - jobtap plugins: load/remove/list/query, the
 * call-out, and the host calls of flux/jobtap.h (exported by fluxd, which
 * is linked with --export-dynamic, so plugins resolve them at dlopen). */
#include "jobtap.h"
#include "plugins/builtins.h"

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
/* "jobtap.NAME" in log lines; a built-in's name already starts with the
 * dot (".dependency" gives "jobtap.dependency"). */
std::string log_prefix(const std::string &name)
{
    return name.starts_with('.') ? "jobtap" + name : "jobtap." + name;
}

std::string failure_text(flux_plugin_arg_t &args)
{
    const char *msg = nullptr;
    if (args.out && json_unpack(args.out.get(), "{s:s}", "errmsg", &msg) == 0 && *msg)
        return msg;
    return args.error;
}

} // namespace

Jobtap::~Jobtap()
{
    timers_.clear();
    while (!plugins_.empty()) {
        drop(plugins_.back().get());
        plugins_.pop_back();
    }
}

/* Before P is destroyed: its timers and its data on jobs, whose code is in
 * P's file. */
void Jobtap::drop(flux_plugin *p)
{
    std::erase_if(timers_, [p](const std::unique_ptr<Timer> &t) { return t->p == p; });
    host_.jobtap_aux_drop(p);
    handles_.clear();
}

void Jobtap::keep(json_t *o)
{
    kept_.emplace_back(o);
    /* Outside any call-out (a plugin's own code path): keep the last few. */
    if (depth_ == 0 && kept_.size() > 16)
        kept_.erase(kept_.begin());
}

bool Jobtap::handles(const char *topic)
{
    auto it = handles_.find(topic);
    if (it != handles_.end())
        return it->second;
    bool any = false;
    for (const auto &p : plugins_) {
        if (p->matches(topic)) {
            any = true;
            break;
        }
    }
    /* Event names are open-ended: keep the memo bounded. */
    if (handles_.size() > 4096)
        handles_.clear();
    handles_.emplace(topic, any);
    return any;
}

flux::Result<void> Jobtap::timer_add(flux_plugin *p, double after, flux_jobtap_timer_f cb,
                                     void *arg)
{
    if (!cb || !(after >= 0) || after > 1e9)
        return flux::make_error(EINVAL, "timer: bad arguments");
    auto t = std::make_unique<Timer>();
    t->jt = this;
    t->p = p;
    t->cb = cb;
    t->arg = arg;
    t->ev.reset(event_new(
        host_.jobtap_base(), -1, 0,
        [](evutil_socket_t, short, void *a) {
            auto *t = static_cast<Timer *>(a);
            Jobtap *jt = t->jt;
            flux_plugin *p = t->p;
            flux_jobtap_timer_f cb = t->cb;
            void *arg = t->arg;
            auto owned = std::move(*std::find_if(jt->timers_.begin(), jt->timers_.end(),
                                                 [t](const std::unique_ptr<Timer> &x) { return x.get() == t; }));
            std::erase_if(jt->timers_, [](const std::unique_ptr<Timer> &x) { return !x; });
            Scope scope(*jt);
            try {
                cb(p, arg);
            }
            catch (...) {
                jt->host().jobtap_log(LOG_ERR, log_prefix(p->name) + ": timer callback threw");
            }
        },
        t.get()));
    struct timeval tv;
    tv.tv_sec = (time_t)after;
    tv.tv_usec = (suseconds_t)((after - (double)tv.tv_sec) * 1e6);
    event_add(t->ev.get(), &tv);
    timers_.push_back(std::move(t));
    return {};
}

flux::Result<std::string> Jobtap::load(const std::string &path, json_t *conf)
{
    flux::Result<std::unique_ptr<flux_plugin>> p = flux::make_error(EINVAL, "");
    if (!path.empty() && path[0] == '.' && path.find('/') == std::string::npos) {
        flux_plugin_init_f init = jobtap_builtin(path);
        if (!init)
            return flux::make_error(ENOENT, path + ": no such built-in jobtap plugin (built-ins: " +
                                                jobtap_builtin_names() + ")");
        p = flux_plugin::create(path, init, conf, this);
        if (p)
            (*p)->name = path; /* listed with its leading dot, as in Flux */
    }
    else
        p = flux_plugin::load(path, jobtap_kind, conf, this);
    if (!p)
        return p.error();
    std::string name = (*p)->name;
    for (const auto &q : plugins_) {
        if (q->name == name)
            return flux::make_error(EEXIST, path + ": a jobtap plugin named '" + name +
                                                "' is already loaded (" + q->path + ")");
    }
    plugins_.push_back(std::move(*p));
    handles_.clear();
    host_.jobtap_log(LOG_DEBUG, "jobtap: loaded " + name + " (" + path + ")");
    return name;
}

flux::Result<void> Jobtap::remove(const std::string &name)
{
    if (name == "all") {
        while (!plugins_.empty()) {
            drop(plugins_.back().get());
            plugins_.pop_back();
        }
        return {};
    }
    for (auto it = plugins_.begin(); it != plugins_.end(); ++it) {
        if ((*it)->name == name) {
            drop(it->get());
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
        Scope scope(*this);
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
    if (!handles(topic))
        return first;
    Scope scope(*this);
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
        /* A rejected submission, or a dependency that cannot be met
         * (its target failed), is policy at work, not a fault. */
        bool policy = stop_at_failure || strncmp(topic, "job.dependency.", 15) == 0;
        host_.jobtap_log(policy ? LOG_INFO : LOG_ERR,
                         log_prefix(f.plugin) + ": " + topic + ": " + f.text);
        if (!first)
            first = std::move(f);
        if (stop_at_failure)
            break;
    }
    return first;
}

std::optional<int64_t> Jobtap::priority(flux_plugin_arg_t &args)
{
    static const char topic[] = "job.priority.get";
    if (!handles(topic))
        return std::nullopt;
    Scope scope(*this);
    for (const auto &p : plugins_) {
        if (!p->matches(topic))
            continue;
        args.out.reset();
        args.error.clear();
        int rc = p->call(topic, &args);
        if (rc < 0) {
            host_.jobtap_log(LOG_ERR, log_prefix(p->name) + ": " + topic + ": " +
                                          (failure_text(args).empty() ? "callback failed"
                                                                      : failure_text(args)));
            continue;
        }
        json_int_t prio;
        if (rc > 0 && args.out && json_unpack(args.out.get(), "{s:I}", "priority", &prio) == 0)
            return std::clamp<int64_t>(prio, 0, 4294967295LL);
    }
    return std::nullopt;
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
    json_t *info = jt->host().jobtap_job_info(id);
    if (!info) {
        errno = ENOENT;
        return -1;
    }
    jt->keep(info); /* strings unpacked stay valid until the callback returns */
    va_list ap;
    va_start(ap, fmt);
    int rc = json_vunpack_ex(info, nullptr, 0, fmt, ap);
    va_end(ap);
    if (rc < 0) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int flux_jobtap_job_foreach(flux_plugin_t *p, flux_jobtap_job_f cb, void *arg)
{
    Jobtap *jt = jobtap_of(p);
    if (!jt || !cb) {
        errno = EINVAL;
        return -1;
    }
    return jt->host().jobtap_foreach_active([&](uint64_t id) { return cb(p, id, arg); });
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

namespace {

int fail_with(const flux::Error &e)
{
    errno = e.errnum;
    return -1;
}

std::string vdesc(const char *fmt, va_list ap)
{
    return fluxd::vformat(fmt, ap);
}

} // namespace

int flux_jobtap_dependency_add(flux_plugin_t *p, flux_jobid_t id, const char *fmt, ...)
{
    Jobtap *jt = jobtap_of(p);
    if (!jt || !fmt) {
        errno = EINVAL;
        return -1;
    }
    va_list ap;
    va_start(ap, fmt);
    std::string desc = vdesc(fmt, ap);
    va_end(ap);
    if (desc.empty()) {
        errno = EINVAL;
        return -1;
    }
    auto r = jt->host().jobtap_dependency(id, desc, true);
    return r ? 0 : fail_with(r.error());
}

int flux_jobtap_dependency_remove(flux_plugin_t *p, flux_jobid_t id, const char *fmt, ...)
{
    Jobtap *jt = jobtap_of(p);
    if (!jt || !fmt) {
        errno = EINVAL;
        return -1;
    }
    va_list ap;
    va_start(ap, fmt);
    std::string desc = vdesc(fmt, ap);
    va_end(ap);
    auto r = jt->host().jobtap_dependency(id, desc, false);
    return r ? 0 : fail_with(r.error());
}

int flux_jobtap_reprioritize_job(flux_plugin_t *p, flux_jobid_t id, unsigned int priority)
{
    Jobtap *jt = jobtap_of(p);
    if (!jt) {
        errno = EINVAL;
        return -1;
    }
    auto r = jt->host().jobtap_reprioritize(id, (int64_t)priority);
    return r ? 0 : fail_with(r.error());
}

int flux_jobtap_reprioritize_all(flux_plugin_t *p)
{
    Jobtap *jt = jobtap_of(p);
    if (!jt) {
        errno = EINVAL;
        return -1;
    }
    jt->host().jobtap_reprioritize_all();
    return 0;
}

int flux_jobtap_job_aux_set(flux_plugin_t *p, flux_jobid_t id, const char *key, void *val,
                            void (*destroy)(void *))
{
    Jobtap *jt = jobtap_of(p);
    if (!jt || !key || !*key) {
        errno = EINVAL;
        return -1;
    }
    auto r = jt->host().jobtap_aux_set(p, id, key, val, destroy);
    return r ? 0 : fail_with(r.error());
}

void *flux_jobtap_job_aux_get(flux_plugin_t *p, flux_jobid_t id, const char *key)
{
    Jobtap *jt = jobtap_of(p);
    if (!jt || !key) {
        errno = EINVAL;
        return nullptr;
    }
    void *v = jt->host().jobtap_aux_get(p, id, key);
    if (!v)
        errno = ENOENT;
    return v;
}

json_t *flux_jobtap_job_R(flux_plugin_t *p, flux_jobid_t id)
{
    Jobtap *jt = jobtap_of(p);
    if (!jt) {
        errno = EINVAL;
        return nullptr;
    }
    json_t *R = jt->host().jobtap_R(id);
    if (!R)
        errno = ENOENT;
    return R;
}

int flux_jobtap_timer_add(flux_plugin_t *p, double after, flux_jobtap_timer_f cb, void *arg)
{
    Jobtap *jt = jobtap_of(p);
    if (!jt) {
        errno = EINVAL;
        return -1;
    }
    auto r = jt->timer_add(p, after, cb, arg);
    return r ? 0 : fail_with(r.error());
}

namespace {

bool valid_store_key(const char *key)
{
    if (!key || !*key || strlen(key) > 64)
        return false;
    for (const char *c = key; *c; c++) {
        if (!(isalnum((unsigned char)*c) || *c == '-' || *c == '_'))
            return false;
    }
    return true;
}

/* jobtap.NAME.KEY, NAME without its leading dot and with any character
 * a KVS key cannot hold replaced. */
std::string store_key(flux_plugin_t *p, const char *key)
{
    std::string name = p->name;
    if (!name.empty() && name[0] == '.')
        name.erase(0, 1);
    for (char &c : name) {
        if (!(isalnum((unsigned char)c) || c == '-' || c == '_'))
            c = '_';
    }
    return "jobtap." + name + "." + key;
}

} // namespace

int flux_jobtap_store_put(flux_plugin_t *p, const char *key, json_t *value)
{
    Jobtap *jt = jobtap_of(p);
    if (!jt || !valid_store_key(key) || !value) {
        errno = EINVAL;
        return -1;
    }
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        errno = EINVAL;
        return -1;
    }
    jt->host().jobtap_store_put(store_key(p, key), text);
    free(text);
    return 0;
}

json_t *flux_jobtap_store_get(flux_plugin_t *p, const char *key)
{
    Jobtap *jt = jobtap_of(p);
    if (!jt || !valid_store_key(key)) {
        errno = EINVAL;
        return nullptr;
    }
    auto text = jt->host().jobtap_store_get(store_key(p, key));
    json_error_t jerr;
    json_t *o = text ? json_loads(text->c_str(), JSON_DECODE_ANY, &jerr) : nullptr;
    if (!o)
        errno = ENOENT;
    return o;
}

double flux_jobtap_now(flux_plugin_t *p)
{
    Jobtap *jt = jobtap_of(p);
    return jt ? jt->host().jobtap_now() : 0;
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
    jt->host().jobtap_log(level, fluxd::log_prefix(p->name) + ": " + text);
}

} // extern "C"
