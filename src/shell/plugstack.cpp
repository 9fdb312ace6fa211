/* plugstack.cpp - the shell's plugin stack and its one plugin loader.
 *
 * Topics: shell.init, shell.post-init, task.init, task.exec, task.fork,
 * task.exit, shell.exit ("task.*" matches every task topic).  Handlers run
 * in registration order: built-ins first, then site plugins, then the
 * job's.  load() is the only place that dlopen()s: it is what moves to
 * the shared plugin loader (src/common/plugin) once that exists.
 */
#include <cstring>
#include <dlfcn.h>

#include "internal.h"

namespace flux::shell {

namespace {

const char *const topics[] = {"shell.init", "shell.post-init", "task.init", "task.exec",
                              "task.fork",  "task.exit",       "shell.exit"};

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
    /* Handlers may point into the objects: drop them first. */
    handlers_.clear();
    for (void *d : dsos_)
        dlclose(d);
}

Result<void> Plugstack::add(flux_shell_t *shell, const flux_shell_plugin_info *info,
                            const std::string &where)
{
    if (!info)
        return make_error(EINVAL, where + ": flux_plugin_init() returned NULL");
    uint32_t v = info->api_version;
    if ((v >> 16) != (FLUX_SHELL_PLUGIN_API_VERSION >> 16)
        || (v & 0xffff) > (FLUX_SHELL_PLUGIN_API_VERSION & 0xffff))
        return make_error(EINVAL, where + ": shell plugin API version "
                                      + std::to_string(v >> 16) + "." + std::to_string(v & 0xffff)
                                      + " is not supported (this shell speaks "
                                      + std::to_string(FLUX_SHELL_PLUGIN_API_VERSION >> 16) + "."
                                      + std::to_string(FLUX_SHELL_PLUGIN_API_VERSION & 0xffff)
                                      + ")");
    if (!info->name || !*info->name || !info->init)
        return make_error(EINVAL, where + ": plugin info has no name or no init()");
    loading_ = info->name;
    const char *saved = current_;
    current_ = info->name;
    int rc = info->init(shell);
    current_ = saved;
    loading_.clear();
    if (rc < 0)
        return make_error(EINVAL, where + ": plugin " + info->name + ": init failed");
    return {};
}

Result<void> Plugstack::load(flux_shell_t *shell, const std::string &path)
{
    /* RTLD_NOW: an unresolved symbol is reported here, naming the file,
     * not as a crash in the middle of a job. */
    void *dso = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!dso) {
        const char *e = dlerror();
        return make_error(ENOENT, std::string("plugin ") + path + ": " + (e ? e : "dlopen failed"));
    }
    dlerror();
    auto init = reinterpret_cast<flux_shell_plugin_init_f>(
        dlsym(dso, FLUX_SHELL_PLUGIN_INIT_SYMBOL));
    if (!init) {
        dlclose(dso);
        return make_error(EINVAL, "plugin " + path + ": no " FLUX_SHELL_PLUGIN_INIT_SYMBOL
                                  "() symbol: not a shell plugin");
    }
    dsos_.push_back(dso);
    return add(shell, init(), "plugin " + path);
}

Result<void> Plugstack::add_handler(const std::string &topic, flux_shell_handler_f cb, void *arg)
{
    if (!known_topic(topic) || !cb)
        return make_error(EINVAL, "unknown shell plugin topic '" + topic + "'");
    handlers_.push_back(Handler{topic, cb, arg, loading_.empty() ? "shell" : loading_});
    return {};
}

Result<void> Plugstack::call(flux_shell_t *shell, const std::string &topic,
                             flux_shell_task_t *task, bool stop_on_error)
{
    for (const auto &h : handlers_) {
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
