/* internal.h - the job shell's own types behind flux/shell.h's handles.
 *
 * flux_shell is the one object of a shell process: the job description,
 * the job-wide task environment, the tasks, the plugin stack and the
 * libevent loop.  Built-in plugins (builtins/) include this header only
 * for their info structs and what the shell keeps for them (the task map,
 * the channel to the leader shell); otherwise they use the public API
 * like any site plugin.
 */
#ifndef FLUX_SHELL_INTERNAL_H
#define FLUX_SHELL_INTERNAL_H

#include <cerrno>
#include <cstdint>
#include <deque>
#include <functional>
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

namespace flux::shell {

/* The job's leader shell is the one of the first node with tasks (nodes
 * without tasks have no shell).  NODE is its index in the task map (-1:
 * no node has tasks), RANK its broker rank; NSHELLS counts the shells. */
struct Leader {
    int node = -1;
    uint32_t rank = 0;
    int nshells = 0;
};
Leader find_leader(const flux::Taskmap &m);

/* Requests from this shell to a service of its job's leader shell (the
 * first node with tasks): task exit counts, "my tasks started".  They go
 * one at a time, in the order they were queued, each once the one before
 * it was answered.  The order is what keeps a report from being lost: the
 * leader outlives a follower's exit report (it waits for it), so a report
 * queued before that one is answered too, even when it had to be sent
 * again.
 *
 * ENOSYS means the leader has not registered its service yet (a loaded
 * node starts its shell late): the request is sent again after a back-off
 * (5 ms, doubling to 0.64 s), for up to a minute.  While anything is
 * queued the shell holds a completion reference ("leader-channel"). */
class LeaderChannel {
  public:
    /* The payload is built when the request is sent (a new reference), so
     * a request sent again carries the state of then. */
    using Payload = std::function<json_t *()>;
    /* The request's final answer: flux_rpc_get(F) tells which (nullptr:
     * it could not be sent, and the shell's log says why). */
    using Done = std::function<void(flux_future_t *f)>;

    void send(flux_shell_t *shell, uint32_t rank, std::string topic, Payload payload, Done done);

  private:
    struct Request {
        uint32_t rank;
        std::string topic;
        Payload payload;
        Done done;
    };
    void begin();
    void start();
    void finish(flux_future_t *f);
    static void answered(flux_future_t *f, void *arg);
    static void retry(evutil_socket_t, short, void *arg);

    flux_shell_t *shell_ = nullptr;
    std::deque<Request> queue_; /* the front one is in flight or waiting to retry */
    flux::FuturePtr inflight_;
    flux::EventPtr timer_;
    double backoff_ = 0;
    double waited_ = 0;
    bool finishing_ = false; /* in a Done callback: send() only queues */
};

} // namespace flux::shell

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
    flux::shell::LeaderChannel to_leader; /* reports to the leader shell */
    void maybe_finish();
};

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
