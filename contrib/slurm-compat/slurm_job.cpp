/* slurm_job.cpp - the shims' view of a fluxd instance (slurm_job.h). */
#include "slurm_job.h"

#include <event2/event.h>
#include <pwd.h>
#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "nodelist.h"

namespace slurm {

const char *default_partition = "debug";

void partition_queue(flux_t *h, const std::string &partition, json_t *js)
{
    if (partition != default_partition)
        return; /* build_jobspec() named the queue already */
    const char *text = flux_attr_get(h, "conf.queues");
    json_error_t jerr;
    json_t *queues = text ? json_loads(text, 0, &jerr) : nullptr;
    json_t *sys = json_object_get(json_object_get(js, "attributes"), "system");
    if (json_object_get(queues, partition.c_str()) && sys)
        json_object_set_new(sys, "queue", json_string(partition.c_str()));
    json_decref(queues);
}

flux_t *connect_or_die(const char *prog)
{
    flux_error_t err;
    flux_t *h = flux_open_ex(nullptr, 0, &err);
    if (!h) {
        fprintf(stderr, "%s: error: cannot reach the fluxd instance: %s%s\n", prog, err.text,
                getenv("FLUX_URI") ? "" : " (FLUX_URI is not set: run inside an instance)");
        exit(1);
    }
    return h;
}

std::string jobid_dec(flux_jobid_t id)
{
    return std::to_string((unsigned long long)id);
}

std::string JobInfo::display_id() const
{
    if (array_task_id >= 0)
        return jobid_dec(array_job_id ? array_job_id : id) + "_" + std::to_string(array_task_id);
    return jobid_dec(id);
}

std::string user_name(uint32_t uid)
{
    static std::map<uint32_t, std::string> cache;
    auto it = cache.find(uid);
    if (it != cache.end())
        return it->second;
    struct passwd *pw = getpwuid(uid);
    std::string n = pw ? pw->pw_name : std::to_string(uid);
    cache[uid] = n;
    return n;
}

std::vector<int> idset_ranks(const std::string &idset)
{
    std::vector<int> out;
    size_t start = 0;
    while (start < idset.size()) {
        size_t comma = idset.find(',', start);
        std::string r = idset.substr(start, comma == std::string::npos ? std::string::npos
                                                                      : comma - start);
        size_t dash = r.find('-');
        int a = atoi(r.c_str()), b = dash == std::string::npos ? a : atoi(r.c_str() + dash + 1);
        for (int i = a; i <= b && i - a < 1000000; i++)
            out.push_back(i);
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return out;
}

namespace {

int idset_count(const char *s)
{
    return s && *s ? (int)idset_ranks(s).size() : 0;
}

} // namespace

Nodes nodes_query(flux_t *h, const char *prog)
{
    Nodes n;
    /* resource.list is the resource service's public answer (flux-resource(1)). */
    flux_future_t *f = flux_rpc(h, "resource.list", nullptr, FLUX_NODEID_ANY, 0);
    json_t *R = nullptr, *drained = nullptr;
    const char *online = "";
    if (!f
        || flux_rpc_get_unpack(f, "{s:o s:s s?o}", "R", &R, "online", &online, "drained", &drained)
               < 0) {
        fprintf(stderr, "%s: error: resource query: %s\n", prog,
                f ? flux_future_error_string(f) : strerror(errno));
        exit(1);
    }
    n.online = online;
    json_t *rlite = json_object_get(json_object_get(R, "execution"), "R_lite");
    json_t *nodelist = json_object_get(json_object_get(R, "execution"), "nodelist");
    size_t i;
    json_t *e;
    json_array_foreach(rlite, i, e)
    {
        const char *rank = "", *core = "", *gpu = "";
        json_unpack(e, "{s:s s:{s?s s?s}}", "rank", &rank, "children", "core", &core, "gpu", &gpu);
        for (int r : idset_ranks(rank)) {
            if ((int)n.hostname.size() <= r) {
                n.hostname.resize(r + 1);
                n.cores.resize(r + 1);
                n.gpus.resize(r + 1);
            }
            n.cores[r] = idset_count(core);
            n.gpus[r] = idset_count(gpu);
        }
    }
    std::vector<std::string> hosts;
    json_array_foreach(nodelist, i, e)
    {
        std::vector<std::string> part;
        if (json_is_string(e) && nodelist_expand(json_string_value(e), part))
            hosts.insert(hosts.end(), part.begin(), part.end());
    }
    for (size_t r = 0; r < n.hostname.size(); r++)
        n.hostname[r] = r < hosts.size() ? hosts[r] : std::to_string(r);
    const char *pname;
    json_t *pset;
    json_object_foreach(json_object_get(json_object_get(R, "execution"), "properties"), pname, pset)
    {
        if (json_is_string(pset))
            n.properties[pname] = json_string_value(pset);
    }
    if (drained) {
        const char *key;
        json_t *v;
        std::string ds;
        json_object_foreach(drained, key, v)
        {
            const char *reason = "";
            json_unpack(v, "{s?s}", "reason", &reason);
            n.drain_reason[atoi(key)] = reason;
            ds += (ds.empty() ? "" : ",") + std::string(key);
        }
        n.drained = ds;
    }
    flux_future_destroy(f);
    return n;
}

std::string ranks_nodelist(const Nodes &nodes, const std::string &idset)
{
    std::vector<std::string> names;
    for (int r : idset_ranks(idset))
        names.push_back(r < (int)nodes.hostname.size() ? nodes.hostname[r] : std::to_string(r));
    /* Test instances run several ranks on one host: Slurm lists a node once. */
    return nodelist_compress(names);
}

JobList jobs_query(flux_t *h, const char *prog, int states, bool with_jobspec, const Nodes *nodes)
{
    JobList l;
    flux_future_t *f = flux_job_list(h, 0, nullptr, FLUX_USERID_UNKNOWN, states);
    json_t *jobs;
    if (!f || flux_job_list_get(f, &jobs) < 0) {
        fprintf(stderr, "%s: error: job list: %s\n", prog,
                f ? flux_future_error_string(f) : strerror(errno));
        exit(1);
    }
    l.jobs.reset(json_incref(jobs));
    flux_future_destroy(f);
    size_t i;
    json_t *job;
    std::vector<flux_future_t *> lookups;
    json_array_foreach(l.jobs.get(), i, job)
    {
        JobInfo ji;
        ji.job = job;
        json_int_t id = 0, userid = 0;
        const char *name = "", *ranks = "";
        json_unpack(job, "{s:I s?I s?s s?s}", "id", &id, "userid", &userid, "name", &name,
                    "ranks", &ranks);
        ji.id = (flux_jobid_t)id;
        ji.name = name;
        ji.user = user_name((uint32_t)userid);
        ji.partition = default_partition;
        if (nodes && *ranks)
            ji.nodelist = ranks_nodelist(*nodes, ranks);
        l.info.push_back(ji);
        if (with_jobspec)
            lookups.push_back(flux_job_lookup(h, ji.id, "jobspec"));
    }
    /* All lookups are in flight together: one round trip's wait. */
    for (size_t k = 0; k < lookups.size(); k++) {
        const char *text;
        if (!lookups[k] || flux_job_lookup_get(lookups[k], &text) < 0) {
            flux_future_destroy(lookups[k]);
            continue;
        }
        json_error_t jerr;
        Json js(json_loads(text, 0, &jerr));
        flux_future_destroy(lookups[k]);
        if (!js)
            continue;
        JobInfo &ji = l.info[k];
        json_t *sys = json_object_get(json_object_get(js.get(), "attributes"), "system");
        const char *queue = nullptr, *cwd = nullptr;
        double duration = 0;
        json_t *sl = nullptr;
        json_unpack(sys, "{s?s s?F s?s s?o}", "queue", &queue, "duration", &duration, "cwd", &cwd,
                    "slurm", &sl);
        if (queue && *queue)
            ji.partition = queue;
        if (cwd)
            ji.workdir = cwd;
        ji.time_limit = (int64_t)duration;
        json_int_t cpt = 0;
        const char *step_of = nullptr;
        json_unpack(sys, "{s?{s?{s?{s?I s?s}}}}", "shell", "options", "slurm", "cpus_per_task", &cpt,
                    "step_of", &step_of);
        if (cpt > 0)
            ji.cpus_per_task = cpt;
        flux_jobid_t alloc;
        if (step_of && flux_job_id_parse(step_of, &alloc) == 0)
            ji.step_of = alloc;
        if (sl) {
            json_int_t ajid = 0, atid = -1;
            int batch = 0, srun = 0;
            const char *dep = nullptr;
            json_int_t mem = 0;
            json_unpack(sl, "{s?I s?I s?b s?s s?I s?b}", "array_job_id", &ajid, "array_task_id",
                        &atid, "batch", &batch, "dependency", &dep, "mem_mb", &mem, "srun", &srun);
            ji.srun = srun;
            ji.mem_mb = mem;
            ji.array_task_id = (int)atid;
            ji.array_job_id = (flux_jobid_t)ajid;
            if (ji.array_task_id >= 0 && ji.array_job_id == 0)
                ji.array_job_id = ji.id;
            ji.batch = batch;
            if (dep)
                ji.dependency = dep;
        }
    }
    return l;
}

bool resolve_jobid(const JobList &jobs, const std::string &text, std::vector<flux_jobid_t> &ids)
{
    size_t us = text.find('_');
    if (us != std::string::npos) {
        std::string head = text.substr(0, us), tail = text.substr(us + 1);
        flux_jobid_t aid;
        if (flux_job_id_parse(head.c_str(), &aid) < 0 || tail.empty())
            return false;
        std::set<int> want;
        std::string t = tail;
        if (t.front() == '[' && t.back() == ']')
            t = t.substr(1, t.size() - 2);
        for (int r : idset_ranks(t))
            want.insert(r);
        if (want.empty() || t.find_first_not_of("0123456789,-") != std::string::npos)
            return false;
        for (const auto &ji : jobs.info)
            if (ji.array_job_id == aid && want.count(ji.array_task_id))
                ids.push_back(ji.id);
        return true;
    }
    flux_jobid_t id;
    if (flux_job_id_parse(text.c_str(), &id) < 0)
        return false;
    bool found = false;
    for (const auto &ji : jobs.info) {
        if (ji.id == id || (ji.array_job_id == id && ji.array_task_id >= 0)) {
            ids.push_back(ji.id);
            found = true;
        }
    }
    if (!found)
        ids.push_back(id);
    return true;
}

namespace {

int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

std::string b64decode(const char *s)
{
    std::string out;
    int bits = 0, acc = 0;
    for (; *s; s++) {
        int v = b64val(*s);
        if (v < 0)
            continue;
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += (char)((acc >> bits) & 0xff);
        }
    }
    return out;
}

struct Follow {
    flux_t *h = nullptr;
    flux_jobid_t id = 0;
    const char *prog = "srun";
    flux_future_t *cancel = nullptr;
    flux_future_t *events = nullptr, *output = nullptr;
    bool label = false;
    int status = -1;
    bool fatal = false, done = false, output_ended = false, output_cancelled = false;
    std::string note, error;
    std::map<std::pair<std::string, std::string>, std::string> partial;
    const char *stdin_ranks = nullptr;
    flux_job_input_t *input = nullptr;
    std::function<void()> on_start; /* once, at the job's start event */
    bool started = false;
    bool raw = false;
    struct event *winch = nullptr; /* --pty: window size changes */
};

void winch_cb(evutil_socket_t, short, void *arg)
{
    auto *a = static_cast<Follow *>(arg);
    struct winsize ws;
    if (a->input && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
        (void)flux_job_input_resize(a->input, ws.ws_row, ws.ws_col);
}

struct termios saved_tio;
volatile sig_atomic_t tio_saved = 0;

void restore_tty()
{
    if (tio_saved) {
        tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tio);
        tio_saved = 0;
    }
}

void restore_tty_signal(int sig)
{
    restore_tty();
    signal(sig, SIG_DFL);
    raise(sig);
}

void raw_tty()
{
    if (tio_saved || tcgetattr(STDIN_FILENO, &saved_tio) < 0)
        return;
    struct termios t = saved_tio;
    cfmakeraw(&t);
    if (tcsetattr(STDIN_FILENO, TCSADRAIN, &t) < 0)
        return;
    tio_saved = 1;
    atexit(restore_tty);
    for (int sig : {SIGTERM, SIGHUP, SIGQUIT})
        signal(sig, restore_tty_signal);
}

void input_cb(flux_job_input_t *in, void *arg)
{
    auto *a = static_cast<Follow *>(arg);
    const char *err = nullptr;
    if (flux_job_input_status(in, &err) < 0)
        fprintf(stderr, "%s: error: stdin: %s\n", a->prog, err);
}

void print_data(Follow *a, const std::string &stream, const std::string &rank,
                const std::string &data)
{
    FILE *fp = stream == "stderr" ? stderr : stdout;
    if (!a->label) {
        fwrite(data.data(), 1, data.size(), fp);
        fflush(fp);
        return;
    }
    std::string &p = a->partial[{stream, rank}];
    p += data;
    size_t start = 0, nl;
    while ((nl = p.find('\n', start)) != std::string::npos) {
        fprintf(fp, "%s: ", rank.c_str());
        fwrite(p.data() + start, 1, nl + 1 - start, fp);
        start = nl + 1;
    }
    p.erase(0, start);
    fflush(fp);
}

void output_cb(flux_future_t *f, void *arg)
{
    auto *a = static_cast<Follow *>(arg);
    const char *line;
    if (flux_job_event_watch_get(f, &line) < 0) {
        a->output_ended = true;
        if (a->done)
            flux_reactor_stop(flux_get_reactor(a->h));
        return;
    }
    json_error_t jerr;
    Json e(json_loads(line, 0, &jerr));
    const char *name = "";
    json_t *ctx = nullptr;
    if (e && json_unpack(e.get(), "{s:s s?o}", "name", &name, "context", &ctx) == 0) {
        std::string stream, rank, data;
        if (!strcmp(name, "data") && ctx && output_decode(ctx, stream, rank, data))
            print_data(a, stream, rank, data);
        else if (!strcmp(name, "log") && ctx) {
            const char *msg = "";
            json_unpack(ctx, "{s?s}", "message", &msg);
            fprintf(stderr, "srun: error: %s\n", msg);
        }
    }
    flux_future_reset(f);
}

void events_cb(flux_future_t *f, void *arg)
{
    auto *a = static_cast<Follow *>(arg);
    const char *line;
    if (flux_job_event_watch_get(f, &line) < 0) {
        /* After "clean" the stream ends by itself (ENODATA): stop once the
         * output has ended too.  Before it, the job could not be followed. */
        if (a->done && errno == ENODATA) {
            if (!a->output || a->output_ended)
                flux_reactor_stop(flux_get_reactor(a->h));
            return;
        }
        a->error = flux_future_error_string(f);
        a->done = true;
        flux_reactor_stop(flux_get_reactor(a->h));
        return;
    }
    json_error_t jerr;
    Json e(json_loads(line, 0, &jerr));
    const char *name = "";
    json_t *ctx = nullptr;
    if (e && json_unpack(e.get(), "{s:s s?o}", "name", &name, "context", &ctx) == 0) {
        if (!strcmp(name, "exception") && ctx) {
            int sev = 1;
            const char *type = "", *note = "";
            json_unpack(ctx, "{s?i s?s s?s}", "severity", &sev, "type", &type, "note", &note);
            if (sev == 0 && !a->fatal) {
                a->fatal = true;
                a->note = std::string(type) + (*note ? ": " : "") + note;
            }
        }
        else if (!strcmp(name, "start") && a->on_start && !a->started) {
            a->started = true;
            a->on_start();
        }
        if (!strcmp(name, "start") && a->stdin_ranks && !a->input) {
            /* stdin is read while the job runs only. */
            a->input = flux_job_input_create(a->h, a->id, STDIN_FILENO, a->stdin_ranks, input_cb,
                                             a);
            if (!a->input)
                fprintf(stderr, "%s: error: stdin: %s\n", a->prog, strerror(errno));
            else if (a->raw) {
                raw_tty();
                struct event_base *base = flux_reactor_get_event_base(flux_get_reactor(a->h));
                a->winch = base ? evsignal_new(base, SIGWINCH, winch_cb, a) : nullptr;
                if (a->winch)
                    evsignal_add(a->winch, nullptr);
            }
        }
        else if (!strcmp(name, "finish") && ctx) {
            json_unpack(ctx, "{s:i}", "status", &a->status);
            flux_job_input_destroy(a->input);
            a->input = nullptr;
            restore_tty();
        }
        else if (!strcmp(name, "clean"))
            a->done = true;
    }
    flux_future_reset(f);
    if (!a->done)
        return;
    if (a->output && !a->output_ended) {
        if (!a->output_cancelled) {
            a->output_cancelled = true;
            flux_job_event_watch_cancel(a->output);
        }
        return;
    }
    flux_reactor_stop(flux_get_reactor(a->h));
}

/* SIGINT/SIGTERM while following: cancel the job (once) and keep
 * following it to its end, as srun does on an interrupt. */
void signal_cb(evutil_socket_t sig, short, void *arg)
{
    auto *a = static_cast<Follow *>(arg);
    if (a->cancel)
        return;
    fprintf(stderr, "%s: %s: forcing job termination\n", a->prog,
            sig == SIGINT ? "interrupt" : "terminated");
    a->cancel = flux_job_cancel(a->h, a->id, "interrupted");
}

} // namespace

bool output_decode(json_t *ctx, std::string &stream, std::string &rank, std::string &data)
{
    const char *s = "", *d = nullptr, *enc = nullptr;
    json_t *r = nullptr;
    if (json_unpack(ctx, "{s:s s?o s?s s?s}", "stream", &s, "rank", &r, "data", &d, "encoding",
                    &enc)
        < 0)
        return false;
    stream = s;
    if (json_is_string(r))
        rank = json_string_value(r);
    else if (json_is_integer(r))
        rank = std::to_string(json_integer_value(r));
    data = !d ? "" : enc && !strcmp(enc, "base64") ? b64decode(d) : std::string(d);
    return true;
}

bool stdin_forwardable()
{
    int fl = fcntl(STDIN_FILENO, F_GETFL);
    if (fl < 0 || (fl & O_ACCMODE) == O_WRONLY)
        return false;
    struct stat st, null;
    if (fstat(STDIN_FILENO, &st) < 0)
        return false;
    return !(S_ISCHR(st.st_mode) && stat("/dev/null", &null) == 0 && st.st_rdev == null.st_rdev);
}

int job_follow(flux_t *h, flux_jobid_t id, bool output, bool label, std::string *exc,
               const char *stdin_ranks, bool raw, std::function<void()> on_start)
{
    Follow a;
    a.h = h;
    a.on_start = std::move(on_start);
    a.id = id;
    a.label = label;
    a.stdin_ranks = stdin_ranks;
    a.raw = raw && stdin_ranks && isatty(STDIN_FILENO);
    struct event_base *base = flux_reactor_get_event_base(flux_get_reactor(h));
    struct event *sigint = base ? evsignal_new(base, SIGINT, signal_cb, &a) : nullptr;
    struct event *sigterm = base ? evsignal_new(base, SIGTERM, signal_cb, &a) : nullptr;
    if (sigint)
        evsignal_add(sigint, nullptr);
    if (sigterm)
        evsignal_add(sigterm, nullptr);
    release_interrupts();
    if (output) {
        a.output = flux_job_event_watch(h, id, "guest.output", FLUX_JOB_EVENT_WATCH_WAITCREATE);
        if (!a.output || flux_future_then(a.output, -1, output_cb, &a) < 0)
            return 1;
    }
    a.events = flux_job_event_watch(h, id, "eventlog", 0);
    if (!a.events || flux_future_then(a.events, -1, events_cb, &a) < 0)
        return 1;
    flux_reactor_run(flux_get_reactor(h), 0);
    for (auto &[key, rest] : a.partial)
        if (!rest.empty())
            fprintf(key.first == "stderr" ? stderr : stdout, "%s: %s\n", key.second.c_str(),
                    rest.c_str());
    if (a.output && !a.output_ended && !a.output_cancelled)
        flux_job_event_watch_cancel(a.output);
    if (a.error.empty())
        flux_job_event_watch_cancel(a.events);
    if (a.winch)
        event_free(a.winch);
    flux_job_input_destroy(a.input);
    restore_tty();
    flux_future_destroy(a.output);
    flux_future_destroy(a.events);
    flux_future_destroy(a.cancel);
    if (sigint)
        event_free(sigint);
    if (sigterm)
        event_free(sigterm);
    if (exc)
        *exc = !a.error.empty() ? a.error : a.note;
    if (!a.error.empty())
        return 1;
    if (a.status >= 0)
        return WIFSIGNALED(a.status) ? 128 + WTERMSIG(a.status) : WEXITSTATUS(a.status);
    return a.fatal ? 1 : 0;
}

/* Blocked, not ignored: the kernel keeps a blocked signal pending even
 * where its action is SIG_IGN (as for a background job of a
 * non-interactive shell), so an interrupt between submit and the
 * follower's handlers is acted on once they are in place. */
static sigset_t interrupts()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

void hold_interrupts()
{
    sigset_t set = interrupts();
    sigprocmask(SIG_BLOCK, &set, nullptr);
}

void release_interrupts()
{
    sigset_t set = interrupts();
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
}

void keep_user_signals()
{
    struct sigaction noop = {};
    noop.sa_handler = [](int) {};
    noop.sa_flags = SA_RESTART;
    sigemptyset(&noop.sa_mask);
    for (int sig : {SIGUSR1, SIGUSR2}) {
        struct sigaction old;
        /* Ignored on entry (sbatch --signal without B:): stays ignored. */
        if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sig, &noop, nullptr);
    }
}

} // namespace slurm
