/* output.cpp - built-in plugin "output": the tasks' stdout and stderr.
 *
 * task.init makes two pipes per task; task.exec (in the child) puts them
 * on fds 1 and 2 (fd 0 is the input plugin's); task.fork watches the read ends in
 * the event loop, holding a completion reference per pipe until EOF.
 *
 * Output is bytes and is carried losslessly (src/common/ioencode): each
 * read becomes an RFC 24 "data" event {stream, rank, data[, encoding]}
 * appended to job.<id>.guest.output in the KVS, base64 when the chunk is
 * not NUL-free UTF-8.  When a task's pipe closes, its stream ends with an
 * RFC 24 end-of-stream entry {stream, rank, eof: true}, so a reader knows
 * that stream of that rank is complete.  The events of one loop wake-up go
 * in one commit.
 * With -o pty (pty.ranks=IDSET, default all; pty.interactive: rank 0),
 * those tasks get a pseudo-terminal instead: fds 0, 1 and 2 are its slave
 * (their controlling terminal, in a new session), and what they write on
 * it is their stdout; the input plugin writes their input to the master.
 * pty.rows / pty.cols set its window size.
 * With the shell option output.stdout / output.stderr {type: "file",
 * path} (flux run --output/--error) the bytes go to the file instead
 * ({{id}}, {{id.f58}}, {{id.dec}}, {{name}}, {{node.name}}, {{node.id}} expanded; stderr follows
 * stdout unless given).  output.mode is "truncate" (the default, as
 * Flux) or "append".
 *
 * Every shell of the job writes its own tasks' output to the file
 * (O_APPEND), so truncation must happen once, before any of them writes:
 * under an flock, the first shell to open the file finds it not yet
 * marked with this job's id (user.fluxd.job), truncates it and marks it;
 * the others, and the second open of a file named by both --output and
 * --error, find the mark and append.  On a file system without user
 * xattrs, only the leader shell truncates, at its start
 * (doc/design/output-files.md).
 */
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <termios.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "eventlog/eventlog.h"
#include "flux/kvs.h"
#include "fluid/fluid.h"
#include "idset/idset.h"
#include "ioencode/ioencode.h"
#include "shell/internal.h"

namespace {

struct Pipe {
    int rfd = -1, wfd = -1;
    struct event *ev = nullptr;
    bool err = false;
    int rank = 0;
};

struct State {
    flux_shell_t *shell = nullptr;
    std::string key;
    std::string pending;
    flux_future_t *inflight = nullptr; /* the commit on its way */
    struct event *flush_ev = nullptr;
    int out_fd = -1, err_fd = -1;
    bool truncate = true;    /* output.mode */
    int shell_rank = 0;      /* this shell's node index (0: the leader) */
    std::vector<Pipe> pipes; /* 2 per task: [2*localid] out, [2*localid+1] err */
    bool pty = false;                     /* -o pty */
    std::optional<flux::IdSet> pty_ranks; /* unset: all */
    int pty_rows = 0, pty_cols = 0;
    std::vector<std::string> pty_slaves; /* per task: the slave's path, or "" */
};

State state;

double now_s()
{
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    return (double)tv.tv_sec + tv.tv_usec * 1e-6;
}

bool write_all(int fd, const char *p, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, p + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        off += (size_t)n;
    }
    return true;
}

/* Send what is pending as one append to the log: the commit's future,
 * or null (logged). */
flux_future_t *commit_pending()
{
    flux_kvs_txn_t *txn = flux_kvs_txn_create();
    flux_kvs_txn_put_string(txn, FLUX_KVS_APPEND, state.key.c_str(), state.pending.c_str());
    /* Ordered, not stored, is what the shell waits for: whatever follows
     * (the job's finish, which readers end on) is committed after it. */
    flux_future_t *f = flux_kvs_commit(flux_shell_get_flux(state.shell), nullptr,
                                       FLUX_KVS_ORDERED, txn);
    flux_kvs_txn_destroy(txn);
    state.pending.clear();
    if (!f)
        flux_shell_log(state.shell, 3, "%s: %s", state.key.c_str(), strerror(errno));
    return f;
}

