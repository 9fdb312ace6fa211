/* jobs.cpp - flux jobs, flux cancel, flux queue, and the job-manager parts
 * of flux job (raise, urgency, wait, eventlog, wait-event). */
#include <map>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <getopt.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "cmd.h"
#include "flux/kvs.h"
#include "eventlog/eventlog.h"
#include "fluid/fluid.h"
#include "ioencode/ioencode.h"
#include "fsd/fsd.h"
#include "jobs_format.h"
#include "jobspec_opts.h"
#include "libflux/ptr.h"

namespace fluxcmd {

namespace {

enum State { NEW = 1, DEPEND = 2, PRIORITY = 4, SCHED = 8, RUN = 16, CLEANUP = 32, INACTIVE = 64 };
constexpr int pending = DEPEND | PRIORITY | SCHED, running = RUN | CLEANUP,
              active = pending | running;

uint64_t parse_jobid(const char *prog, const char *s)
{
    auto id = flux::fluid_parse(s);
    if (!id)
        die(1, "%s: %s", prog, id.error().text.c_str());
    return *id;
}

/* Results of inactive jobs, for --filter. */
enum Result { COMPLETED = 1, FAILED = 2, CANCELED = 4, TIMEOUT = 8 };

int job_result(json_t *job)
{
    int success = 0;
    const char *type = nullptr;
    json_unpack(job, "{s?b s?{s?s}}", "success", &success, "exception", "type", &type);
    if (success)
        return COMPLETED;
    if (type && strcmp(type, "cancel") == 0)
        return CANCELED;
    if (type && strcmp(type, "timeout") == 0)
        return TIMEOUT;
    return FAILED;
}

/* STATES (states and results, comma separated) -> a state mask; *RESULTS
 * gets the results asked for, and *INACTIVE whether INACTIVE itself was. */
int parse_states(const char *s, int *results = nullptr, bool *inactive = nullptr)
{
    int mask = 0;
    std::string str = s;
    size_t start = 0;
    while (start <= str.size()) {
        size_t comma = str.find(',', start);
        std::string w = str.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        for (auto &ch : w)
            ch = (char)toupper((unsigned char)ch);
        int m = w == "NEW" || w == "N"           ? NEW
                : w == "DEPEND" || w == "D"      ? DEPEND
                : w == "PRIORITY" || w == "P"    ? PRIORITY
                : w == "SCHED" || w == "S"       ? SCHED
                : w == "RUN" || w == "R"         ? RUN
                : w == "CLEANUP" || w == "C"     ? CLEANUP
                : w == "INACTIVE" || w == "I"    ? INACTIVE
                : w == "PENDING"                 ? pending
                : w == "RUNNING"                 ? running
                : w == "ACTIVE"                  ? active
                : w == "ALL"                     ? 127
                                                 : 0;
        int r = w == "COMPLETED" || w == "CD" ? COMPLETED
                : w == "FAILED" || w == "F"   ? FAILED
                : w == "CANCELED" || w == "CA" ? CANCELED
                : w == "TIMEOUT" || w == "TO" ? TIMEOUT
                                              : 0;
        if (!m && !r)
            die(1, "flux-jobs: unknown state or result '%s' (states: new depend priority sched "
                   "run cleanup inactive pending running active all; results: completed "
                   "failed canceled timeout)",
                w.c_str());
        if (r && results)
            *results |= r;
        if (r)
            m = INACTIVE;
        else if ((m & INACTIVE) && inactive)
            *inactive = true;
        mask |= m;
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return mask;
}



double now_s()
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}


/* --user=NAME|UID|all: the uid to list, or -1 for every user. */
long parse_user(const char *s)
{
    if (!strcmp(s, "all"))
        return -1;
    if (struct passwd *pw = getpwnam(s))
        return (long)pw->pw_uid;
    char *end;
    errno = 0;
    unsigned long uid = strtoul(s, &end, 10);
    if (!*s || *end || errno || *s == '-' || uid > 0xfffffffeUL)
        die(1, "flux-jobs: --user: unknown user '%s' (give a name, a uid, or 'all')", s);
    return (long)uid;
}

flux_future_t *list_rpc(flux_t *h, int states, int max)
{
    flux_future_t *f =
        flux_rpc_pack(h, "job-manager.list", FLUX_NODEID_ANY, 0, "{s:i s:i}", "states", states, "max", max);
    if (!f)
        die(1, "flux-jobs: %s", strerror(errno));
    return f;
}

} // namespace

int cmd_jobs(int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, nullptr, 'a'},
        {"all-users", no_argument, nullptr, 'A'},
        {"user", required_argument, nullptr, 'u'},
        {"filter", required_argument, nullptr, 'f'},
        {"count", required_argument, nullptr, 'c'},
        {"no-header", no_argument, nullptr, 'n'},
        {"json", no_argument, nullptr, 'j'},
        {"format", required_argument, nullptr, 'o'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    int states = active, max = 0, c, results = 0;
    bool inactive_all = true;
    long user = (long)getuid(); /* -1: every user's jobs */
    bool header = true, json = false;
    std::string format = jobs_default_format;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+aAu:f:c:no:h", opts, nullptr)) != -1) {
        switch (c) {
            case 'a':
                states = 127;
                break;
            case 'A':
                user = -1;
                break;
            case 'u':
                user = parse_user(optarg);
                break;
            case 'f':
                results = 0;
                inactive_all = false;
                states = parse_states(optarg, &results, &inactive_all);
                break;
            case 'c':
                max = (int)parse_u32_or_die("flux-jobs", "count", optarg);
                break;
            case 'n':
                header = false;
                break;
            case 'j':
                json = true;
                break;
            case 'o':
                format = optarg;
                break;
            case 'h':
                printf("Usage: flux jobs [-a] [-A | -u USER] [--filter=STATES] [-c N] [-n] "
                       "[--json] [-o FORMAT]\n");
                return 0;
            default:
                return 1;
        }
    }
    if (optind != argc)
        die(1, "flux-jobs: unexpected argument '%s'", argv[optind]);
    auto fmt = JobsFormat::parse(format);
    if (!fmt)
        die(1, "flux-jobs: %s", fmt.error().text.c_str());
    flux_t *h = open_or_die("flux-jobs");
    /* The job manager shows the owner every user's jobs and anyone else
     * their own: pick one user's here, and apply --count after that. */
    flux_future_t *f = list_rpc(h, states, user < 0 ? max : 0);
    json_t *all;
    if (flux_rpc_get_unpack(f, "{s:o}", "jobs", &all) < 0)
        die(1, "flux-jobs: %s", flux_future_error_string(f));
    flux::JsonPtr jobs(json_array());
    size_t k;
    json_t *entry;
    json_array_foreach(all, k, entry)
    {
        int userid = -1;
        json_unpack(entry, "{s:i}", "userid", &userid);
        if (user >= 0 && userid != (int)user)
            continue;
        const char *st = "";
        json_unpack(entry, "{s?s}", "state", &st);
        if (results && !inactive_all && strcmp(st, "INACTIVE") == 0
            && !(job_result(entry) & results))
            continue;
        if (max > 0 && (int)json_array_size(jobs.get()) >= max)
            break;
        json_array_append(jobs.get(), entry);
    }
    if (json) {
        char *s = json_dumps(jobs.get(), JSON_COMPACT);
        printf("%s\n", s);
        free(s);
    }
    else {
        size_t i;
        json_t *job;
        double now = now_s();
        if (header)
            printf("%s\n", fmt->header().c_str());
        json_array_foreach(jobs.get(), i, job)
        {
            std::string line = fmt->render(job, now);
            while (!line.empty() && line.back() == ' ')
                line.pop_back();
            printf("%s\n", line.c_str());
        }
    }
    flux_future_destroy(f);
    flux_close(h);
    return 0;
}

