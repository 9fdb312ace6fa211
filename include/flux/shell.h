/* flux/shell.h - the job shell plugin ABI.
 *
 * flux-shell runs one job's tasks on one node.  Everything it does beyond
 * forking is a plugin on the topics below: output, affinity, signals, the
 * task environment and the exit code are built-in plugins using this same
 * API, and sites add their own (PMI servers, containers, accounting).
 *
 * A plugin is a shared object exporting one symbol, flux_plugin_init(),
 * returning a static info struct whose first field is the ABI version;
 * the shell refuses a plugin without the symbol or with another major
 * version, naming the file.  Plugins load in this order: the built-ins,
 * then FLUX_SHELL_PLUGINS (colon-separated paths, from the broker's
 * environment: site-wide), then the job's shell option
 * `-o plugins=PATH[,PATH...]` (the user's).  info->init() registers
 * topic handlers with flux_shell_add_handler().
 *
 * Lifecycle (one shell per node per job):
 *
 *   parse job description, compute the task layout (R + jobspec)
 *   load plugins, call each info->init()
 *        |
 *   shell.init        job environment set; plugins read options, set
 *        |            job-wide environment, open files
 *   shell.post-init
 *        |
 *   for each local task:
 *     task.init       in the shell, before fork: per-task environment
 *     task.exec       in the child, just before exec (no event loop;
 *        |            return -1 to fail the task with code 126)
 *     task.fork       in the shell, after fork: the pid is known
 *        |
 *   shell.start       every local task has been started
 *        |
 *   event loop: output, signals, ... until every task has exited and
 *        |      every completion reference is dropped
 *     task.exit       in the shell, per task, once it is reaped
 *        |
 *   shell.exit        then the shell exits with the exit code
 *
 * Handlers of one topic run in load order.  A handler returns 0, or -1
 * after flux_shell_log()ing why: -1 from shell.init, shell.post-init or
 * task.init fails the shell (exit code 1, the plugin's name in the
 * message); from task.exec the task exits 126; elsewhere it is logged.
 * Handlers run on the shell's thread and must not block.
 */
#ifndef FLUX_SHELL_H
#define FLUX_SHELL_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <flux/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* major << 16 | minor.  A shell loads plugins of its major version and a
 * minor version no greater than its own. */
#define FLUX_SHELL_PLUGIN_API_VERSION ((1u << 16) | 0u)

typedef struct flux_shell flux_shell_t;
typedef struct flux_shell_task flux_shell_task_t;

/* A topic handler.  task is the task concerned for task.* topics, NULL
 * for shell.* topics. */
typedef int (*flux_shell_handler_f)(flux_shell_t *shell, const char *topic,
                                    flux_shell_task_t *task, void *arg);

struct flux_shell_plugin_info {
    uint32_t api_version; /* FLUX_SHELL_PLUGIN_API_VERSION */
    const char *name;     /* for messages */
    /* Register handlers; 0 or -1 (the shell then fails, naming the plugin). */
    int (*init)(flux_shell_t *shell);
};

/* The one symbol a plugin exports. */
typedef const struct flux_shell_plugin_info *(*flux_shell_plugin_init_f)(void);
#define FLUX_SHELL_PLUGIN_INIT_SYMBOL "flux_plugin_init"

/* Call cb(shell, topic, task, arg) on topic ("shell.init", "task.exit",
 * ... exactly, or "task.*" for every task topic).  0, or -1 with errno
 * EINVAL for an unknown topic. */
FLUX_API int flux_shell_add_handler(flux_shell_t *shell, const char *topic,
                                    flux_shell_handler_f cb, void *arg);

/* The job, as a JSON object borrowed from the shell (do not modify):
 *   {"jobid": I (integer id), "rank": i (this shell's node index),
 *    "broker_rank": i, "size": i (tasks in the job), "nnodes": i,
 *    "ntasks": i (tasks on this node), "jobspec": o, "R": o or null,
 *    "taskmap": s (RFC 34), "cpus": s (idset of OS CPUs here),
 *    "gpus": s (idset)}
 */
FLUX_API json_t *flux_shell_get_info(flux_shell_t *shell);

/* A shell option (-o NAME=VALUE, attributes.system.shell.options.NAME),
 * borrowed; NULL if unset. */
FLUX_API json_t *flux_shell_getopt(flux_shell_t *shell, const char *name);

/* The job-wide task environment (copied into each task at task.init).
 * Each name appears once; setenv with overwrite == 0 keeps an existing
 * value.  getenv returns a string owned by the shell, valid until the
 * variable changes.  0 or -1 (EINVAL: bad name). */
FLUX_API const char *flux_shell_getenv(flux_shell_t *shell, const char *name);
FLUX_API int flux_shell_setenv(flux_shell_t *shell, const char *name, const char *value,
                               int overwrite);
FLUX_API int flux_shell_unsetenv(flux_shell_t *shell, const char *name);

/* One task's environment: the same calls on a task (task.init, or
 * task.exec in the child). */
FLUX_API const char *flux_shell_task_getenv(flux_shell_task_t *task, const char *name);
FLUX_API int flux_shell_task_setenv(flux_shell_task_t *task, const char *name,
                                    const char *value, int overwrite);
FLUX_API int flux_shell_task_unsetenv(flux_shell_task_t *task, const char *name);

/* Task facts. */
FLUX_API int flux_shell_task_rank(flux_shell_task_t *task);     /* global id */
FLUX_API int flux_shell_task_localid(flux_shell_task_t *task);  /* 0..ntasks-1 */
FLUX_API pid_t flux_shell_task_pid(flux_shell_task_t *task);    /* -1 before fork */
/* wait(2) status once exited (task.exit), else -1. */
FLUX_API int flux_shell_task_status(flux_shell_task_t *task);

/* The job's exit code: the shell exits with it (default 0). */
FLUX_API void flux_shell_set_exit_code(flux_shell_t *shell, int code);
FLUX_API int flux_shell_get_exit_code(flux_shell_t *shell);

/* Keep the shell running after its tasks exit until every reference
 * taken is dropped (e.g. output still draining).  0 or -1. */
FLUX_API int flux_shell_add_completion_ref(flux_shell_t *shell, const char *name);
FLUX_API int flux_shell_remove_completion_ref(flux_shell_t *shell, const char *name);

/* The shell's connection to its broker and its libevent loop (for fd and
 * timer watchers); both owned by the shell. */
FLUX_API flux_t *flux_shell_get_flux(flux_shell_t *shell);
FLUX_API struct event_base *flux_shell_get_event_base(flux_shell_t *shell);

/* Log to the shell's stderr (the broker's log) as
 * "flux-shell[RANK]: PLUGIN: message"; level is a syslog level. */
FLUX_API void flux_shell_log(flux_shell_t *shell, int level, const char *fmt, ...)
    FLUX_PRINTF(3, 4);

#ifdef __cplusplus
}
#endif

#endif /* !FLUX_SHELL_H */
