/* sacct - job history of a fluxd instance as Slurm's sacct shows it
 * (sacct(1) here), from the job manager's job list (the KVS keeps every
 * job's record: no accounting daemon).  -j, -X, -u, -a, -s, -n, -p, -P,
 * --name, -o/--format FIELD[%WIDTH],...
 *
 * Under each job, its steps as Slurm lists them (not with -X): N.batch for
 * a batch job's script, N.0 for srun's own job, and N.S for each srun step
 * run inside the allocation, from the records srun leaves
 * (slurm_steps.h). */
#include <getopt.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <strings.h>
#include <ctime>
#include <map>
#include <set>

#include "nodelist.h"
#include "slurm_job.h"
#include "slurm_state.h"
#include "slurm_steps.h"
#include "slurm_time.h"

using namespace slurm;

namespace {

struct Field {
    const char *name;
    int width;
    bool left;
};

const Field known[] = {
    {"JobID", 12, true},      {"JobIDRaw", 12, true},   {"JobName", 10, false},
    {"Partition", 10, false}, {"Account", 10, false},   {"AllocCPUS", 10, false},
    {"NCPUS", 10, false},     {"State", 10, false},     {"ExitCode", 8, false},
    {"Elapsed", 10, false},   {"ElapsedRaw", 10, false}, {"Start", 19, false},
    {"End", 19, false},       {"Submit", 19, false},    {"NNodes", 8, false},
    {"AllocNodes", 10, false}, {"NodeList", 15, false}, {"User", 9, false},
    {"UID", 6, false},        {"Timelimit", 10, false}, {"WorkDir", 20, false},
    {"NTasks", 8, false},     {"ReqCPUS", 8, false},    {"DerivedExitCode", 15, false},
    {"Priority", 10, false},  {"QOS", 10, false},       {"Reason", 20, false},
};

bool ieq(const std::string &a, const char *b)
{
    return strcasecmp(a.c_str(), b) == 0;
}

} // namespace