/* F's answer (waited for if need be); a failure is logged. */
void commit_done(flux_future_t *f)
{
    if (flux_rpc_get(f, nullptr) < 0)
        flux_shell_log(state.shell, 3, "%s: %s", state.key.c_str(), flux_future_error_string(f));
    flux_future_destroy(f);
}

void flush();

void commit_cb(flux_future_t *f, void *)
{
    commit_done(f);
    state.inflight = nullptr;
    /* What arrived meanwhile goes next, in order. */
    flush();
    flux_shell_remove_completion_ref(state.shell, "output.commit");
}

/* Append what is pending to the log.  One commit in flight at a time (the
 * appends stay in order); the loop goes on meanwhile (reaping, reading
 * other tasks), and the commit's completion reference keeps the shell
 * until the log has it. */
void flush()
{
    if (state.pending.empty() || state.inflight)
        return;
    flux_future_t *f = commit_pending();
    if (!f)
        return;
    if (flux_future_then(f, -1, commit_cb, nullptr) < 0) {
        flux_shell_log(state.shell, 3, "%s: %s", state.key.c_str(), strerror(errno));
        flux_future_destroy(f);
        return;
    }
    state.inflight = f;
    flux_shell_add_completion_ref(state.shell, "output.commit");
}

/* At exit, with the loop over: what is still in flight or pending. */
void flush_wait()
{
    if (flux_future_t *f = state.inflight) {
        state.inflight = nullptr;
        commit_done(f);
    }
    if (!state.pending.empty())
        if (flux_future_t *f = commit_pending())
            commit_done(f);
}

void flush_cb(evutil_socket_t, short, void *)
{
    flush();
}

/* Queue a "data" entry of task RANK's stdout or stderr: DATA, or with EOF
 * the end of that stream. */
void add_entry(bool err, int rank, std::string_view data, bool eof)
{
    std::string r = std::to_string(rank);
    const char *stream = err ? "stderr" : "stdout";
    auto e = flux::eventlog_entry_create(now_s(), "data",
                                         eof ? flux::ioencode_eof(stream, r.c_str())
                                             : flux::ioencode(stream, r.c_str(), data));
    auto line = flux::eventlog_entry_encode(e);
    if (!line) {
        flux_shell_log(state.shell, 3, "task %d: output event: %s", rank,
                       line.error().text.c_str());
        return;
    }
    state.pending += *line;
    /* One commit per loop wake-up: the flush runs after the reads now
     * active. */
    event_active(state.flush_ev, EV_TIMEOUT, 0);
}

void add(bool err, int rank, std::string_view data)
{
    int fd = err ? state.err_fd : state.out_fd;
    if (fd >= 0) {
        if (!write_all(fd, data.data(), data.size()))
            flux_shell_log(state.shell, 3, "writing output: %s", strerror(errno));
        return;
    }
    add_entry(err, rank, data, false);
}

void read_cb(evutil_socket_t fd, short, void *arg)
{
    auto *p = static_cast<Pipe *>(arg);
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
        add(p->err, p->rank, std::string_view(buf, (size_t)n));
        return;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    /* A pty master reads EIO once the task side is closed: its end. */
    event_free(p->ev);
    p->ev = nullptr;
    close(p->rfd);
    p->rfd = -1;
    /* A stream written to a file (--output) has no entries in the log.
     * The eof goes with the next flush (this loop turn's, or the shell's
     * at exit): a task's stdout and stderr closing together cost one
     * commit, not two. */
    if ((p->err ? state.err_fd : state.out_fd) < 0)
        add_entry(p->err, p->rank, {}, true);
    else
        flush();
    flux_shell_remove_completion_ref(state.shell, "output");
}