int cmd_cancel(int argc, char **argv)
{
    static const struct option opts[] = {
        {"message", required_argument, nullptr, 'm'},
        {"all", no_argument, nullptr, 'a'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    const char *note = "";
    bool all = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+m:ah", opts, nullptr)) != -1) {
        if (c == 'm')
            note = optarg;
        else if (c == 'a')
            all = true;
        else if (c == 'h') {
            printf("Usage: flux cancel [-m NOTE] JOBID... | flux cancel --all\n");
            return 0;
        }
        else
            return 1;
    }
    if ((optind >= argc) == !all)
        die(1, "Usage: flux cancel [-m NOTE] JOBID... | flux cancel --all");
    flux_t *h = open_or_die("flux-cancel");
    std::vector<uint64_t> ids;
    if (all) {
        flux_future_t *f = list_rpc(h, pending | RUN, 0);
        json_t *jobs;
        if (flux_rpc_get_unpack(f, "{s:o}", "jobs", &jobs) < 0)
            die(1, "flux-cancel: %s", flux_future_error_string(f));
        size_t i;
        json_t *job;
        json_array_foreach(jobs, i, job)
        {
            json_int_t id;
            json_unpack(job, "{s:I}", "id", &id);
            ids.push_back((uint64_t)id);
        }
        flux_future_destroy(f);
    }
    for (int i = optind; i < argc; i++)
        ids.push_back(parse_jobid("flux-cancel", argv[i]));
    int rc = 0;
    for (uint64_t id : ids) {
        flux_future_t *f = flux_rpc_pack(h, "job-manager.raise", FLUX_NODEID_ANY, 0,
                                         "{s:I s:s s:i s:s}", "id", (json_int_t)id, "type",
                                         "cancel", "severity", 0, "note", note);
        if (!f || flux_rpc_get(f, nullptr) < 0) {
            fprintf(stderr, "flux-cancel: %s: %s\n", jobid_str(id).c_str(),
                    f ? flux_future_error_string(f) : strerror(errno));
            rc = 1;
        }
        flux_future_destroy(f);
    }
    if (all)
        fprintf(stderr, "flux-cancel: canceled %zu jobs\n", ids.size());
    flux_close(h);
    return rc;
}

int cmd_update(int argc, char **argv)
{
    const char *usage = "Usage: flux update JOBID duration=FSD";
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("%s\n", usage);
        return 0;
    }
    if (argc < 3)
        die(1, "%s", usage);
    uint64_t id = parse_jobid("flux-update", argv[1]);
    json_t *updates = json_object();
    for (int i = 2; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq)
            die(1, "flux-update: expected KEY=VALUE, got '%s'", argv[i]);
        std::string key(argv[i], eq - argv[i]);
        if (key == "duration" || key == "attributes.system.duration") {
            auto d = flux::fsd_parse(eq + 1, 's');
            if (!d)
                die(1, "flux-update: %s", d.error().text.c_str());
            json_object_set_new(updates, "attributes.system.duration", json_real(*d));
        }
        else
            die(1, "flux-update: updating '%s' is not supported (only duration)", key.c_str());
    }
    flux_t *h = open_or_die("flux-update");
    flux_future_t *f = flux_rpc_pack(h, "job-manager.update", FLUX_NODEID_ANY, 0, "{s:I s:o}",
                                     "id", (json_int_t)id, "updates", updates);
    if (!f || flux_rpc_get(f, nullptr) < 0)
        die(1, "flux-update: %s", f ? flux_future_error_string(f) : strerror(errno));
    flux_future_destroy(f);
    flux_close(h);
    return 0;
}

