/* api.cpp - the host calls of flux/shell.h, and the task environment.
 *
 * Every function accepts a NULL handle (returning -1/EINVAL or NULL). */
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include <syslog.h>
#include <unistd.h>

#include "eventlog/eventlog.h"
#include "flux/kvs.h"
#include "fluid/fluid.h"
#include "internal.h"

namespace flux::shell {

const char *Environ::get(const std::string &name) const
{
    for (const auto &[k, v] : vars_)
        if (k == name)
            return v.c_str();
    return nullptr;
}

bool Environ::set(const std::string &name, const std::string &value, bool overwrite)
{
    if (name.empty() || name.find('=') != std::string::npos)
        return false;
    for (auto &[k, v] : vars_) {
        if (k == name) {
            if (overwrite)
                v = value;
            return true;
        }
    }
    vars_.emplace_back(name, value);
    return true;
}

void Environ::unset(const std::string &name)
{
    for (auto it = vars_.begin(); it != vars_.end(); ++it) {
        if (it->first == name) {
            vars_.erase(it);
            return;
        }
    }
}

std::vector<std::string> Environ::strings() const
{
    std::vector<std::string> out;
    out.reserve(vars_.size());
    for (const auto &[k, v] : vars_)
        out.push_back(k + "=" + v);
    return out;
}

} // namespace flux::shell

namespace {

int einval()
{
    errno = EINVAL;
    return -1;
}

int env_set(flux::shell::Environ &env, const char *name, const char *value, int overwrite)
{
    if (!name || !value || !env.set(name, value, overwrite != 0))
        return einval();
    return 0;
}

} // namespace

extern "C" {

FLUX_API int flux_shell_add_handler(flux_shell_t *shell, const char *topic,
                                    flux_shell_handler_f cb, void *arg)
{
    if (!shell || !topic || !cb)
        return einval();
    auto r = shell->stack.add_handler(topic, cb, arg);
    if (!r) {
        flux_shell_log(shell, 3, "%s", r.error().text.c_str());
        return einval();
    }
    return 0;
}

FLUX_API json_t *flux_shell_get_info(flux_shell_t *shell)
{
    return shell ? shell->info.get() : nullptr;
}

FLUX_API json_t *flux_shell_getopt(flux_shell_t *shell, const char *name)
{
    if (!shell || !name)
        return nullptr;
    return json_object_get(shell->options, name);
}

FLUX_API const char *flux_shell_getenv(flux_shell_t *shell, const char *name)
{
    return shell && name ? shell->env.get(name) : nullptr;
}

FLUX_API int flux_shell_setenv(flux_shell_t *shell, const char *name, const char *value,
                               int overwrite)
{
    return shell ? env_set(shell->env, name, value, overwrite) : einval();
}

FLUX_API int flux_shell_unsetenv(flux_shell_t *shell, const char *name)
{
    if (!shell || !name)
        return einval();
    shell->env.unset(name);
    return 0;
}

FLUX_API const char *flux_shell_task_getenv(flux_shell_task_t *task, const char *name)
{
    return task && name ? task->env.get(name) : nullptr;
}

FLUX_API int flux_shell_task_setenv(flux_shell_task_t *task, const char *name, const char *value,
                                    int overwrite)
{
    return task ? env_set(task->env, name, value, overwrite) : einval();
}

FLUX_API int flux_shell_task_unsetenv(flux_shell_task_t *task, const char *name)
{
    if (!task || !name)
        return einval();
    task->env.unset(name);
    return 0;
}

FLUX_API int flux_shell_task_rank(flux_shell_task_t *task)
{
    return task ? task->rank : einval();
}

FLUX_API int flux_shell_task_localid(flux_shell_task_t *task)
{
    return task ? task->localid : einval();
}

FLUX_API pid_t flux_shell_task_pid(flux_shell_task_t *task)
{
    return task ? task->pid : einval();
}

FLUX_API int flux_shell_task_status(flux_shell_task_t *task)
{
    return task ? task->status : einval();
}

FLUX_API void flux_shell_set_exit_code(flux_shell_t *shell, int code)
{
    if (shell)
        shell->exit_code = code;
}

FLUX_API int flux_shell_get_exit_code(flux_shell_t *shell)
{
    return shell ? shell->exit_code : einval();
}

FLUX_API int flux_shell_add_completion_ref(flux_shell_t *shell, const char *name)
{
    if (!shell || !name)
        return einval();
    shell->refs[name]++;
    return 0;
}

FLUX_API int flux_shell_remove_completion_ref(flux_shell_t *shell, const char *name)
{
    if (!shell || !name)
        return einval();
    auto it = shell->refs.find(name);
    if (it == shell->refs.end()) {
        errno = ENOENT;
        return -1;
    }
    if (--it->second == 0)
        shell->refs.erase(it);
    shell->maybe_finish();
    return 0;
}

FLUX_API flux_t *flux_shell_get_flux(flux_shell_t *shell)
{
    return shell ? shell->h : nullptr;
}

FLUX_API struct event_base *flux_shell_get_event_base(flux_shell_t *shell)
{
    return shell ? shell->base : nullptr;
}

FLUX_API void flux_shell_log(flux_shell_t *shell, int level, const char *fmt, ...)
{
    (void)level;
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (!shell) {
        fprintf(stderr, "flux-shell: %s\n", buf);
        return;
    }
    fprintf(stderr, "flux-shell[%d]: %s: %s\n", shell->rank, shell->stack.current(), buf);
    /* Errors and warnings also go to the job's output eventlog as RFC 24
     * style "log" events, so flux run / flux job attach show them.  Only
     * from the shell process itself: a task's child shares its socket. */
    if (level > LOG_WARNING || !shell->h || getpid() != shell->pid)
        return;
    auto e = flux::eventlog_entry_create(
        flux_reactor_now(flux_get_reactor(shell->h)), "log",
        json_pack("{s:s s:i s:i s:s}", "component", shell->stack.current(), "level", level,
                  "rank", shell->rank, "message", buf));
    auto line = flux::eventlog_entry_encode(e);
    if (!line)
        return;
    std::string key =
        "job." + flux::fluid_encode(shell->id, flux::FluidFormat::dothex) + ".guest.output";
    flux_kvs_txn_t *txn = flux_kvs_txn_create();
    flux_kvs_txn_put_string(txn, FLUX_KVS_APPEND, key.c_str(), line->c_str());
    flux_future_t *f = flux_kvs_commit(shell->h, nullptr, 0, txn);
    if (!f || flux_rpc_get(f, nullptr) < 0)
        fprintf(stderr, "flux-shell[%d]: log: %s\n", shell->rank,
                f ? flux_future_error_string(f) : strerror(errno));
    flux_future_destroy(f);
    flux_kvs_txn_destroy(txn);
}

} // extern "C"
