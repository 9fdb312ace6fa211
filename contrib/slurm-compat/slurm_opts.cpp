/* slurm_opts.cpp - Slurm job options (slurm_opts.h; sbatch(1), srun(1)). */
#include "slurm_opts.h"

#include <getopt.h>

#include <cctype>
#include <climits>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>

#include "nodelist.h"
#include "signame/signame.h"
#include "slurm_time.h"

namespace slurm {

namespace {

enum {
    o_ntasks_per_node = 1000,
    o_gpus_per_task,
    o_gres,
    o_export,
    o_parsable,
    o_wait,
    o_mem,
    o_mem_per_cpu,
    o_exclusive,
    o_hold,
    o_begin,
    o_open_mode,
    o_wrap,
    o_mpi,
    o_pty,
    o_help,
    o_usage,
    o_version,
    o_overlap,
    o_signal,
    o_ignored,     /* harmless: accepted and ignored */
    o_unsupported, /* known to Slurm, not here: fails naming the option */
};

struct Opt {
    const char *name;
    int has_arg;
    int val;
    int progs; /* Program mask */
};

constexpr int ALL = SBATCH | SRUN | SALLOC;

/* One table for the three commands; PROGS says which accept each. */
const Opt table[] = {
    {"job-name", required_argument, 'J', ALL},
    {"nodes", required_argument, 'N', ALL},
    {"ntasks", required_argument, 'n', ALL},
    {"ntasks-per-node", required_argument, o_ntasks_per_node, ALL},
    {"cpus-per-task", required_argument, 'c', ALL},
    {"gpus", required_argument, 'G', ALL},
    {"gpus-per-task", required_argument, o_gpus_per_task, ALL},
    {"gres", required_argument, o_gres, ALL},
    {"time", required_argument, 't', ALL},
    {"partition", required_argument, 'p', ALL},
    {"output", required_argument, 'o', SBATCH | SRUN},
    {"error", required_argument, 'e', SBATCH | SRUN},
    {"input", required_argument, 'i', SBATCH | SRUN},
    {"chdir", required_argument, 'D', ALL},
    {"export", required_argument, o_export, SBATCH | SRUN},
    {"array", required_argument, 'a', SBATCH},
    {"dependency", required_argument, 'd', ALL},
    {"parsable", no_argument, o_parsable, SBATCH},
    {"wait", no_argument, 'W', SBATCH},
    {"mem", required_argument, o_mem, ALL},
    {"mem-per-cpu", required_argument, o_mem_per_cpu, ALL},
    {"exclusive", optional_argument, o_exclusive, ALL},
    {"constraint", required_argument, 'C', ALL},
    {"hold", no_argument, 'H', SBATCH | SALLOC},
    {"begin", required_argument, 'b', SBATCH | SALLOC | SRUN},
    {"open-mode", required_argument, o_open_mode, SBATCH | SRUN},
    {"wrap", required_argument, o_wrap, SBATCH},
    {"mpi", required_argument, o_mpi, SRUN},
    {"label", no_argument, 'l', SRUN},
    {"pty", no_argument, o_pty, SRUN},
    {"overlap", no_argument, o_overlap, SRUN},
    {"quiet", no_argument, 'Q', ALL},
    {"verbose", no_argument, 'v', ALL},
    {"help", no_argument, 'h', ALL},
    {"usage", no_argument, o_usage, ALL},
    {"version", no_argument, 'V', ALL},
    /* Harmless: accounting, mail and hints that do not change where or how
     * the job runs here (documented in each man page). */
    {"account", required_argument, 'A', ALL},
    {"qos", required_argument, 'q', ALL},
    {"mail-type", required_argument, o_ignored, ALL},
    {"mail-user", required_argument, o_ignored, ALL},
    {"comment", required_argument, o_ignored, ALL},
    {"requeue", no_argument, o_ignored, SBATCH},
    {"no-requeue", no_argument, o_ignored, SBATCH},
    {"get-user-env", optional_argument, o_ignored, SBATCH},
    {"propagate", optional_argument, o_ignored, ALL},
    {"cpu-bind", required_argument, o_ignored, SRUN},
    {"mem-bind", required_argument, o_ignored, ALL},
    {"kill-on-bad-exit", optional_argument, 'K', SRUN},
    {"unbuffered", no_argument, 'u', SRUN},
    {"distribution", required_argument, 'm', ALL},
    {"oversubscribe", no_argument, 's', ALL},
    {"nice", optional_argument, o_ignored, ALL},
    {"wckey", required_argument, o_ignored, ALL},
    {"export-file", required_argument, o_unsupported, SBATCH},
    {"nodelist", required_argument, 'w', ALL},
    {"exclude", required_argument, 'x', ALL},
    /* Known to Slurm, not supported here: fail naming the option. */
    {"tmp", required_argument, o_unsupported, ALL},
    {"reservation", required_argument, o_unsupported, ALL},
    {"licenses", required_argument, 'L', ALL},
    {"switches", required_argument, o_unsupported, ALL},
    {"clusters", required_argument, 'M', ALL},
    {"signal", required_argument, o_signal, ALL},
    {"time-min", required_argument, o_unsupported, ALL},
    {"deadline", required_argument, o_unsupported, ALL},
    {"gpus-per-node", required_argument, o_unsupported, ALL},
    {"cpus-per-gpu", required_argument, o_unsupported, ALL},
    {"mem-per-gpu", required_argument, o_unsupported, ALL},
    {"ntasks-per-core", required_argument, o_unsupported, ALL},
    {"ntasks-per-socket", required_argument, o_unsupported, ALL},
    {"sockets-per-node", required_argument, o_unsupported, ALL},
    {"cores-per-socket", required_argument, o_unsupported, ALL},
    {"threads-per-core", required_argument, o_unsupported, ALL},
    {"hint", required_argument, o_unsupported, ALL},
    {"uid", required_argument, o_unsupported, ALL},
    {"gid", required_argument, o_unsupported, ALL},
    {"container", required_argument, o_unsupported, ALL},
    {"batch", required_argument, o_unsupported, SBATCH},
    {"test-only", no_argument, o_unsupported, SBATCH | SRUN},
    {"multi-prog", no_argument, o_unsupported, SRUN},
    {"het-group", required_argument, o_unsupported, SRUN},
    {"relative", required_argument, 'r', SRUN},
    {"immediate", optional_argument, 'I', ALL},
    {"no-kill", optional_argument, 'k', ALL},
};

/* Short options per program ("+": stop at the first non-option). */
const char *shortopts(Program p)
{
    switch (p) {
        case SBATCH:
            return "+:J:N:n:c:G:t:p:o:e:i:D:a:d:WC:Hb:QvhVA:q:m:sw:x:L:M:I::k::";
        case SRUN:
            return "+:J:N:n:c:G:t:p:o:e:i:D:d:C:b:lQvhVA:q:K::um:sw:x:L:M:r:I::k::";
        case SALLOC:
            return "+:J:N:n:c:G:t:p:D:d:C:HQvhVA:q:m:sw:x:L:M:I::k::";
    }
    return "+";
}

const char *prog_name(Program p)
{
    return p == SBATCH ? "sbatch" : p == SRUN ? "srun" : "salloc";
}

bool parse_int(const std::string &s, int min, int &out)
{
    if (s.empty() || s.size() > 9)
        return false;
    for (char c : s)
        if (!isdigit((unsigned char)c))
            return false;
    int v = std::stoi(s);
    if (v < min)
        return false;
    out = v;
    return true;
}

/* The long name of option C for messages ("--nodelist"). */
std::string long_name(int c, const struct option *longopts, int longindex)
{
    if (longindex >= 0)
        return std::string("--") + longopts[longindex].name;
    for (const Opt &o : table)
        if (o.val == c)
            return std::string("--") + o.name;
    return std::string("-") + (char)c;
}

} // namespace

std::string parse_nodes(const std::string &s, int &min, int &max)
{
    size_t dash = s.find('-');
    int a, b;
    if (dash == std::string::npos) {
        if (!parse_int(s, 1, a))
            return "invalid node count `" + s + "'";
        min = max = a;
        return "";
    }
    if (!parse_int(s.substr(0, dash), 1, a) || !parse_int(s.substr(dash + 1), 1, b) || b < a)
        return "invalid node count `" + s + "'";
    min = a;
    max = b;
    return "";
}

/* Slurm's [{R|B}:]SIG[@TIME]: SIG a number or name (USR1, SIGUSR1), TIME
 * seconds (default 60); R: (reservation overlap) changes nothing here. */
std::string parse_signal_spec(const std::string &s, Program prog, Options &o)
{
    std::string v = s;
    bool batch = false;
    while (v.size() > 2 && v[1] == ':' && (v[0] == 'B' || v[0] == 'R')) {
        batch = batch || v[0] == 'B';
        v = v.substr(2);
    }
    std::string bad = "Invalid --signal specification: " + s;
    if (batch && prog != SBATCH)
        return bad + " (B: applies to sbatch only)";
    size_t at = v.find('@');
    int sig = flux::signal_parse(v.substr(0, at));
    if (sig < 0)
        return bad;
    int64_t t = 60;
    if (at != std::string::npos) {
        std::string ts = v.substr(at + 1);
        if (ts.empty() || ts.size() > 9 || ts.find_first_not_of("0123456789") != std::string::npos)
            return bad;
        t = std::stoll(ts);
        if (t > 65535)
            return bad + " (at most 65535 seconds)";
    }
    o.signal = sig;
    o.signal_time = t;
    o.signal_batch = batch;
    return "";
}

std::string parse_memory(const std::string &s, int64_t &mb)
{
    size_t i = 0;
    while (i < s.size() && isdigit((unsigned char)s[i]))
        i++;
    if (i == 0 || i > 12)
        return "invalid memory constraint " + s;
    int64_t v = std::stoll(s.substr(0, i));
    std::string unit = s.substr(i);
    if (unit == "" || unit == "M" || unit == "m" || unit == "MB")
        mb = v;
    else if (unit == "K" || unit == "k" || unit == "KB")
        mb = (v + 1023) / 1024;
    else if (unit == "G" || unit == "g" || unit == "GB")
        mb = v * 1024;
    else if (unit == "T" || unit == "t" || unit == "TB")
        mb = v * 1024 * 1024;
    else
        return "invalid memory constraint " + s;
    return "";
}

std::string parse_array(const std::string &text, ArraySpec &out)
{
    ArraySpec a;
    std::string s = text;
    const std::string bad = "Invalid job array specification";
    size_t pct = s.find('%');
    if (pct != std::string::npos) {
        if (!parse_int(s.substr(pct + 1), 1, a.throttle))
            return bad;
        s = s.substr(0, pct);
    }
    if (s.empty())
        return bad;
    std::set<int> seen;
    size_t start = 0;
    while (true) {
        size_t comma = s.find(',', start);
        std::string item = s.substr(start, comma == std::string::npos ? std::string::npos
                                                                      : comma - start);
        int lo, hi, step = 1;
        size_t colon = item.find(':');
        if (colon != std::string::npos) {
            if (!parse_int(item.substr(colon + 1), 1, step))
                return bad;
            item = item.substr(0, colon);
        }
        size_t dash = item.find('-');
        if (dash == std::string::npos) {
            if (!parse_int(item, 0, lo))
                return bad;
            hi = lo;
        }
        else if (!parse_int(item.substr(0, dash), 0, lo)
                 || !parse_int(item.substr(dash + 1), 0, hi) || hi < lo)
            return bad;
        if ((int64_t)(hi - lo) / step + a.indices.size() >= 1001)
            return bad + " (more than 1001 tasks: MaxArraySize)";
        for (int i = lo; i <= hi; i += step)
            if (seen.insert(i).second)
                a.indices.push_back(i);
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    out = a;
    return "";
}

std::string parse_dependency(const std::string &s, std::vector<Dependency> &out, bool &any)
{
    std::vector<Dependency> deps;
    const std::string bad = "Invalid dependency specification";
    bool has_comma = s.find(',') != std::string::npos, has_q = s.find('?') != std::string::npos;
    if (s.empty() || (has_comma && has_q))
        return bad;
    char sep = has_q ? '?' : ',';
    size_t start = 0;
    while (true) {
        size_t end = s.find(sep, start);
        std::string item = s.substr(start, end == std::string::npos ? std::string::npos
                                                                    : end - start);
        Dependency d;
        size_t colon = item.find(':');
        d.type = item.substr(0, colon);
        if (d.type == "singleton") {
            if (colon != std::string::npos)
                return bad;
        }
        else if (d.type == "after" || d.type == "afterok" || d.type == "afterany"
                 || d.type == "afternotok") {
            if (colon == std::string::npos)
                return bad;
            std::string rest = item.substr(colon + 1);
            size_t p = 0;
            while (true) {
                size_t c = rest.find(':', p);
                std::string id = rest.substr(p, c == std::string::npos ? std::string::npos : c - p);
                /* "after:ID+MIN" is not supported; ids are decimal or N_I */
                if (id.empty() || id.find_first_not_of("0123456789_") != std::string::npos)
                    return bad;
                d.ids.push_back(id);
                if (c == std::string::npos)
                    break;
                p = c + 1;
            }
        }
        else if (d.type == "aftercorr" || d.type == "afterburstbuffer")
            return "dependency type " + d.type + " is not supported";
        else
            return bad;
        deps.push_back(d);
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    out = deps;
    any = has_q;
    return "";
}

std::string parse_export(const std::string &s, bool &all, std::vector<std::string> &vars)
{
    all = true;
    vars.clear();
    if (s.empty() || s == "ALL")
        return "";
    size_t start = 0;
    bool first = true;
    all = false;
    while (true) {
        size_t comma = s.find(',', start);
        std::string item = s.substr(start, comma == std::string::npos ? std::string::npos
                                                                      : comma - start);
        if (first && item == "ALL")
            all = true;
        else if (first && item == "NONE")
            all = false;
        else if (item.empty() || item[0] == '=' || isdigit((unsigned char)item[0]))
            return "Invalid --export specification '" + s + "'";
        else
            vars.push_back(item);
        first = false;
        if (comma == std::string::npos)
            break;
        /* A value may hold commas only as the last item: Slurm splits too. */
        start = comma + 1;
    }
    return "";
}

std::vector<std::string> script_directives(const std::string &script, const char *prefix)
{
    std::vector<std::string> words;
    size_t plen = strlen(prefix);
    size_t pos = 0;
    bool first_line = true;
    while (pos < script.size()) {
        size_t nl = script.find('\n', pos);
        std::string line = script.substr(pos, nl == std::string::npos ? std::string::npos
                                                                      : nl - pos);
        pos = nl == std::string::npos ? script.size() : nl + 1;
        size_t b = line.find_first_not_of(" \t\r");
        if (first_line && line.rfind("#!", 0) == 0) {
            first_line = false;
            continue;
        }
        first_line = false;
        if (b == std::string::npos)
            continue;
        if (line[b] != '#')
            break; /* the first command ends the directives, as in Slurm */
        if (line.compare(b, plen, prefix) != 0 || b != 0)
            continue;
        std::string rest = line.substr(plen);
        if (!rest.empty() && rest[0] != ' ' && rest[0] != '\t')
            continue; /* "#SBATCHX" is a comment */
        /* Words, with quotes; a '#' starting a word ends the directive. */
        std::string cur;
        bool in_word = false;
        char quote = 0;
        for (size_t i = 0; i < rest.size(); i++) {
            char c = rest[i];
            if (quote) {
                if (c == quote)
                    quote = 0;
                else
                    cur += c;
                continue;
            }
            if (c == '"' || c == '\'') {
                quote = c;
                in_word = true;
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\r') {
                if (in_word)
                    words.push_back(cur);
                cur.clear();
                in_word = false;
                continue;
            }
            if (c == '#' && !in_word)
                break;
            cur += c;
            in_word = true;
        }
        if (in_word)
            words.push_back(cur);
    }
    return words;
}

std::string parse_options(Options &o, int argc, char **argv, int *next)
{
    std::vector<struct option> longopts;
    for (const Opt &t : table)
        if (t.progs & o.prog)
            longopts.push_back({t.name, t.has_arg, nullptr, t.val});
    longopts.push_back({nullptr, 0, nullptr, 0});
    const char *prog = prog_name(o.prog);
    opterr = 0;
    optind = 0; /* full reinitialization: parse_options is called more than once */
    int c, longindex;
    while (longindex = -1, (c = getopt_long(argc, argv, shortopts(o.prog), longopts.data(),
                                            &longindex))
                           != -1) {
        std::string arg = optarg ? optarg : "";
        std::string name = c == '?' || c == ':' ? "" : long_name(c, longopts.data(), longindex);
        std::string err;
        int n;
        switch (c) {
            case 'J':
                o.job_name = arg;
                break;
            case 'N':
                err = parse_nodes(arg, o.nodes, o.nodes_max);
                break;
            case 'n':
                if (!parse_int(arg, 1, o.ntasks))
                    err = "invalid number of tasks (-n " + arg + ")";
                break;
            case o_ntasks_per_node:
                if (!parse_int(arg, 1, o.ntasks_per_node))
                    err = "Invalid --ntasks-per-node argument: " + arg;
                break;
            case 'c':
                if (!parse_int(arg, 1, o.cpus_per_task))
                    err = "Invalid --cpus-per-task argument: " + arg;
                break;
            case 'G': {
                std::string v = arg.rfind("gpu:", 0) == 0 ? arg.substr(4) : arg;
                if (!parse_int(v, 0, o.gpus))
                    err = "Invalid --gpus specification: " + arg;
                break;
            }
            case o_gpus_per_task: {
                std::string v = arg.rfind("gpu:", 0) == 0 ? arg.substr(4) : arg;
                if (!parse_int(v, 0, o.gpus_per_task))
                    err = "Invalid --gpus-per-task specification: " + arg;
                break;
            }
            case o_gres: {
                /* gpu[:type]:N, comma separated; only gpu is known here */
                std::string g = arg;
                if (g.rfind("gres:", 0) == 0)
                    g = g.substr(5);
                if (g.rfind("gpu", 0) != 0) {
                    err = "Invalid generic resource (gres) specification: " + arg;
                    break;
                }
                size_t colon = g.rfind(':');
                if (g == "gpu")
                    o.gpus_per_node = 1;
                else if (colon == std::string::npos || !parse_int(g.substr(colon + 1), 0, n))
                    err = "Invalid generic resource (gres) specification: " + arg;
                else
                    o.gpus_per_node = n;
                break;
            }
            case 't': {
                int64_t s = parse_time_limit_seconds(arg);
                if (s == -2)
                    err = "Invalid --time specification";
                else
                    o.time_limit = s < 0 ? -1 : s;
                break;
            }
            case 'p':
                o.partition = arg;
                break;
            case 'o':
                o.output = arg;
                break;
            case 'e':
                o.error = arg;
                break;
            case 'i':
                o.input = arg;
                break;
            case 'D':
                o.chdir = arg;
                break;
            case o_export: {
                bool all;
                std::vector<std::string> vars;
                err = parse_export(arg, all, vars);
                o.export_spec = arg;
                break;
            }
            case 'a':
                err = parse_array(arg, o.array);
                o.array_text = arg;
                break;
            case 'd':
                err = parse_dependency(arg, o.dependencies, o.dependency_any);
                o.dependency_text = arg;
                break;
            case o_parsable:
                o.parsable = true;
                break;
            case 'W':
                o.wait = true;
                break;
            case o_mem:
                err = parse_memory(arg, o.mem_mb);
                break;
            case o_mem_per_cpu:
                err = parse_memory(arg, o.mem_per_cpu_mb);
                break;
            case o_exclusive:
                if (!arg.empty() && arg != "user" && arg != "mcs")
                    err = "invalid exclusive option " + arg;
                o.exclusive = true;
                break;
            case 'C':
                o.constraint = arg;
                break;
            case 'H':
                o.hold = true;
                break;
            case 'b':
                o.begin = parse_begin(arg, time(nullptr));
                o.begin_text = arg;
                if (o.begin < 0)
                    err = "Invalid time specification " + arg;
                break;
            case o_open_mode:
                if (arg != "append" && arg != "truncate")
                    err = "Invalid --open-mode argument: " + arg + ". Ignored";
                o.open_mode = arg;
                break;
            case o_wrap:
                o.wrap = arg;
                break;
            case o_mpi:
                if (arg != "pmix" && arg != "pmi2" && arg != "none" && arg != "list"
                    && arg != "pmi1" && arg != "pmix_v3" && arg != "pmix_v4")
                    err = "MPI type '" + arg + "' is not supported: use pmix, pmi2 or none";
                o.mpi = arg;
                break;
            case 'l':
                o.label = true;
                break;
            case o_pty:
                o.pty = true;
                break;
            case o_overlap:
                o.overlap = true;
                break;
            case o_signal:
                err = parse_signal_spec(arg, o.prog, o);
                break;
            case 'Q':
                o.quiet = true;
                break;
            case 'v':
                o.verbose++;
                break;
            case 'h':
                o.help = true;
                break;
            case o_usage:
                o.usage = true;
                break;
            case 'V':
                o.version = true;
                break;
            case 'A':
            case 'q':
            case 'K':
            case 'u':
            case 'm':
            case 's':
            case o_ignored:
                if (c == 'm' && !arg.empty() && arg.rfind("block", 0) != 0)
                    err = "option " + name + "=" + arg
                          + " is not supported (only block distribution)";
                o.ignored.push_back(name);
                break;
            case 'w':
            case 'x': {
                /* A hostlist, or (with a '/') a file of host names. */
                std::string expr = arg;
                if (arg.find('/') != std::string::npos) {
                    std::ifstream in(arg);
                    if (!in) {
                        err = "Unable to open " + name + " file " + arg;
                        break;
                    }
                    expr.clear();
                    std::string word;
                    while (in >> word)
                        expr += (expr.empty() ? "" : ",") + word;
                }
                std::vector<std::string> hosts;
                if (expr.empty() || !nodelist_expand(expr, hosts) || hosts.empty()) {
                    err = "Invalid node name specified: " + name + "=" + arg;
                    break;
                }
                std::string compressed = nodelist_compress(hosts);
                if (c == 'w') {
                    o.nodelist = compressed;
                    std::vector<std::string> uniq;
                    nodelist_expand(compressed, uniq);
                    o.nodelist_count = (int)uniq.size();
                }
                else
                    o.exclude = compressed;
                break;
            }
            case 'L':
            case 'M':
            case 'r':
            case 'I':
            case 'k':
            case o_unsupported:
                err = "option " + name + " is not supported by the fluxd Slurm shims (see "
                      + std::string(prog) + "(1))";
                break;
            case ':': {
                std::string opt = argv[optind - 1];
                err = "option '" + opt + "' requires an argument";
                break;
            }
            default: {
                std::string opt = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
                if (optopt && !(opt.size() > 1 && opt[1] == '-'))
                    opt = std::string("-") + (char)optopt;
                return std::string("unrecognized option '") + opt + "'\nTry \"" + prog
                       + " --help\" for more information";
            }
        }
        if (!err.empty())
            return "error: " + err;
    }
    if (next)
        *next = optind;
    return "";
}

std::string parse_options(Options &o, const std::vector<std::string> &args, size_t *next)
{
    std::vector<std::string> copy;
    copy.push_back(prog_name(o.prog));
    copy.insert(copy.end(), args.begin(), args.end());
    std::vector<char *> argv;
    for (auto &s : copy)
        argv.push_back(s.data());
    argv.push_back(nullptr);
    int n = 0;
    std::string err = parse_options(o, (int)copy.size(), argv.data(), &n);
    if (next)
        *next = n > 0 ? (size_t)n - 1 : 0;
    return err;
}

std::string expand_pattern(const std::string &p, const PatternFields &f)
{
    std::string out;
    for (size_t i = 0; i < p.size(); i++) {
        if (p[i] != '%' || i + 1 >= p.size()) {
            out += p[i];
            continue;
        }
        if (p[i + 1] == '%') {
            out += '%';
            i++;
            continue;
        }
        size_t j = i + 1;
        int width = 0;
        while (j < p.size() && isdigit((unsigned char)p[j]) && j - i < 3)
            width = width * 10 + (p[j++] - '0');
        if (j >= p.size()) {
            out += p.substr(i);
            break;
        }
        const std::string *v = nullptr;
        std::string fixed;
        switch (p[j]) {
            case 'j':
            case 'J':
                v = &f.jobid;
                break;
            case 'x':
                v = &f.name;
                break;
            case 'A':
                v = &f.array_jobid;
                break;
            case 'a':
                v = &f.array_index;
                break;
            case 'N':
                v = &f.node;
                break;
            case 'u':
                v = &f.user;
                break;
            case 'n':
            case 't':
                fixed = "0";
                v = &fixed;
                break;
            case 's':
                fixed = "batch";
                v = &fixed;
                break;
        }
        if (!v || v->empty()) {
            out += p.substr(i, j - i + 1);
            i = j;
            continue;
        }
        std::string val = *v;
        bool numeric = !val.empty() && val.find_first_not_of("0123456789") == std::string::npos;
        if (numeric && (int)val.size() < width)
            val.insert(0, width - val.size(), '0');
        out += val;
        i = j;
    }
    return out;
}

bool pattern_needs_jobid(const std::string &p)
{
    for (size_t i = 0; i + 1 < p.size(); i++) {
        if (p[i] != '%')
            continue;
        if (p[i + 1] == '%') {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < p.size() && isdigit((unsigned char)p[j]))
            j++;
        if (j < p.size() && (p[j] == 'j' || p[j] == 'J'))
            return true;
    }
    return false;
}

} // namespace slurm