std::string expand_template(std::string s, uint64_t id, const std::string &name,
                            const std::string &node_name, int node_id)
{
    const std::pair<std::string, std::string> subs[] = {
        {"{{id}}", flux::fluid_encode(id, flux::FluidFormat::f58)},
        {"{{id.f58}}", flux::fluid_encode(id, flux::FluidFormat::f58)},
        {"{{id.dec}}", std::to_string((unsigned long long)id)},
        {"{{name}}", name},
        {"{{node.name}}", node_name},
        {"{{node.id}}", std::to_string(node_id)},
    };
    for (const auto &[from, to] : subs)
        for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
            s.replace(pos, from.size(), to);
    return s;
}

/* Empty the regular file FD unless a shell of this run of the job
 * already did (see the top of this file).  Not a regular file (/dev/null,
 * a FIFO): as is.  The mark is the job id and R's starttime: ids restart
 * with each new instance. */
int truncate_once(int fd, const std::string &mine)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -1;
    if (!S_ISREG(st.st_mode))
        return 0;
    const char *attr = "user.fluxd.job";
    if (flock(fd, LOCK_EX) < 0)
        return -1;
    char buf[64];
    ssize_t n = fgetxattr(fd, attr, buf, sizeof(buf));
    int rc = 0;
    if (n >= 0 && std::string(buf, (size_t)n) == mine)
        ; /* another shell of this job (or the other stream) emptied it */
    else if ((n >= 0 || errno == ENODATA || errno == ERANGE)
             && fsetxattr(fd, attr, mine.data(), mine.size(), 0) == 0)
        rc = ftruncate(fd, 0);
    else if (state.shell_rank == 0) /* no user xattrs here */
        rc = ftruncate(fd, 0);
    int saved = errno;
    flock(fd, LOCK_UN);
    errno = saved;
    return rc;
}

std::string run_mark(flux_shell_t *shell, uint64_t id)
{
    double start = 0;
    (void)json_unpack(flux_shell_get_info(shell), "{s:{s:{s:F}}}", "R", "execution",
                      "starttime", &start);
    char mark[64];
    snprintf(mark, sizeof(mark), "%llu@%.6f", (unsigned long long)id, start);
    return mark;
}

/* Open output.stdout / output.stderr if it names a file; -1 if not. */
int open_output(flux_shell_t *shell, const char *which, bool *failed)
{
    json_t *opt = json_object_get(flux_shell_getopt(shell, "output"), which);
    const char *path = json_string_value(json_object_get(opt, "path"));
    if (!path)
        return -1;
    json_int_t id = 0;
    json_t *jobspec = nullptr;
    int node_id = 0;
    (void)json_unpack(flux_shell_get_info(shell), "{s:I s:o s?i}", "jobid", &id, "jobspec",
                      &jobspec, "rank", &node_id);
    /* {{node.name}}: this shell's node as the instance names it (the
     * broker's hostname attribute), as Flux's flux-shell(1). */
    std::string node_name;
    if (strstr(path, "{{node.name}}")) {
        const char *h = flux_attr_get(flux_shell_get_flux(shell), "hostname");
        char buf[256] = "";
        if (!h && gethostname(buf, sizeof(buf) - 1) == 0)
            h = buf;
        node_name = h ? h : "";
    }
    json_t *sys = json_object_get(json_object_get(jobspec, "attributes"), "system");
    std::string name;
    if (const char *n = json_string_value(json_object_get(json_object_get(sys, "job"), "name")))
        name = n;
    else if (const char *a0 = json_string_value(
                 json_array_get(json_object_get(json_array_get(json_object_get(jobspec, "tasks"), 0),
                                                "command"),
                                0)))
        name = strrchr(a0, '/') ? strrchr(a0, '/') + 1 : a0;
    std::string p = expand_template(path, (uint64_t)id, name, node_name, node_id);
    const char *cwd = json_string_value(json_object_get(sys, "cwd"));
    if (!p.empty() && p[0] != '/' && cwd)
        p = std::string(cwd) + "/" + p;
    int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        flux_shell_log(shell, 3, "output %s: %s", p.c_str(), strerror(errno));
        *failed = true;
        return -1;
    }
    if (state.truncate && truncate_once(fd, run_mark(shell, (uint64_t)id)) < 0) {
        flux_shell_log(shell, 3, "output %s: truncate: %s", p.c_str(), strerror(errno));
        close(fd);
        *failed = true;
        return -1;
    }
    return fd;
}

