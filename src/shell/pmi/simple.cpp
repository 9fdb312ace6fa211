/* simple.cpp - built-in shell plugin "pmi-simple": the PMI-1 simple wire
 * protocol (Flux RFC 13) served to each task over a socketpair.
 *
 * Shell option: -o pmi=LIST, a comma list of simple, pmix (default
 * "simple,pmix": both offered), or "off"/"none".  With simple enabled:
 *
 *   shell.init   FLUX_PMI_LIBRARY_PATH = our libpmi.so (PMI-1 client API
 *                over this protocol; Open MPI 4.1's "flux" pmix component
 *                dlopens it whenever FLUX_JOB_ID is set)
 *   task.init    a socketpair; PMI_FD (the task's end), PMI_RANK, PMI_SIZE,
 *                PMI_SPAWNED=0
 *   task.exec    (child) PMI_FD survives exec
 *   task.fork    the shell watches its end
 *   task.exit    a task that called init but not finalize raises a fatal
 *                job exception naming its rank and exit status
 *
 * Commands (one line each, "cmd=NAME key=value ..."): init, get_maxes,
 * get_appnum, get_my_kvsname, get_universe_size, put, get, barrier_in,
 * finalize, abort; publish/unpublish/lookup_name and spawn are refused
 * with rc=-1.  "PMI_process_mapping" answers with the RFC 13 vector
 * computed from the job's task layout.  A barrier completes when every
 * local task entered it and the job's shells exchanged the puts made since
 * the last barrier (exchange.h: tree fan-in then fan-out); single-node
 * jobs exchange nothing.  Debian's MPICH 4.0.2 speaks exactly this PMI-1
 * dialect over PMI_FD (observed: init with pmi_version=1, no PMI-2 wire
 * commands); a task speaking the PMI-2 wire protocol, writing a line that
 * is not a command, or a line over the size limit gets a clear error in
 * the job's log and its connection closed: the shell keeps running.
 * abort raises a fatal job exception naming the rank and exit code; the
 * job manager then has every task killed.
 */
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>
#include <vector>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "exchange.h"
#include "select.h"
#include "flux/job.h"
#include "fluid/fluid.h"
#include "rv1/rv1.h"
#include "selfexe/selfexe.h"
#include "shell/internal.h"
#include "taskmap/taskmap.h"

#ifndef FLUX_PMI_LIBRARY_DIR
#define FLUX_PMI_LIBRARY_DIR "/usr/local/lib/flux"
#endif