int main(int argc, char **argv)
{
    std::string format = "JobID,JobName,Partition,Account,AllocCPUS,State,ExitCode";
    std::set<std::string> jobs_wanted, users, states, names;
    bool header = true, allusers = false, parsable = false, parsable2 = false, brief = false;
    bool allocations = false;
    std::map<std::string, std::set<std::string>> step_wanted; /* -j N.S: id -> suffixes */
    const struct option opts[] = {
        {"jobs", required_argument, nullptr, 'j'},   {"allocations", no_argument, nullptr, 'X'},
        {"user", required_argument, nullptr, 'u'},   {"allusers", no_argument, nullptr, 'a'},
        {"state", required_argument, nullptr, 's'},  {"noheader", no_argument, nullptr, 'n'},
        {"parsable", no_argument, nullptr, 'p'},     {"parsable2", no_argument, nullptr, 'P'},
        {"format", required_argument, nullptr, 'o'}, {"name", required_argument, nullptr, 'N'},
        {"starttime", required_argument, nullptr, 'S'}, {"endtime", required_argument, nullptr, 'E'},
        {"brief", no_argument, nullptr, 'b'},        {"help", no_argument, nullptr, 'h'},
        {"usage", no_argument, nullptr, 'U'},        {"long", no_argument, nullptr, 'l'},
        {"duplicates", no_argument, nullptr, 'D'},   {"partition", required_argument, nullptr, 'r'},
        {nullptr, 0, nullptr, 0},
    };
    auto split = [](const char *s, std::set<std::string> &out) {
        std::string cur;
        for (const char *p = s;; p++) {
            if (*p == ',' || !*p) {
                if (!cur.empty())
                    out.insert(cur);
                cur.clear();
                if (!*p)
                    break;
            }
            else
                cur += *p;
        }
    };
    opterr = 0;
    int c;
    std::string partition;
    while ((c = getopt_long(argc, argv, "j:Xu:as:npPo:S:E:bhlDr:", opts, nullptr)) != -1) {
        switch (c) {
            case 'j': {
                std::set<std::string> items;
                split(optarg, items);
                for (const auto &item : items) {
                    size_t dot = item.find('.');
                    std::string id = item.substr(0, dot);
                    jobs_wanted.insert(id);
                    if (dot != std::string::npos)
                        step_wanted[id].insert(item.substr(dot + 1));
                }
                break;
            }
            case 'X':
                allocations = true;
                break;
            case 'D':
                break;
            case 'u':
                split(optarg, users);
                break;
            case 'a':
                allusers = true;
                break;
            case 's': {
                std::set<std::string> s;
                split(optarg, s);
                for (const auto &x : s) {
                    std::string code;
                    if (!parse_state_name(x, code)) {
                        fprintf(stderr, "sacct: error: Invalid state: %s\n", x.c_str());
                        return 1;
                    }
                    states.insert(code);
                }
                break;
            }
            case 'n':
                header = false;
                break;
            case 'p':
                parsable = true;
                break;
            case 'P':
                parsable2 = true;
                break;
            case 'o':
                format = optarg;
                break;
            case 'N':
                split(optarg, names);
                break;
            case 'S':
            case 'E':
                break;
            case 'b':
                brief = true;
                format = "JobID,State,ExitCode";
                break;
            case 'l':
                format = "JobID,JobIDRaw,JobName,Partition,NTasks,AllocCPUS,Elapsed,State,"
                         "ExitCode,Start,End,NodeList";
                break;
            case 'r':
                partition = optarg;
                break;
            case 'h':
            case 'U':
                printf("Usage: sacct [-j jobs] [-X] [-u users] [-a] [-s states] [-n] [-p|-P] "
                       "[--name names] [-o fields]\n");
                return 0;
            default:
                fprintf(stderr, "sacct: unrecognized option '%s'\n", argv[optind - 1]);
                fprintf(stderr, "Try \"sacct --help\" for more information\n");
                return 1;
        }
    }
    (void)brief;
    struct Col {
        Field f;
        int width;
    };
    std::vector<Col> cols;
    {
        std::set<std::string> items;
        size_t start = 0;
        while (start <= format.size()) {
            size_t comma = format.find(',', start);
            std::string item = format.substr(start, comma == std::string::npos ? std::string::npos
                                                                                : comma - start);
            if (!item.empty()) {
                std::string name = item;
                int width = -1;
                size_t pct = item.find('%');
                if (pct != std::string::npos) {
                    name = item.substr(0, pct);
                    width = atoi(item.c_str() + pct + 1);
                }
                const Field *f = nullptr;
                for (const auto &k : known)
                    if (ieq(name, k.name))
                        f = &k;
                if (!f) {
                    fprintf(stderr, "sacct: error: Invalid field requested: \"%s\"\n",
                            name.c_str());
                    return 1;
                }
                cols.push_back({*f, width >= 0 ? width : f->width});
            }
            if (comma == std::string::npos)
                break;
            start = comma + 1;
        }
    }
    /* Inside a batch job or salloc, the enclosing instance: the job
     * itself and its steps, as Slurm's sacct inside a job shows. */
    flux_t *h = cluster_handle(connect_or_die("sacct"));
    Nodes nodes = nodes_query(h, "sacct");
    JobList list = jobs_query(h, "sacct", FLUX_JOB_STATE_ALL, true, &nodes);
    std::set<flux_jobid_t> idset;
    std::map<flux_jobid_t, std::set<std::string>> only_steps; /* -j N.S */
    for (const auto &j : jobs_wanted) {
        std::vector<flux_jobid_t> ids;
        if (!resolve_jobid(list, j, ids)) {
            fprintf(stderr, "sacct: error: Invalid job id: %s\n", j.c_str());
            return 1;
        }
        idset.insert(ids.begin(), ids.end());
        if (auto it = step_wanted.find(j); it != step_wanted.end())
            for (flux_jobid_t id : ids)
                only_steps[id].insert(it->second.begin(), it->second.end());
    }
    std::string me = user_name(getuid());
    if (users.empty() && !allusers && jobs_wanted.empty() && getuid() != 0)
        users.insert(me);
    /* A step of a job listed here (srun in srun) is shown under it. */
    std::set<flux_jobid_t> listed;
    for (const auto &ji : list.info)
        listed.insert(ji.id);
    std::vector<const JobInfo *> rows;
    for (auto it = list.info.rbegin(); it != list.info.rend(); ++it) {
        const JobInfo &ji = *it;
        if (ji.step_of && listed.count(ji.step_of))
            continue;
        State s = job_state(ji.job);
        if (!idset.empty() && !idset.count(ji.id))
            continue;
        if (!users.empty() && !users.count(ji.user))
            continue;
        if (!states.empty() && !states.count(s.code))
            continue;
        if (!names.empty() && !names.count(ji.name))
            continue;
        if (!partition.empty() && ji.partition != partition)
            continue;
        rows.push_back(&ji);
    }
    double now = (double)time(nullptr);
    auto value = [&](const JobInfo *j, const char *name) -> std::string {
        json_t *o = j->job;
        double t_submit = 0, t_run = 0, t_cleanup = 0, t_inactive = 0;
        json_int_t nnodes = 0, ntasks = 0, ncores = 0, prio = 0, uid = 0;
        json_unpack(o, "{s?F s?F s?F s?F s?I s?I s?I s?I s?I}", "t_submit", &t_submit, "t_run",
                    &t_run, "t_cleanup", &t_cleanup, "t_inactive", &t_inactive, "nnodes", &nnodes,
                    "ntasks", &ntasks, "ncores", &ncores, "priority", &prio, "userid", &uid);
        State s = job_state(o);
        double end = t_cleanup > 0 ? t_cleanup : now;
        int64_t el = t_run > 0 ? (int64_t)(end - t_run) : 0;
        std::string n = name;
        if (n == "JobID")
            return j->display_id();
        if (n == "JobIDRaw")
            return jobid_dec(j->id);
        if (n == "JobName")
            return j->name;
        if (n == "Partition")
            return j->partition;
        if (n == "Account" || n == "QOS")
            return n == "QOS" ? "normal" : "";
        if (n == "AllocCPUS" || n == "NCPUS" || n == "ReqCPUS")
            return std::to_string(ncores > 0 ? ncores : ntasks);
        if (n == "State")
            return s.name;
        if (n == "ExitCode" || n == "DerivedExitCode")
            return exit_code_pair(o);
        if (n == "Elapsed")
            return format_elapsed_sacct(el);
        if (n == "ElapsedRaw")
            return std::to_string(el);
        if (n == "Start")
            return t_run > 0 ? format_timestamp(t_run) : "Unknown";
        if (n == "End")
            return t_cleanup > 0 ? format_timestamp(t_cleanup) : "Unknown";
        if (n == "Submit")
            return format_timestamp(t_submit);
        if (n == "NNodes" || n == "AllocNodes")
            return std::to_string(nnodes > 0 ? nnodes : 1);
        if (n == "NodeList")
            return j->nodelist.empty() ? "None assigned" : j->nodelist;
        if (n == "User")
            return j->user;
        if (n == "UID")
            return std::to_string(uid);
        if (n == "Timelimit")
            return format_limit_sacct(j->time_limit);
        if (n == "WorkDir")
            return j->workdir;
        if (n == "NTasks") /* a step's, as Slurm: blank on the allocation's row */
            return "";
        if (n == "Priority")
            return std::to_string(prio);
        if (n == "Reason")
            return "None";
        return "";
    };
    auto emit = [&](const std::function<std::string(const Col &)> &cell) {
        std::string line;
        for (size_t k = 0; k < cols.size(); k++) {
            std::string v = cell(cols[k]);
            if (parsable || parsable2) {
                line += v;
                if (parsable || k + 1 < cols.size())
                    line += "|";
                continue;
            }
            int w = cols[k].width;
            if ((int)v.size() > w)
                v = v.substr(0, w - 1) + "+";
            std::string pad(w - v.size(), ' ');
            line += cols[k].f.left ? v + pad : pad + v;
            line += " ";
        }
        puts(line.c_str());
    };
    if (header) {
        emit([](const Col &c) { return std::string(c.f.name); });
        if (!parsable && !parsable2)
            emit([](const Col &c) { return std::string(c.width, '-'); });
    }
    /* Each row's recorded steps: all lookups in flight together. */
    std::vector<std::vector<StepRecord>> recorded(rows.size());
    if (!allocations) {
        std::vector<flux_future_t *> fs;
        for (const JobInfo *j : rows)
            fs.push_back(flux_job_lookup(h, j->id, "guest.slurm.steps"));
        for (size_t k = 0; k < fs.size(); k++) {
            const char *text;
            if (fs[k] && flux_job_lookup_get(fs[k], &text) == 0) {
                json_t *v = json_loads(text, JSON_DECODE_ANY, nullptr);
                recorded[k] = steps_parse(json_string_value(v));
                json_decref(v);
            }
            flux_future_destroy(fs[k]);
        }
    }
    /* A step row: REC, or (null) the job's own batch script or srun step. */
    auto step_value = [&](const JobInfo *j, const std::string &suffix, const StepRecord *rec,
                          const char *name) -> std::string {
        std::string n = name;
        if (n == "JobID")
            return j->display_id() + "." + suffix;
        if (n == "JobIDRaw")
            return jobid_dec(j->id) + "." + suffix;
        if (n == "Partition" || n == "User" || n == "UID" || n == "Timelimit" || n == "WorkDir"
            || n == "Priority" || n == "QOS" || n == "Reason" || n == "Submit")
            return n == "Submit" && rec ? format_timestamp(rec->start) : "";
        if (!rec) {
            if (n == "JobName" && suffix == "batch")
                return "batch";
            if (suffix == "batch" && (n == "NNodes" || n == "AllocNodes" || n == "NTasks"))
                return "1";
            if (n == "NTasks") {
                json_int_t ntasks = 0;
                json_unpack(j->job, "{s?I}", "ntasks", &ntasks);
                return std::to_string(ntasks);
            }
            if (suffix == "batch" && n == "NodeList") {
                std::string nl = value(j, "NodeList");
                std::vector<std::string> hosts;
                if (nodelist_expand(nl, hosts) && !hosts.empty())
                    return hosts[0];
                return nl;
            }
            return value(j, name);
        }
        if (n == "JobName")
            return rec->name;
        if (n == "AllocCPUS" || n == "NCPUS" || n == "ReqCPUS")
            return std::to_string(rec->ncpus);
        if (n == "State")
            return rec->state;
        if (n == "ExitCode" || n == "DerivedExitCode")
            return rec->exitcode;
        double end = rec->end > 0 ? rec->end : (double)time(nullptr); /* running */
        int64_t el = rec->start > 0 ? (int64_t)(end - rec->start) : 0;
        if (n == "Elapsed")
            return format_elapsed_sacct(el);
        if (n == "ElapsedRaw")
            return std::to_string(el);
        if (n == "Start")
            return rec->start > 0 ? format_timestamp(rec->start) : "Unknown";
        if (n == "End")
            return rec->end > 0 ? format_timestamp(rec->end) : "Unknown";
        if (n == "NNodes" || n == "AllocNodes")
            return std::to_string(rec->nnodes);
        if (n == "NodeList")
            return rec->nodelist;
        if (n == "NTasks")
            return std::to_string(rec->ntasks);
        return value(j, name);
    };
    for (size_t k = 0; k < rows.size(); k++) {
        const JobInfo *j = rows[k];
        auto only = only_steps.find(j->id);
        auto want = [&](const std::string &suffix) {
            return only == only_steps.end() || only->second.count(suffix);
        };
        if (only == only_steps.end())
            emit([&](const Col &c) { return value(j, c.f.name); });
        if (allocations)
            continue;
        double t_run = 0;
        json_unpack(j->job, "{s?F}", "t_run", &t_run);
        bool started = t_run > 0;
        if (j->batch && started && want("batch"))
            emit([&](const Col &c) { return step_value(j, "batch", nullptr, c.f.name); });
        if (j->srun && started && want("0"))
            emit([&](const Col &c) { return step_value(j, "0", nullptr, c.f.name); });
        double t_cleanup = 0;
        json_unpack(j->job, "{s?F}", "t_cleanup", &t_cleanup);
        for (StepRecord r : recorded[k]) {
            /* Only its start was recorded and the allocation is over: the
             * step went down with it (srun too), as Slurm's CANCELLED. */
            if (r.state == "RUNNING" && t_cleanup > 0) {
                r.state = "CANCELLED";
                r.end = t_cleanup;
            }
            std::string suffix = std::to_string(r.step);
            if (want(suffix))
                emit([&](const Col &c) { return step_value(j, suffix, &r, c.f.name); });
        }
    }
    flux_close(h);
    return 0;
}
