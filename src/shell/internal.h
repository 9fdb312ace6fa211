/* internal.h - the job shell's own types behind flux/shell.h's handles.
 *
 * flux_shell is the one object of a shell process: the job description,
 * the job-wide task environment, the tasks, the plugin stack and the
 * libevent loop.  Built-in plugins (builtins/) include this header only
 * for their info structs; they use the public API like any site plugin.
 */
#ifndef FLUX_SHELL_INTERNAL_H
#define FLUX_SHELL_INTERNAL_H

#include <cerrno>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <event2/event.h>

#include "flux/shell.h"
#include "libflux/plugin_internal.h"
#include "libflux/ptr.h"
#include "result/result.h"
#include "taskmap/taskmap.h"

namespace flux::shell {

/* The shell's life for one job (`flux-shell JOBID`, description on
 * stdin); ends in _exit() with the job's code. */
int shell_main(int argc, char **argv);
/* `flux-shell --launcher FD`: fork a shell per request on FD
 * (launcher.cpp, doc/design/shell-launcher.md). */
int launcher_main(const char *fd);

/* An environment in which each name appears once, in insertion order. */
class Environ {
  public:
    const char *get(const std::string &name) const;
    /* false if name is empty or holds '=' */
    bool set(const std::string &name, const std::string &value, bool overwrite);
    void unset(const std::string &name);
    /* "NAME=VALUE" strings for execve (owned by the caller's vector). */
    std::vector<std::string> strings() const;

  private:
    std::vector<std::pair<std::string, std::string>> vars_;
};

/* Handlers in load order.  Loaded plugins are opened with the shared
 * loader (libflux/plugin_internal.h), as broker modules and jobtap
 * plugins are. */
class Plugstack {
  public:
    /* Register a plugin from its info struct (built-in or loaded): check
     * the ABI version, then call info->init().  Errors name the plugin. */
    Result<void> add(flux_shell_t *shell, const flux_shell_plugin_info *info,
                     const std::string &where);
    /* Open PATH (flux::dso_open), look up flux_plugin_init, then add().
     * Errors name the file: "plugin PATH: No such file or directory",
     * "plugin PATH: cannot load: <dlerror>", "plugin PATH: no
     * flux_plugin_init() symbol: not a shell plugin", "plugin PATH: shell
     * plugin API version 2.0 is not supported (flux-shell has 1.0)",
     * "plugin PATH: plugin NAME: init failed". */
    Result<void> load(flux_shell_t *shell, const std::string &path);
    Result<void> add_handler(const std::string &topic, flux_shell_handler_f cb, void *arg);
    /* Run the topic's handlers in order.  Stops at the first that fails
     * when stop_on_error, and returns its error (naming the plugin);
     * otherwise logs each failure and returns success.  A handler that
     * registers another handler for the same topic during the walk (or
     * loads a plugin that does) has it run in this same walk, after the
     * handlers already registered. */
    Result<void> call(flux_shell_t *shell, const std::string &topic, flux_shell_task_t *task,
                      bool stop_on_error);
    const char *current() const { return current_; }
    ~Plugstack();

  private:
    struct Handler {
        std::string topic;
        flux_shell_handler_f cb;
        void *arg;
        std::string plugin;
    };
    /* Declared before handlers_: closed after the handlers are gone. */
    std::vector<flux::Dso> dsos_;
    /* A deque: handlers added during call() do not move the one running. */
    std::deque<Handler> handlers_;
    std::string loading_; /* plugin whose init() is running */
    const char *current_ = "shell";
};

} // namespace flux::shell

struct flux_shell_task {
    flux_shell *shell = nullptr;
    int rank = 0;    /* global task id */
    int localid = 0; /* index on this node */
    pid_t pid = -1;
    int status = -1;
    int pty_master = -1; /* -o pty: the task's terminal (output.cpp owns it) */
    flux::shell::Environ env;
};

struct flux_shell {
    uint64_t id = 0;
    int rank = 0; /* this shell's node index */
    pid_t pid = 0; /* the shell process (not a forked task) */
    flux_t *h = nullptr;
    struct event_base *base = nullptr;
    flux::JsonPtr info;            /* flux_shell_get_info() */
    json_t *options = nullptr;     /* borrowed from info's jobspec */
    flux::shell::Environ env;      /* job-wide task environment */
    std::optional<flux::Taskmap> taskmap; /* every node's tasks, from R and the jobspec */
    std::vector<flux_shell_task> tasks;
    size_t exited = 0;
    int exit_code = 0;
    std::map<std::string, int> refs; /* completion references */
    flux::shell::Plugstack stack;
    void maybe_finish();
};

namespace flux::shell {

/* A report to the leader shell that got ENOSYS: the leader has not
 * registered its service yet (a loaded node starts shells late).  It
 * cannot have gone while the report is owed (it waits for it), short of
 * an exception that ends this shell too, so the report is sent again
 * after a back-off (5 ms, doubling to 0.5 s), for up to a minute. */
struct LeaderRetry {
    flux::EventPtr timer;
    double backoff = 0.005;
    double waited = 0;

    /* ERRNUM is the report's error: if it is ENOSYS and the minute is not
     * over, CB(ARG) is scheduled and true returned. */
    bool schedule(flux_shell_t *shell, int errnum, event_callback_fn cb, void *arg)
    {
        if (errnum != ENOSYS || waited >= 60.)
            return false;
        if (!timer)
            timer.reset(evtimer_new(flux_shell_get_event_base(shell), cb, arg));
        struct timeval tv = {(time_t)backoff, (suseconds_t)((backoff - (long)backoff) * 1e6)};
        waited += backoff;
        if (backoff < 0.5)
            backoff *= 2;
        return timer && evtimer_add(timer.get(), &tv) == 0;
    }
    bool pending() const { return timer && evtimer_pending(timer.get(), nullptr); }
};

} // namespace flux::shell

/* Built-in plugins, registered in this order before any site plugin. */
namespace flux::shell::builtins {
const flux_shell_plugin_info *env();
const flux_shell_plugin_info *signals();
const flux_shell_plugin_info *affinity();
const flux_shell_plugin_info *output();
const flux_shell_plugin_info *input();
const flux_shell_plugin_info *exitcode();
const flux_shell_plugin_info *pmi_simple();
const flux_shell_plugin_info *pmix_loader();
const flux_shell_plugin_info *exit();
const flux_shell_plugin_info *jobtmp();
const flux_shell_plugin_info *exec_events();
} // namespace flux::shell::builtins

#endif // FLUX_SHELL_INTERNAL_H
