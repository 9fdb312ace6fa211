/* alloc.cpp - nested instances: flux alloc (an instance running a command,
 * or left running with --bg), flux batch (an instance running a script
 * carried in the jobspec), flux proxy (a command inside a job's instance),
 * and the job-id lookup flux uri uses.
 *
 * The job runs one broker per node ("flux broker [CMD]"), which boots over
 * PMI from the job's shells (doc/design/pmi-boot.md) and records its URI
 * under the job's KVS directory (guest.uri) once up.  The jobspec shape
 * is in doc/design/batch-jobspec.md (the Slurm sbatch shim builds the same).
 */
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <getopt.h>
#include <sstream>
#include <sys/ioctl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cmd.h"
#include "eventlog/eventlog.h"
#include "flux/job.h"
#include "jobspec_opts.h"
#include "selfexe/selfexe.h"
#include "submit_jobs.h"

namespace fluxcmd {

namespace {

enum { opt_bg = 3000, opt_help, opt_wait_timeout, opt_broker_opts };

/* --broker-opts, each one fluxd argument (-Ssched-module=..., -c PATH). */
std::vector<std::string> broker_opts;

std::string flux_path()
{
    std::string self = flux::self_exe();
    return self.empty() ? "flux" : self;
}

/* An instance's shape: one broker per node.  -N nodes (whole nodes when
 * -n is not given, as Flux), the -n * -c cores spread evenly over them;
 * -n alone: see per_node_brokers(). */
JobOptions instance_shape(JobOptions o)
{
    uint64_t nodes = o.nodes ? o.nodes : 1;
    uint64_t cores = o.ntasks_set ? o.ntasks * o.cores_per_task : o.cores_per_task;
    if (o.nodes && !o.ntasks_set)
        o.exclusive = true;
    o.nodes = nodes;
    o.ntasks = nodes;
    o.ntasks_set = true;
    o.tasks_per_node = 0;
    o.cores_per_task = std::max<uint64_t>(1, (cores + nodes - 1) / nodes);
    return o;
}

/* -n without -N (as flux-core): N slots of -c cores (and -g GPUs) wherever
 * they fit, one broker per node they land on (tasks per_resource node). */
void per_node_brokers(json_t *js, const JobOptions &o)
{
    if (o.nodes || !o.ntasks_set)
        return;
    json_t *with = json_pack("[{s:s s:I}]", "type", "core", "count",
                             (json_int_t)std::max<uint64_t>(1, o.cores_per_task));
    if (o.gpus_per_task)
        json_array_append_new(with, json_pack("{s:s s:I}", "type", "gpu", "count",
                                              (json_int_t)o.gpus_per_task));
    json_t *slot = json_pack("{s:s s:I s:s s:o}", "type", "slot", "count", (json_int_t)o.ntasks,
                             "label", "task", "with", with);
    if (o.exclusive)
        json_object_set_new(slot, "exclusive", json_true());
    json_object_set_new(js, "resources", json_pack("[o]", slot));
    json_t *task = json_array_get(json_object_get(js, "tasks"), 0);
    json_object_set_new(task, "count",
                        json_pack("{s:{s:s s:i}}", "per_resource", "type", "node", "count", 1));
}

/* As Flux (flux-core#6702): an instance job does not end when one of its
 * brokers does, so -o exit-timeout is none unless the user gave one.  A
 * lost node that the instance needs still ends it (node-failure).  Its
 * tasks are brokers, which boot over PMI-1 (PMI_FD): -o pmi is simple
 * unless the user gave one, sparing each shell a PMIx server's start
 * that nothing would use. */
void instance_shell_defaults(json_t *js)
{
    json_t *sys = json_object_get(json_object_get(js, "attributes"), "system");
    if (!sys)
        return;
    json_t *shell = json_object_get(sys, "shell");
    if (!shell) {
        shell = json_object();
        json_object_set_new(sys, "shell", shell);
    }
    json_t *opts = json_object_get(shell, "options");
    if (!opts) {
        opts = json_object();
        json_object_set_new(shell, "options", opts);
    }
    if (!json_object_get(opts, "exit-timeout"))
        json_object_set_new(opts, "exit-timeout", json_string("none"));
    if (!json_object_get(opts, "pmi"))
        json_object_set_new(opts, "pmi", json_string("simple"));
}

std::string dump(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    std::string text = s ? s : "";
    free(s);
    return text;
}

uint64_t submit_one(flux_t *h, const char *prog, const std::string &jobspec, int urgency,
                    int flags)
{
    JobRequest req(jobspec, urgency, "");
    req.flags = flags;
    req.json = true;
    auto ids = submit_jobspecs(h, prog, JobList(std::vector<JobRequest>{req}), nullptr);
    if (ids.empty() || ids[0] == 0)
        exit(1);
    return ids[0];
}

/* Split a #flux: directive line into words ('...' and "..." quote). */
std::vector<std::string> split_words(const std::string &s, const std::string &where)
{
    std::vector<std::string> out;
    std::string cur;
    bool in_word = false;
    char quote = 0;
    for (char ch : s) {
        if (quote) {
            if (ch == quote)
                quote = 0;
            else
                cur += ch;
            continue;
        }
        if (ch == '\'' || ch == '"') {
            quote = ch;
            in_word = true;
            continue;
        }
        if (ch == ' ' || ch == '\t') {
            if (in_word)
                out.push_back(cur);
            cur.clear();
            in_word = false;
            continue;
        }
        if (ch == '#' && !in_word)
            break; /* a comment after the options */
        cur += ch;
        in_word = true;
    }
    if (quote)
        die(1, "flux-batch: %s: unterminated quote", where.c_str());
    if (in_word)
        out.push_back(cur);
    return out;
}

/* Parse OPTS (argv-like, [0] is a name) into O: shared job options plus
 * --bg for alloc.  Returns optind. */
int parse_options(const char *prog, std::vector<std::string> &args, JobOptions &o, bool *bg,
                  double *wait_timeout, bool *help)
{
    auto opts = job_command_longopts({}, {{"bg", no_argument, nullptr, opt_bg},
                                          {"wait-timeout", required_argument, nullptr,
                                           opt_wait_timeout},
                                          {"broker-opts", required_argument, nullptr,
                                           opt_broker_opts},
                                          {"help", no_argument, nullptr, opt_help}});
    std::vector<char *> av;
    for (auto &a : args)
        av.push_back(a.data());
    av.push_back(nullptr);
    int c;
    optind = 1;
    while ((c = getopt_long((int)args.size(), av.data(),
                            (std::string("+") + job_option_shortopts + "B:").c_str(), opts.data(),
                            nullptr))
           != -1) {
        if (job_option_handle(o, c, optarg))
            continue;
        if (c == opt_bg && bg) {
            *bg = true;
            continue;
        }
        if (c == opt_wait_timeout && wait_timeout) {
            *wait_timeout = parse_double_or_die(prog, "--wait-timeout", optarg);
            continue;
        }
        if (c == opt_help) {
            *help = true;
            continue;
        }
        if (c == opt_broker_opts || c == 'B') {
            if (!*optarg || optarg[0] != '-')
                die(1, "%s: --broker-opts: expected a fluxd option (-Sname=value), got '%s'",
                    prog, optarg);
            broker_opts.push_back(optarg);
            continue;
        }
        die(1, "%s: unknown or incomplete option (see --help)", prog);
    }
    return optind;
}

} // namespace

/* The URI of job ID's instance (recorded by its rank 0 once up), or ""
 * with *why set. */
std::string job_instance_uri(flux_t *h, uint64_t id, std::string *why)
{
    flux_future_t *f = flux_job_lookup(h, id, "guest.uri");
    const char *uri = nullptr;
    std::string out;
    if (f && flux_job_lookup_get_unpack(f, "s", &uri) == 0 && uri)
        out = uri;
    else if (why)
        *why = "job " + jobid_str(id) + " is not a running instance (no URI recorded"
               " by a flux broker in it)";
    flux_future_destroy(f);
    return out;
}

namespace {

/* Wait until job ID's instance has recorded its URI, or the job ended. */
std::string wait_instance(flux_t *h, const char *prog, uint64_t id, double timeout)
{
    double delay = 0.002, waited = 0;
    for (;;) {
        std::string uri = job_instance_uri(h, id, nullptr);
        if (!uri.empty())
            return uri;
        flux_future_t *f = flux_job_lookup(h, id, "eventlog");
        const char *text = nullptr;
        bool ended = false;
        if (f && flux_job_lookup_get_unpack(f, "s", &text) == 0 && text) {
            if (auto log = flux::eventlog_decode(text)) {
                for (const auto &e : *log)
                    ended = ended || e.name == "finish" || e.name == "clean";
            }
        }
        flux_future_destroy(f);
        if (ended)
            die(1, "%s: job %s ended before its instance came up (flux job attach %s shows why)",
                prog, jobid_str(id).c_str(), jobid_str(id).c_str());
        if (timeout > 0 && waited >= timeout)
            die(1, "%s: job %s: no instance after %.0fs", prog, jobid_str(id).c_str(), timeout);
        usleep((useconds_t)(delay * 1e6));
        waited += delay;
        delay = std::min(delay * 2, 0.1);
    }
}

const char *alloc_help = "Usage: flux alloc [OPTIONS] [COMMAND [ARGS...]]\n"
                         "Run COMMAND (default: an interactive $SHELL on a pty relayed to this\n"
                         "terminal) in a new instance on the resources of a job (one broker\n"
                         "per node); the instance ends when COMMAND does.\n%s"
                         "      --bg                  leave the instance running; print its id\n"
                         "      --wait-timeout=SEC    --bg: give up after SEC seconds\n"
                         "      --broker-opts=OPT     a fluxd option for the instance's brokers\n"
                         "                            (-Ssched-module=sched-graph); repeatable\n";

} // namespace

int cmd_alloc(int argc, char **argv)
{
    std::vector<std::string> args(argv, argv + argc);
    JobOptions o;
    bool bg = false, help = false;
    double wait_timeout = 0;
    int ind = parse_options("flux-alloc", args, o, &bg, &wait_timeout, &help);
    if (help) {
        printf(alloc_help, job_option_help);
        return 0;
    }
    std::vector<std::string> cmd(args.begin() + ind, args.end());
    /* No COMMAND: an interactive $SHELL in the instance, on a pty of the
     * broker of rank 0 (-o pty.interactive) that flux job attach relays
     * to this terminal. */
    bool interactive = cmd.empty() && !bg;
    if (interactive) {
        const char *sh = getenv("SHELL");
        cmd.push_back(sh && *sh ? sh : "/bin/sh");
        o.setopts.push_back("pty.interactive=1");
        o.input_ranks = "0";
        struct winsize ws;
        if (isatty(STDIN_FILENO) && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
            o.setopts.push_back("pty.rows=" + std::to_string(ws.ws_row));
            o.setopts.push_back("pty.cols=" + std::to_string(ws.ws_col));
        }
    }
    bool forward = !bg && stdin_forwardable();
    if (interactive && !forward)
        die(1, "flux-alloc: with no COMMAND, an interactive shell reads this standard input,"
               " which is /dev/null or closed: give a COMMAND, or --bg and then flux proxy");
    o.input_null = !bg && !interactive && !forward && o.input.empty();
    if (!cmd.empty() && bg)
        die(1, "flux-alloc: --bg takes no COMMAND (the instance runs until cancelled)");
    /* With --bg, no initial program: the instance runs until cancelled. */
    std::vector<std::string> command = {flux_path(), "broker"};
    command.insert(command.end(), broker_opts.begin(), broker_opts.end());
    if (!cmd.empty())
        command.push_back("--");
    command.insert(command.end(), cmd.begin(), cmd.end());
    JobOptions shape = instance_shape(o);
    if (shape.job_name.empty())
        shape.job_name = cmd.empty() ? "flux" : cmd[0].substr(cmd[0].rfind('/') + 1);
    auto js = job_options_jobspec(shape, command);
    if (!js)
        die(1, "flux-alloc: %s", js.error().text.c_str());
    per_node_brokers(js->get(), o);
    instance_shell_defaults(js->get());
    flux_t *h = open_or_die("flux-alloc");
    uint64_t id = submit_one(h, "flux-alloc", dump(js->get()), o.urgency, o.flags);
    if (bg) {
        wait_instance(h, "flux-alloc", id, wait_timeout);
        printf("%s\n", jobid_str(id).c_str());
        flux_close(h);
        return 0;
    }
    int rc = job_attach(h, id, false, false,
                        forward ? (interactive ? "0" : "all") : nullptr);
    flux_close(h);
    return rc;
}

int cmd_batch(int argc, char **argv)
{
    /* Options on the command line win over the script's #flux: lines:
     * apply the directives first, then the command line. */
    std::vector<std::string> args(argv, argv + argc);
    JobOptions cli_check;
    bool help = false;
    int ind = parse_options("flux-batch", args, cli_check, nullptr, nullptr, &help);
    broker_opts.clear(); /* parsed again below, after the directives */
    if (help) {
        printf("Usage: flux batch [OPTIONS] SCRIPT [ARGS...]\n"
               "Submit SCRIPT to run as the initial program of a new instance on the job's\n"
               "resources; lines '#flux: OPTIONS' in it add options.  Output goes to\n"
               "flux-{{id}}.out unless --output is given.\n%s",
               job_option_help);
        return 0;
    }
    if (ind >= (int)args.size())
        die(1, "Usage: flux batch [OPTIONS] SCRIPT [ARGS...]");
    std::string path = args[ind];
    std::string script;
    if (path == "-") {
        std::stringstream ss;
        ss << std::cin.rdbuf();
        script = ss.str();
    }
    else {
        std::ifstream in(path, std::ios::binary);
        if (!in)
            die(1, "flux-batch: %s: %s", path.c_str(), strerror(errno));
        std::stringstream ss;
        ss << in.rdbuf();
        script = ss.str();
    }
    if (script.rfind("#!", 0) != 0)
        die(1, "flux-batch: %s: the script must start with '#!' (an interpreter line)",
            path.c_str());
    if (script.find('\0') != std::string::npos)
        die(1, "flux-batch: %s: a script, not binary data, is expected", path.c_str());
    std::vector<std::string> directives = {"flux-batch"};
    std::istringstream lines(script);
    std::string line;
    int lineno = 0;
    while (std::getline(lines, line)) {
        lineno++;
        size_t start = line.find_first_not_of(" \t");
        if (start == std::string::npos)
            continue;
        if (line.compare(start, 6, "#flux:") == 0) {
            auto w = split_words(line.substr(start + 6), path + ":" + std::to_string(lineno));
            directives.insert(directives.end(), w.begin(), w.end());
        }
    }
    JobOptions o;
    bool dhelp = false;
    int dind = parse_options("flux-batch", directives, o, nullptr, nullptr, &dhelp);
    if (dind < (int)directives.size())
        die(1, "flux-batch: %s: '#flux:' lines hold options only, not '%s'", path.c_str(),
            directives[dind].c_str());
    std::vector<std::string> cli(args.begin(), args.begin() + ind);
    parse_options("flux-batch", cli, o, nullptr, nullptr, &dhelp);
    o.input_null = true; /* the script reads --input=FILE, else /dev/null */

    std::vector<std::string> command = {flux_path(), "broker"};
    command.insert(command.end(), broker_opts.begin(), broker_opts.end());
    command.push_back("--");
    command.push_back("{{tmpdir}}/script");
    command.insert(command.end(), args.begin() + ind + 1, args.end());
    JobOptions shape = instance_shape(o);
    if (shape.job_name.empty())
        shape.job_name = path == "-" ? "batch" : path.substr(path.rfind('/') + 1);
    if (shape.output.empty())
        shape.output = "flux-{{id}}.out";
    auto js = job_options_jobspec(shape, command);
    if (!js)
        die(1, "flux-batch: %s", js.error().text.c_str());
    per_node_brokers(js->get(), o);
    instance_shell_defaults(js->get());
    json_t *sys = json_object_get(json_object_get(js->get(), "attributes"), "system");
    json_t *files = json_object_get(sys, "files");
    if (!files) {
        files = json_object();
        json_object_set_new(sys, "files", files);
    }
    json_object_set_new(files, "script",
                        json_pack("{s:s s:s s:i s:I}", "data", script.c_str(), "encoding",
                                  "utf-8", "mode", 0100700, "size", (json_int_t)script.size()));
    flux_t *h = open_or_die("flux-batch");
    uint64_t id = submit_one(h, "flux-batch", dump(js->get()), o.urgency, o.flags);
    printf("%s\n", jobid_str(id).c_str());
    flux_close(h);
    return 0;
}

int cmd_proxy(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        printf("Usage: flux proxy JOBID|URI [COMMAND [ARGS...]]\n"
               "Run COMMAND (default $SHELL) connected to a job's instance.\n");
        return argc < 2 ? 1 : 0;
    }
    std::string target = argv[1], uri;
    if (target.find("://") != std::string::npos)
        uri = target;
    else {
        uint64_t id = parse_jobid_or_die("flux-proxy", argv[1]);
        flux_t *h = open_or_die("flux-proxy");
        std::string why;
        uri = job_instance_uri(h, id, &why);
        flux_close(h);
        if (uri.empty())
            die(1, "flux-proxy: %s", why.c_str());
    }
    /* Check it answers before handing it to the command. */
    flux_error_t error;
    flux_t *child = flux_open_ex(uri.c_str(), 0, &error);
    if (!child)
        die(1, "flux-proxy: %s: %s", uri.c_str(), error.text);
    flux_future_t *f = flux_rpc_pack(child, "attr.get", FLUX_NODEID_ANY, 0, "{s:s}", "name",
                                     "instance-level");
    const char *v = nullptr;
    std::string level;
    if (!f || flux_future_wait_for(f, 10.) < 0 || flux_rpc_get_unpack(f, "{s:s}", "value", &v) < 0)
        die(1, "flux-proxy: %s does not answer: %s", uri.c_str(), strerror(errno));
    level = v;
    flux_future_destroy(f);
    flux_close(child);
    setenv("FLUX_URI", uri.c_str(), 1);
    if (!level.empty())
        setenv("FLUX_INSTANCE_LEVEL", level.c_str(), 1);
    std::vector<std::string> cmd(argv + 2, argv + argc);
    if (cmd.empty()) {
        const char *sh = getenv("SHELL");
        cmd.push_back(sh && *sh ? sh : "/bin/sh");
    }
    std::vector<char *> av;
    for (auto &a : cmd)
        av.push_back(a.data());
    av.push_back(nullptr);
    execvp(av[0], av.data());
    die(127, "flux-proxy: %s: %s", av[0], strerror(errno));
}

} // namespace fluxcmd