namespace {

using flux::JsonPtr;

constexpr int kvsname_max = 64;
constexpr int keylen_max = 64;
constexpr int vallen_max = 1024;
/* cmd=put kvsname=.. key=.. value=..: anything longer is not PMI-1. */
constexpr size_t line_max = 2 * (kvsname_max + keylen_max + vallen_max);

struct Server;

struct Conn {
    Server *srv = nullptr;
    int rank = -1;
    int fd = -1;       /* the shell's end */
    int child_fd = -1; /* the task's end, until task.fork */
    struct bufferevent *bev = nullptr;
    bool initialized = false;
    bool finalized = false;
    bool in_barrier = false;
};

struct Server {
    flux_shell_t *shell = nullptr;
    uint64_t jobid = 0;
    int size = 0, nnodes = 0, node = 0, ntasks = 0;
    std::string kvsname;
    std::vector<Conn> conns; /* by local id */
    JsonPtr kvs{json_object()};     /* every key known here */
    JsonPtr pending{json_object()}; /* local puts since the last barrier */
    int in_barrier = 0;
    bool exchanging = false;
    bool enabled = false; /* -o pmi names simple (shell.init) */
    bool raised = false;
    bool layout_done = false;
    std::string mapping; /* PMI_process_mapping */
    std::vector<uint32_t> ranks;
    std::unique_ptr<flux::shell::pmi::Exchange> exchange;
};

Server *server(void *arg)
{
    return static_cast<Server *>(arg);
}

void raise_exception(Server *s, const std::string &note)
{
    flux_shell_log(s->shell, LOG_ERR, "%s", note.c_str());
    if (s->raised)
        return;
    s->raised = true;
    flux::FuturePtr f(
        flux_job_raise(flux_shell_get_flux(s->shell), s->jobid, "exec", 0, note.c_str()));
    /* EINVAL "already finishing": another shell's exception won. */
    if (!f || (flux_rpc_get(f.get(), nullptr) < 0 && errno != EINVAL))
        flux_shell_log(s->shell, LOG_ERR, "cannot raise a job exception: %s",
                       f ? flux_future_error_string(f.get()) : strerror(errno));
}

/* The RFC 13 vector "(vector,(first,count,ppn),...)": blocks of
 * consecutive hosts holding the same number of tasks.  A host is a run
 * of consecutive nodes with the same hostname (R's nodelist): several
 * brokers of one machine (a test instance) are one host to the MPI, which
 * must agree with what it sees of the hostnames, or Open MPI's shared
 * memory transport pairs ranks that did not set it up. */
std::string process_mapping(const flux::Taskmap &m, const std::vector<std::string> &hostnames)
{
    std::vector<uint32_t> ppn; /* tasks per host */
    std::string last;
    const auto &nodes = m.nodes();
    for (size_t i = 0; i < nodes.size(); i++) {
        if (nodes[i].ntasks == 0)
            continue;
        const std::string &host = i < hostnames.size() ? hostnames[i] : std::string();
        if (!ppn.empty() && !host.empty() && host == last)
            ppn.back() += nodes[i].ntasks;
        else
            ppn.push_back(nodes[i].ntasks);
        last = host;
    }
    std::string out = "(vector";
    for (size_t i = 0; i < ppn.size();) {
        size_t j = i + 1;
        while (j < ppn.size() && ppn[j] == ppn[i])
            j++;
        out += ",(" + std::to_string(i) + "," + std::to_string(j - i) + ","
               + std::to_string(ppn[i]) + ")";
        i = j;
    }
    return out + ")";
}

/* The job's layout, computed on first need (a job that never speaks PMI
 * pays nothing for it). */
flux::Result<void> layout(Server *s)
{
    if (s->layout_done)
        return {};
    json_t *info = flux_shell_get_info(s->shell);
    json_t *R = json_object_get(info, "R");
    if (!R || json_is_null(R))
        return flux::make_error(EINVAL, "the job has no R: no process mapping");
    auto r = flux::Rv1::decode(R); /* for the hostnames */
    if (!r)
        return r.error();
    if (!s->shell->taskmap)
        return flux::make_error(EINVAL, "the job has no task map: no process mapping");
    const flux::Taskmap *m = &*s->shell->taskmap; /* the shell's, from R and the jobspec */
    s->mapping = process_mapping(*m, r->hostnames());
    /* Only nodes with tasks have a shell that takes part. */
    int me = -1;
    for (size_t i = 0; i < m->nodes().size(); i++) {
        if (m->nodes()[i].ntasks == 0)
            continue;
        if ((int)i == s->node)
            me = (int)s->ranks.size();
        s->ranks.push_back(m->nodes()[i].rank);
    }
    if (me < 0)
        return flux::make_error(EINVAL, "this node holds no task of the job");
    s->exchange = std::make_unique<flux::shell::pmi::Exchange>(s->shell, s->jobid, me, s->ranks);
    s->layout_done = true;
    return {};
}

void send_line(Conn *c, const std::string &line)
{
    if (!c->bev)
        return;
    std::string l = line + "\n";
    bufferevent_write(c->bev, l.data(), l.size());
}

void close_conn(Conn *c)
{
    if (c->bev) {
        bufferevent_free(c->bev); /* BEV_OPT_CLOSE_ON_FREE closes fd */
        c->bev = nullptr;
        c->fd = -1;
    }
    if (c->in_barrier) {
        c->in_barrier = false;
        c->srv->in_barrier--;
    }
}

void protocol_error(Conn *c, const std::string &what)
{
    flux_shell_log(c->srv->shell, LOG_ERR,
                   "task %d: PMI-1 protocol error: %s; its PMI connection is closed", c->rank,
                   what.c_str());
    close_conn(c);
}

/* "cmd=put kvsname=x key=y value=z" -> ordered key/value pairs.  Fields
 * are separated by spaces; "value" and "msg" come last and run to the
 * end of the line. */
bool parse_line(const std::string &line, std::vector<std::pair<std::string, std::string>> &out)
{
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ')
            i++;
        if (i >= line.size())
            break;
        size_t end = line.find(' ', i);
        /* value= and msg= run to the end of the line: Open MPI's encoded
         * values hold spaces. */
        if (end == std::string::npos || line.compare(i, 6, "value=") == 0
            || line.compare(i, 4, "msg=") == 0)
            end = line.size();
        std::string tok = line.substr(i, end - i);
        size_t eq = tok.find('=');
        if (eq == std::string::npos || eq == 0)
            return false;
        out.emplace_back(tok.substr(0, eq), tok.substr(eq + 1));
        i = end;
    }
    return !out.empty();
}

