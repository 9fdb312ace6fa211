/* job.cpp - flux job: submit, id, cancel, raise, urgency, wait, info, kill,
 * attach, eventlog, wait-event, all through the job API (flux/job.h). */
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <getopt.h>
#include <pwd.h>
#include <iostream>
#include <optional>
#include <sstream>

#include <string>
#include <vector>

#include "cmd.h"
#include "eventlog/eventlog.h"
#include "flux/job.h"
#include "flux/sign.h"
#include "fsd/fsd.h"
#include "jobspec_opts.h"
#include "libflux/ptr.h"
#include "sign/sign.h"
#include "signame/signame.h"
#include "jobspec/jobspec.h"
#include "submit_jobs.h"

namespace fluxcmd {

namespace {

const char *job_usage = "Usage: flux job submit [--urgency=N] [--flags=debug,waitable,signed] [FILE]\n"
                        "       flux job id [--to=dec|hex|dothex|kvs|f58|f58plain|words] [ID...]\n"
                        "       flux job raise [--severity=N] [--type=TYPE] JOBID [NOTE...]\n"
                        "       flux job cancel [-m NOTE] JOBID...\n"
                        "       flux job urgency JOBID N|hold|default|expedite\n"
                        "       flux job wait [-v|--verbose] [-a|--all] [JOBID]\n"
                        "       flux job sign [--mechanism=none|munge] [FILE]\n"
                        "       flux job attach [-l|--label-io] [-i|--stdin-ranks=RANKS] [-r|--read-only] JOBID\n"
                        "       flux job info JOBID KEY...\n"
                        "       flux job kill [--signal=SIG] JOBID...\n"
                        "       flux job killall [--signal=SIG] [--user=USER|all] [--force]\n"
                        "       flux job purge [--age-limit=FSD] [--num-limit=N] [--batch=N] [--force]\n"
                        "                      [JOBID...]\n"
                        "       flux job eventlog [-f text|json] [-T raw|iso|offset|human] [-H] [-F]\n"
                        "                         [-p PATH] JOBID\n"
                        "       flux job wait-event [-f text|json] [-T raw|iso|offset|human] [-H]\n"
                        "                           [-t TIMEOUT] [-q] [-p PATH] JOBID NAME";

int job_submit(int argc, char **argv)
{
    int urgency = FLUX_JOB_URGENCY_DEFAULT, flags = 0, c;
    static const struct option opts[] = {
        {"urgency", required_argument, nullptr, 'u'},
        {"flags", required_argument, nullptr, 'f'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    optind = 1;
    while ((c = getopt_long(argc, argv, "+u:f:h", opts, nullptr)) != -1) {
        if (c == 'u') {
            JobOptions o;
            job_option_handle(o, urgency_option(), optarg);
            urgency = o.urgency;
        }
        else if (c == 'f') {
            std::stringstream words(optarg);
            std::string w;
            while (std::getline(words, w, ',')) {
                if (w == "debug")
                    flags |= FLUX_JOB_DEBUG;
                else if (w == "waitable")
                    flags |= FLUX_JOB_WAITABLE;
                else if (w == "signed")
                    flags |= FLUX_JOB_PRE_SIGNED;
                else
                    die(1, "flux-job: submit: --flags: unknown flag '%s' (debug, waitable,"
                           " signed)",
                        w.c_str());
            }
        }
        else if (c == 'h') {
            printf("Usage: flux job submit [--urgency=N] [--flags=debug,signed] [FILE]\n");
            return 0;
        }
        else
            return 1;
    }
    if (argc - optind > 1)
        die(1, "Usage: flux job submit [--urgency=N] [--flags=debug,signed] [FILE]");
    std::stringstream ss;
    if (optind < argc && strcmp(argv[optind], "-") != 0) {
        std::ifstream in(argv[optind]);
        if (!in)
            die(1, "flux-job: submit: %s: %s", argv[optind], strerror(errno));
        ss << in.rdbuf();
    }
    else
        ss << std::cin.rdbuf();
    std::string text = ss.str();
    /* A J file: its text without the final newline. */
    if (flags & FLUX_JOB_PRE_SIGNED) {
        while (!text.empty() && isspace((unsigned char)text.back()))
            text.pop_back();
    }
    /* Empty, NUL bytes, bad UTF-8, too deep: named before the C API
     * (which takes C text) sees it. */
    else if (auto checked = flux::jobspec_check_text(text); !checked)
        die(1, "flux-job: submit: %s", checked.error().text.c_str());
    flux_t *h = open_or_die("flux-job");
    flux::FuturePtr f(flux_job_submit(h, text.c_str(), urgency, flags));
    flux_jobid_t id;
    if (!f)
        die(1, "flux-job: submit: %s", errno == EINVAL ? "jobspec is not valid UTF-8"
                                                       : strerror(errno));
    if (flux_job_submit_get_id(f.get(), &id) < 0)
        die(1, "flux: submit: %s", flux_future_error_string(f.get()));
    printf("%s\n", jobid_str(id).c_str());
    flux_close(h);
    return 0;
}

/* flux job sign [--mechanism=none|munge] [FILE]: print FILE (or stdin)
 * signed as J, for flux job submit --flags=signed later. */
int job_sign(int argc, char **argv)
{
    const char *mech = nullptr;
    int c;
    static const struct option opts[] = {
        {"mechanism", required_argument, nullptr, 'm'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    const char *usage = "Usage: flux job sign [--mechanism=none|munge] [FILE]";
    optind = 1;
    while ((c = getopt_long(argc, argv, "+m:h", opts, nullptr)) != -1) {
        if (c == 'm')
            mech = optarg;
        else if (c == 'h') {
            printf("%s\n", usage);
            return 0;
        }
        else
            return 1;
    }
    if (argc - optind > 1)
        die(1, "%s", usage);
    std::stringstream ss;
    if (optind < argc && strcmp(argv[optind], "-") != 0) {
        std::ifstream in(argv[optind]);
        if (!in)
            die(1, "flux-job: sign: %s: %s", argv[optind], strerror(errno));
        ss << in.rdbuf();
    }
    else
        ss << std::cin.rdbuf();
    std::string text = ss.str();
    /* Without --mechanism the default depends on who owns the instance. */
    flux_t *h = mech ? nullptr : open_or_die("flux-job");
    flux_error_t error;
    char *j = flux_sign_wrap(h, text.data(), text.size(), mech, &error);
    if (!j)
        die(1, "flux-job: sign: %s", error.text);
    printf("%s\n", j);
    free(j);
    if (h)
        flux_close(h);
    return 0;
}

int job_id(int argc, char **argv)
{
    std::string to = "dec";
    int c;
    static const struct option opts[] = {
        {"to", required_argument, nullptr, 't'},
        {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    const char *usage = "Usage: flux job id [--to=dec|hex|dothex|kvs|f58|f58plain|words] [ID...]";
    optind = 1;
    while ((c = getopt_long(argc, argv, "+t:h", opts, nullptr)) != -1) {
        if (c == 't')
            to = optarg;
        else if (c == 'h') {
            printf("%s\n(with no ID, one id per line of standard input)\n", usage);
            return 0;
        }
        else
            return 1;
    }
    char check[64];
    if (flux_job_id_encode(0, to.c_str(), check, sizeof(check)) < 0)
        die(1, "flux-job: id: unknown format '%s' (dec, hex, dothex, kvs, f58, f58plain, words)",
            to.c_str());
    std::vector<std::string> inputs(argv + optind, argv + argc);
    if (inputs.empty()) {
        std::string line;
        while (std::getline(std::cin, line))
            if (line.find_first_not_of(" \t\r") != std::string::npos)
                inputs.push_back(line);
        if (inputs.empty())
            die(1, "%s", usage);
    }
    for (const auto &in : inputs) {
        flux_jobid_t id;
        char buf[64];
        if (flux_job_id_parse(in.c_str(), &id) < 0)
            die(1, "flux-job: invalid job id '%s'", in.c_str());
        if (flux_job_id_encode(id, to.c_str(), buf, sizeof(buf)) < 0)
            die(1, "flux-job: id: %s", strerror(errno));
        printf("%s\n", buf);
    }
    return 0;
}

/* --signal=SIG: a number 1-63 or a name with or without SIG. */
int parse_signal(const char *s)
{
    int sig = flux::signal_parse(s);
    if (sig < 0)
        die(1, "flux-job: kill: unknown signal '%s'", s);
    return sig;
}

int job_raise(flux_t *h, int argc, char **argv)
{
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
    if (severity > 7)
        die(1, "flux-job: raise: severity must be 0-7, not %d", severity);
    uint64_t id = parse_jobid_or_die("flux-job", argv[optind]);
    std::string note;
    for (int i = optind + 1; i < argc; i++)
        note += (note.empty() ? "" : " ") + std::string(argv[i]);
    flux::FuturePtr f(flux_job_raise(h, id, type, severity, note.c_str()));
    if (!f)
        die(1, "flux-job: raise: invalid exception type '%s'", type);
    if (flux_rpc_get(f.get(), nullptr) < 0)
        die(1, "flux-job: raise: %s", flux_future_error_string(f.get()));
    return 0;
}

int job_urgency(flux_t *h, int argc, char **argv)
{
    if (argc != 3)
        die(1, "Usage: flux job urgency JOBID N|hold|default|expedite");
    uint64_t id = parse_jobid_or_die("flux-job", argv[1]);
    JobOptions o;
    job_option_handle(o, urgency_option(), argv[2]);
    flux::FuturePtr f(flux_job_set_urgency(h, id, o.urgency));
    if (!f || flux_rpc_get(f.get(), nullptr) < 0)
        die(1, "flux-job: urgency: %s", f ? flux_future_error_string(f.get()) : strerror(errno));
    return 0;
}

/* flux job wait [-v] [-a|--all] [JOBID] (flux-job(1)): without JOBID the
 * next waitable job to end (its id on stdout; exit 2 when there is none),
 * with --all every waitable job, failures on stderr, exit 1 if any failed. */
int job_wait(flux_t *h, int argc, char **argv)
{
    const char *usage = "Usage: flux job wait [-v|--verbose] [-a|--all] [JOBID]";
    static const struct option opts[] = {
        {"all", no_argument, nullptr, 'a'},
        {"verbose", no_argument, nullptr, 'v'},
        {nullptr, 0, nullptr, 0},
    };
    bool all = false, verbose = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+av", opts, nullptr)) != -1) {
        if (c == 'a')
            all = true;
        else if (c == 'v')
            verbose = true;
        else
            die(1, "%s", usage);
    }
    if (argc - optind > 1)
        die(1, "%s", usage);
    uint64_t id = FLUX_JOBID_ANY;
    if (optind < argc) {
        if (all)
            die(1, "flux-job: wait: a JOBID cannot be given with --all");
        id = parse_jobid_or_die("flux-job", argv[optind]);
    }
    bool success;
    const char *errstr;
    if (all) {
        int rc = 0;
        for (;;) {
            flux::FuturePtr f(flux_job_wait(h, FLUX_JOBID_ANY));
            if (!f)
                die(1, "flux-job: wait: %s", strerror(errno));
            flux_jobid_t got;
            if (flux_job_wait_get_status(f.get(), &success, &errstr) < 0) {
                if (errno == ECHILD) /* no waitable job left */
                    break;
                die(1, "flux-job: wait: %s", flux_future_error_string(f.get()));
            }
            if (flux_job_wait_get_id(f.get(), &got) < 0)
                die(1, "flux-job: wait: %s", flux_future_error_string(f.get()));
            if (!success) {
                fprintf(stderr, "%s: %s\n", jobid_str(got).c_str(), errstr);
                rc = 1;
            }
            else if (verbose) /* -v: a line for every job, not only failed ones */
                fprintf(stderr, "%s: job completed successfully\n", jobid_str(got).c_str());
        }
        return rc;
    }
    flux::FuturePtr f(flux_job_wait(h, id));
    if (!f || flux_job_wait_get_status(f.get(), &success, &errstr) < 0) {
        int err = errno;
        fprintf(stderr, "flux-job: wait: %s\n",
                f ? flux_future_error_string(f.get()) : strerror(err));
        return err == ECHILD ? 2 : 1; /* as wait(2): no job to wait for */
    }
    if (id == FLUX_JOBID_ANY) {
        if (flux_job_wait_get_id(f.get(), &id) < 0)
            die(1, "flux-job: wait: %s", flux_future_error_string(f.get()));
        printf("%s\n", jobid_str(id).c_str());
        fflush(stdout);
    }
    if (!success) {
        fprintf(stderr, "flux-job: %s: %s\n", jobid_str(id).c_str(), errstr);
        return 1;
    }
    return 0;
}

/* A bare jobspec of the instance owner's uid is stored without its J (see
 * job-ingest): derive it as job-ingest would have wrapped it, the stored
 * jobspec signed with mechanism none for the submitting userid. */
static std::optional<std::string> derived_J(flux_t *h, uint64_t id)
{
    flux::FuturePtr fjs(flux_job_lookup(h, id, "jobspec"));
    flux::FuturePtr fev(flux_job_lookup(h, id, "eventlog"));
    const char *js, *ev;
    if (!fjs || !fev || flux_job_lookup_get(fjs.get(), &js) < 0
        || flux_job_lookup_get_unpack(fev.get(), "s", &ev) < 0)
        return std::nullopt;
    auto log = flux::eventlog_decode(ev);
    if (!log || log->empty() || log->front().name != "submit")
        return std::nullopt;
    json_int_t userid;
    if (json_unpack(log->front().context, "{s:I}", "userid", &userid) < 0)
        return std::nullopt;
    auto j = flux::sign::wrap(js, (uint32_t)userid, flux::sign::Mechanism::none);
    if (!j)
        return std::nullopt;
    return *j;
}

int job_info(flux_t *h, int argc, char **argv)
{
    if (argc < 3)
        die(1, "Usage: flux job info JOBID KEY...  (jobspec, R, eventlog, guest.output)");
    uint64_t id = parse_jobid_or_die("flux-job", argv[1]);
    for (int i = 2; i < argc; i++) {
        flux::FuturePtr f(flux_job_lookup(h, id, argv[i]));
        if (!f)
            die(1, "flux-job: info: invalid key '%s'", argv[i]);
        json_t *v;
        if (flux_job_lookup_get_unpack(f.get(), "o", &v) < 0) {
            std::optional<std::string> j;
            if (errno == ENOENT && strcmp(argv[i], "J") == 0 && (j = derived_J(h, id))) {
                fputs(j->c_str(), stdout);
                continue;
            }
            if (errno == ENOENT) {
                /* Every job has an eventlog: without one the id is unknown. */
                flux::FuturePtr ev(flux_job_lookup(h, id, "eventlog"));
                const char *text;
                if (ev && flux_job_lookup_get(ev.get(), &text) < 0 && errno == ENOENT)
                    die(1, "flux-job: info: %s: unknown job id", jobid_str(id).c_str());
                die(1, "flux-job: info: %s has no %s", jobid_str(id).c_str(), argv[i]);
            }
            die(1, "flux-job: info: %s", flux_future_error_string(f.get()));
        }
        if (json_is_string(v))
            fputs(json_string_value(v), stdout);
        else {
            char *text = json_dumps(v, JSON_COMPACT);
            printf("%s\n", text);
            free(text);
        }
    }
    return 0;
}

int job_kill(flux_t *h, int argc, char **argv)
{
    static const struct option opts[] = {
        {"signal", required_argument, nullptr, 's'},
        {nullptr, 0, nullptr, 0},
    };
    int sig = SIGTERM, c, rc = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+s:", opts, nullptr)) != -1) {
        if (c != 's')
            return 1;
        sig = parse_signal(optarg);
    }
    if (optind >= argc)
        die(1, "Usage: flux job kill [--signal=SIG] JOBID...");
    for (int i = optind; i < argc; i++) {
        uint64_t id = parse_jobid_or_die("flux-job", argv[i]);
        flux::FuturePtr f(flux_job_kill(h, id, sig));
        if (!f || flux_rpc_get(f.get(), nullptr) < 0) {
            fprintf(stderr, "flux-job: kill %s: %s\n", jobid_str(id).c_str(),
                    f ? flux_future_error_string(f.get()) : strerror(errno));
            rc = 1;
        }
    }
    return rc;
}

/* flux job killall: signal every running job (the caller's; --user=all or
 * a name/uid for the instance owner), as Flux; without --force, say how
 * many it would. */
int job_killall(flux_t *h, int argc, char **argv)
{
    static const struct option opts[] = {
        {"signal", required_argument, nullptr, 's'},
        {"user", required_argument, nullptr, 'u'},
        {"force", no_argument, nullptr, 'f'},
        {nullptr, 0, nullptr, 0},
    };
    int sig = SIGTERM, c;
    bool force = false;
    json_int_t userid = getuid();
    optind = 1;
    while ((c = getopt_long(argc, argv, "+s:u:f", opts, nullptr)) != -1) {
        if (c == 's')
            sig = parse_signal(optarg);
        else if (c == 'u') {
            if (!strcmp(optarg, "all"))
                userid = -1;
            else if (struct passwd *pw = getpwnam(optarg))
                userid = pw->pw_uid;
            else {
                char *end;
                userid = strtoll(optarg, &end, 10);
                if (!*optarg || *end || userid < 0)
                    die(1, "flux-job: killall: unknown user '%s'", optarg);
            }
        }
        else if (c == 'f')
            force = true;
        else
            return 1;
    }
    if (optind != argc)
        die(1, "Usage: flux job killall [--signal=SIG] [--user=USER|all] [--force]");
    flux::FuturePtr f(flux_rpc_pack(h, "job-manager.killall", FLUX_NODEID_ANY, 0,
                                    "{s:i s:I s:b}", "signal", sig, "userid", userid, "dry_run",
                                    !force));
    int count = 0;
    if (!f || flux_rpc_get_unpack(f.get(), "{s:i}", "count", &count) < 0)
        die(1, "flux-job: killall: %s", f ? flux_future_error_string(f.get()) : strerror(errno));
    fprintf(stderr, "flux-job: Command matched %d job%s%s\n", count, count == 1 ? "" : "s",
            force || count == 0 ? "" : " (-f to confirm)");
    return 0;
}

/* flux job purge: the oldest inactive jobs (or those named) leave the job
 * manager and the KVS, as Flux; without --force, say how many would. */
int job_purge(flux_t *h, int argc, char **argv)
{
    static const struct option opts[] = {
        {"age-limit", required_argument, nullptr, 'a'},
        {"num-limit", required_argument, nullptr, 'n'},
        {"batch", required_argument, nullptr, 'b'},
        {"force", no_argument, nullptr, 'f'},
        {nullptr, 0, nullptr, 0},
    };
    const char *usage = "Usage: flux job purge [--age-limit=FSD] [--num-limit=N] [--batch=N]"
                        " [--force] [JOBID...]";
    double age = -1;
    long long num = -1, batch = 50;
    bool force = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+a:n:b:f", opts, nullptr)) != -1) {
        char *end = nullptr;
        switch (c) {
            case 'a': {
                auto d = flux::fsd_parse(optarg);
                if (!d || *d < 0)
                    die(1, "flux-job: purge: --age-limit: %s",
                        d ? "must be >= 0" : d.error().text.c_str());
                age = *d;
                break;
            }
            case 'n':
                num = strtoll(optarg, &end, 10);
                if (!*optarg || *end || num < 0)
                    die(1, "flux-job: purge: --num-limit: expected an integer >= 0");
                break;
            case 'b':
                batch = strtoll(optarg, &end, 10);
                if (!*optarg || *end || batch < 1 || batch > 1000)
                    die(1, "flux-job: purge: --batch: expected an integer from 1 to 1000");
                break;
            case 'f':
                force = true;
                break;
            default:
                die(1, "%s", usage);
        }
    }
    json_t *req = json_pack("{s:f s:I s:I s:b}", "age_limit", age, "num_limit", (json_int_t)num,
                            "batch", (json_int_t)batch, "force", force);
    if (optind < argc) {
        if (age >= 0 || num >= 0)
            die(1, "flux-job: purge: job ids and --age-limit/--num-limit are mutually exclusive");
        json_t *ids = json_array();
        for (int i = optind; i < argc; i++)
            json_array_append_new(ids, json_integer((json_int_t)parse_jobid_or_die("flux-job",
                                                                                  argv[i])));
        json_object_set_new(req, "jobs", ids);
    }
    bool named = optind < argc;
    long long total = 0;
    for (;;) {
        char *text = json_dumps(req, JSON_COMPACT);
        flux::FuturePtr f(flux_rpc(h, "job-manager.purge", text, 0, 0));
        free(text);
        json_int_t count;
        if (!f || flux_rpc_get_unpack(f.get(), "{s:I}", "count", &count) < 0)
            die(1, "flux-job: purge: %s", f ? flux_future_error_string(f.get()) : strerror(errno));
        total += count;
        /* With --force, batch after batch until one comes back short. */
        if (!force || named || count < batch)
            break;
    }
    json_decref(req);
    if (force)
        printf("purged %lld inactive job%s\n", total, total == 1 ? "" : "s");
    else
        printf("use --force to purge %lld inactive job%s\n", total, total == 1 ? "" : "s");
    return 0;
}

/* How flux job eventlog and wait-event print an entry (flux-job(1)):
 * -f text ("TIMESTAMP name key=value ...", values as JSON) or json (the
 * entry as stored), -T raw (seconds), iso (UTC, microseconds), offset
 * (seconds since the log's first entry) or human (flux-core's: the local
 * date and minute "[MonDD HH:MM]" at the first entry and at each new
 * minute, otherwise "[  +S.SSSSSS]", seconds since that entry). */
struct EventPrinter {
    bool json = false;
    char time = 'r'; /* r, i, o, h */
    double t0 = -1;
    /* -T human: the entry that printed the last date and minute. */
    bool have_break = false;
    struct tm break_tm = {};
    double break_ts = 0;

    /* Every entry read, printed or not: the log's first sets -T offset's 0. */
    void see(const flux::EventlogEntry &e)
    {
        if (t0 < 0)
            t0 = e.timestamp;
    }

    void print_human_time(double ts)
    {
        static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        time_t t = (time_t)ts;
        struct tm tm;
        if (ts < 0 || !localtime_r(&t, &tm)) {
            printf("[%+11.6f]", ts);
            return;
        }
        if (have_break && tm.tm_year == break_tm.tm_year && tm.tm_mon == break_tm.tm_mon
            && tm.tm_mday == break_tm.tm_mday && tm.tm_hour == break_tm.tm_hour
            && tm.tm_min == break_tm.tm_min) {
            printf("[%+11.6f]", ts - break_ts);
            return;
        }
        have_break = true;
        break_tm = tm;
        break_ts = ts;
        printf("[%s%02d %02d:%02d]", months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min);
    }

    void print(const flux::EventlogEntry &e)
    {
        if (json) {
            auto line = flux::eventlog_entry_encode(e);
            if (line)
                fputs(line->c_str(), stdout);
            return;
        }
        see(e);
        if (time == 'i') {
            time_t t = (time_t)e.timestamp;
            struct tm tm;
            gmtime_r(&t, &tm);
            char buf[64];
            strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
            printf("%s.%06dZ", buf, (int)((e.timestamp - (double)t) * 1e6) % 1000000);
        }
        else if (time == 'h')
            print_human_time(e.timestamp);
        else
            printf("%.6f", time == 'o' ? e.timestamp - t0 : e.timestamp);
        printf(" %s", e.name.c_str());
        const char *key;
        json_t *v;
        json_object_foreach(e.context, key, v)
        {
            char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            printf(" %s=%s", key, text ? text : "?");
            free(text);
        }
        printf("\n");
    }
};

/* -m KEY=VALUE: the context's KEY is VALUE, as JSON text or as a string. */
bool context_matches(json_t *context, const std::string &key, const std::string &value)
{
    json_t *v = json_object_get(context, key.c_str());
    if (!v)
        return false;
    if (json_is_string(v) && value == json_string_value(v))
        return true;
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    bool same = text && value == text;
    free(text);
    return same;
}

/* flux job eventlog [-f FMT] [-T TFMT] [-F] [-p PATH] JOBID,
 * flux job wait-event [-f FMT] [-T TFMT] [-t T] [-q] [-p PATH] JOBID NAME */
int job_eventlog(flux_t *h, const std::string &sub, int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, nullptr, 'f'},
        {"time-format", required_argument, nullptr, 'T'},
        {"human", no_argument, nullptr, 'H'},
        {"follow", no_argument, nullptr, 'F'},
        {"path", required_argument, nullptr, 'p'},
        {"timeout", required_argument, nullptr, 't'},
        {"quiet", no_argument, nullptr, 'q'},
        {"match-context", required_argument, nullptr, 'm'},
        {"count", required_argument, nullptr, 'c'},
        {"verbose", no_argument, nullptr, 'v'},
        {"waitcreate", no_argument, nullptr, 'W'},
        {nullptr, 0, nullptr, 0},
    };
    bool follow = sub == "wait-event", quiet = false, human = false, verbose = false;
    bool waitcreate = false;
    std::string match_key, match_val;
    long count = 1;
    double timeout = -1;
    std::string path = "eventlog";
    EventPrinter out;
    int c;
    optind = 1;
    const char *shortopts = "+f:T:HFp:t:qm:c:vW";
    while ((c = getopt_long(argc, argv, shortopts, opts, nullptr)) != -1) {
        if (c == 'f') {
            if (strcmp(optarg, "text") && strcmp(optarg, "json"))
                die(1, "flux-job: %s: unknown format '%s' (text, json)", sub.c_str(), optarg);
            out.json = !strcmp(optarg, "json");
        }
        else if (c == 'T') {
            if (strcmp(optarg, "raw") && strcmp(optarg, "iso") && strcmp(optarg, "offset")
                && strcmp(optarg, "human"))
                die(1, "flux-job: %s: unknown time format '%s' (raw, iso, offset, human)",
                    sub.c_str(), optarg);
            out.time = optarg[0];
        }
        else if (c == 'H')
            human = true;
        else if (c == 'F')
            follow = true;
        else if (c == 'p') {
            /* Flux's shorthands for the job's other logs. */
            path = optarg;
            if (path == "exec")
                path = "guest.exec.eventlog";
            else if (path == "output")
                path = "guest.output";
            else if (path == "input")
                path = "guest.input";
        }
        else if (c == 'm') {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg)
                die(1, "flux-job: wait-event: --match-context: expected KEY=VALUE, got '%s'",
                    optarg);
            match_key.assign(optarg, (size_t)(eq - optarg));
            match_val = eq + 1;
        }
        else if (c == 'c') {
            char *end;
            count = strtol(optarg, &end, 10);
            if (*end || count <= 0)
                die(1, "flux-job: wait-event: --count: expected a positive integer, got '%s'",
                    optarg);
        }
        else if (c == 'v')
            verbose = true;
        else if (c == 'W')
            waitcreate = true;
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
    /* -H, --human: -f text -T human, whatever else was given (flux-core). */
    if (human) {
        out.json = false;
        out.time = 'h';
    }
    int want = sub == "wait-event" ? 2 : 1;
    if (argc - optind != want)
        die(1, sub == "wait-event"
                   ? "Usage: flux job wait-event [-f text|json] [-T raw|iso|offset|human] [-H] "
                     "[-t TIMEOUT] [-q] [-v] [-W] [-m KEY=VALUE] [-c COUNT] [-p PATH] JOBID NAME"
                   : "Usage: flux job eventlog [-f text|json] [-T raw|iso|offset|human] [-H] [-F] "
                     "[-p PATH] JOBID");
    uint64_t id = parse_jobid_or_die("flux-job", argv[optind]);
    const char *wanted = want == 2 ? argv[optind + 1] : nullptr;
    long matched = 0;
    /* Without --follow, print what is there. */
    if (!follow) {
        flux::FuturePtr once(flux_job_lookup(h, id, path.c_str()));
        if (!once)
            die(1, "flux-job: %s: invalid path '%s'", sub.c_str(), path.c_str());
        const char *text;
        if (flux_job_lookup_get_unpack(once.get(), "s", &text) < 0) {
            if (errno == EPERM)
                die(1, "flux-job: %s: %s: %s", sub.c_str(), jobid_str(id).c_str(),
                    flux_future_error_string(once.get()));
            if (errno == ENOENT && path != "eventlog")
                die(1, "flux-job: %s: %s has no %s", sub.c_str(), jobid_str(id).c_str(),
                    path.c_str());
            die(1, "flux-job: %s: %s: unknown job id", sub.c_str(), jobid_str(id).c_str());
        }
        auto log = flux::eventlog_decode(text);
        if (!log)
            die(1, "flux-job: %s: %s", sub.c_str(), log.error().text.c_str());
        for (const auto &e : *log)
            out.print(e);
        return 0;
    }
    flux::FuturePtr f(
        flux_job_event_watch(h, id, path.c_str(), waitcreate ? FLUX_JOB_EVENT_WATCH_WAITCREATE : 0));
    if (!f)
        die(1, "flux-job: %s: %s", sub.c_str(), strerror(errno));
    /* The watch ends by itself (ENODATA) once the job is inactive and the
     * log has been read to its end: the main eventlog after "clean", any
     * other log once the job is clean. */
    for (;;) {
        if (timeout >= 0 && flux_future_wait_for(f.get(), timeout) < 0)
            die(1, "flux-job: wait-event: timed out waiting for %s", wanted ? wanted : "events");
        const char *line;
        if (flux_job_event_watch_get(f.get(), &line) < 0) {
            if (errno == ENODATA && !wanted)
                break; /* the log ended */
            if (errno == ENODATA)
                die(1, "flux-job: wait-event: %s: the job ended without event %s%s%s",
                    jobid_str(id).c_str(), wanted, path == "eventlog" ? "" : " in ",
                    path == "eventlog" ? "" : path.c_str());
            die(1, "flux-job: %s: %s: %s", sub.c_str(), jobid_str(id).c_str(),
                flux_future_error_string(f.get()));
        }
        auto e = flux::eventlog_entry_decode(line);
        if (e) {
            out.see(*e);
            bool match = wanted && e->name == wanted
                         && (match_key.empty() || context_matches(e->context, match_key, match_val))
                         && ++matched == count;
            if ((!wanted || match || (verbose && wanted)) && !quiet) {
                out.print(*e);
                fflush(stdout);
            }
            if (match)
                break;
        }
        flux_future_reset(f.get());
    }
    flux_job_event_watch_cancel(f.get());
    return 0;
}

} // namespace

int cmd_job(int argc, char **argv)
{
    if (argc < 2)
        die(1, "%s", job_usage);
    std::string sub = argv[1];
    if (sub == "submit")
        return job_submit(argc - 1, argv + 1);
    if (sub == "sign")
        return job_sign(argc - 1, argv + 1);
    if (sub == "id")
        return job_id(argc - 1, argv + 1);
    if (sub == "cancel") /* as flux cancel */
        return cmd_cancel(argc - 1, argv + 1);
    if (sub == "status") /* job_status.cpp */
        return cmd_job_status(argc - 1, argv + 1);
    if (sub == "last")
        return cmd_job_last(argc - 1, argv + 1);
    if (sub == "timeleft")
        return cmd_job_timeleft(argc - 1, argv + 1);
    if (sub == "-h" || sub == "--help") {
        printf("%s\n", job_usage);
        return 0;
    }
    if (sub != "raise" && sub != "urgency" && sub != "wait" && sub != "eventlog"
        && sub != "wait-event" && sub != "attach" && sub != "info" && sub != "kill"
        && sub != "killall" && sub != "purge")
        die(1, "flux-job: unknown subcommand '%s'\n%s", sub.c_str(), job_usage);
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("%s\n", job_usage);
            return 0;
        }
    }
    argc--;
    argv++;
    if (sub == "attach") {
        const char *usage = "Usage: flux job attach [-l|--label-io] [-i|--stdin-ranks=RANKS]"
                            " [-r|--read-only] JOBID";
        static const struct option attach_opts[] = {
            {"label-io", no_argument, nullptr, 'l'},
            {"stdin-ranks", required_argument, nullptr, 'i'},
            {"read-only", no_argument, nullptr, 'r'},
            {nullptr, 0, nullptr, 0},
        };
        bool label = false, read_only = false;
        std::string ranks = "all";
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+li:r", attach_opts, nullptr)) != -1) {
            if (c == 'l')
                label = true;
            else if (c == 'r')
                read_only = true;
            else if (c == 'i') {
                ranks = optarg;
                if (ranks.empty()
                    || (ranks != "all"
                        && ranks.find_first_not_of("0123456789,-") != std::string::npos))
                    die(1, "flux-job: --stdin-ranks: '%s' is not \"all\" or an idset of task"
                        " ranks", optarg);
            }
            else
                die(1, "%s", usage);
        }
        if (optind != argc - 1)
            die(1, "%s", usage);
        uint64_t id = parse_jobid_or_die("flux-job", argv[optind]);
        flux_t *h = open_or_die("flux-job");
        int rc = job_attach(h, id, false, label, read_only ? nullptr : ranks.c_str());
        flux_close(h);
        return rc;
    }
    flux_t *h = open_or_die("flux-job");
    int rc;
    if (sub == "raise")
        rc = job_raise(h, argc, argv);
    else if (sub == "urgency")
        rc = job_urgency(h, argc, argv);
    else if (sub == "wait")
        rc = job_wait(h, argc, argv);
    else if (sub == "info")
        rc = job_info(h, argc, argv);
    else if (sub == "kill")
        rc = job_kill(h, argc, argv);
    else if (sub == "killall")
        rc = job_killall(h, argc, argv);
    else if (sub == "purge")
        rc = job_purge(h, argc, argv);
    else
        rc = job_eventlog(h, sub, argc, argv);
    flux_close(h);
    return rc;
}

} // namespace fluxcmd