int cmd_queue(int argc, char **argv)
{
    const char *usage = "Usage: flux queue stop|start|status|drain|idle [--timeout=FSD]";
    if (argc < 2)
        die(1, "%s", usage);
    std::string sub = argv[1];
    double timeout = -1;
    for (int i = 2; i < argc; i++) {
        std::string a = argv[i];
        std::string val;
        if (a.rfind("--timeout=", 0) == 0)
            val = a.substr(10);
        else if (a == "--timeout" && i + 1 < argc)
            val = argv[++i];
        else
            die(1, "flux-queue: unknown argument '%s'\n%s", a.c_str(), usage);
        auto t = flux::fsd_parse(val);
        if (!t || (sub != "drain" && sub != "idle"))
            die(1, "flux-queue: --timeout: %s", !t ? ("invalid duration '" + val + "'").c_str()
                                                   : "only drain and idle take a timeout");
        /* fsd_parse() reads inf as 0: both mean no limit, as for -t. */
        timeout = *t > 0 ? *t : -1;
    }
    if (sub == "-h" || sub == "--help") {
        printf("%s\n", usage);
        return 0;
    }
    flux_t *h = open_or_die("flux-queue");
    auto status = [&](int start) {
        flux_future_t *f = start < 0 ? flux_rpc(h, "job-manager.queue", "{}", FLUX_NODEID_ANY, 0)
                                     : flux_rpc_pack(h, "job-manager.queue", FLUX_NODEID_ANY, 0,
                                                     "{s:b}", "start", start);
        int running, sched = 1;
        json_int_t act, pend;
        if (!f || flux_rpc_get_unpack(f, "{s:b s:I s:I s?b}", "running", &running, "active", &act,
                                      "pending", &pend, "scheduler", &sched)
                      < 0)
            die(1, "flux-queue: %s", f ? flux_future_error_string(f) : strerror(errno));
        flux_future_destroy(f);
        return std::make_tuple(running, act, pend, sched);
    };
    if (sub == "stop")
        status(0);
    else if (sub == "start")
        status(1);
    else if (sub == "status") {
        auto [running, act, pend, sched] = status(-1);
        printf("Scheduling is %s; %lld active jobs, %lld waiting for resources\n",
               running ? "started" : "stopped", (long long)act, (long long)pend);
        if (!sched)
            printf("No scheduler is loaded: jobs wait until one is (flux module load sched-simple)\n");
    }
    else if (sub == "drain" || sub == "idle") {
        /* drain: no active jobs at all; idle: none in RUN or CLEANUP.  The
         * job manager answers when that holds. */
        flux_future_t *f = flux_rpc(h, ("job-manager." + sub).c_str(), "{}", FLUX_NODEID_ANY, 0);
        if (!f)
            die(1, "flux-queue: %s", strerror(errno));
        if (flux_future_wait_for(f, timeout) < 0)
            die(1, "flux-queue: %s: %s", sub.c_str(),
                errno == ETIMEDOUT ? "timeout" : strerror(errno));
        if (flux_rpc_get(f, nullptr) < 0)
            die(1, "flux-queue: %s", flux_future_error_string(f));
        flux_future_destroy(f);
    }
    else
        die(1, "flux-queue: unknown subcommand '%s'\n%s", sub.c_str(), usage);
    flux_close(h);
    return 0;
}

