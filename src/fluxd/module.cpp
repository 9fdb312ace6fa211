/* module.cpp - loading broker modules (.so files with the C ABI of
 * flux/module.h).  Each module runs main() in a thread of its own with a
 * handle on one end of a socketpair; the broker holds the other end as a
 * link with the owner role, and routes "NAME.*" requests to it.
 *
 * The shared object is opened and its API version checked by the one
 * plugin loader (libflux/plugin_internal.h) that jobtap plugins use too.
 *
 * Attributes read: conf.module_path (colon-separated search path).
 */
#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "broker.h"
#include "flux/module.h"
#include "libflux/message_internal.h"
#include "libflux/plugin_internal.h"
#include "libflux/ptr.h"
#include "libflux/module_runtime.h"

namespace fluxd {

namespace {

bool valid_module_name(const char *name)
{
    if (!name || !*name || strlen(name) > 64)
        return false;
    for (const char *p = name; *p; p++) {
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' || *p == '_'))
            return false;
    }
    return true;
}

} // namespace

std::string Broker::module_find(const std::string &name) const
{
    if (name.find('/') != std::string::npos)
        return name;
    std::string path = attrs_.get("conf.module_path").value_or("");
    size_t start = 0;
    while (start <= path.size()) {
        size_t colon = path.find(':', start);
        std::string dir =
            path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        if (!dir.empty()) {
            for (const std::string &file : {name + ".so", name}) {
                std::string full = dir + "/" + file;
                struct stat sb;
                if (stat(full.c_str(), &sb) == 0 && S_ISREG(sb.st_mode))
                    return full;
            }
        }
        if (colon == std::string::npos)
            break;
        start = colon + 1;
    }
    return "";
}

flux::Result<Module *> Broker::module_load(const std::string &arg,
                                           const std::vector<std::string> &args)
{
    std::string path = module_find(arg);
    if (path.empty())
        return flux::make_error(ENOENT, "module '" + arg + "' not found in conf.module_path");
    /* The shared loader (libflux/plugin_internal.h): open, then the
     * module's own entry point and the common version rule. */
    auto dso = flux::dso_open(path);
    if (!dso)
        return dso.error();
    auto fail = [&](const std::string &why, int errnum = EINVAL) {
        return flux::make_error(errnum, why);
    };
    auto init = (flux_module_init_f)dso->symbol(FLUX_MODULE_INIT_SYMBOL);
    if (!init)
        return fail(path + " is not a flux module: it does not export " + FLUX_MODULE_INIT_SYMBOL +
                    "()");
    const struct flux_module_info *info = init();
    if (!info)
        return fail(path + ": " + FLUX_MODULE_INIT_SYMBOL + "() returned NULL");
    if (auto v = flux::api_version_check(path, "module", "broker", info->api_version,
                                         FLUX_MODULE_API_VERSION);
        !v)
        return v.error();
    if (!valid_module_name(info->name))
        return fail(path + ": invalid module name (use [a-z0-9_-], at most 64 characters)");
    if (!info->main)
        return fail(path + ": module has no main function");
    std::string name = info->name;
    if (modules_.count(name))
        return fail("module '" + name + "' is already loaded", EEXIST);
    if (services_.count(name) || builtin_services_.count(name))
        return fail("service '" + name + "' is already registered", EEXIST);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return fail(std::string("socketpair: ") + strerror(errno));

    auto mod = std::make_unique<Module>();
    Module *m = mod.get();
    m->name = name;
    m->path = path;
    m->args = args;
    m->dso = std::move(*dso);
    m->info = info;
    m->loaded_at = now();
    m->link = add_link(Link::Kind::module, sv[0], "m" + std::to_string(next_link_id_++));
    m->link->module = m;
    m->link->userid = getuid();
    m->link->rolemask = FLUX_ROLE_OWNER;
    m->link->services.push_back(name);
    services_[name] = m->link;
    modules_[name] = std::move(mod);
    int fd = sv[1];
    m->thread = std::thread([info, fd, args, done = m->thread_done]() {
        std::vector<std::string> argv_s = args;
        flux::module_run(info->name, info->main, fd, argv_s);
        done->store(true);
    });
    return m;
}

void Broker::module_stop(Module *m)
{
    if (m->state == Module::State::exiting || !m->link || m->link->closed)
        return;
    m->state = Module::State::exiting;
    flux::MsgPtr req(flux_msg_create(FLUX_MSGTYPE_REQUEST));
    flux_msg_set_topic(req.get(), "module.shutdown");
    req->flags = FLUX_MSGFLAG_NORESPONSE;
    req->userid = getuid();
    req->rolemask = FLUX_ROLE_OWNER;
    send_to(m->link, req.get());
}

/* The broker is going away with modules still running (init failed after
 * the scheduler was loaded, or one did not stop in time).  Their connection
 * is shut so each main() sees the broker gone and returns; each thread is
 * joined before its shared object is closed.  One still running after a
 * grace period is left running with its object kept loaded: unloading code
 * a thread executes would crash the exit. */
void Broker::modules_reap_at_exit()
{
    for (auto &[name, m] : modules_) {
        if (m->link && m->link->stream && m->link->stream->fd() >= 0)
            shutdown(m->link->stream->fd(), SHUT_RDWR);
    }
    double deadline = now() + 5.0;
    for (auto &[name, m] : modules_) {
        if (!m->thread.joinable())
            continue;
        while (!m->thread_done->load() && now() < deadline)
            usleep(1000);
        if (m->thread_done->load()) {
            m->thread.join();
        }
        else {
            fprintf(stderr, "fluxd: module '%s' did not stop; leaving it loaded\n", name.c_str());
            m->thread.detach();
            m->dso.leak();
        }
    }
}

/* The module's end of the socketpair closed: main() returned. */
void Broker::module_exited(Module *m)
{
    if (m->thread.joinable())
        m->thread.join();
    m->link = nullptr;
    if (m->load_request) {
        std::string why = "module '" + m->name + "' failed to start";
        if (!m->last_error.empty())
            why += ": " + m->last_error;
        respond_error(m->load_request.get(), EINVAL, why);
        m->load_request.reset();
    }
    else if (m->state != Module::State::exiting)
        log(LOG_ERR, "module '%s' exited unexpectedly", m->name.c_str());
    else
        log(LOG_DEBUG, "module '%s' unloaded", m->name.c_str());
    for (const auto &req : m->remove_requests)
        respond(req.get(), nullptr);
    modules_.erase(m->name); /* closes the shared object last */
}

void Broker::svc_module_load(const flux_msg_t *msg)
{
    const char *path;
    json_t *jargs = nullptr;
    if (flux_msg_unpack(msg, "{s:s s?o}", "path", &path, "args", &jargs) < 0 ||
        (jargs && !json_is_array(jargs))) {
        respond_error(msg, EPROTO, "module.load: expected {\"path\": string, \"args\": [string]}");
        return;
    }
    std::vector<std::string> args;
    size_t i;
    json_t *v;
    json_array_foreach(jargs, i, v)
    {
        if (!json_is_string(v)) {
            respond_error(msg, EPROTO, "module.load: args must be strings");
            return;
        }
        args.push_back(json_string_value(v));
    }
    if (state_ == State::shutdown) {
        respond_error(msg, EAGAIN, "broker is shutting down");
        return;
    }
    auto m = module_load(path, args);
    if (!m) {
        log(LOG_ERR, "module.load: %s", m.error().text.c_str());
        respond_error(msg, m.error().errnum, m.error().text);
        return;
    }
    (*m)->load_request = flux::msg_ref(msg);
}

void Broker::svc_module_status(const flux_msg_t *msg, Link *from)
{
    const char *status;
    Module *m = from->module;
    if (!m || flux_msg_unpack(msg, "{s:s}", "status", &status) < 0)
        return;
    if (strcmp(status, "running") == 0 && m->state == Module::State::loading) {
        m->state = Module::State::running;
        log(LOG_DEBUG, "module '%s' running", m->name.c_str());
        if (m->load_request) {
            respond(m->load_request.get(), nullptr);
            m->load_request.reset();
        }
    }
}

void Broker::svc_module_remove(const flux_msg_t *msg)
{
    const char *name;
    if (flux_msg_unpack(msg, "{s:s}", "name", &name) < 0) {
        respond_error(msg, EPROTO, "module.remove: expected {\"name\": string}");
        return;
    }
    auto it = modules_.find(name);
    if (it == modules_.end()) {
        respond_error(msg, ENOENT, std::string("module '") + name + "' is not loaded");
        return;
    }
    Module *m = it->second.get();
    m->remove_requests.push_back(flux::msg_ref(msg));
    module_stop(m);
}

void Broker::svc_module_list(const flux_msg_t *msg)
{
    json_t *mods = json_array();
    double t = now();
    for (const auto &[name, m] : modules_) {
        const char *st = m->state == Module::State::loading   ? "loading"
                         : m->state == Module::State::running ? "running"
                                                              : "exiting";
        double idle = m->link ? t - m->link->last_seen : 0;
        json_array_append_new(mods, json_pack("{s:s s:s s:s s:f s:[s]}", "name", name.c_str(),
                                              "path", m->path.c_str(), "state", st, "idle", idle,
                                              "services", name.c_str()));
    }
    json_t *builtin = json_array();
    for (const auto &svc : builtin_services_)
        json_array_append_new(builtin, json_string(svc.c_str()));
    respond(msg, json_pack("{s:o s:o}", "modules", mods, "builtin", builtin));
}

} // namespace fluxd