/* -o pty: 1 (every task), or {ranks, interactive, rows, cols}. */
int parse_pty(flux_shell_t *shell)
{
    json_t *opt = flux_shell_getopt(shell, "pty");
    if (!opt || json_is_false(opt) || (json_is_integer(opt) && json_integer_value(opt) == 0))
        return 0;
    state.pty = true;
    if (json_is_integer(opt) || json_is_true(opt))
        return 0;
    if (!json_is_object(opt)) {
        flux_shell_log(shell, 3, "shell option pty: expected 1 or an object {ranks, interactive}");
        return -1;
    }
    json_t *ranks = nullptr, *interactive = nullptr, *capture = nullptr;
    json_error_t jerr;
    if (json_unpack_ex(opt, &jerr, JSON_STRICT, "{s?o s?o s?o s?i s?i}", "ranks", &ranks,
                       "interactive", &interactive, "capture", &capture, "rows", &state.pty_rows,
                       "cols", &state.pty_cols)
        < 0) {
        flux_shell_log(shell, 3, "shell option pty: %s", jerr.text);
        return -1;
    }
    std::string r = json_is_integer(ranks) ? std::to_string(json_integer_value(ranks))
                    : json_is_string(ranks) ? json_string_value(ranks)
                    : ranks                 ? "?"
                    : interactive           ? "0"
                                            : "all";
    if (r != "all") {
        std::string err;
        state.pty_ranks = flux::IdSet::parse(r, &err);
        if (!state.pty_ranks) {
            flux_shell_log(shell, 3, "shell option pty.ranks: expected \"all\" or an idset%s%s",
                           err.empty() ? "" : ": ", err.c_str());
            return -1;
        }
    }
    return 0;
}

/* A pseudo-terminal for TASK: the master in its stdout slot. */
int open_pty(flux_shell_t *shell, flux_shell_task_t *task, size_t i)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || !ptsname(m)) {
        flux_shell_log(shell, 3, "task %d: pty: %s", flux_shell_task_rank(task), strerror(errno));
        if (m >= 0)
            close(m);
        return -1;
    }
    if (state.pty_rows > 0 && state.pty_cols > 0) {
        struct winsize ws = {};
        ws.ws_row = (unsigned short)state.pty_rows;
        ws.ws_col = (unsigned short)state.pty_cols;
        ioctl(m, TIOCSWINSZ, &ws);
    }
    state.pty_slaves[(size_t)flux_shell_task_localid(task)] = ptsname(m);
    state.pipes[i].rfd = m;
    state.pipes[i].rank = flux_shell_task_rank(task);
    state.pipes[i + 1].rank = flux_shell_task_rank(task);
    task->pty_master = m;
    return 0;
}

int shell_init(flux_shell_t *shell, const char *, flux_shell_task_t *, void *)
{
    state.shell = shell;
    json_int_t id = 0;
    int ntasks = 0;
    if (json_unpack(flux_shell_get_info(shell), "{s:I s:i}", "jobid", &id, "ntasks", &ntasks) < 0)
        return -1;
    state.key = "job." + flux::fluid_encode((uint64_t)id, flux::FluidFormat::dothex)
                + ".guest.output";
    state.flush_ev = event_new(flux_shell_get_event_base(shell), -1, 0, flush_cb, nullptr);
    if (!state.flush_ev)
        return -1;
    json_t *mode = json_object_get(flux_shell_getopt(shell, "output"), "mode");
    if (mode && !(json_is_string(mode) && (strcmp(json_string_value(mode), "truncate") == 0
                                           || strcmp(json_string_value(mode), "append") == 0))) {
        flux_shell_log(shell, 3, "shell option output.mode: expected \"truncate\" or \"append\"");
        return -1;
    }
    state.truncate = !mode || strcmp(json_string_value(mode), "truncate") == 0;
    (void)json_unpack(flux_shell_get_info(shell), "{s:i}", "rank", &state.shell_rank);
    bool failed = false;
    state.out_fd = open_output(shell, "stdout", &failed);
    state.err_fd = open_output(shell, "stderr", &failed);
    if (failed)
        return -1;
    if (state.err_fd < 0 && state.out_fd >= 0)
        state.err_fd = dup(state.out_fd);
    state.pipes.resize((size_t)ntasks * 2);
    state.pty_slaves.resize((size_t)ntasks);
    return parse_pty(shell);
}