const char *field(const std::vector<std::pair<std::string, std::string>> &kv, const char *name)
{
    for (const auto &[k, v] : kv)
        if (k == name)
            return v.c_str();
    return nullptr;
}

void barrier_respond(Server *s, int rc, const char *msg)
{
    std::string line = "cmd=barrier_out rc=" + std::to_string(rc);
    if (msg)
        line += std::string(" msg=") + msg;
    for (auto &c : s->conns) {
        if (c.in_barrier) {
            c.in_barrier = false;
            send_line(&c, line);
        }
    }
    s->in_barrier = 0;
}

void barrier_check(Server *s)
{
    if (s->exchanging || s->in_barrier < s->ntasks)
        return;
    if (s->nnodes <= 1) {
        json_object_clear(s->pending.get());
        barrier_respond(s, 0, nullptr);
        return;
    }
    if (auto r = layout(s); !r) {
        raise_exception(s, "pmi: " + r.error().text);
        barrier_respond(s, -1, "no_process_layout");
        return;
    }
    s->exchanging = true;
    json_t *data = s->pending.release();
    s->pending.reset(json_object());
    auto r = s->exchange->start(data, [s](const flux::Result<json_t *> &res) {
        s->exchanging = false;
        if (!res) {
            raise_exception(s, "pmi: barrier: " + res.error().text);
            barrier_respond(s, -1, "exchange_failed");
            return;
        }
        json_object_update(s->kvs.get(), *res);
        barrier_respond(s, 0, nullptr);
    });
    if (!r) {
        s->exchanging = false;
        raise_exception(s, "pmi: barrier: " + r.error().text);
        barrier_respond(s, -1, "exchange_failed");
    }
}

