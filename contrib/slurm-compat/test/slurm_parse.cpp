/* slurm_parse.cpp - unit tests of the shims' parsers: every Slurm time
 * format, hostlists, arrays, dependencies, --export, memory, directives,
 * output patterns, formats and option errors.  Tables, one row a case. */
#include <criterion/criterion.h>
#include <csignal>

#include <cstring>
#include <deque>
#include <string>

#include "nodelist.h"
#include "slurm_format.h"
#include "slurm_opts.h"
#include "slurm_steps.h"
#include "slurm_time.h"

using namespace slurm;

/* Criterion's string asserts hold a const char * to their argument past
 * the statement that made it, so a temporary std::string's c_str() would
 * dangle (a parser's "" answer read as garbage: a CI failure).  keep()
 * gives each result a home for the rest of the test binary's life. */
static const char *keep(std::string s)
{
    static std::deque<std::string> kept;
    kept.push_back(std::move(s));
    return kept.back().c_str();
}

Test(time, limits)
{
    struct {
        const char *in;
        int64_t seconds;
        int64_t minutes;
    } t[] = {
        {"30", 1800, 30},          {"0", 0, 0},
        {"5:30", 330, 6},          {"1:00:00", 3600, 60},
        {"2-0", 172800, 2880},     {"1-12", 129600, 2160},
        {"1-2:30", 95400, 1590},   {"1-02:03:04", 93784, 1564},
        {"UNLIMITED", -1, -1},     {"infinite", -1, -1},
        {"", -2, -2},              {"abc", -2, -2},
        {"1:2:3:4", -2, -2},       {"-5", -2, -2},
        {"1-", -2, -2},            {"1-2:3:4:5", -2, -2},
        {"1::2", -2, -2},
    };
    for (auto &c : t) {
        cr_expect_eq(parse_time_limit_seconds(c.in), c.seconds, "seconds of '%s'", c.in);
        cr_expect_eq(parse_time_limit(c.in), c.minutes, "minutes of '%s'", c.in);
    }
}

Test(time, elapsed)
{
    struct {
        int64_t s;
        const char *out;
    } t[] = {{0, "0:00"},        {5, "0:05"},        {65, "1:05"},
             {3600, "1:00:00"},  {86399, "23:59:59"}, {90061, "1-01:01:01"},
             {-3, "0:00"}};
    for (auto &c : t)
        cr_expect_str_eq(keep(format_elapsed(c.s)), c.out, "elapsed %lld", (long long)c.s);
    cr_expect_str_eq(keep(format_limit(0)), "UNLIMITED");
    cr_expect_str_eq(keep(format_limit(1800)), "30:00");
    /* sacct's (Slurm's secs2time_str): two-digit hours always. */
    struct {
        int64_t s;
        const char *out;
    } a[] = {{0, "00:00:00"}, {5, "00:00:05"}, {3600, "01:00:00"}, {90061, "1-01:01:01"},
             {-3, "00:00:00"}};
    for (auto &c : a)
        cr_expect_str_eq(keep(format_elapsed_sacct(c.s)), c.out, "sacct elapsed %lld",
                         (long long)c.s);
    cr_expect_str_eq(keep(format_limit_sacct(0)), "UNLIMITED");
    cr_expect_str_eq(keep(format_limit_sacct(1800)), "00:30:00");
}

Test(time, begin)
{
    time_t now = 1700000000;
    cr_expect_eq(parse_begin("now+60", now), now + 60);
    cr_expect_eq(parse_begin("now+2hours", now), now + 7200);
    cr_expect_eq(parse_begin("now+1day", now), now + 86400);
    cr_expect_eq(parse_begin("now", now), now);
    cr_expect_gt(parse_begin("2030-01-02T03:04:05", now), now);
    cr_expect_gt(parse_begin("16:00", now), now);
    for (const char *bad : {"", "now+", "now+5parsecs", "25:00", "2030-13-01", "tuesday-ish"})
        cr_expect_eq(parse_begin(bad, now), -1, "'%s' is invalid", bad);
}