int task_init(flux_shell_t *shell, const char *, flux_shell_task_t *task, void *)
{
    size_t i = (size_t)flux_shell_task_localid(task) * 2;
    if (state.pty && (!state.pty_ranks || state.pty_ranks->contains(
                                              (uint32_t)flux_shell_task_rank(task))))
        return open_pty(shell, task, i);
    for (size_t k = i; k < i + 2; k++) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0) {
            flux_shell_log(shell, 3, "pipe: %s", strerror(errno));
            return -1;
        }
        state.pipes[k].rfd = fds[0];
        state.pipes[k].wfd = fds[1];
        state.pipes[k].err = k == i + 1;
        state.pipes[k].rank = flux_shell_task_rank(task);
    }
    return 0;
}

int task_exec(flux_shell_t *, const char *, flux_shell_task_t *task, void *)
{
    size_t i = (size_t)flux_shell_task_localid(task) * 2;
    const std::string &slave = state.pty_slaves[(size_t)flux_shell_task_localid(task)];
    if (!slave.empty()) {
        /* A new session whose controlling terminal is the pty. */
        setsid();
        int fd = open(slave.c_str(), O_RDWR);
        if (fd < 0)
            return -1;
        ioctl(fd, TIOCSCTTY, 0);
        for (int k = 0; k < 3; k++)
            dup2(fd, k);
        if (fd > 2)
            close(fd);
        return 0;
    }
    if (dup2(state.pipes[i].wfd, STDOUT_FILENO) < 0
        || dup2(state.pipes[i + 1].wfd, STDERR_FILENO) < 0)
        return -1;
    return 0;
}

int task_fork(flux_shell_t *shell, const char *, flux_shell_task_t *task, void *)
{
    size_t i = (size_t)flux_shell_task_localid(task) * 2;
    for (size_t k = i; k < i + 2; k++) {
        Pipe &p = state.pipes[k];
        if (p.rfd < 0)
            continue; /* a pty task's stderr: the terminal carries it */
        close(p.wfd);
        p.wfd = -1;
        p.ev = event_new(flux_shell_get_event_base(shell), p.rfd, EV_READ | EV_PERSIST, read_cb,
                         &p);
        if (!p.ev || event_add(p.ev, nullptr) < 0) {
            flux_shell_log(shell, 3, "cannot watch task %d output", p.rank);
            return -1;
        }
        flux_shell_add_completion_ref(shell, "output");
    }
    return 0;
}

int shell_exit(flux_shell_t *, const char *, flux_shell_task_t *, void *)
{
    flush_wait();
    return 0;
}

int init(flux_shell_t *shell)
{
    if (flux_shell_add_handler(shell, "shell.init", shell_init, nullptr) < 0
        || flux_shell_add_handler(shell, "task.init", task_init, nullptr) < 0
        || flux_shell_add_handler(shell, "task.exec", task_exec, nullptr) < 0
        || flux_shell_add_handler(shell, "task.fork", task_fork, nullptr) < 0
        || flux_shell_add_handler(shell, "shell.exit", shell_exit, nullptr) < 0)
        return -1;
    return 0;
}

const flux_shell_plugin_info info = {FLUX_SHELL_PLUGIN_API_VERSION, "output", init};

} // namespace

const flux_shell_plugin_info *flux::shell::builtins::output()
{
    return &info;
}
