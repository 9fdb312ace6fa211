/* squeue - Slurm's job queue view of a fluxd instance (squeue(1) here).
 * Default columns as Slurm 22.05: JOBID PARTITION NAME USER ST TIME NODES
 * NODELIST(REASON); -o/-O formats, -u -j -t -p -n --me -h -l; -s lists
 * the running steps (STEPID NAME PARTITION USER TIME NODELIST). */
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <set>

#include "nodelist.h"
#include "slurm_format.h"
#include "slurm_job.h"
#include "slurm_state.h"
#include "slurm_steps.h"
#include "slurm_time.h"

using namespace slurm;

namespace {

const char *default_format = "%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R";
const char *long_format = "%.18i %.9P %.8j %.8u %.8T %.10M %.9l %.6D %R";
const char *steps_format = "%.15i %.8j %.9P %.8u %.9M %N";
const char *fields = "iAFKajuUtTMlLDCNRrPVSeZEpQqbocmfnxkBIJOsvwWyYzhHgGdX";

/* What a step row prints for each letter Slurm's -s accepts; any other
 * letter prints nothing there. */
const std::map<char, std::string> step_headers = {
    {'i', "STEPID"}, {'j', "NAME"},       {'P', "PARTITION"},  {'u', "USER"},
    {'U', "UID"},    {'M', "TIME"},       {'l', "TIME_LIMIT"}, {'S', "START_TIME"},
    {'N', "NODELIST"}, {'A', "TASKS"},    {'b', "TRES_PER_NODE"},
};
const std::map<std::string, char> step_field_names = {
    {"stepid", 'i'},   {"jobid", 'i'},     {"stepname", 'j'},  {"name", 'j'},
    {"partition", 'P'}, {"username", 'u'}, {"userid", 'U'},    {"timeused", 'M'},
    {"timelimit", 'l'}, {"starttime", 'S'}, {"nodelist", 'N'}, {"numtasks", 'A'},
    {"tres", 'b'},
};

/* One running step: the batch script (N.batch), srun's own job (N.0) or
 * a step srun recorded (slurm_steps.h). */
struct StepRow {
    const JobInfo *job = nullptr;
    std::string suffix, name, nodelist;
    int order = 0; /* step number; the batch step after them, as Slurm sorts */
    int64_t ntasks = 0;
    double start = 0;
    int64_t limit = 0; /* 0: UNLIMITED */
};

const std::map<char, std::string> headers = {
    {'i', "JOBID"},       {'A', "JOBID"},         {'F', "ARRAY_JOB_ID"}, {'K', "ARRAY_TASK_ID"},
    {'a', "ACCOUNT"},     {'j', "NAME"},          {'u', "USER"},         {'U', "UID"},
    {'t', "ST"},          {'T', "STATE"},         {'M', "TIME"},         {'l', "TIME_LIMIT"},
    {'L', "TIME_LEFT"},   {'D', "NODES"},         {'C', "CPUS"},         {'N', "NODELIST"},
    {'R', "NODELIST(REASON)"}, {'r', "REASON"},   {'P', "PARTITION"},    {'V', "SUBMIT_TIME"},
    {'S', "START_TIME"},  {'e', "END_TIME"},      {'Z', "WORK_DIR"},     {'E', "DEPENDENCY"},
    {'p', "PRIORITY"},    {'Q', "PRIORITY"},      {'q', "QOS"},          {'b', "TRES_PER_NODE"},
    {'o', "COMMAND"},
    /* Fields fluxd keeps nothing for print what Slurm prints when unset. */
    {'c', "MIN_CPUS"},    {'m', "MIN_MEMORY"},    {'f', "FEATURES"},     {'n', "REQ_NODES"},
    {'x', "EXC_NODES"},   {'k', "COMMENT"},       {'B', "EXEC_HOST"},    {'I', "CORES_PER_SOCKET"},
    {'J', "THREADS_PER_CORE"}, {'O', "CONTIGUOUS"}, {'s', "SELECT_JOBINFO"}, {'v', "RESERVATION"},
    {'w', "WCKEY"},       {'W', "LICENSES"},      {'y', "NICE"},         {'Y', "SCHEDNODES"},
    {'z', "S:C:T"},       {'h', "OVER_SUBSCRIBE"}, {'H', "SOCKETS_PER_NODE"}, {'g', "GROUP"},
    {'G', "GROUP"},       {'d', "MIN_TMP_DISK"},  {'X', "CORE_SPEC"},
};

const std::map<std::string, char> field_names = {
    {"jobid", 'i'},      {"jobarrayid", 'i'},  {"arrayjobid", 'F'}, {"arraytaskid", 'K'},
    {"account", 'a'},    {"name", 'j'},        {"username", 'u'},   {"userid", 'U'},
    {"statecompact", 't'}, {"state", 'T'},     {"timeused", 'M'},   {"timelimit", 'l'},
    {"timeleft", 'L'},   {"numnodes", 'D'},    {"numcpus", 'C'},    {"nodelist", 'N'},
    {"reasonlist", 'R'}, {"reason", 'r'},      {"partition", 'P'},  {"submittime", 'V'},
    {"starttime", 'S'},  {"endtime", 'e'},     {"workdir", 'Z'},    {"dependency", 'E'},
    {"priority", 'p'},   {"prioritylong", 'Q'}, {"qos", 'q'},       {"command", 'o'},
    {"mincpus", 'c'},    {"minmemory", 'm'},   {"feature", 'f'},    {"reqnodes", 'n'},
    {"excnodes", 'x'},   {"comment", 'k'},     {"batchhost", 'B'},  {"nice", 'y'},
    {"reservation", 'v'}, {"wckey", 'w'},      {"licenses", 'W'},   {"schednodes", 'Y'},
    {"oversubscribe", 'h'}, {"groupname", 'g'}, {"groupid", 'G'},   {"mintmpdisk", 'd'},
    {"numtasks", 'C'},
};

std::set<std::string> split_set(const char *s)
{
    std::set<std::string> out;
    std::string cur;
    for (const char *p = s;; p++) {
        if (*p == ',' || *p == '\0') {
            if (!cur.empty())
                out.insert(cur);
            cur.clear();
            if (!*p)
                break;
        }
        else
            cur += *p;
    }
    return out;
}

void usage(FILE *f)
{
    fprintf(f, "Usage: squeue [-j jobs] [-u users] [-t states] [-p partitions] [-n names]\n"
               "              [--me] [-h] [-l] [-s [steps]] [-o format] [-O fields]\n");
}

std::string ts(double t)
{
    return format_timestamp(t);
}

/* Parse "-s N.S,..." into (job id text, step suffix) pairs. */
bool parse_step_list(const std::set<std::string> &in,
                     std::set<std::pair<std::string, std::string>> &out)
{
    for (const auto &t : in) {
        size_t dot = t.rfind('.');
        if (dot == std::string::npos || dot == 0 || dot + 1 == t.size())
            return false;
        out.insert({t.substr(0, dot), t.substr(dot + 1)});
    }
    return true;
}

/* squeue -s: the running steps of the running jobs in ROWS (already
 * filtered by -j -u -p), WANTED ("N.S") if given; sorted by partition,
 * job, step. */
void print_steps(flux_t *h, const std::vector<const JobInfo *> &rows,
                 const std::set<std::pair<std::string, std::string>> &wanted,
                 const std::vector<FormatItem> &items, bool header)
{
    std::vector<const JobInfo *> running;
    for (const JobInfo *j : rows)
        if (!strcmp(job_state(j->job).code, "R"))
            running.push_back(j);
    /* Each job's recorded steps: all lookups in flight together. */
    std::vector<flux_future_t *> fs;
    for (const JobInfo *j : running)
        fs.push_back(flux_job_lookup(h, j->id, "guest.slurm.steps"));
    std::vector<StepRow> out;
    for (size_t k = 0; k < running.size(); k++) {
        const JobInfo *j = running[k];
        double t_run = 0;
        json_int_t ntasks = 0;
        json_unpack(j->job, "{s?F s?I}", "t_run", &t_run, "ntasks", &ntasks);
        if (j->batch) {
            StepRow r{j, "batch", "batch", j->nodelist, 1 << 30, 1, t_run, 0};
            std::vector<std::string> hosts; /* the script runs on the first node */
            if (nodelist_expand(j->nodelist, hosts) && !hosts.empty())
                r.nodelist = hosts[0];
            out.push_back(r);
        }
        if (j->srun)
            out.push_back({j, "0", j->name, j->nodelist, 0, ntasks, t_run, j->time_limit});
        const char *text;
        if (fs[k] && flux_job_lookup_get(fs[k], &text) == 0) {
            json_t *v = json_loads(text, JSON_DECODE_ANY, nullptr);
            for (const StepRecord &rec : steps_parse(json_string_value(v))) {
                if (rec.end > 0) /* finished */
                    continue;
                out.push_back({j, std::to_string(rec.step), rec.name, rec.nodelist, rec.step,
                               rec.ntasks, rec.start, 0});
            }
            json_decref(v);
        }
        flux_future_destroy(fs[k]);
    }
    if (!wanted.empty()) {
        std::vector<StepRow> keep;
        for (const StepRow &r : out) {
            std::string id = r.job->display_id(), raw = jobid_dec(r.job->id);
            if (wanted.count({id, r.suffix}) || wanted.count({raw, r.suffix})
                || (r.job->array_task_id >= 0
                    && wanted.count({jobid_dec(r.job->array_job_id) + "_"
                                         + std::to_string(r.job->array_task_id),
                                     r.suffix})))
                keep.push_back(r);
        }
        out.swap(keep);
    }
    std::stable_sort(out.begin(), out.end(), [](const StepRow &a, const StepRow &b) {
        if (a.job->partition != b.job->partition)
            return a.job->partition < b.job->partition;
        if (a.job->id != b.job->id)
            return a.job->id < b.job->id;
        return a.order < b.order;
    });
    double now = (double)time(nullptr);
    print_table(items, header, step_headers, out.size(), [&](size_t i, char f) -> std::string {
        const StepRow &r = out[i];
        switch (f) {
            case 'i':
                return r.job->display_id() + "." + r.suffix;
            case 'j':
                return r.name;
            case 'P':
                return r.job->partition;
            case 'u':
                return r.job->user;
            case 'U': {
                json_int_t uid = 0;
                json_unpack(r.job->job, "{s?I}", "userid", &uid);
                return std::to_string(uid);
            }
            case 'M':
                return format_elapsed(r.start > 0 && now > r.start ? (int64_t)(now - r.start) : 0);
            case 'l':
                return format_limit(r.limit);
            case 'S':
                return r.start > 0 ? ts(r.start) : "N/A";
            case 'N':
                return r.nodelist;
            case 'A':
                return std::to_string(r.ntasks);
            case 'b':
                return "N/A";
        }
        return "";
    });
}

} // namespace