void handle_line(Conn *c, const std::string &line)
{
    Server *s = c->srv;
    std::vector<std::pair<std::string, std::string>> kv;
    if (line.compare(0, 5, "mcmd=") == 0) {
        protocol_error(c, "spawn (mcmd) is not supported");
        return;
    }
    if (!parse_line(line, kv) || kv[0].first != "cmd") {
        std::string shown = line.substr(0, 60);
        for (auto &ch : shown)
            if ((unsigned char)ch < 0x20 || (unsigned char)ch >= 0x7f)
                ch = '?';
        protocol_error(c, "not a PMI-1 command: \"" + shown + "\"");
        return;
    }
    const std::string cmd = kv[0].second;
    if (cmd != "init" && !c->initialized) {
        protocol_error(c, "cmd=" + cmd + " before cmd=init");
        return;
    }
    if (cmd == "init") {
        const char *v = field(kv, "pmi_version");
        if (!v || strcmp(v, "1") != 0) {
            send_line(c, "cmd=response_to_init rc=-1 pmi_version=1 pmi_subversion=1");
            protocol_error(c, std::string("PMI version ") + (v ? v : "(none)")
                                  + " requested: this shell serves PMI-1 on PMI_FD");
            return;
        }
        c->initialized = true;
        send_line(c, "cmd=response_to_init rc=0 pmi_version=1 pmi_subversion=1");
    }
    else if (cmd == "get_maxes") {
        send_line(c, "cmd=maxes rc=0 kvsname_max=" + std::to_string(kvsname_max) + " keylen_max="
                         + std::to_string(keylen_max) + " vallen_max="
                         + std::to_string(vallen_max));
    }
    else if (cmd == "get_appnum") {
        send_line(c, "cmd=appnum rc=0 appnum=0");
    }
    else if (cmd == "get_my_kvsname") {
        send_line(c, "cmd=my_kvsname rc=0 kvsname=" + s->kvsname);
    }
    else if (cmd == "get_universe_size") {
        send_line(c, "cmd=universe_size rc=0 size=" + std::to_string(s->size));
    }
    else if (cmd == "put") {
        const char *name = field(kv, "kvsname"), *key = field(kv, "key"),
                   *val = field(kv, "value");
        if (!name || !key || !val)
            send_line(c, "cmd=put_result rc=-1 msg=put_needs_kvsname_key_and_value");
        else if (s->kvsname != name)
            send_line(c, "cmd=put_result rc=-1 msg=unknown_kvsname");
        else if (!*key || strlen(key) > keylen_max || strlen(val) > vallen_max)
            send_line(c, "cmd=put_result rc=-1 msg=key_or_value_too_long");
        else {
            json_object_set_new(s->pending.get(), key, json_string(val));
            json_object_set_new(s->kvs.get(), key, json_string(val));
            send_line(c, "cmd=put_result rc=0");
        }
    }
    else if (cmd == "get") {
        const char *name = field(kv, "kvsname"), *key = field(kv, "key");
        if (!name || !key) {
            send_line(c, "cmd=get_result rc=-1 msg=get_needs_kvsname_and_key");
            return;
        }
        if (s->kvsname != name) {
            send_line(c, "cmd=get_result rc=-1 msg=unknown_kvsname");
            return;
        }
        if (strcmp(key, "PMI_process_mapping") == 0) {
            if (auto r = layout(s); !r) {
                send_line(c, "cmd=get_result rc=-1 msg=no_process_mapping");
                return;
            }
            send_line(c, "cmd=get_result rc=0 value=" + s->mapping);
            return;
        }
        const char *v = json_string_value(json_object_get(s->kvs.get(), key));
        if (!v)
            send_line(c, "cmd=get_result rc=-1 msg=key_not_found");
        else
            send_line(c, std::string("cmd=get_result rc=0 value=") + v);
    }
    else if (cmd == "barrier_in") {
        if (c->in_barrier) {
            protocol_error(c, "barrier_in twice");
            return;
        }
        c->in_barrier = true;
        s->in_barrier++;
        barrier_check(s);
    }
    else if (cmd == "finalize") {
        c->finalized = true;
        send_line(c, "cmd=finalize_ack rc=0");
    }
    else if (cmd == "abort") {
        const char *code = field(kv, "exitcode");
        /* RFC 13: no response; the job ends. */
        raise_exception(s, "task " + std::to_string(c->rank) + " called PMI abort (exit code "
                               + (code ? code : "?") + ")");
        c->finalized = true; /* its exit is expected now */
    }
    else if (cmd == "publish_name" || cmd == "unpublish_name" || cmd == "lookup_name") {
        std::string rsp = cmd.substr(0, cmd.size() - 5) + "_result";
        send_line(c, "cmd=" + rsp + " rc=-1 msg=not_supported");
    }
    else {
        flux_shell_log(s->shell, LOG_WARNING, "task %d: unknown PMI-1 command '%s'", c->rank,
                       cmd.c_str());
        send_line(c, "cmd=" + cmd + " rc=-1 msg=unknown_command");
    }
}