Test(nodelist, expand_and_compress)
{
    struct {
        const char *expr;
        const char *expanded;
    } t[] = {
        {"node1", "node1"},
        {"n[1-3]", "n1,n2,n3"},
        {"n[01-03,7]", "n01,n02,n03,n7"},
        {"a[1-2],b", "a1,a2,b"},
        {"r[1-2]n[1-2]", "r1n1,r1n2,r2n1,r2n2"},
    };
    for (auto &c : t) {
        std::vector<std::string> v;
        cr_assert(nodelist_expand(c.expr, v), "expand %s", c.expr);
        std::string j;
        for (auto &s : v)
            j += (j.empty() ? "" : ",") + s;
        cr_expect_str_eq(j.c_str(), c.expanded);
    }
    for (const char *bad : {"", "n[1-", "n[3-1]", "n]", "n[a-b]"}) {
        std::vector<std::string> v;
        cr_expect_not(nodelist_expand(bad, v), "'%s' is malformed", bad);
    }
    cr_expect_str_eq(keep(nodelist_compress({"n1", "n2", "n3", "n5"})), "n[1-3,5]");
    cr_expect_str_eq(keep(nodelist_compress({"n01", "n02"})), "n[01-02]");
    cr_expect_str_eq(keep(nodelist_compress({"localhost", "localhost"})), "localhost");
    cr_expect_str_eq(keep(nodelist_compress({"login", "n1"})), "login,n1");
    cr_expect_str_eq(keep(nodelist_compress({})), "");
    cr_expect_str_eq(keep(tasks_per_node_string({2, 2, 2, 1})), "2(x3),1");
}

Test(opts, array)
{
    struct {
        const char *in;
        const char *indices;
        int throttle;
    } t[] = {
        {"1-3", "1,2,3", 0},      {"0-15:4", "0,4,8,12", 0}, {"1,3,5-6", "1,3,5,6", 0},
        {"1-10%2", "1,2,3,4,5,6,7,8,9,10", 2}, {"7", "7", 0},
    };
    for (auto &c : t) {
        ArraySpec a;
        cr_assert_str_eq(keep(parse_array(c.in, a)), "", "%s", c.in);
        std::string j;
        for (int i : a.indices)
            j += (j.empty() ? "" : ",") + std::to_string(i);
        cr_expect_str_eq(j.c_str(), c.indices, "%s", c.in);
        cr_expect_eq(a.throttle, c.throttle);
    }
    for (const char *bad : {"", "3-1", "a", "1-3%", "1-3%0", "1-5:0", "0-5000", "-1"}) {
        ArraySpec a;
        cr_expect_str_neq(keep(parse_array(bad, a)), "", "'%s' is invalid", bad);
    }
}

Test(opts, dependency)
{
    std::vector<Dependency> d;
    bool any = false;
    cr_assert_str_eq(keep(parse_dependency("afterok:12:13,afterany:14", d, any)), "");
    cr_expect_eq(d.size(), 2);
    cr_expect_str_eq(d[0].type.c_str(), "afterok");
    cr_expect_eq(d[0].ids.size(), 2);
    cr_expect_str_eq(d[1].ids[0].c_str(), "14");
    cr_expect_not(any);
    cr_assert_str_eq(keep(parse_dependency("afterok:1?afternotok:2", d, any)), "");
    cr_expect(any);
    cr_assert_str_eq(keep(parse_dependency("singleton", d, any)), "");
    cr_expect_str_eq(d[0].type.c_str(), "singleton");
    cr_assert_str_eq(keep(parse_dependency("afterok:12_3", d, any)), "");
    for (const char *bad : {"", "afterok", "afterok:", "sometime:3", "afterok:1,afterok:2?after:3",
                            "singleton:4", "afterok:x"})
        cr_expect_str_neq(keep(parse_dependency(bad, d, any)), "", "'%s' is invalid", bad);
}

