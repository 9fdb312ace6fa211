/* jobspec_opts.cpp - shared job submission options (see flux-submit(1)). */
#include <cerrno>
#include <csignal>
#include <climits>
#include <cmath>
#include <cstring>
#include <ctime>
#include <fnmatch.h>
#include <getopt.h>
#include <unistd.h>

#include <map>

#include "cmd.h"
#include "constraint_query.h"
#include "flux/job.h"
#include "fsd/fsd.h"
#include "jobspec/jobspec.h"
#include "jobspec_opts.h"
#include "signame/signame.h"

extern char **environ;

namespace fluxcmd {

const char *job_option_shortopts = "n:N:c:g:t:o:S:q:";

enum {
    opt_job_name = 1000,
    opt_env,
    opt_env_remove,
    opt_cwd,
    opt_urgency,
    opt_exclusive,
    opt_output,
    opt_error,
    opt_tasks_per_node,
    opt_dependency,
    opt_begin_time,
    opt_signal,
    opt_requires,
    opt_flags,
    opt_input,
};

const struct option job_option_longopts[] = {
    {"ntasks", required_argument, nullptr, 'n'},
    {"nodes", required_argument, nullptr, 'N'},
    {"cores-per-task", required_argument, nullptr, 'c'},
    {"gpus-per-task", required_argument, nullptr, 'g'},
    {"time-limit", required_argument, nullptr, 't'},
    {"setopt", required_argument, nullptr, 'o'},
    {"setattr", required_argument, nullptr, 'S'},
    {"job-name", required_argument, nullptr, opt_job_name},
    {"env", required_argument, nullptr, opt_env},
    {"env-remove", required_argument, nullptr, opt_env_remove},
    {"cwd", required_argument, nullptr, opt_cwd},
    {"urgency", required_argument, nullptr, opt_urgency},
    {"exclusive", no_argument, nullptr, opt_exclusive},
    {"queue", required_argument, nullptr, 'q'},
    {"output", required_argument, nullptr, opt_output},
    {"error", required_argument, nullptr, opt_error},
    {"input", required_argument, nullptr, opt_input},
    {"tasks-per-node", required_argument, nullptr, opt_tasks_per_node},
    {"dependency", required_argument, nullptr, opt_dependency},
    {"begin-time", required_argument, nullptr, opt_begin_time},
    {"signal", required_argument, nullptr, opt_signal},
    {"requires", required_argument, nullptr, opt_requires},
    {"flags", required_argument, nullptr, opt_flags},
    {nullptr, 0, nullptr, 0},
};

const char *job_option_help =
    "  -n, --ntasks=N            number of tasks (default 1)\n"
    "  -N, --nodes=N             number of nodes\n"
    "      --tasks-per-node=N    N tasks on each node (with -N)\n"
    "  -c, --cores-per-task=N    cores per task (default 1)\n"
    "  -g, --gpus-per-task=N     GPUs per task (default 0)\n"
    "  -t, --time-limit=MIN|FSD  time limit (minutes, or 30s, 2h, 1d...)\n"
    "      --job-name=NAME       name shown by flux jobs\n"
    "      --env=RULE            VAR=VAL sets, -PATTERN removes, VAR passes from the environment\n"
    "      --env-remove=PATTERN  remove matching variables\n"
    "      --cwd=DIR             working directory (default: current)\n"
    "      --urgency=N           0-31, or hold, default, expedite\n"
    "      --flags=LIST          submit flags: debug, waitable (instance owner)\n"
    "      --exclusive           whole nodes\n"
    "  -q, --queue=NAME          queue\n"
    "      --requires=CONSTRAINT nodes must match (RFC 35: gpu, -debug, host:n[1-2],\n"
    "                            rank:0-3, a|b, not (a & b); repeatable, ANDed)\n"
    "      --output=TEMPLATE     stdout (and stderr) to a file; {{id}}, {{id.dec}}, {{name}}\n"
    "      --error=TEMPLATE      stderr to a file\n"
    "      --input=FILE|RANKS    every task reads FILE as stdin (flux run: RANKS, an idset,\n"
    "                            gets stdin, the other tasks /dev/null)\n"
    "      --dependency=DEP      RFC 26 SCHEME:VALUE: after:ID, afterany:ID, afterok:ID,\n"
    "                            afternotok:ID, begin-time:TIME, singleton (repeatable)\n"
    "      --begin-time=+FSD|T   not before T (seconds since the epoch) or now+FSD\n"
    "      --signal=SIG@TIME     send SIG TIME before the time limit (default USR1@60)\n"
    "  -S, --setattr=KEY=VAL     set attributes.system.KEY (user.KEY: attributes.user)\n"
    "  -o, --setopt=OPT[=VAL]    set a job shell option\n";

namespace {

uint64_t parse_count(const char *what, const char *s, uint64_t min)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || *s == '-' || v < min)
        die(1, "flux: invalid %s '%s' (expected an integer >= %llu)", what, s,
            (unsigned long long)min);
    return v;
}