/* A PMI-2 wire message: a 6-character length, then "cmd=". */
bool looks_like_pmi2(struct evbuffer *in)
{
    unsigned char head[10];
    if (evbuffer_copyout(in, head, sizeof(head)) < (ev_ssize_t)sizeof(head))
        return false;
    for (int i = 0; i < 6; i++)
        if (head[i] != ' ' && (head[i] < '0' || head[i] > '9'))
            return false;
    return memcmp(head + 6, "cmd=", 4) == 0;
}

void read_cb(struct bufferevent *bev, void *arg)
{
    auto *c = static_cast<Conn *>(arg);
    struct evbuffer *in = bufferevent_get_input(bev);
    if (!c->initialized && looks_like_pmi2(in)) {
        protocol_error(c, "the task speaks the PMI-2 wire protocol; this shell serves PMI-1 "
                          "(RFC 13) on PMI_FD");
        return;
    }
    char *line;
    size_t n;
    while (c->bev && (line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF))) {
        std::string l(line, n);
        free(line);
        if (n > line_max) {
            protocol_error(c, "a line of " + std::to_string(n) + " bytes (the limit is "
                                  + std::to_string(line_max) + ")");
            return;
        }
        handle_line(c, l);
    }
    if (c->bev && evbuffer_get_length(in) > line_max)
        protocol_error(c, "more than " + std::to_string(line_max) + " bytes without a newline");
}

void event_cb(struct bufferevent *, short what, void *arg)
{
    auto *c = static_cast<Conn *>(arg);
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        close_conn(c);
}

std::string library_path()
{
    /* Run from the build tree: the library beside the shell. */
    std::string built = flux::self_dir() + "/pmi/.libs/libpmi.so";
    struct stat st;
    if (stat(built.c_str(), &st) == 0)
        return built;
    return FLUX_PMI_LIBRARY_DIR "/libpmi.so";
}

int shell_init(flux_shell_t *shell, const char *, flux_shell_task_t *, void *arg)
{
    Server *s = server(arg);
    auto sel = flux::shell::pmi::select(shell);
    if (!sel) {
        flux_shell_log(shell, LOG_ERR, "%s", sel.error().text.c_str());
        return -1;
    }
    if (!sel->simple)
        return 0; /* the task handlers do nothing */
    json_int_t id = 0;
    if (json_unpack(flux_shell_get_info(shell), "{s:I s:i s:i s:i s:i}", "jobid", &id, "size",
                    &s->size, "nnodes", &s->nnodes, "rank", &s->node, "ntasks", &s->ntasks)
        < 0) {
        flux_shell_log(shell, LOG_ERR, "job info is malformed");
        return -1;
    }
    s->shell = shell;
    s->jobid = (uint64_t)id;
    s->kvsname = "kvs_" + std::to_string(s->jobid);
    s->conns.resize((size_t)s->ntasks);
    for (auto &c : s->conns)
        c.srv = s;
    flux_shell_setenv(shell, "FLUX_PMI_LIBRARY_PATH", library_path().c_str(), 1);
    s->enabled = true;
    return 0;
}

/* Handlers are registered at load, not from shell.init: the stack is
 * being walked then.  Each does nothing unless shell.init enabled it. */