Test(opts, export_and_memory)
{
    bool all;
    std::vector<std::string> vars;
    cr_expect_str_eq(keep(parse_export("ALL", all, vars)), "");
    cr_expect(all);
    cr_expect_str_eq(keep(parse_export("NONE", all, vars)), "");
    cr_expect_not(all);
    cr_expect_str_eq(keep(parse_export("ALL,FOO=1,BAR", all, vars)), "");
    cr_expect(all);
    cr_expect_eq(vars.size(), 2);
    cr_expect_str_eq(keep(parse_export("FOO=x", all, vars)), "");
    cr_expect_not(all);
    cr_expect_str_neq(keep(parse_export("=x", all, vars)), "");
    struct {
        const char *in;
        int64_t mb;
    } m[] = {{"100", 100}, {"4G", 4096}, {"512M", 512}, {"2048K", 2}, {"1T", 1048576}};
    for (auto &c : m) {
        int64_t v = 0;
        cr_expect_str_eq(keep(parse_memory(c.in, v)), "");
        cr_expect_eq(v, c.mb, "%s", c.in);
    }
    int64_t v;
    for (const char *bad : {"", "G", "4X", "-1"})
        cr_expect_str_neq(keep(parse_memory(bad, v)), "", "'%s'", bad);
}

Test(opts, directives)
{
    const char *script = "#!/bin/bash\n"
                         "#SBATCH -J test --ntasks=2\n"
                         "\n"
                         "# a comment\n"
                         "#SBATCH --output=\"out file.txt\"  # trailing comment\n"
                         "#SBATCHX -n 9\n"
                         "  #SBATCH -n 7\n"
                         "echo hi\n"
                         "#SBATCH -N 5\n";
    auto w = script_directives(script);
    const char *want[] = {"-J", "test", "--ntasks=2", "--output=out file.txt"};
    cr_assert_eq(w.size(), 4);
    for (size_t i = 0; i < 4; i++)
        cr_expect_str_eq(w[i].c_str(), want[i]);
}

Test(opts, parse_and_errors)
{
    Options o;
    o.prog = SBATCH;
    size_t next;
    cr_assert_str_eq(parse_options(o, {"-N", "2", "-n", "4", "-t", "1-0", "-p", "batch",
                                       "--mem=2G", "--gres=gpu:2", "-J", "x", "script.sh", "-n",
                                       "9"},
                                   &next)
                         .c_str(),
                     "");
    cr_expect_eq(o.nodes, 2);
    cr_expect_eq(o.ntasks, 4);
    cr_expect_eq(o.time_limit, 86400);
    cr_expect_eq(o.mem_mb, 2048);
    cr_expect_eq(o.gpus_per_node, 2);
    cr_expect_eq(next, 12);
    struct {
        Program p;
        std::vector<std::string> args;
        const char *error; /* substring */
    } t[] = {
        {SBATCH, {"--bogus"}, "unrecognized option '--bogus'"},
        {SBATCH, {"-t", "xx"}, "Invalid --time specification"},
        {SBATCH, {"-N", "0"}, "invalid node count"},
        {SBATCH, {"--tmp=10G"}, "option --tmp is not supported"},
        {SRUN, {"--tmp", "10G"}, "option --tmp is not supported"},
        {SRUN, {"--mpi=openmpi"}, "MPI type 'openmpi' is not supported"},
        {SRUN, {"--array=1-3"}, "unrecognized option '--array=1-3'"},
        {SBATCH, {"--label"}, "unrecognized option '--label'"},
        {SBATCH, {"-a", "5-1"}, "Invalid job array specification"},
        {SBATCH, {"-d", "whenever:1"}, "Invalid dependency specification"},
        {SBATCH, {"--mem=lots"}, "invalid memory constraint"},
        {SBATCH, {"--begin=someday"}, "Invalid time specification"},
        {SBATCH, {"--open-mode=sideways"}, "Invalid --open-mode"},
        {SALLOC, {"--reservation=r"}, "option --reservation is not supported"},
        {SBATCH, {"-n"}, "requires an argument"},
    };
    for (auto &c : t) {
        Options x;
        x.prog = c.p;
        std::string err = parse_options(x, c.args, nullptr);
        cr_expect(err.find(c.error) != std::string::npos, "%s: got '%s', want '%s'",
                  c.args[0].c_str(), err.c_str(), c.error);
    }
    /* Harmless options are accepted and remembered. */
    Options h;
    h.prog = SBATCH;
    cr_expect_str_eq(keep(parse_options(h, {"-A", "proj", "--mail-type=END", "--requeue"}, nullptr)),
                     "");
    cr_expect_eq(h.ignored.size(), 3);
    /* -w keeps the hosts in compressed form with their distinct count;
     * -x likewise; a malformed host list is named. */
    Options nl;
    nl.prog = SRUN;
    cr_assert_str_eq(keep(parse_options(nl, {"-w", "n3,n[1-2],n1", "-x", "n4"}, nullptr)), "");
    cr_expect_str_eq(nl.nodelist.c_str(), "n[1-3]");
    cr_expect_eq(nl.nodelist_count, 3);
    cr_expect_str_eq(nl.exclude.c_str(), "n4");
    Options bad;
    bad.prog = SBATCH;
    std::string why = parse_options(bad, {"--nodelist=n[3-"}, nullptr);
    cr_expect(why.find("Invalid node name specified: --nodelist=n[3-") != std::string::npos, "%s", why.c_str());
    /* Directives then command line: the command line wins. */
    Options w;
    w.prog = SBATCH;
    cr_assert_str_eq(keep(parse_options(w, {"-n", "2", "-J", "dir"}, nullptr)), "");
    cr_assert_str_eq(keep(parse_options(w, {"-J", "cli"}, nullptr)), "");
    cr_expect_eq(w.ntasks, 2);
    cr_expect_str_eq(w.job_name.c_str(), "cli");
}