/* flux job raise|urgency|wait|eventlog|wait-event */
int job_manager_cmd(const std::string &sub, int argc, char **argv)
{
    flux_t *h = open_or_die("flux-job");
    int rc = 0;
    if (sub == "raise") {
        static const struct option opts[] = {
            {"severity", required_argument, nullptr, 's'},
            {"type", required_argument, nullptr, 't'},
            {nullptr, 0, nullptr, 0},
        };
        int severity = 0, c;
        const char *type = "cancel";
        optind = 1;
        while ((c = getopt_long(argc, argv, "+s:t:", opts, nullptr)) != -1) {
            if (c == 's')
                severity = (int)parse_u32_or_die("flux-job", "severity", optarg);
            else if (c == 't')
                type = optarg;
            else
                return 1;
        }
        if (optind >= argc)
            die(1, "Usage: flux job raise [--severity=N] [--type=TYPE] JOBID [NOTE...]");
        uint64_t id = parse_jobid("flux-job", argv[optind]);
        std::string note;
        for (int i = optind + 1; i < argc; i++)
            note += (note.empty() ? "" : " ") + std::string(argv[i]);
        flux_future_t *f = flux_rpc_pack(h, "job-manager.raise", FLUX_NODEID_ANY, 0,
                                         "{s:I s:s s:i s:s}", "id", (json_int_t)id, "type", type,
                                         "severity", severity, "note", note.c_str());
        if (!f || flux_rpc_get(f, nullptr) < 0)
            die(1, "flux-job: raise: %s", f ? flux_future_error_string(f) : strerror(errno));
        flux_future_destroy(f);
    }
    else if (sub == "urgency") {
        if (argc != 3)
            die(1, "Usage: flux job urgency JOBID N|hold|default|expedite");
        uint64_t id = parse_jobid("flux-job", argv[1]);
        JobOptions o;
        job_option_handle(o, urgency_option(), argv[2]);
        flux_future_t *f = flux_rpc_pack(h, "job-manager.urgency", FLUX_NODEID_ANY, 0, "{s:I s:i}",
                                         "id", (json_int_t)id, "urgency", o.urgency);
        if (!f || flux_rpc_get(f, nullptr) < 0)
            die(1, "flux-job: urgency: %s", f ? flux_future_error_string(f) : strerror(errno));
        flux_future_destroy(f);
    }
    else if (sub == "wait") {
        if (argc != 2)
            die(1, "Usage: flux job wait JOBID");
        uint64_t id = parse_jobid("flux-job", argv[1]);
        flux_future_t *f =
            flux_rpc_pack(h, "job-manager.wait", FLUX_NODEID_ANY, 0, "{s:I}", "id", (json_int_t)id);
        int success;
        const char *errstr;
        if (!f || flux_rpc_get_unpack(f, "{s:b s:s}", "success", &success, "errstr", &errstr) < 0)
            die(1, "flux-job: wait: %s", f ? flux_future_error_string(f) : strerror(errno));
        if (!success) {
            fprintf(stderr, "flux-job: %s: %s\n", jobid_str(id).c_str(), errstr);
            rc = 1;
        }
        flux_future_destroy(f);
    }
    else if (sub == "info") {
        if (argc < 3)
            die(1, "Usage: flux job info JOBID KEY...  (jobspec, R, eventlog, guest.output)");
        uint64_t id = parse_jobid("flux-job", argv[1]);
        std::string base = "job." + flux::fluid_encode(id, flux::FluidFormat::dothex);
        for (int i = 2; i < argc; i++) {
            flux_future_t *f = flux_kvs_lookup(h, nullptr, 0, (base + "." + argv[i]).c_str());
            json_t *v;
            if (!f || flux_kvs_lookup_get_unpack(f, "o", &v) < 0) {
                if (errno == ENOENT)
                    die(1, "flux-job: info: %s has no %s", jobid_str(id).c_str(), argv[i]);
                die(1, "flux-job: info: %s", f ? flux_future_error_string(f) : strerror(errno));
            }
            if (json_is_string(v))
                fputs(json_string_value(v), stdout);
            else {
                char *text = json_dumps(v, JSON_COMPACT);
                printf("%s\n", text);
                free(text);
            }
            flux_future_destroy(f);
        }
    }
    else if (sub == "kill") {
        static const struct option opts[] = {
            {"signal", required_argument, nullptr, 's'},
            {nullptr, 0, nullptr, 0},
        };
        int sig = SIGTERM, c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+s:", opts, nullptr)) != -1) {
            if (c != 's')
                return 1;
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v <= 0 || v >= 64) {
                std::string name = optarg;
                if (name.rfind("SIG", 0) == 0)
                    name = name.substr(3);
                v = 0;
                for (int k = 1; k < 64; k++) {
                    const char *abbrev = sigabbrev_np(k);
                    if (abbrev && name == abbrev)
                        v = k;
                }
                if (v == 0)
                    die(1, "flux-job: kill: unknown signal '%s'", optarg);
            }
            sig = (int)v;
        }
        if (optind >= argc)
            die(1, "Usage: flux job kill [--signal=SIG] JOBID...");
        for (int i = optind; i < argc; i++) {
            uint64_t id = parse_jobid("flux-job", argv[i]);
            flux_future_t *f = flux_rpc_pack(h, "job-manager.kill", FLUX_NODEID_ANY, 0,
                                             "{s:I s:i}", "id", (json_int_t)id, "signal", sig);
            if (!f || flux_rpc_get(f, nullptr) < 0) {
                fprintf(stderr, "flux-job: kill %s: %s\n", jobid_str(id).c_str(),
                        f ? flux_future_error_string(f) : strerror(errno));
                rc = 1;
            }
            flux_future_destroy(f);
        }
    }
    else if (sub == "attach") {
        bool label = argc == 3 && (!strcmp(argv[1], "-l") || !strcmp(argv[1], "--label-io"));
        if (argc != 2 && !label)
            die(1, "Usage: flux job attach [-l|--label-io] JOBID");
        rc = job_attach(h, parse_jobid("flux-job", argv[argc - 1]), false, label);
    }
    else if (sub == "eventlog" || sub == "wait-event") {
        static const struct option opts[] = {
            {"follow", no_argument, nullptr, 'f'},
            {"timeout", required_argument, nullptr, 't'},
            {"quiet", no_argument, nullptr, 'q'},
            {nullptr, 0, nullptr, 0},
        };
        bool follow = sub == "wait-event", quiet = false;
        double timeout = -1;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+ft:q", opts, nullptr)) != -1) {
            if (c == 'f')
                follow = true;
            else if (c == 't') {
                auto t = flux::fsd_parse(optarg);
                if (!t)
                    die(1, "flux-job: --timeout: %s", t.error().text.c_str());
                timeout = *t;
            }
            else if (c == 'q')
                quiet = true;
            else
                return 1;
        }
        int want = sub == "wait-event" ? 2 : 1;
        if (argc - optind != want)
            die(1, sub == "wait-event" ? "Usage: flux job wait-event [-t TIMEOUT] [-q] JOBID NAME"
                                       : "Usage: flux job eventlog [-f] JOBID");
        uint64_t id = parse_jobid("flux-job", argv[optind]);
        const char *wanted = want == 2 ? argv[optind + 1] : nullptr;
        std::string key = "job." + flux::fluid_encode(id, flux::FluidFormat::dothex) + ".eventlog";
        int flags = follow ? FLUX_KVS_WATCH | FLUX_KVS_WATCH_APPEND : 0;
        flux_future_t *f = flux_kvs_lookup(h, nullptr, flags, key.c_str());
        bool found = false;
        std::string partial;
        while (!found) {
            if (timeout >= 0 && flux_future_wait_for(f, timeout) < 0)
                die(1, "flux-job: wait-event: timed out waiting for %s", wanted ? wanted : "events");
            json_t *v = nullptr;
            if (flux_kvs_lookup_get_unpack(f, "o", &v) < 0) {
                if (errno == ENOENT)
                    die(1, "flux-job: unknown job id %s", jobid_str(id).c_str());
                die(1, "flux-job: %s", flux_future_error_string(f));
            }
            partial += json_string_value(v) ? json_string_value(v) : "";
            size_t nl;
            while ((nl = partial.find('\n')) != std::string::npos) {
                std::string line = partial.substr(0, nl + 1);
                partial.erase(0, nl + 1);
                auto e = flux::eventlog_entry_decode(line);
                if (!e)
                    continue;
                if ((!wanted || e->name == wanted) && !quiet) {
                    char *ctx = e->context ? json_dumps(e->context, JSON_COMPACT) : nullptr;
                    printf("%.6f %s%s%s\n", e->timestamp, e->name.c_str(), ctx ? " " : "",
                           ctx ? ctx : "");
                    free(ctx);
                }
                if (wanted && e->name == wanted)
                    found = true;
                if (!wanted && e->name == "clean")
                    found = follow;
            }
            fflush(stdout);
            if (!follow)
                break;
            flux_future_reset(f);
        }
        if (follow)
            flux_kvs_lookup_cancel(f);
        flux_future_destroy(f);
    }
    flux_close(h);
    return rc;
}

} // namespace fluxcmd