int add_task_handlers(flux_shell_t *shell, Server *s)
{
    if (flux_shell_add_handler(shell, "task.init", [](flux_shell_t *sh, const char *,
                                                      flux_shell_task_t *task, void *a) -> int {
            Server *s = server(a);
            if (!s->enabled)
                return 0;
            Conn &c = s->conns[(size_t)flux_shell_task_localid(task)];
            int sv[2];
            if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
                flux_shell_log(sh, LOG_ERR, "socketpair: %s", strerror(errno));
                return -1;
            }
            c.rank = flux_shell_task_rank(task);
            c.fd = sv[0];
            c.child_fd = sv[1];
            flux_shell_task_setenv(task, "PMI_FD", std::to_string(sv[1]).c_str(), 1);
            flux_shell_task_setenv(task, "PMI_RANK", std::to_string(c.rank).c_str(), 1);
            flux_shell_task_setenv(task, "PMI_SIZE", std::to_string(s->size).c_str(), 1);
            flux_shell_task_setenv(task, "PMI_SPAWNED", "0", 1);
            return 0;
        }, s) < 0
        || flux_shell_add_handler(shell, "task.exec", [](flux_shell_t *, const char *,
                                                         flux_shell_task_t *task, void *a) -> int {
               if (!server(a)->enabled)
                   return 0;
               Conn &c = server(a)->conns[(size_t)flux_shell_task_localid(task)];
               /* The task's end survives exec; the shell's ends do not. */
               return fcntl(c.child_fd, F_SETFD, 0);
           }, s) < 0
        || flux_shell_add_handler(shell, "task.fork", [](flux_shell_t *sh, const char *,
                                                         flux_shell_task_t *task, void *a) -> int {
               if (!server(a)->enabled)
                   return 0;
               Conn &c = server(a)->conns[(size_t)flux_shell_task_localid(task)];
               close(c.child_fd);
               c.child_fd = -1;
               evutil_make_socket_nonblocking(c.fd);
               c.bev = bufferevent_socket_new(flux_shell_get_event_base(sh), c.fd,
                                              BEV_OPT_CLOSE_ON_FREE);
               if (!c.bev) {
                   close(c.fd);
                   c.fd = -1;
                   flux_shell_log(sh, LOG_ERR, "task %d: cannot watch its PMI fd", c.rank);
                   return -1;
               }
               bufferevent_setcb(c.bev, read_cb, nullptr, event_cb, &c);
               bufferevent_enable(c.bev, EV_READ);
               return 0;
           }, s) < 0
        || flux_shell_add_handler(shell, "task.exit", [](flux_shell_t *, const char *,
                                                         flux_shell_task_t *task, void *a) -> int {
               Server *s = server(a);
               if (!s->enabled)
                   return 0;
               Conn &c = s->conns[(size_t)flux_shell_task_localid(task)];
               /* Read what it said last (finalize, abort) before judging. */
               if (c.bev) {
                   /* What is still in the socket, not yet in the buffer. */
                   struct evbuffer *in = bufferevent_get_input(c.bev);
                   while (evbuffer_get_length(in) <= line_max
                          && evbuffer_read(in, c.fd, 4096) > 0)
                       ;
                   read_cb(c.bev, &c);
               }
               bool unfinished = c.initialized && !c.finalized;
               close_conn(&c);
               if (unfinished) {
                   int st = flux_shell_task_status(task);
                   std::string how = WIFSIGNALED(st)
                                         ? "killed by signal " + std::to_string(WTERMSIG(st))
                                         : "exit code " + std::to_string(WEXITSTATUS(st));
                   raise_exception(s, "task " + std::to_string(c.rank)
                                          + " exited without calling PMI finalize (" + how
                                          + ")");
               }
               return 0;
           }, s) < 0)
        return -1;
    return 0;
}

int init(flux_shell_t *shell)
{
    /* Lives as long as the shell process (handlers and events hold it). */
    auto *s = new Server;
    if (flux_shell_add_handler(shell, "shell.init", shell_init, s) < 0)
        return -1;
    return add_task_handlers(shell, s);
}

const flux_shell_plugin_info info = {FLUX_SHELL_PLUGIN_API_VERSION, "pmi-simple", init};

} // namespace

const flux_shell_plugin_info *flux::shell::builtins::pmi_simple()
{
    return &info;
}