Test(opts, signal)
{
    const struct {
        Program prog;
        const char *arg;
        int sig;
        int64_t time;
        bool batch;
    } ok[] = {
        {SBATCH, "USR1", SIGUSR1, 60, false},      {SBATCH, "B:USR2@120", SIGUSR2, 120, true},
        {SBATCH, "R:10@5", 10, 5, false},          {SBATCH, "R:B:SIGTERM@0", SIGTERM, 0, true},
        {SRUN, "SIGUSR1@30", SIGUSR1, 30, false}, {SALLOC, "12", 12, 60, false},
    };
    for (const auto &tc : ok) {
        Options o;
        o.prog = tc.prog;
        size_t next;
        std::string a = std::string("--signal=") + tc.arg;
        cr_assert_str_eq(keep(parse_options(o, {a, "x"}, &next)), "", "%s", tc.arg);
        cr_expect_eq(o.signal, tc.sig, "%s", tc.arg);
        cr_expect_eq(o.signal_time, tc.time, "%s", tc.arg);
        cr_expect_eq(o.signal_batch, tc.batch, "%s", tc.arg);
    }
    const struct {
        Program prog;
        const char *arg;
    } bad[] = {
        {SBATCH, "NOPE"}, {SBATCH, "USR1@"}, {SBATCH, "USR1@-5"}, {SBATCH, "USR1@70000"},
        {SBATCH, "@30"},  {SRUN, "B:USR1"},  {SALLOC, "B:USR1@5"},
    };
    for (const auto &tc : bad) {
        Options o;
        o.prog = tc.prog;
        size_t next;
        std::string a = std::string("--signal=") + tc.arg;
        std::string err = parse_options(o, {a, "x"}, &next);
        cr_expect(err.find("Invalid --signal specification") != std::string::npos, "%s: %s",
                  tc.arg, err.c_str());
    }
}

Test(opts, patterns)
{
    PatternFields f;
    f.jobid = "42";
    f.name = "job";
    f.array_jobid = "40";
    f.array_index = "3";
    f.node = "n1";
    f.user = "alice";
    struct {
        const char *in, *out;
    } t[] = {
        {"slurm-%j.out", "slurm-42.out"}, {"%x-%A_%a.log", "job-40_3.log"},
        {"%N.%u", "n1.alice"},           {"100%%", "100%"},
        {"a%4a", "a0003"},               {"%q", "%q"},
        {"%n-%t-%s", "0-0-batch"},       {"end%", "end%"},
    };
    for (auto &c : t)
        cr_expect_str_eq(keep(expand_pattern(c.in, f)), c.out, "%s", c.in);
    cr_expect(pattern_needs_jobid("x-%j"));
    cr_expect_not(pattern_needs_jobid("x-%%j"));
}