/* JSON value of a --setattr/--setopt VALUE: JSON if it parses, else a string. */
json_t *attr_value(const std::string &v)
{
    json_error_t jerr;
    json_t *o = json_loads(v.c_str(), JSON_DECODE_ANY, &jerr);
    return o ? o : json_string(v.c_str());
}

/* Set a dotted path ("a.b.c") under obj, creating objects on the way. */
void set_path(json_t *obj, const std::string &path, json_t *value)
{
    size_t dot = path.find('.');
    if (dot == std::string::npos) {
        json_object_set_new(obj, path.c_str(), value);
        return;
    }
    std::string head = path.substr(0, dot);
    json_t *sub = json_object_get(obj, head.c_str());
    if (!json_is_object(sub)) {
        sub = json_object();
        json_object_set_new(obj, head.c_str(), sub);
    }
    set_path(sub, path.substr(dot + 1), value);
}

} // namespace

int urgency_option()
{
    return opt_urgency;
}

std::string job_option_name(int c)
{
    for (const struct option *p = job_option_longopts; p->name; p++) {
        if (p->val == c)
            return p->name;
    }
    return "";
}

bool job_option_handle(JobOptions &o, int c, const char *arg)
{
    switch (c) {
        case 'n':
            o.ntasks = parse_count("--ntasks", arg, 1);
            o.ntasks_set = true;
            return true;
        case 'N':
            o.nodes = parse_count("--nodes", arg, 1);
            return true;
        case opt_tasks_per_node:
            o.tasks_per_node = parse_count("--tasks-per-node", arg, 1);
            return true;
        case 'c':
            o.cores_per_task = parse_count("--cores-per-task", arg, 1);
            return true;
        case 'g':
            o.gpus_per_task = parse_count("--gpus-per-task", arg, 0);
            return true;
        case 't': {
            auto d = flux::fsd_parse(arg, 'm');
            if (!d)
                die(1, "flux: --time-limit: %s", d.error().text.c_str());
            o.duration = *d;
            return true;
        }
        case 'o':
            o.setopts.push_back(arg);
            return true;
        case 'S':
            if (!strchr(arg, '=') || arg[0] == '=')
                die(1, "flux: --setattr: expected KEY=VALUE, got '%s'", arg);
            o.setattrs.push_back(arg);
            return true;
        case opt_job_name:
            o.job_name = arg;
            return true;
        case opt_env:
            o.env_rules.push_back(arg);
            return true;
        case opt_env_remove:
            o.env_rules.push_back(std::string("-") + arg);
            return true;
        case opt_cwd:
            o.cwd = arg;
            return true;
        case opt_urgency:
            if (!strcmp(arg, "hold"))
                o.urgency = 0;
            else if (!strcmp(arg, "default"))
                o.urgency = 16;
            else if (!strcmp(arg, "expedite"))
                o.urgency = 31;
            else {
                uint64_t u = parse_count("--urgency", arg, 0);
                if (u > 31)
                    die(1, "flux: --urgency must be 0-31, hold, default or expedite");
                o.urgency = (int)u;
            }
            return true;
        case opt_flags: {
            std::string list = arg;
            size_t pos = 0;
            while (pos <= list.size()) {
                size_t comma = list.find(',', pos);
                std::string w = list.substr(pos, comma == std::string::npos ? comma : comma - pos);
                if (w == "debug")
                    o.flags |= FLUX_JOB_DEBUG;
                else if (w == "waitable")
                    o.flags |= FLUX_JOB_WAITABLE;
                else
                    die(1, "flux: --flags: unknown flag '%s' (debug, waitable)", w.c_str());
                if (comma == std::string::npos)
                    break;
                pos = comma + 1;
            }
            return true;
        }
        case opt_exclusive:
            o.exclusive = true;
            return true;
        case 'q':
            o.queue = arg;
            return true;
        case opt_output:
            o.output = arg;
            return true;
        case opt_error:
            o.error = arg;
            return true;
        case opt_input:
            if (!*arg)
                die(1, "flux: --input: expected a file name or (flux run) an idset of task ranks");
            o.input = arg;
            return true;
        case opt_dependency: {
            std::string d = arg;
            size_t colon = d.find(':');
            std::string scheme = d.substr(0, colon);
            if (scheme.empty() || (colon == std::string::npos && scheme != "singleton"))
                die(1, "flux: --dependency: expected SCHEME:VALUE (afterok:ID, ...), got '%s'",
                    arg);
            o.dependencies.emplace_back(scheme, colon == std::string::npos ? "" : d.substr(colon + 1));
            return true;
        }
        case opt_requires:
            if (auto c = constraint_query_parse(arg); !c)
                die(1, "flux: %s", c.error().text.c_str());
            o.requires_.push_back(arg);
            return true;
        case opt_begin_time: {
            double t;
            if (arg[0] == '+') {
                auto d = flux::fsd_parse(arg + 1);
                if (!d)
                    die(1, "flux: --begin-time: %s", d.error().text.c_str());
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                t = (double)ts.tv_sec + ts.tv_nsec * 1e-9 + *d;
            }
            else {
                char *end;
                t = strtod(arg, &end);
                if (!*arg || *end || !(t >= 0))
                    die(1, "flux: --begin-time: expected +FSD (+1h) or seconds since the "
                           "epoch, got '%s'", arg);
            }
            char buf[64];
            snprintf(buf, sizeof(buf), "%.3f", t);
            o.dependencies.emplace_back("begin-time", buf);
            return true;
        }
        case opt_signal: {
            /* SIG@TIME, either part optional: USR2, @3m, 10@30s. */
            std::string a = arg;
            size_t at = a.find('@');
            std::string sig = a.substr(0, at);
            o.signal = sig.empty() ? SIGUSR1 : flux::signal_parse(sig);
            if (o.signal < 0)
                die(1, "flux: --signal=%s: unknown signal '%s'", arg, sig.c_str());
            o.signal_timeleft = 60;
            if (at != std::string::npos) {
                auto d = flux::fsd_parse(a.substr(at + 1));
                if (!d || *d <= 0)
                    die(1, "flux: --signal=%s: expected a duration after '@' (30s, 2m, ...)%s%s",
                        arg, d ? "" : ": ", d ? "" : d.error().text.c_str());
                o.signal_timeleft = *d;
            }
            return true;
        }
    }
    return false;
}

