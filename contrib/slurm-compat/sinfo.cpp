/* sinfo - Slurm's node and partition view of a fluxd instance (sinfo(1)
 * here): PARTITION AVAIL TIMELIMIT NODES STATE NODELIST, one line per
 * partition and node state; -N (per node), -s (summary), -R (reasons),
 * -l, -h, -o, -p, -t. */
#include <getopt.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <set>

#include "nodelist.h"
#include "slurm_format.h"
#include "slurm_job.h"
#include "slurm_steps.h"
#include "slurm_time.h"

using namespace slurm;

namespace {

const std::map<char, std::string> headers = {
    {'P', "PARTITION"}, {'R', "PARTITION"}, {'a', "AVAIL"},   {'l', "TIMELIMIT"},
    {'D', "NODES"},     {'t', "STATE"},     {'T', "STATE"},   {'N', "NODELIST"},
    {'n', "HOSTNAMES"}, {'c', "CPUS"},      {'C', "CPUS(A/I/O/T)"}, {'F', "NODES(A/I/O/T)"},
    {'G', "GRES"},      {'E', "REASON"},    {'u', "USER"},    {'H', "TIMESTAMP"},
    {'s', "JOB_SIZE"},  {'r', "ROOT"},      {'h', "OVERSUBSCRIBE"}, {'g', "GROUPS"},
    {'f', "AVAIL_FEATURES"}, {'m', "MEMORY"}, {'O', "CPU_LOAD"}, {'e', "FREE_MEM"},
};

/* Node state of RANK: Slurm's short and long names. */
struct NodeState {
    std::string code, name;
};

} // namespace