Test(format, percent_and_fields)
{
    std::vector<FormatItem> items;
    cr_assert_str_eq(keep(parse_percent_format("%.18i %.9P %.8j %R", "iPjR", items)), "");
    cr_expect_eq(items.size(), 4);
    cr_expect(items[0].right);
    cr_expect_eq(items[0].width, 18);
    cr_expect_eq(items[3].width, 0);
    cr_expect_str_eq(items[1].literal.c_str(), " ");
    cr_expect_str_neq(keep(parse_percent_format("%Y", "iP", items)), "");
    cr_expect_str_neq(keep(parse_percent_format("%.5", "iP", items)), "");
    std::map<std::string, char> names = {{"jobid", 'i'}, {"name", 'j'}};
    cr_assert_str_eq(keep(parse_field_format("JobID,Name:.30", names, 20, items)), "");
    cr_expect_eq(items[0].width, 20);
    cr_expect_eq(items[1].width, 30);
    cr_expect(items[1].right);
    cr_expect_str_neq(keep(parse_field_format("Bogus", names, 20, items)), "");
}

Test(steps, records_round_trip)
{
    slurm::StepRecord a;
    a.step = 2;
    a.name = "a \"quoted\" name";
    a.state = "FAILED";
    a.exitcode = "3:0";
    a.nodelist = "n[1-2]";
    a.ntasks = 4;
    a.ncpus = 8;
    a.nnodes = 2;
    a.start = 100.5;
    a.end = 160.25;
    a.jobid = 123456789012ULL;
    a.inner = true;
    slurm::StepRecord b = a;
    b.step = 0;
    b.name = "first";
    b.jobid = 7;
    b.inner = false;
    /* Out of order (concurrent sruns end in any order), a line that is not
     * JSON, one missing fields and a negative step are skipped. */
    std::string text = slurm::step_line(a) + "\nnot json\n{\"step\":1}\n"
                       + slurm::step_line(b) + "\n{\"step\":-1,\"name\":\"x\"}\n";
    auto v = slurm::steps_parse(text.c_str());
    cr_assert_eq(v.size(), 2);
    cr_expect_eq(v[0].step, 0);
    cr_expect_str_eq(v[0].name.c_str(), "first");
    cr_expect_eq(v[1].step, 2);
    cr_expect_str_eq(v[1].name.c_str(), "a \"quoted\" name");
    cr_expect_str_eq(v[1].state.c_str(), "FAILED");
    cr_expect_str_eq(v[1].exitcode.c_str(), "3:0");
    cr_expect_str_eq(v[1].nodelist.c_str(), "n[1-2]");
    cr_expect_eq(v[1].ntasks, 4);
    cr_expect_eq(v[1].ncpus, 8);
    cr_expect_eq(v[1].nnodes, 2);
    cr_expect_eq(v[1].start, 100.5);
    cr_expect_eq(v[1].end, 160.25);
    cr_expect_eq(v[1].jobid, 123456789012ULL);
    cr_expect(v[1].inner);
    cr_expect_eq(v[0].jobid, 7);
    cr_expect_not(v[0].inner);
    /* A record of an older srun (no jobid, no inner) still parses. */
    auto old = slurm::steps_parse("{\"step\":3,\"name\":\"o\",\"state\":\"RUNNING\","
                                  "\"exitcode\":\"\",\"nodelist\":\"n1\",\"ntasks\":1,"
                                  "\"ncpus\":1,\"nnodes\":1,\"start\":1.0,\"end\":0.0}\n");
    cr_assert_eq(old.size(), 1);
    cr_expect_eq(old[0].jobid, 0);
    cr_expect_not(old[0].inner);
    cr_expect_eq(slurm::steps_parse(nullptr).size(), 0);
    cr_expect_eq(slurm::steps_parse("").size(), 0);
}