namespace fluxcmd {

namespace {

/* State of an attached job: eventlog and output are followed together. */
struct Attach {
    bool quiet = false; /* follow events only, print no output */
    flux_t *h = nullptr;
    uint64_t id = 0;
    flux_future_t *events = nullptr;
    flux_future_t *output = nullptr;
    std::string ev_partial, out_partial;
    int status = -1;
    bool fatal = false;
    std::string exc_type, exc_note;
    bool done = false;
    bool output_ended = false, output_cancelled = false;
    bool label = false; /* --label-io: "RANK: " before each line */
    std::map<std::pair<std::string, std::string>, std::string> unfinished; /* stream, rank */
};

/* Write DATA of task RANK to FP, each line after "RANK: "; a line without
 * its newline yet waits in PARTIAL for the rest. */
void write_labeled(FILE *fp, const char *rank, std::string &partial, const char *data, size_t len)
{
    partial.append(data, len);
    size_t start = 0, nl;
    while ((nl = partial.find('\n', start)) != std::string::npos) {
        fprintf(fp, "%s: ", rank);
        fwrite(partial.data() + start, 1, nl + 1 - start, fp);
        start = nl + 1;
    }
    partial.erase(0, start);
}

void attach_lines(std::string &partial, const char *chunk,
                  const std::function<void(const flux::EventlogEntry &)> &fn)
{
    partial += chunk;
    size_t nl;
    while ((nl = partial.find('\n')) != std::string::npos) {
        std::string line = partial.substr(0, nl + 1);
        partial.erase(0, nl + 1);
        if (auto e = flux::eventlog_entry_decode(line))
            fn(*e);
    }
}

void attach_output_cb(flux_future_t *f, void *arg)
{
    auto *a = static_cast<Attach *>(arg);
    json_t *v = nullptr;
    if (flux_kvs_lookup_get_unpack(f, "o", &v) < 0) {
        /* Cancelled (the job is done: everything before it was shown) or
         * ended. */
        a->output_ended = true;
        if (a->done)
            flux_reactor_stop(flux_get_reactor(a->h));
        return;
    }
    attach_lines(a->out_partial, json_string_value(v) ? json_string_value(v) : "",
                 [a](const flux::EventlogEntry &e) {
                     if (e.name == "log" && e.context) {
                         const char *comp = "shell", *msg = "";
                         int rank = 0;
                         if (json_unpack(e.context, "{s?s s?i s:s}", "component", &comp, "rank",
                                         &rank, "message", &msg)
                             == 0)
                             fprintf(stderr, "flux-shell[%d]: %s: %s\n", rank, comp, msg);
                         return;
                     }
                     if (e.name != "data" || !e.context)
                         return;
                     /* Bytes, base64 when not text (RFC 24 "encoding"). */
                     auto d = flux::iodecode(e.context);
                     if (!d) {
                         fprintf(stderr, "flux-job: %s\n", d.error().text.c_str());
                         return;
                     }
                     FILE *fp = d->stream == "stderr" ? stderr : stdout;
                     if (a->label)
                         write_labeled(fp, d->rank.c_str(), a->unfinished[{d->stream, d->rank}],
                                       d->data.data(), d->data.size());
                     else
                         fwrite(d->data.data(), 1, d->data.size(), fp);
                     fflush(fp);
                 });
    flux_future_reset(f);
}

void attach_events_cb(flux_future_t *f, void *arg)
{
    auto *a = static_cast<Attach *>(arg);
    json_t *v = nullptr;
    if (flux_kvs_lookup_get_unpack(f, "o", &v) < 0) {
        fprintf(stderr, "flux-job: attach: %s\n", flux_future_error_string(f));
        a->done = true;
        flux_reactor_stop(flux_get_reactor(a->h));
        return;
    }
    attach_lines(a->ev_partial, json_string_value(v) ? json_string_value(v) : "",
                 [a](const flux::EventlogEntry &e) {
                     if (e.name == "exception" && e.context) {
                         int sev = 1;
                         const char *type = "", *note = "";
                         json_unpack(e.context, "{s?i s?s s?s}", "severity", &sev, "type", &type,
                                     "note", &note);
                         if (sev == 0 && !a->fatal) {
                             a->fatal = true;
                             a->exc_type = type;
                             a->exc_note = note;
                         }
                     }
                     else if (e.name == "finish" && e.context)
                         json_unpack(e.context, "{s:i}", "status", &a->status);
                     else if (e.name == "clean")
                         a->done = true;
                 });
    flux_future_reset(f);
    if (!a->done)
        return;
    /* The job's output was stored before it finished, but its last updates
     * may still be on their way on the output watch: cancel it and stop
     * once the watch has delivered everything before the cancel. */
    if (a->output && !a->output_ended) {
        if (!a->output_cancelled) {
            a->output_cancelled = true;
            flux_kvs_lookup_cancel(a->output);
        }
        return;
    }
    flux_reactor_stop(flux_get_reactor(a->h));
}

} // namespace

int job_attach(flux_t *h, uint64_t id, bool quiet, bool label)
{
    Attach a;
    a.quiet = quiet;
    a.label = label;
    a.h = h;
    a.id = id;
    std::string base = "job." + flux::fluid_encode(id, flux::FluidFormat::dothex);
    if (!quiet) {
        a.output = flux_kvs_lookup(h, nullptr,
                                   FLUX_KVS_WATCH | FLUX_KVS_WAITCREATE | FLUX_KVS_WATCH_APPEND,
                                   (base + ".guest.output").c_str());
        if (!a.output || flux_future_then(a.output, -1, attach_output_cb, &a) < 0)
            die(1, "flux-job: attach: %s", strerror(errno));
    }
    a.events = flux_kvs_lookup(h, nullptr, FLUX_KVS_WATCH | FLUX_KVS_WATCH_APPEND,
                               (base + ".eventlog").c_str());
    if (!a.events || flux_future_then(a.events, -1, attach_events_cb, &a) < 0)
        die(1, "flux-job: attach: %s", strerror(errno));
    flux_reactor_run(flux_get_reactor(h), 0);
    for (auto &[key, rest] : a.unfinished) { /* last lines without a newline */
        if (!rest.empty())
            fprintf(key.first == "stderr" ? stderr : stdout, "%s: %s\n", key.second.c_str(),
                    rest.c_str());
    }
    if (a.output && !a.output_ended && !a.output_cancelled)
        flux_kvs_lookup_cancel(a.output);
    flux_kvs_lookup_cancel(a.events);
    flux_future_destroy(a.output);
    flux_future_destroy(a.events);
    if (a.fatal)
        fprintf(stderr, "flux-job: %s: %s%s%s\n", jobid_str(id).c_str(), a.exc_type.c_str(),
                a.exc_note.empty() ? "" : ": ", a.exc_note.c_str());
    if (a.status >= 0)
        return WIFSIGNALED(a.status) ? 128 + WTERMSIG(a.status) : WEXITSTATUS(a.status);
    return a.fatal ? 1 : 0;
}

} // namespace fluxcmd
