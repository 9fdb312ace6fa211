/* input.cpp - built-in plugin "input": the tasks' standard input.
 *
 * Shell option input.stdin (RFC 24, flux run --input):
 *   {type: "service"}   (the default) the job's guest.input eventlog:
 *                       flux run / flux job attach append the bytes they
 *                       read (flux_job_input_create()), every shell watches
 *                       the log and writes each "data" entry {stream:
 *                       "stdin", rank: "all" | IDSET, data[, encoding]} to
 *                       the stdin pipes of its tasks in RANK; an entry with
 *                       eof: true closes them.
 *   {type: "file", path: P}  each task opens P (relative: to the job's
 *                       cwd) as its stdin; checked at shell.init.
 * A task with a pty (-o pty, output.cpp) gets its input on the terminal,
 * and the end of input as VEOF (^D); a "resize" entry {rank, rows, cols}
 * sets the terminal's window size.
 *   ranks: "all" | IDSET  only those tasks get the input, the others
 *                       /dev/null (a shell with none of them watches
 *                       nothing).
 *
 * Writes never block the loop: each pipe is non-blocking, bytes the task
 * has not read wait in a per-task evbuffer and go out as the pipe drains.
 * A task that exits (or closes its stdin) drops what was waiting for it;
 * once no task here can take more, the watch is cancelled.  Input holds
 * no completion reference: a job whose tasks ignore stdin ends when they
 * do.
 */
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include <event2/buffer.h>

#include "eventlog/eventlog.h"
#include "flux/kvs.h"
#include "fluid/fluid.h"
#include "idset/idset.h"
#include "ioencode/ioencode.h"
#include "shell/internal.h"

