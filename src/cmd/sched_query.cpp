/* sched_query.cpp - flux sched-query: sched-graph's matcher without an
 * instance (like Fluxion's resource-query), for tests and benchmarks.
 *
 *   flux sched-query (--graph=FILE | --generate=SPEC) [--dump-R]
 *                    [--match-policy=NAME|PATH] [--policy-conf=JSON] [--no-R]
 *
 * Commands on stdin, one JSON line per answer on stdout:
 *   match allocate|allocate_orelse_reserve|satisfiability JOBSPEC-FILE
 *   cancel ID | info ID | find EXPR | stat | quit
 * Time is simulated: "now" is 0 and jobs without a duration last forever.
 * See flux-sched-query(1).
 */
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <jansson.h>

#include "cmd.h"
#include "jobspec/jobspec.h"
#include "plugins/sched/graph/graph.h"
#include "plugins/sched/graph/match.h"

using namespace flux::graph;

namespace {

/* CPU time of this process so far, in ms. */
double cpu_ms()
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void usage(FILE *f)
{
    fprintf(f, "Usage: flux sched-query (--graph=FILE | --generate=SPEC) [--dump-R]\n"
               "                        [--match-policy=NAME|PATH] [--policy-conf=JSON] [--no-R]\n"
               "Commands on stdin (one JSON line per answer):\n"
               "  match allocate|allocate_orelse_reserve|satisfiability JOBSPEC-FILE\n"
               "  cancel ID | info ID | find EXPR | stat | quit\n"
               "Policies: %s, or the path of a site policy .so (flux-sched-policy(7))\n",
               policy_names());
}

void print(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    printf("%s\n", s ? s : "{}");
    fflush(stdout);
    free(s);
    json_decref(o);
}

void print_error(const std::string &cmd, const std::string &why)
{
    print(json_pack("{s:s s:s}", "command", cmd.c_str(), "error", why.c_str()));
}

std::string read_text(const std::string &path, std::string *err)
{
    std::ifstream in(path);
    if (!in) {
        *err = path + ": " + strerror(errno);
        return "";
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/* find EXPR: terms joined by "and": type=T, status=up|down|drained,
 * rank=IDSET, property=NAME, sched-now=allocated|free. */
flux::Result<std::vector<int32_t>> find_expr(const Planner &p, const std::string &expr)
{
    const Graph &g = p.graph();
    std::vector<std::pair<std::string, std::string>> terms;
    std::istringstream ss(expr);
    std::string w;
    while (ss >> w) {
        if (w == "and")
            continue;
        size_t eq = w.find('=');
        if (eq == std::string::npos || eq == 0)
            return flux::make_error(EINVAL, "find: '" + w + "': expected KEY=VALUE");
        std::string k = w.substr(0, eq), v = w.substr(eq + 1);
        if (k != "type" && k != "status" && k != "rank" && k != "property" && k != "sched-now")
            return flux::make_error(EINVAL, "find: unknown key '" + k
                                                + "' (type, status, rank, property, sched-now)");
        if (k == "status" && v != "up" && v != "down" && v != "drained")
            return flux::make_error(EINVAL, "find: status must be up, down or drained");
        if (k == "sched-now" && v != "allocated" && v != "free")
            return flux::make_error(EINVAL, "find: sched-now must be allocated or free");
        if (k == "rank" && !flux::IdSet::parse(v))
            return flux::make_error(EINVAL, "find: rank: '" + v + "' is not an idset");
        terms.push_back({k, v});
    }
    if (terms.empty())
        return flux::make_error(EINVAL, "find: expected an expression");
    std::vector<int32_t> out;
    for (int32_t v = 0; v < (int32_t)g.size(); v++) {
        bool ok = true;
        for (const auto &[k, val] : terms) {
            if (k == "type")
                ok = g.type_name(g[v].type) == val;
            else if (k == "status") {
                int32_t h = g[v].rank >= 0 ? g.host_of(g[v].rank) : v;
                Status s = g[h].status;
                ok = (val == "up" && s == Status::up) || (val == "down" && s == Status::down)
                     || (val == "drained" && s == Status::drained);
            }
            else if (k == "rank")
                ok = g[v].rank >= 0 && flux::IdSet::parse(val)->contains((uint32_t)g[v].rank);
            else if (k == "property")
                ok = g.has_property(v, val);
            else if (k == "sched-now") {
                bool used = false;
                for (const Span &s : p.spans(v))
                    used = used || s.running;
                ok = (val == "allocated") == used;
            }
            if (!ok)
                break;
        }
        if (ok)
            out.push_back(v);
    }
    return out;
}

} // namespace

namespace fluxcmd {

int cmd_sched_query(int argc, char **argv)
{
    std::string graph_file, spec, policy_name = "first", policy_conf = "{}";
    bool dump = false, print_R = true;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        auto val = [&](const char *opt) -> std::string {
            std::string o = opt;
            if (a.size() > o.size() && a.compare(0, o.size() + 1, o + "=") == 0)
                return a.substr(o.size() + 1);
            if (a == o && i + 1 < argc)
                return argv[++i];
            die(1, "flux-sched-query: %s needs a value", opt);
        };
        if (a == "-h" || a == "--help") {
            usage(stdout);
            return 0;
        }
        else if (a.starts_with("--graph") || a == "-g")
            graph_file = val(a == "-g" ? "-g" : "--graph");
        else if (a.starts_with("--generate"))
            spec = val("--generate");
        else if (a.starts_with("--match-policy") || a == "-P")
            policy_name = val(a == "-P" ? "-P" : "--match-policy");
        else if (a.starts_with("--policy-conf"))
            policy_conf = val("--policy-conf");
        else if (a == "--dump-R")
            dump = true;
        else if (a == "--no-R")
            print_R = false;
        else {
            usage(stderr);
            die(1, "flux-sched-query: unknown argument '%s'", argv[i]);
        }
    }
    if (graph_file.empty() == spec.empty())
        die(1, "flux-sched-query: give one of --graph=FILE or --generate=SPEC");
    auto popen = policy_open(policy_name, policy_conf);
    if (!popen)
        die(1, "flux-sched-query: match policy %s", popen.error().text.c_str());
    std::unique_ptr<Policy> policy = std::move(*popen);
    auto t_load = std::chrono::steady_clock::now();
    double cpu_load0 = cpu_ms();
    auto g = spec.empty() ? Graph::load_file(graph_file) : Graph::generate(spec);
    if (!g)
        die(1, "flux-sched-query: %s", g.error().text.c_str());
    if (dump) {
        auto R = g->to_R();
        if (!R)
            die(1, "flux-sched-query: %s", R.error().text.c_str());
        char *s = json_dumps(R->get(), JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        return 0;
    }
    Planner planner(*g);
    double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now()
                                                               - t_load)
                         .count();
    /* CPU time too: on a shared machine wall time measures the others. */
    double load_cpu_ms = cpu_ms() - cpu_load0;
    std::map<std::string, flux::graph::Request> cache;
    uint64_t next_id = 1;
    std::vector<double> times;
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream ss(line);
        std::string cmd;
        if (!(ss >> cmd) || cmd[0] == '#')
            continue;
        if (cmd == "quit")
            break;
        if (cmd == "match") {
            std::string opname, file;
            ss >> opname >> file;
            auto op = op_parse(opname);
            if (!op) {
                print_error(cmd, op.error().text);
                continue;
            }
            if (file.empty()) {
                print_error(cmd, "match: expected a jobspec file");
                continue;
            }
            auto it = cache.find(file);
            if (it == cache.end()) {
                std::string err;
                std::string text = read_text(file, &err);
                if (!err.empty()) {
                    print_error(cmd, err);
                    continue;
                }
                auto js = flux::jobspec_parse(text);
                if (!js) {
                    print_error(cmd, file + ": " + js.error().text);
                    continue;
                }
                auto req = request_compile(*js, *g);
                if (!req) {
                    print_error(cmd, file + ": " + req.error().text);
                    continue;
                }
                it = cache.emplace(file, std::move(*req)).first;
            }
            uint64_t id = next_id;
            auto t0 = std::chrono::steady_clock::now();
            auto r = match(planner, *policy, it->second, *op, id, 0.0);
            double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now()
                                                                  - t0)
                            .count();
            times.push_back(ms);
            if (!r) {
                print(json_pack("{s:s s:s s:s s:f}", "command", "match", "error",
                                r.error().text.c_str(), "errno",
                                r.error().errnum == EOVERFLOW ? "EOVERFLOW"
                                : r.error().errnum == ENOSPC  ? "ENOSPC"
                                                              : strerror(r.error().errnum),
                                "elapsed_ms", ms));
                continue;
            }
            const char *status = *op == Op::satisfiability ? "SATISFIABLE"
                                 : r->reserved             ? "RESERVED"
                                                           : "ALLOCATED";
            json_t *o = json_pack("{s:I s:s s:f s:f}", "id", (json_int_t)id, "status", status,
                                  "at", r->at, "elapsed_ms", ms);
            if (*op != Op::satisfiability) {
                next_id++;
                if (print_R) {
                    auto R = alloc_to_R(*g, r->alloc);
                    if (R)
                        json_object_set(o, "R", R->get());
                }
            }
            print(o);
        }
        else if (cmd == "cancel" || cmd == "info") {
            unsigned long long id = 0;
            if (!(ss >> id)) {
                print_error(cmd, cmd + ": expected a job id");
                continue;
            }
            const Alloc *a = planner.find(id);
            if (!a) {
                print_error(cmd, cmd + ": job " + std::to_string(id) + " not found");
                continue;
            }
            if (cmd == "cancel") {
                (void)planner.remove(id);
                print(json_pack("{s:I s:s}", "id", (json_int_t)id, "status", "CANCELED"));
                continue;
            }
            auto R = alloc_to_R(*g, *a);
            json_t *o = json_pack("{s:I s:s s:f s:f}", "id", (json_int_t)id, "status",
                                  a->running ? "ALLOCATED" : "RESERVED", "at", a->start, "end",
                                  a->end < forever ? a->end : -1.0);
            if (R)
                json_object_set(o, "R", R->get());
            print(o);
        }
        else if (cmd == "find") {
            std::string rest;
            std::getline(ss, rest);
            auto v = find_expr(planner, rest);
            if (!v) {
                print_error(cmd, v.error().text);
                continue;
            }
            json_t *o = json_pack("{s:I}", "count", (json_int_t)v->size());
            auto R = g->to_R(&*v);
            if (R)
                json_object_set(o, "R", R->get());
            print(o);
        }
        else if (cmd == "stat") {
            json_t *types = json_object();
            for (size_t t = 0; t < g->ntypes(); t++)
                json_object_set_new(types, g->type_name((uint16_t)t).c_str(),
                                    json_integer(planner.total(0, (uint16_t)t)));
            std::vector<double> s = times;
            std::sort(s.begin(), s.end());
            auto pct = [&](double q) { return s.empty() ? 0.0 : s[(size_t)(q * (s.size() - 1))]; };
            json_t *st = json_pack("{s:I s:I s:o s:I s:I s:I s:f s:{s:I s:f s:f s:f}}", "vertices",
                            (json_int_t)g->size(), "hosts", (json_int_t)g->hosts().size(), "types",
                            types, "jobs", (json_int_t)planner.jobs().size(), "graph_bytes",
                            (json_int_t)g->memory_bytes(), "planner_bytes",
                            (json_int_t)planner.memory_bytes(), "load_ms", load_ms, "match",
                            "count", (json_int_t)s.size(), "median_ms", pct(0.5), "p99_ms",
                            pct(0.99), "max_ms", s.empty() ? 0.0 : s.back());
            json_object_set_new(st, "load_cpu_ms", json_real(load_cpu_ms));
            json_object_set_new(st, "cpu_ms", json_real(cpu_ms()));
            print(st);
        }
        else
            print_error(cmd, "unknown command '" + cmd
                                 + "' (match, cancel, info, find, stat, quit)");
    }
    return 0;
}

} // namespace fluxcmd
