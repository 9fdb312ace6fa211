/* exit.cpp - built-in plugin "exit": end a job whose tasks stop early.
 *
 *   -o exit-on-error      the first local task that exits with a nonzero
 *                         code or a signal raises a fatal job exception
 *                         "task R exited with code N" / "killed by signal S"
 *   -o exit-timeout=FSD   once a local task has exited, tasks of this node
 *                         still running FSD later raise a fatal exception
 *                         naming the first task that exited ("none", the
 *                         default, disables it)
 *
 * A fatal exception makes the job manager kill every task of the job.
 * Unlike Flux, the timeout is watched per node (each shell for its own
 * tasks), which needs no message between shells; and it is off unless
 * asked for, so a job whose tasks end at different times is not cut
 * short.  Nothing runs unless an option is given.
 */
#include <cerrno>
#include <string>
#include <sys/wait.h>
#include <syslog.h>

#include <event2/event.h>

#include "flux/job.h"
#include "fsd/fsd.h"
#include "libflux/ptr.h"
#include "shell/internal.h"

namespace {

struct Exit {
    flux_shell_t *shell = nullptr;
    bool on_error = false;
    double timeout = -1;
    bool active = false; /* an option is set */
    bool raised = false;
    int first = -1; /* first task to exit */
    std::string first_how;
    flux::EventPtr timer;
    size_t running = 0;
};

void raise_exception(Exit *x, const std::string &note)
{
    if (x->raised)
        return;
    x->raised = true;
    flux_shell_log(x->shell, LOG_ERR, "%s", note.c_str());
    json_int_t id = 0;
    json_unpack(flux_shell_get_info(x->shell), "{s:I}", "jobid", &id);
    flux::FuturePtr f(flux_job_raise(flux_shell_get_flux(x->shell), (flux_jobid_t)id, "exec", 0,
                                     note.c_str()));
    /* EINVAL "already finishing": another shell's exception won. */
    if (!f || (flux_rpc_get(f.get(), nullptr) < 0 && errno != EINVAL))
        flux_shell_log(x->shell, LOG_ERR, "cannot raise a job exception: %s",
                       f ? flux_future_error_string(f.get()) : "out of memory");
}

std::string how(int status)
{
    if (WIFSIGNALED(status))
        return "killed by signal " + std::to_string(WTERMSIG(status));
    return "exited with code " + std::to_string(WEXITSTATUS(status));
}

void timeout_cb(evutil_socket_t, short, void *arg)
{
    auto *x = static_cast<Exit *>(arg);
    if (x->running > 0)
        raise_exception(x, "exit-timeout: " + std::to_string(x->running)
                               + " task(s) still running after task " + std::to_string(x->first)
                               + " " + x->first_how);
}

int task_exit(flux_shell_t *shell, const char *, flux_shell_task_t *task, void *arg)
{
    auto *x = static_cast<Exit *>(arg);
    if (!x->active)
        return 0;
    int status = flux_shell_task_status(task);
    if (x->running > 0)
        x->running--;
    bool failed = WIFSIGNALED(status) || WEXITSTATUS(status) != 0;
    if (x->on_error && failed)
        raise_exception(x, "task " + std::to_string(flux_shell_task_rank(task)) + " "
                               + how(status));
    if (x->first < 0) {
        x->first = flux_shell_task_rank(task);
        x->first_how = how(status);
        if (x->timeout >= 0 && x->running > 0) {
            x->timer.reset(evtimer_new(flux_shell_get_event_base(shell), timeout_cb, x));
            struct timeval tv = {(time_t)x->timeout,
                                 (suseconds_t)((x->timeout - (long)x->timeout) * 1e6)};
            if (!x->timer || evtimer_add(x->timer.get(), &tv) < 0)
                flux_shell_log(shell, LOG_ERR, "cannot start the exit-timeout timer");
        }
    }
    if (x->running == 0)
        x->timer.reset();
    return 0;
}

int shell_init(flux_shell_t *shell, const char *, flux_shell_task_t *, void *arg)
{
    auto *x = static_cast<Exit *>(arg);
    x->shell = shell;
    json_t *eoe = flux_shell_getopt(shell, "exit-on-error");
    json_t *eto = flux_shell_getopt(shell, "exit-timeout");
    if (eoe) {
        /* -o exit-on-error (1), =0/=1, true/false */
        if (json_is_boolean(eoe))
            x->on_error = json_is_true(eoe);
        else if (json_is_integer(eoe))
            x->on_error = json_integer_value(eoe) != 0;
        else {
            flux_shell_log(shell, LOG_ERR, "-o exit-on-error: expected no value, 0 or 1");
            return -1;
        }
    }
    if (eto) {
        if (json_is_string(eto) && std::string(json_string_value(eto)) == "none")
            x->timeout = -1;
        else if (json_is_number(eto))
            x->timeout = json_number_value(eto);
        else if (json_is_string(eto)) {
            auto d = flux::fsd_parse(json_string_value(eto));
            if (!d) {
                flux_shell_log(shell, LOG_ERR, "-o exit-timeout: %s", d.error().text.c_str());
                return -1;
            }
            x->timeout = *d;
        }
        else {
            flux_shell_log(shell, LOG_ERR, "-o exit-timeout: expected a duration (FSD) or none");
            return -1;
        }
    }
    if (!x->on_error && x->timeout < 0)
        return 0;
    json_int_t ntasks = 0;
    json_unpack(flux_shell_get_info(shell), "{s:I}", "ntasks", &ntasks);
    x->running = (size_t)ntasks;
    x->active = true;
    return 0;
}

int init(flux_shell_t *shell)
{
    static Exit x; /* one shell per process */
    /* task.exit is registered here, not from shell.init (the stack is
     * being walked then); it does nothing unless an option is set. */
    if (flux_shell_add_handler(shell, "shell.init", shell_init, &x) < 0)
        return -1;
    return flux_shell_add_handler(shell, "task.exit", task_exit, &x);
}

const flux_shell_plugin_info info = {FLUX_SHELL_PLUGIN_API_VERSION, "exit", init};

} // namespace

const flux_shell_plugin_info *flux::shell::builtins::exit()
{
    return &info;
}