namespace {

struct TaskInput {
    int rank = 0;
    bool wanted = false; /* in input.stdin.ranks */
    int rfd = -1, wfd = -1;
    struct evbuffer *buf = nullptr;
    struct event *ev = nullptr; /* EV_WRITE on wfd while buf holds bytes */
    bool eof = false;           /* close once buf is drained */
    bool pty = false;           /* wfd is the task's pty master (-o pty) */
};

struct State {
    flux_shell_t *shell = nullptr;
    enum { service, file } type = service;
    std::string path;                 /* type file */
    std::optional<flux::IdSet> ranks; /* unset: all */
    std::string key;
    flux_future_t *watch = nullptr;
    std::string partial; /* a line not yet complete */
    std::vector<TaskInput> tasks;
};

State state;

bool open_for_input(const TaskInput &t)
{
    return state.type == State::service && t.wanted && t.wfd >= 0;
}

void stop_watch_if_idle()
{
    if (!state.watch)
        return;
    for (const auto &t : state.tasks)
        if (open_for_input(t))
            return;
    flux_kvs_lookup_cancel(state.watch);
    flux_future_destroy(state.watch);
    state.watch = nullptr;
}

void close_input(TaskInput &t)
{
    if (t.ev) {
        event_free(t.ev);
        t.ev = nullptr;
    }
    if (t.buf) {
        evbuffer_free(t.buf);
        t.buf = nullptr;
    }
    if (t.wfd >= 0) {
        close(t.wfd);
        t.wfd = -1;
    }
}

void write_cb(evutil_socket_t fd, short, void *arg)
{
    auto *t = static_cast<TaskInput *>(arg);
    while (evbuffer_get_length(t->buf) > 0) {
        int n = evbuffer_write(t->buf, fd);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return; /* EV_PERSIST: called again when the pipe drains */
        if (n <= 0) {
            /* EPIPE: the task closed its stdin; what it did not take is
             * dropped. */
            close_input(*t);
            stop_watch_if_idle();
            return;
        }
    }
    event_del(t->ev);
    if (t->eof) {
        close_input(*t);
        stop_watch_if_idle();
    }
}

void deliver(TaskInput &t, const std::string &data, bool eof)
{
    if (!open_for_input(t))
        return;
    if (!data.empty())
        evbuffer_add(t.buf, data.data(), data.size());
    if (eof && !t.eof && t.pty)
        evbuffer_add(t.buf, "\x04", 1); /* end of input on a terminal: VEOF */
    if (eof)
        t.eof = true;
    if (evbuffer_get_length(t.buf) > 0)
        event_add(t.ev, nullptr);
    else if (t.eof) {
        close_input(t);
        stop_watch_if_idle();
    }
}

/* {rank, rows, cols}: the window size of those tasks' terminals (-o pty);
 * the kernel sends SIGWINCH to their foreground process group. */
void resize(const flux::EventlogEntry &e)
{
    const char *rank = "all";
    int rows = 0, cols = 0;
    if (json_unpack(e.context, "{s?s s:i s:i}", "rank", &rank, "rows", &rows, "cols", &cols) < 0
        || rows <= 0 || cols <= 0 || rows > 65535 || cols > 65535) {
        flux_shell_log(state.shell, 3, "guest.input: malformed resize entry");
        return;
    }
    std::optional<flux::IdSet> set;
    if (strcmp(rank, "all") != 0 && !(set = flux::IdSet::parse(rank)))
        return;
    struct winsize ws = {};
    ws.ws_row = (unsigned short)rows;
    ws.ws_col = (unsigned short)cols;
    for (auto &t : state.tasks)
        if (t.pty && t.wfd >= 0 && (!set || set->contains((uint32_t)t.rank)))
            ioctl(t.wfd, TIOCSWINSZ, &ws);
}

void entry(const std::string &line)
{
    auto e = flux::eventlog_entry_decode(line);
    if (!e) {
        flux_shell_log(state.shell, 3, "guest.input: %s", e.error().text.c_str());
        return;
    }
    if (e->name == "resize" && e->context) {
        resize(*e);
        return;
    }
    if (e->name != "data" || !e->context)
        return; /* the header, or entries of a later version */
    auto d = flux::iodecode(e->context);
    if (!d) {
        flux_shell_log(state.shell, 3, "guest.input: %s", d.error().text.c_str());
        return;
    }
    if (d->stream != "stdin")
        return;
    std::optional<flux::IdSet> set;
    if (d->rank != "all") {
        std::string err;
        set = flux::IdSet::parse(d->rank, &err);
        if (!set) {
            flux_shell_log(state.shell, 3, "guest.input: rank %s", err.c_str());
            return;
        }
    }
    for (auto &t : state.tasks)
        if (!set || set->contains((uint32_t)t.rank))
            deliver(t, d->data, d->eof);
}

void watch_cb(flux_future_t *f, void *)
{
    const char *text = nullptr;
    size_t len = 0;
    if (flux_kvs_lookup_get_unpack(f, "s%", &text, &len) < 0) {
        if (errno != ENODATA)
            flux_shell_log(state.shell, 3, "guest.input: %s", flux_future_error_string(f));
        return;
    }
    state.partial.append(text, len);
    size_t start = 0, nl;
    while ((nl = state.partial.find('\n', start)) != std::string::npos) {
        entry(state.partial.substr(start, nl - start));
        start = nl + 1;
        if (!state.watch)
            return; /* every task here is done with its input */
    }
    state.partial.erase(0, start);
    flux_future_reset(f);
}

int shell_init(flux_shell_t *shell, const char *, flux_shell_task_t *, void *)
{
    state.shell = shell;
    json_t *opt = json_object_get(flux_shell_getopt(shell, "input"), "stdin");
    if (flux_shell_getopt(shell, "input") && !json_is_object(flux_shell_getopt(shell, "input"))) {
        flux_shell_log(shell, 3, "shell option input: expected an object {stdin: {...}}");
        return -1;
    }
    if (opt) {
        const char *type = "service", *path = nullptr;
        json_t *r = nullptr;
        json_error_t jerr;
        if (json_unpack_ex(opt, &jerr, JSON_STRICT, "{s?s s?s s?o}", "type", &type, "path", &path,
                           "ranks", &r)
            < 0) {
            flux_shell_log(shell, 3, "shell option input.stdin: %s", jerr.text);
            return -1;
        }
        /* -o input.stdin.ranks=1 arrives as a number. */
        std::string rtext = json_is_integer(r) ? std::to_string(json_integer_value(r))
                            : json_is_string(r) ? json_string_value(r)
                                                : "";
        if (r && rtext.empty()) {
            flux_shell_log(shell, 3, "shell option input.stdin.ranks: expected \"all\" or an idset");
            return -1;
        }
        const char *ranks = r ? rtext.c_str() : nullptr;
        if (strcmp(type, "file") == 0) {
            if (!path || !*path) {
                flux_shell_log(shell, 3, "shell option input.stdin: type file needs a path");
                return -1;
            }
            state.type = State::file;
            state.path = path;
            json_t *jobspec = json_object_get(flux_shell_get_info(shell), "jobspec");
            const char *cwd = json_string_value(json_object_get(
                json_object_get(json_object_get(jobspec, "attributes"), "system"), "cwd"));
            if (path[0] != '/' && cwd)
                state.path = std::string(cwd) + "/" + path;
            int fd = open(state.path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                flux_shell_log(shell, 3, "input %s: %s", path, strerror(errno));
                return -1;
            }
            close(fd);
        }
        else if (strcmp(type, "service") != 0) {
            flux_shell_log(shell, 3,
                           "shell option input.stdin.type: '%s' is not one of service, file", type);
            return -1;
        }
        if (ranks && strcmp(ranks, "all") != 0) {
            std::string err;
            state.ranks = flux::IdSet::parse(ranks, &err);
            if (!state.ranks) {
                flux_shell_log(shell, 3, "shell option input.stdin.ranks: %s", err.c_str());
                return -1;
            }
        }
    }
    json_int_t id = 0;
    int ntasks = 0;
    if (json_unpack(flux_shell_get_info(shell), "{s:I s:i}", "jobid", &id, "ntasks", &ntasks) < 0)
        return -1;
    state.key = "job." + flux::fluid_encode((uint64_t)id, flux::FluidFormat::dothex)
                + ".guest.input";
    state.tasks.resize((size_t)ntasks);
    return 0;
}

int task_init(flux_shell_t *shell, const char *, flux_shell_task_t *task, void *)
{
    TaskInput &t = state.tasks[(size_t)flux_shell_task_localid(task)];
    t.rank = flux_shell_task_rank(task);
    t.wanted = !state.ranks || state.ranks->contains((uint32_t)t.rank);
    if (state.type != State::service || !t.wanted)
        return 0;
    if (task->pty_master >= 0) {
        /* -o pty (output.cpp): input goes to the terminal. */
        t.pty = true;
        t.wfd = fcntl(task->pty_master, F_DUPFD_CLOEXEC, 3);
        if (t.wfd < 0) {
            flux_shell_log(shell, 3, "dup: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        flux_shell_log(shell, 3, "pipe: %s", strerror(errno));
        return -1;
    }
    t.rfd = fds[0];
    t.wfd = fds[1];
    return 0;
}

/* In the child: fd 0 is the pipe, the file, or /dev/null. */
int task_exec(flux_shell_t *, const char *, flux_shell_task_t *task, void *)
{
    TaskInput &t = state.tasks[(size_t)flux_shell_task_localid(task)];
    if (task->pty_master >= 0)
        return 0; /* fd 0 is the terminal (output.cpp) */
    int fd;
    if (t.rfd >= 0)
        fd = t.rfd;
    else if (state.type == State::file && t.wanted) {
        fd = open(state.path.c_str(), O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "flux-shell: task %d: input %s: %s\n", t.rank, state.path.c_str(),
                    strerror(errno));
            return -1;
        }
    }
    else
        fd = open("/dev/null", O_RDONLY);
    if (fd >= 0 && fd != STDIN_FILENO) {
        if (dup2(fd, STDIN_FILENO) < 0)
            return -1;
        if (fd != t.rfd)
            close(fd);
    }
    return 0;
}

int task_fork(flux_shell_t *shell, const char *, flux_shell_task_t *task, void *)
{
    TaskInput &t = state.tasks[(size_t)flux_shell_task_localid(task)];
    if (t.wfd < 0)
        return 0;
    if (t.rfd >= 0)
        close(t.rfd);
    t.rfd = -1;
    fcntl(t.wfd, F_SETFL, fcntl(t.wfd, F_GETFL) | O_NONBLOCK);
    t.buf = evbuffer_new();
    t.ev = event_new(flux_shell_get_event_base(shell), t.wfd, EV_WRITE | EV_PERSIST, write_cb, &t);
    if (!t.buf || !t.ev) {
        flux_shell_log(shell, 3, "task %d: cannot set up its stdin", t.rank);
        close_input(t);
        return -1;
    }
    if (!state.watch) {
        state.watch = flux_kvs_lookup(flux_shell_get_flux(shell), nullptr,
                                      FLUX_KVS_WATCH | FLUX_KVS_WAITCREATE | FLUX_KVS_WATCH_APPEND,
                                      state.key.c_str());
        if (!state.watch || flux_future_then(state.watch, -1, watch_cb, nullptr) < 0) {
            flux_shell_log(shell, 3, "%s: %s", state.key.c_str(), strerror(errno));
            flux_future_destroy(state.watch);
            state.watch = nullptr;
            close_input(t);
            return -1;
        }
    }
    return 0;
}

int task_exit(flux_shell_t *, const char *, flux_shell_task_t *task, void *)
{
    TaskInput &t = state.tasks[(size_t)flux_shell_task_localid(task)];
    close_input(t);
    stop_watch_if_idle();
    return 0;
}

int init(flux_shell_t *shell)
{
    if (flux_shell_add_handler(shell, "shell.init", shell_init, nullptr) < 0
        || flux_shell_add_handler(shell, "task.init", task_init, nullptr) < 0
        || flux_shell_add_handler(shell, "task.exec", task_exec, nullptr) < 0
        || flux_shell_add_handler(shell, "task.fork", task_fork, nullptr) < 0
        || flux_shell_add_handler(shell, "task.exit", task_exit, nullptr) < 0)
        return -1;
    return 0;
}

const flux_shell_plugin_info info = {FLUX_SHELL_PLUGIN_API_VERSION, "input", init};

} // namespace

const flux_shell_plugin_info *flux::shell::builtins::input()
{
    return &info;
}