flux::Result<flux::JsonPtr> job_options_jobspec(const JobOptions &o,
                                                const std::vector<std::string> &command)
{
    flux::JobspecRequest req;
    req.command = command;
    req.ntasks = o.ntasks;
    if (o.tasks_per_node > 0) {
        if (o.nodes == 0)
            return flux::make_error(EINVAL, "--tasks-per-node requires --nodes");
        if (o.cores_per_task > 1 || o.gpus_per_task > 0)
            return flux::make_error(EINVAL, "--tasks-per-node and --cores-per-task/--gpus-per-task"
                                            " are mutually exclusive (whole nodes are allocated)");
        if (o.ntasks_set && o.ntasks != o.nodes * o.tasks_per_node)
            return flux::make_error(EINVAL, "--ntasks=" + std::to_string(o.ntasks)
                                                + " conflicts with --nodes="
                                                + std::to_string(o.nodes) + " --tasks-per-node="
                                                + std::to_string(o.tasks_per_node));
        req.ntasks = o.nodes * o.tasks_per_node; /* node[N] > slot[K] */
    }
    else if (o.nodes > 0 && !o.ntasks_set)
        req.ntasks = o.nodes; /* -N alone: one task per node, as in Flux */
    req.nodes = o.nodes;
    req.cores_per_task = o.cores_per_task;
    req.gpus_per_task = o.gpus_per_task;
    req.duration = o.duration;
    req.exclusive = o.exclusive;
    req.job_name = o.job_name;
    req.queue = o.queue;
    if (!o.cwd.empty())
        req.cwd = o.cwd;
    else {
        char buf[PATH_MAX];
        if (getcwd(buf, sizeof(buf)))
            req.cwd = buf;
    }
    /* The environment: everything, then the --env rules in order. */
    std::map<std::string, std::string> env;
    for (char **e = environ; *e; e++) {
        const char *eq = strchr(*e, '=');
        if (eq)
            env[std::string(*e, eq - *e)] = eq + 1;
    }
    for (const auto &rule : o.env_rules) {
        if (!rule.empty() && rule[0] == '-') {
            std::string pat = rule.substr(1);
            for (auto it = env.begin(); it != env.end();)
                it = fnmatch(pat.c_str(), it->first.c_str(), 0) == 0 ? env.erase(it) : std::next(it);
            continue;
        }
        size_t eq = rule.find('=');
        if (eq == std::string::npos) {
            const char *v = getenv(rule.c_str());
            if (v)
                env[rule] = v;
            continue;
        }
        env[rule.substr(0, eq)] = rule.substr(eq + 1);
    }
    req.env = env;
    auto js = flux::jobspec_from_request(req);
    if (!js)
        return js.error();
    auto json = flux::jobspec_to_json(*js);
    if (!json)
        return json.error();
    if (o.tasks_per_node > 0) {
        /* Per-resource, as Flux: N whole nodes and K tasks on each, however
         * many cores a node has (K may exceed them: oversubscription). */
        json_object_set_new(
            json->get(), "resources",
            json_pack("[{s:s s:I s:b s:[{s:s s:i s:s s:[{s:s s:i}]}]}]", "type", "node", "count",
                      (json_int_t)o.nodes, "exclusive", 1, "with", "type", "slot", "count", 1,
                      "label", "task", "with", "type", "core", "count", 1));
        json_t *task = json_array_get(json_object_get(json->get(), "tasks"), 0);
        json_object_set_new(task, "count",
                            json_pack("{s:{s:s s:I}}", "per_resource", "type", "node", "count",
                                      (json_int_t)o.tasks_per_node));
    }
    json_t *attrs = json_object_get(json->get(), "attributes");
    json_t *sys = json_object_get(attrs, "system");
    for (const auto &a : o.setattrs) {
        size_t eq = a.find('=');
        std::string key = a.substr(0, eq), val = a.substr(eq + 1);
        if (key.rfind("user.", 0) == 0) {
            json_t *user = json_object_get(attrs, "user");
            if (!user) {
                user = json_object();
                json_object_set_new(attrs, "user", user);
            }
            set_path(user, key.substr(5), attr_value(val));
        }
        else
            set_path(sys, key.rfind("system.", 0) == 0 ? key.substr(7) : key, attr_value(val));
    }
    for (const auto &opt : o.setopts) {
        size_t eq = opt.find('=');
        std::string key = opt.substr(0, eq);
        json_t *v = eq == std::string::npos ? json_integer(1) : attr_value(opt.substr(eq + 1));
        set_path(sys, "shell.options." + key, v);
    }
    if (!o.output.empty())
        set_path(sys, "shell.options.output.stdout", json_pack("{s:s s:s}", "type", "file", "path",
                                                               o.output.c_str()));
    /* RFC 24 / flux-shell(1) input.stdin: a file for every task, or the
     * tasks that get the job's guest.input. */
    if (!o.input.empty())
        set_path(sys, "shell.options.input.stdin",
                 json_pack("{s:s s:s}", "type", "file", "path", o.input.c_str()));
    /* flux run with nothing to forward: /dev/null unless -o input said. */
    json_t *shopts = json_object_get(json_object_get(sys, "shell"), "options");
    if (o.input.empty() && o.input_null && !json_object_get(shopts, "input"))
        set_path(sys, "shell.options.input.stdin",
                 json_pack("{s:s s:s}", "type", "file", "path", "/dev/null"));
    if (!o.input_ranks.empty())
        set_path(sys, "shell.options.input.stdin.ranks", json_string(o.input_ranks.c_str()));
    if (!o.error.empty())
        set_path(sys, "shell.options.output.stderr", json_pack("{s:s s:s}", "type", "file", "path",
                                                               o.error.c_str()));
    if (o.signal > 0)
        set_path(sys, "shell.options.signal",
                 json_pack("{s:i s:f}", "signum", o.signal, "timeleft", o.signal_timeleft));
    /* RFC 31: --requires, ANDed with constraints given by --setattr. */
    if (!o.requires_.empty()) {
        auto c = constraint_query_all(o.requires_);
        if (!c)
            return c.error();
        json_t *have = json_object_get(sys, "constraints");
        json_t *want = c->release();
        if (have && !(json_is_object(have) && json_object_size(have) == 0))
            want = json_pack("{s:[O o]}", "and", have, want);
        json_object_set_new(sys, "constraints", want);
    }
    /* RFC 26: attributes.system.dependencies, [{scheme, value}]. */
    if (!o.dependencies.empty()) {
        json_t *deps = json_object_get(sys, "dependencies");
        if (!json_is_array(deps)) {
            deps = json_array();
            json_object_set_new(sys, "dependencies", deps);
        }
        for (const auto &[scheme, value] : o.dependencies) {
            char *end;
            (void)strtod(value.c_str(), &end);
            if (scheme == "begin-time" && (value.empty() || *end))
                return flux::make_error(EINVAL, "--dependency=begin-time:" + value +
                                                    ": expected seconds since the epoch");
            /* RFC 14 jobspecs hold dependency values as strings. */
            json_t *v = json_string(value.c_str());
            json_array_append_new(deps, json_pack("{s:s s:o}", "scheme", scheme.c_str(), "value", v));
        }
    }
    /* Validate what the options added, as the broker will. */
    auto check = flux::jobspec_parse_json(json->get());
    if (!check)
        return check.error();
    return std::move(*json);
}

std::string jobid_str(uint64_t id)
{
    char buf[32];
    if (flux_job_id_encode(id, "f58", buf, sizeof(buf)) < 0)
        return std::to_string(id);
    return buf;
}

uint64_t parse_jobid_or_die(const char *prog, const char *s)
{
    flux_jobid_t id;
    if (flux_job_id_parse(s, &id) < 0)
        die(1, "%s: invalid job id '%s'", prog, s);
    return id;
}

std::vector<struct option> job_command_longopts(std::initializer_list<const struct option *> tables,
                                                std::initializer_list<struct option> extra)
{
    std::vector<struct option> opts;
    for (const struct option *p = job_option_longopts; p->name; p++)
        opts.push_back(*p);
    for (const struct option *t : tables) {
        for (const struct option *p = t; p->name; p++)
            opts.push_back(*p);
    }
    opts.insert(opts.end(), extra.begin(), extra.end());
    opts.push_back({nullptr, 0, nullptr, 0});
    return opts;
}

} // namespace fluxcmd