int main(int argc, char **argv)
{
    bool header = true, per_node = false, summary = false, reasons = false, longfmt = false;
    std::string format;
    std::set<std::string> partitions, want_states;
    const struct option opts[] = {
        {"Node", no_argument, nullptr, 'N'},       {"summarize", no_argument, nullptr, 's'},
        {"list-reasons", no_argument, nullptr, 'R'}, {"long", no_argument, nullptr, 'l'},
        {"noheader", no_argument, nullptr, 'h'},   {"format", required_argument, nullptr, 'o'},
        {"partition", required_argument, nullptr, 'p'}, {"states", required_argument, nullptr, 't'},
        {"all", no_argument, nullptr, 'a'},        {"help", no_argument, nullptr, 'H'},
        {"usage", no_argument, nullptr, 'U'},      {"verbose", no_argument, nullptr, 'v'},
        {"exact", no_argument, nullptr, 'e'},      {nullptr, 0, nullptr, 0},
    };
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "NsRlho:p:t:ave", opts, nullptr)) != -1) {
        switch (c) {
            case 'N':
                per_node = true;
                break;
            case 's':
                summary = true;
                break;
            case 'R':
                reasons = true;
                break;
            case 'l':
                longfmt = true;
                break;
            case 'h':
                header = false;
                break;
            case 'o':
                format = optarg;
                break;
            case 'p':
                partitions.insert(optarg);
                break;
            case 't': {
                std::string s = optarg;
                size_t start = 0;
                while (true) {
                    size_t comma = s.find(',', start);
                    std::string st = s.substr(start, comma == std::string::npos ? std::string::npos
                                                                                : comma - start);
                    for (auto &ch : st)
                        ch = (char)tolower((unsigned char)ch);
                    if (st != "idle" && st != "alloc" && st != "allocated" && st != "mix"
                        && st != "mixed" && st != "down" && st != "drain" && st != "drained"
                        && st != "all") {
                        fprintf(stderr, "sinfo: error: Invalid node state specified: %s\n",
                                st.c_str());
                        return 1;
                    }
                    want_states.insert(st == "allocated" ? "alloc" : st == "mixed" ? "mix"
                                       : st == "drained" ? "drain" : st);
                    if (comma == std::string::npos)
                        break;
                    start = comma + 1;
                }
                break;
            }
            case 'a':
            case 'v':
            case 'e':
                break;
            case 'H':
            case 'U':
                printf("Usage: sinfo [-N] [-s] [-R] [-l] [-h] [-o format] [-p partition] "
                       "[-t states]\n");
                return 0;
            default:
                fprintf(stderr, "sinfo: unrecognized option '%s'\n", argv[optind - 1]);
                fprintf(stderr, "Try \"sinfo --help\" for more information\n");
                return 1;
        }
    }
    if (format.empty()) {
        if (reasons)
            format = "%20E %9u %19H %N";
        else if (summary)
            format = "%#P %.5a %.10l %.16F %N";
        else if (per_node)
            format = longfmt ? "%#N %.6D %#P %.11T %.4c %.8z %.6m %.8d %.6w %.8f %20E"
                             : "%#N %.6D %#P %6t";
        else
            format = longfmt ? "%#P %.5a %.10l %.10s %.4r %.8h %.10g %.6D %.11T %N"
                             : "%#P %.5a %.10l %.6D %.6t %N";
    }
    std::vector<FormatItem> items;
    std::string err = parse_percent_format(format, "PRalDtTNncCFGEuHsrhgfmOezdw", items);
    if (!err.empty()) {
        fprintf(stderr, "sinfo: error: %s\n", err.c_str());
        return 1;
    }
    flux_t *h = cluster_handle(connect_or_die("sinfo"));
    Nodes nodes = nodes_query(h, "sinfo");
    /* Cores in use per rank, from the running jobs. */
    JobList jobs = jobs_query(h, "sinfo", FLUX_JOB_STATE_RUNNING, false, nullptr);
    std::vector<int> used(nodes.hostname.size());
    for (const auto &ji : jobs.info) {
        const char *ranks = "";
        json_int_t ncores = 0;
        json_unpack(ji.job, "{s?s s?I}", "ranks", &ranks, "ncores", &ncores);
        std::vector<int> rs = idset_ranks(ranks);
        for (int r : rs)
            if (r < (int)used.size())
                used[r] += rs.empty() ? 0 : (int)(ncores > 0 ? ncores / (json_int_t)rs.size() : nodes.cores[r]);
    }
    std::set<int> online, drained;
    for (int r : idset_ranks(nodes.online))
        online.insert(r);
    for (int r : idset_ranks(nodes.drained))
        drained.insert(r);
    std::vector<NodeState> st(nodes.hostname.size());
    for (size_t r = 0; r < st.size(); r++) {
        if (drained.count(r))
            st[r] = used[r] > 0 ? NodeState{"drng", "draining"} : NodeState{"drain", "drained"};
        else if (!online.count(r))
            st[r] = {"down", "down"};
        else if (used[r] >= nodes.cores[r] && nodes.cores[r] > 0)
            st[r] = {"alloc", "allocated"};
        else if (used[r] > 0)
            st[r] = {"mix", "mixed"};
        else
            st[r] = {"idle", "idle"};
    }
    /* Partitions: the instance's named queues (each on the nodes that have
     * every property its requires names), else the shims' one partition
     * over every node; the default one is marked with '*'. */
    struct Partition {
        std::string name;
        bool is_default = false;
        std::vector<bool> has; /* by rank */
    };
    std::vector<Partition> parts;
    json_error_t jerr;
    const char *qtext = flux_attr_get(h, "conf.queues");
    Json queues(qtext ? json_loads(qtext, 0, &jerr) : nullptr);
    const char *ptext = flux_attr_get(h, "conf.policy");
    Json policy(ptext ? json_loads(ptext, 0, &jerr) : nullptr);
    const char *defq = nullptr;
    json_unpack(policy.get(), "{s:{s:{s:{s:s}}}}", "jobspec", "defaults", "system", "queue", &defq);
    if (json_object_size(queues.get()) > 0) {
        const char *qname;
        json_t *q;
        json_object_foreach(queues.get(), qname, q)
        {
            Partition pt{qname, defq && !strcmp(defq, qname),
                         std::vector<bool>(st.size(), true)};
            size_t k;
            json_t *req;
            json_array_foreach(json_object_get(q, "requires"), k, req)
            {
                if (!json_is_string(req))
                    continue;
                std::vector<bool> in(st.size(), false);
                auto it = nodes.properties.find(json_string_value(req));
                if (it != nodes.properties.end())
                    for (int r : idset_ranks(it->second))
                        if (r < (int)in.size())
                            in[r] = true;
                for (size_t r = 0; r < st.size(); r++)
                    pt.has[r] = pt.has[r] && in[r];
            }
            parts.push_back(std::move(pt));
        }
    }
    else
        parts.push_back(Partition{default_partition, true, std::vector<bool>(st.size(), true)});
    /* Rows: groups of ranks (by state, or one per node, or all), per
     * partition. */
    std::vector<std::vector<int>> groups;
    std::vector<std::string> group_state;
    std::vector<const Partition *> group_part;
    bool reasons_done = false; /* -R lists each node once, whatever its partitions */
    for (const Partition &pt : parts) {
        if (!partitions.empty() && !partitions.count(pt.name))
            continue;
        auto wanted = [&](int r) {
            if (!pt.has[r])
                return false;
            if (want_states.empty() || want_states.count("all"))
                return true;
            return want_states.count(st[r].code) > 0
                   || (st[r].code == "drng" && want_states.count("drain"));
        };
        if (reasons) {
            if (reasons_done)
                continue;
            reasons_done = true;
            std::map<std::string, std::vector<int>> byreason;
            for (size_t r = 0; r < st.size(); r++) {
                if (!drained.count(r) && online.count(r))
                    continue;
                std::string why = drained.count(r) ? nodes.drain_reason[r] : "Not responding";
                byreason[why].push_back((int)r);
            }
            for (auto &[why, rs] : byreason) {
                groups.push_back(rs);
                group_state.push_back(why);
            }
        }
        else if (per_node) {
            for (size_t r = 0; r < st.size(); r++)
                if (wanted(r)) {
                    groups.push_back({(int)r});
                    group_state.push_back(st[r].code);
                }
        }
        else if (summary) {
            groups.push_back({});
            group_state.push_back("");
            for (size_t r = 0; r < st.size(); r++)
                if (wanted(r))
                    groups.back().push_back((int)r);
        }
        else {
            std::map<std::string, std::vector<int>> bystate;
            std::vector<std::string> order;
            for (size_t r = 0; r < st.size(); r++) {
                if (!wanted(r))
                    continue;
                if (!bystate.count(st[r].code))
                    order.push_back(st[r].code);
                bystate[st[r].code].push_back((int)r);
            }
            for (const auto &s : order) {
                groups.push_back(bystate[s]);
                group_state.push_back(s);
            }
        }
        group_part.resize(groups.size(), &pt);
    }
    auto names_of = [&](const std::vector<int> &rs) {
        std::vector<std::string> n;
        for (int r : rs)
            n.push_back(nodes.hostname[r]);
        return n;
    };
    auto value = [&](size_t row, char f) -> std::string {
        const std::vector<int> &rs = groups[row];
        switch (f) {
            case 'P':
                return group_part[row]->name + (group_part[row]->is_default ? "*" : "");
            case 'R':
                return group_part[row]->name;
            case 'a':
                return "up";
            case 'l':
                return "infinite";
            case 'D':
                return std::to_string(rs.size());
            case 't':
                return reasons ? std::string() : group_state[row];
            case 'T':
                for (const auto &s : st)
                    if (!rs.empty() && s.code == st[rs[0]].code)
                        return st[rs[0]].name;
                return "";
            case 'N':
            case 'n':
                return nodelist_compress(names_of(rs));
            case 'c':
                return rs.empty() ? "0" : std::to_string(nodes.cores[rs[0]]);
            case 'C': {
                int a = 0, i = 0, o = 0, t = 0;
                for (int r : rs) {
                    t += nodes.cores[r];
                    if (st[r].code == "down" || st[r].code == "drain")
                        o += nodes.cores[r];
                    else {
                        a += std::min(used[r], nodes.cores[r]);
                        i += std::max(0, nodes.cores[r] - used[r]);
                    }
                }
                return std::to_string(a) + "/" + std::to_string(i) + "/" + std::to_string(o) + "/"
                       + std::to_string(t);
            }
            case 'F': {
                int a = 0, i = 0, o = 0;
                for (int r : rs) {
                    if (st[r].code == "alloc" || st[r].code == "mix")
                        a++;
                    else if (st[r].code == "idle")
                        i++;
                    else
                        o++;
                }
                return std::to_string(a) + "/" + std::to_string(i) + "/" + std::to_string(o) + "/"
                       + std::to_string(rs.size());
            }
            case 'G': {
                int g = rs.empty() ? 0 : nodes.gpus[rs[0]];
                return g > 0 ? "gpu:" + std::to_string(g) : "(null)";
            }
            case 'E':
                return reasons ? group_state[row] : "none";
            case 'u':
                return "root";
            case 'H':
                return "Unknown";
            case 's':
                return "1-infinite";
            case 'r':
                return "no";
            case 'h':
                return "NO";
            case 'g':
                return "all";
            case 'f':
                return "(null)";
            case 'm':
            case 'e':
                return "1";
            case 'O':
                return "N/A";
            case 'z':
                return "1:" + std::to_string(rs.empty() ? 0 : nodes.cores[rs[0]]) + ":1";
            case 'd':
            case 'w':
                return "0";
        }
        return "";
    };
    if (longfmt && header) {
        time_t t = time(nullptr);
        char buf[64];
        strftime(buf, sizeof(buf), "%a %b %d %H:%M:%S %Y", localtime(&t));
        puts(buf);
    }
    print_table(items, header, headers, groups.size(), value);
    flux_close(h);
    return 0;
}