int main(int argc, char **argv)
{
    std::string format = default_format, Format;
    bool header = true, longfmt = false, me = false, steps = false, format_given = false;
    std::set<std::string> users, jobs_wanted, states, partitions, names, steps_wanted;
    const struct option opts[] = {
        {"user", required_argument, nullptr, 'u'},   {"jobs", optional_argument, nullptr, 'j'},
        {"states", required_argument, nullptr, 't'}, {"partition", required_argument, nullptr, 'p'},
        {"format", required_argument, nullptr, 'o'}, {"Format", required_argument, nullptr, 'O'},
        {"noheader", no_argument, nullptr, 'h'},     {"long", no_argument, nullptr, 'l'},
        {"me", no_argument, nullptr, 'M'},           {"name", required_argument, nullptr, 'n'},
        {"all", no_argument, nullptr, 'a'},          {"array", no_argument, nullptr, 'r'},
        {"help", no_argument, nullptr, 'H'},         {"usage", no_argument, nullptr, 'Z'},
        {"verbose", no_argument, nullptr, 'v'},      {"account", required_argument, nullptr, 'A'},
        {"qos", required_argument, nullptr, 'q'},    {"steps", optional_argument, nullptr, 's'},
        {nullptr, 0, nullptr, 0},
    };
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "u:j::t:p:o:O:hlMn:arvA:q:s::", opts, nullptr)) != -1) {
        switch (c) {
            case 'u':
                users = split_set(optarg);
                break;
            case 'j':
                if (optarg)
                    jobs_wanted = split_set(optarg);
                else if (optind < argc && argv[optind][0] != '-')
                    jobs_wanted = split_set(argv[optind++]);
                break;
            case 't':
                for (const auto &s : split_set(optarg)) {
                    std::string code;
                    if (!parse_state_name(s, code)) {
                        fprintf(stderr, "squeue: error: Invalid job state specified: %s\n",
                                s.c_str());
                        return 1;
                    }
                    states.insert(code);
                }
                break;
            case 'p':
                partitions = split_set(optarg);
                break;
            case 's':
                /* "-s 12.0,12.1": the list follows without '=' too. */
                steps = true;
                if (optarg)
                    steps_wanted = split_set(optarg);
                else if (optind < argc && argv[optind][0] != '-')
                    steps_wanted = split_set(argv[optind++]);
                break;
            case 'o':
                format = optarg;
                format_given = true;
                break;
            case 'O':
                Format = optarg;
                break;
            case 'h':
                header = false;
                break;
            case 'l':
                longfmt = true;
                format = long_format;
                break;
            case 'M':
                me = true;
                break;
            case 'n':
                names = split_set(optarg);
                break;
            case 'a':
            case 'r':
            case 'v':
            case 'A':
            case 'q':
                break;
            case 'H':
            case 'Z':
                usage(stdout);
                return 0;
            default:
                fprintf(stderr, "squeue: unrecognized option '%s'\n", argv[optind - 1]);
                fprintf(stderr, "Try \"squeue --help\" for more information\n");
                return 1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "squeue: error: Unrecognized option: %s\n", argv[optind]);
        return 1;
    }
    if (steps && !format_given)
        format = steps_format;
    std::vector<FormatItem> items;
    std::string err = Format.empty() ? parse_percent_format(format, fields, items)
                      : parse_field_format(Format, steps ? step_field_names : field_names, 20, items);
    if (!err.empty()) {
        fprintf(stderr, "squeue: error: %s\n", err.c_str());
        return 1;
    }
    if (me)
        users.insert(user_name(getuid()));
    /* Inside a batch job or salloc, the enclosing instance's queue, as
     * Slurm's squeue inside a job shows the cluster's. */
    std::set<std::pair<std::string, std::string>> step_pairs;
    if (!parse_step_list(steps_wanted, step_pairs)) {
        fprintf(stderr, "squeue: error: Invalid job step id specified\n");
        return 1;
    }
    flux_t *h = cluster_handle(connect_or_die("squeue"));
    Nodes nodes = nodes_query(h, "squeue");
    bool any_state = states.count("ALL") > 0;
    bool wants_inactive = any_state || !jobs_wanted.empty();
    for (const auto &s : states)
        if (s != "PD" && s != "R" && s != "CG")
            wants_inactive = true;
    JobList list = jobs_query(h, "squeue", wants_inactive ? FLUX_JOB_STATE_ALL : FLUX_JOB_STATE_ACTIVE,
                              true, &nodes);
    std::set<flux_jobid_t> idset;
    if (!jobs_wanted.empty()) {
        for (const auto &j : jobs_wanted) {
            std::vector<flux_jobid_t> ids;
            if (!resolve_jobid(list, j, ids)) {
                fprintf(stderr, "squeue: error: Invalid job id: %s\n", j.c_str());
                return 1;
            }
            idset.insert(ids.begin(), ids.end());
        }
    }
    /* A job that is a step of a job listed here (srun in srun's tasks)
     * is that job's step, not a job of the queue, as in Slurm. */
    std::set<flux_jobid_t> listed;
    for (const auto &ji : list.info)
        listed.insert(ji.id);
    /* Which pending job is next: the highest priority, then the oldest. */
    const JobInfo *next = nullptr;
    std::vector<const JobInfo *> rows;
    for (const auto &ji : list.info) {
        if (ji.step_of && listed.count(ji.step_of))
            continue;
        const char *st = "";
        json_int_t prio = 0, urgency = 16;
        json_unpack(ji.job, "{s?s s?I s?I}", "state", &st, "priority", &prio, "urgency", &urgency);
        if (!strcmp(st, "SCHED") && urgency > 0) {
            json_int_t np = 0;
            if (next)
                json_unpack(next->job, "{s?I}", "priority", &np);
            if (!next || prio > np || (prio == np && ji.id < next->id))
                next = &ji;
        }
        State s = job_state(ji.job);
        if (!states.empty() && !any_state && !states.count(s.code))
            continue;
        if (states.empty() && idset.empty() && !strcmp(st, "INACTIVE"))
            continue;
        if (!users.empty() && !users.count(ji.user))
            continue;
        if (!idset.empty() && !idset.count(ji.id))
            continue;
        if (!partitions.empty() && !partitions.count(ji.partition))
            continue;
        if (!names.empty() && !names.count(ji.name))
            continue;
        rows.push_back(&ji);
    }
    const char *order[] = {"PD", "R", "S", "CG", "CD", "CA", "F", "TO", "NF", "OOM"};
    auto rank_of = [&](const JobInfo *j) {
        State s = job_state(j->job);
        for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
            if (!strcmp(order[i], s.code))
                return (int)i;
        return 99;
    };
    std::stable_sort(rows.begin(), rows.end(), [&](const JobInfo *a, const JobInfo *b) {
        if (a->partition != b->partition)
            return a->partition < b->partition;
        if (rank_of(a) != rank_of(b))
            return rank_of(a) < rank_of(b);
        json_int_t pa = 0, pb = 0;
        json_unpack(a->job, "{s?I}", "priority", &pa);
        json_unpack(b->job, "{s?I}", "priority", &pb);
        if (pa != pb)
            return pa > pb;
        return a->id < b->id;
    });
    double now = (double)time(nullptr);
    auto reason = [&](const JobInfo *j) -> std::string {
        const char *st = "";
        json_int_t urgency = 16;
        json_unpack(j->job, "{s?s s?I}", "state", &st, "urgency", &urgency);
        if (!strcmp(st, "DEPEND"))
            return "Dependency";
        if (urgency == 0)
            return "JobHeldUser";
        if (!strcmp(st, "SCHED"))
            return j == next ? "Resources" : "Priority";
        if (!strcmp(st, "NEW") || !strcmp(st, "PRIORITY"))
            return "Priority";
        return "None";
    };
    auto value = [&](size_t r, char f) -> std::string {
        const JobInfo *j = rows[r];
        json_t *o = j->job;
        const char *st = "";
        double t_submit = 0, t_run = 0, t_cleanup = 0, t_inactive = 0;
        json_int_t nnodes = 0, ntasks = 0, ncores = 0, prio = 0, uid = 0;
        json_unpack(o, "{s?s s?F s?F s?F s?F s?I s?I s?I s?I s?I}", "state", &st, "t_submit",
                    &t_submit, "t_run", &t_run, "t_cleanup", &t_cleanup, "t_inactive", &t_inactive,
                    "nnodes", &nnodes, "ntasks", &ntasks, "ncores", &ncores, "priority", &prio,
                    "userid", &uid);
        State s = job_state(o);
        bool pending = !strcmp(s.code, "PD");
        double end = t_cleanup > 0 ? t_cleanup : t_inactive > 0 ? t_inactive : now;
        int64_t used = pending || t_run <= 0 ? 0 : (int64_t)(end - t_run);
        switch (f) {
            case 'i':
                return j->display_id();
            case 'A':
                return jobid_dec(j->array_task_id >= 0 ? j->array_job_id : j->id);
            case 'F':
                return jobid_dec(j->array_task_id >= 0 ? j->array_job_id : j->id);
            case 'K':
                return j->array_task_id >= 0 ? std::to_string(j->array_task_id) : "N/A";
            case 'a':
                return "(null)";
            case 'j':
                return j->name;
            case 'u':
                return j->user;
            case 'U':
                return std::to_string(uid);
            case 't':
                return s.code;
            case 'T':
                return s.name;
            case 'M':
                return format_elapsed(used);
            case 'l':
                return format_limit(j->time_limit);
            case 'L':
                return j->time_limit > 0 ? format_elapsed(j->time_limit - used) : "UNLIMITED";
            case 'D':
                return std::to_string(nnodes > 0 ? nnodes : 1);
            case 'C':
                return std::to_string(ncores > 0 ? ncores : ntasks);
            case 'N':
                return j->nodelist;
            case 'R':
                return pending ? "(" + reason(j) + ")" : j->nodelist;
            case 'r':
                return pending ? reason(j) : "None";
            case 'P':
                return j->partition;
            case 'V':
                return ts(t_submit);
            case 'S':
                return t_run > 0 ? ts(t_run) : "N/A";
            case 'e':
                return t_run > 0 && j->time_limit > 0 ? ts(t_run + j->time_limit)
                       : t_inactive > 0               ? ts(t_inactive)
                                                      : "N/A";
            case 'Z':
                return j->workdir;
            case 'E':
                return j->dependency.empty() ? "(null)" : j->dependency;
            case 'p': {
                char b[32];
                snprintf(b, sizeof(b), "%.8f", prio / 4294967295.0);
                return b;
            }
            case 'Q':
                return std::to_string(prio);
            case 'q':
                return "normal";
            case 'b':
                return "N/A";
            case 'o':
                return j->name;
            case 'c':
                return std::to_string(j->cpus_per_task);
            case 'm':
                return j->mem_mb <= 0 ? "0"
                       : j->mem_mb % 1024 == 0 ? std::to_string(j->mem_mb / 1024) + "G"
                                               : std::to_string(j->mem_mb) + "M";
            case 'd':
            case 'y':
            case 'O':
                return "0";
            case 'f':
            case 'k':
            case 'v':
            case 'w':
            case 'W':
            case 'Y':
            case 'X':
                return "(null)";
            case 'n':
            case 'x':
                return "";
            case 'B': {
                std::string first = j->nodelist.substr(0, j->nodelist.find_first_of(",["));
                return pending || first.empty() ? "n/a" : first;
            }
            case 'I':
            case 'J':
            case 'H':
                return "*";
            case 'z':
                return "*:*:*";
            case 's':
                return "N/A";
            case 'h':
                return "OK";
            case 'g':
            case 'G': {
                struct passwd *pw = getpwuid((uid_t)uid);
                gid_t gid = pw ? pw->pw_gid : (gid_t)uid;
                if (f == 'G')
                    return std::to_string(gid);
                struct group *gr = getgrgid(gid);
                return gr ? std::string(gr->gr_name) : std::to_string(gid);
            }
        }
        return "";
    };
    if (steps) {
        print_steps(h, rows, step_pairs, items, header);
        flux_close(h);
        return 0;
    }
    if (longfmt && header) {
        time_t t = time(nullptr);
        char buf[64];
        strftime(buf, sizeof(buf), "%a %b %d %H:%M:%S %Y", localtime(&t));
        puts(buf);
    }
    print_table(items, header, headers, rows.size(), value);
    flux_close(h);
    return 0;
}
