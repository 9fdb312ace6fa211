/* plugstack.cpp - the shell's plugin stack and its one plugin loader.
 *
 * Topics: shell.init, shell.post-init, task.init, task.exec, task.fork,
 * task.exit, shell.exit ("task.*" matches every task topic).  Handlers run
 * in registration order: built-ins first, then site plugins, then the
 * job's.  load() opens a plugin through the one shared loader
 * (libflux/plugin_internal.h: flux::dso_open, flux::api_version_check),
 * the same path broker modules and jobtap plugins take; every error names
 * the file.
 */
#include <cstring>

#include "internal.h"
#include "libflux/plugin_internal.h"

namespace flux::shell {

namespace {

const char *const topics[] = {"shell.init", "shell.post-init", "task.init", "task.exec",
                              "task.fork",  "task.exit",       "shell.start", "shell.exit"};

bool known_topic(const std::string &t)
{
    if (t == "task.*")
        return true;
    for (const char *k : topics)
        if (t == k)
            return true;
    return false;
}

bool matches(const std::string &pattern, const std::string &topic)
{
    if (pattern == "task.*")
        return topic.compare(0, 5, "task.") == 0;
    return pattern == topic;
}

} // namespace

Plugstack::~Plugstack()
{
    /* Handlers point into the objects: drop them before dsos_ closes them. */
    handlers_.clear();
}

Result<void> Plugstack::add(flux_shell_t *shell, const flux_shell_plugin_info *info,
                            const std::string &where)
{
    if (!info)
        return make_error(EINVAL, where + ": " FLUX_SHELL_PLUGIN_INIT_SYMBOL "() returned NULL");
    if (auto r = flux::api_version_check(where, "shell plugin", "flux-shell", info->api_version,
                                         FLUX_SHELL_PLUGIN_API_VERSION);
        !r)
        return r.error();
    if (!info->name || !*info->name || !info->init)
        return make_error(EINVAL, where + ": plugin info has no name or no init()");
    /* Saved and restored: a plugin's init() may add another plugin. */
    std::string saved_loading = loading_;
    loading_ = info->name;
    const char *saved = current_;
    current_ = info->name;
    int rc = info->init(shell);
    current_ = saved;
    loading_ = saved_loading;
    if (rc < 0)
        return make_error(EINVAL, where + ": plugin " + info->name + ": init failed");
    return {};
}

Result<void> Plugstack::load(flux_shell_t *shell, const std::string &path)
{
    const std::string where = "plugin " + path;
    /* RTLD_NOW inside: a symbol the shell does not export is reported
     * here, naming the file, not as a crash in the middle of a job. */
    auto dso = flux::dso_open(path);
    if (!dso)
        return make_error(dso.error().errnum, "plugin " + dso.error().text);
    auto init = reinterpret_cast<flux_shell_plugin_init_f>(
        dso->symbol(FLUX_SHELL_PLUGIN_INIT_SYMBOL));
    if (!init)
        return make_error(EINVAL, where + ": no " FLUX_SHELL_PLUGIN_INIT_SYMBOL
                                          "() symbol: not a shell plugin");
    dsos_.push_back(std::move(*dso));
    return add(shell, init(), where);
}

Result<void> Plugstack::add_handler(const std::string &topic, flux_shell_handler_f cb, void *arg)
{
    if (!known_topic(topic) || !cb)
        return make_error(EINVAL, "unknown shell plugin topic '" + topic + "'");
    handlers_.push_back(Handler{topic, cb, arg, loading_.empty() ? std::string(current_) : loading_});
    return {};
}

Result<void> Plugstack::call(flux_shell_t *shell, const std::string &topic,
                             flux_shell_task_t *task, bool stop_on_error)
{
    /* By index, re-reading the size: a handler may append handlers (the
     * PMIx loader does, and a plugin's shell.init may) and those run too. */
    for (size_t i = 0; i < handlers_.size(); i++) {
        const Handler &h = handlers_[i];
        if (!matches(h.topic, topic))
            continue;
        const char *saved = current_;
        current_ = h.plugin.c_str();
        int rc = h.cb(shell, topic.c_str(), task, h.arg);
        current_ = saved;
        if (rc < 0) {
            if (stop_on_error)
                return make_error(EINVAL, "plugin " + h.plugin + ": " + topic + " failed");
            flux_shell_log(shell, 3, "%s: %s failed", h.plugin.c_str(), topic.c_str());
        }
    }
    return {};
}

} // namespace flux::shell
