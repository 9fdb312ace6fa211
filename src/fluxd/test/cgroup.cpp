/* fluxd/test/cgroup.cpp - Criterion tests for job-exec's cgroup arithmetic
 * (job-exec/cgroup.h): sizes, the limits a jobspec asks for, the OOM
 * counters, the config mode, and the fallback when there is no cgroup
 * file system where one is looked for. */
#include <criterion/criterion.h>

#include <cstring>
#include <string>
#include <syslog.h>
#include <unistd.h>

#include "job-exec/cgroup.h"

using namespace fluxd;

namespace {

json_t *jobspec_with(const char *cgroup_json)
{
    json_error_t e;
    std::string text = std::string("{\"version\":1,\"attributes\":{\"system\":{\"shell\":"
                                   "{\"options\":{\"cgroup\":")
                       + cgroup_json + "}}}}}";
    json_t *o = json_loads(text.c_str(), 0, &e);
    cr_assert_not_null(o, "bad test json %s: %s", text.c_str(), e.text);
    return o;
}

} // namespace

Test(cgroup, parse_size)
{
    struct {
        const char *text;
        uint64_t bytes;
    } good[] = {
        {"1", 1},
        {"1048576", 1048576},
        {"64k", 64ULL << 10},
        {"64K", 64ULL << 10},
        {"32M", 32ULL << 20},
        {"32MB", 32ULL << 20},
        {"32mib", 32ULL << 20},
        {"2G", 2ULL << 30},
        {"2GiB", 2ULL << 30},
        {"1T", 1ULL << 40},
        {"100b", 100},
    };
    for (auto &t : good) {
        auto r = cgroup_parse_size(t.text);
        cr_assert(r, "%s: %s", t.text, r ? "" : r.error().text.c_str());
        cr_assert_eq(*r, t.bytes, "%s: %llu", t.text, (unsigned long long)*r);
    }
    struct {
        const char *text;
        const char *error;
    } bad[] = {
        {"", "expected a size"},
        {"M", "expected a size"},
        {"-1M", "expected a size"},
        {"12Q", "unknown unit 'Q'"},
        {"1.5G", "unknown unit '.5G'"},
        {"0", "greater than 0"},
        {"99999999999999999999999", "too large"},
        {"20000000000T", "too large"},
    };
    for (auto &t : bad) {
        auto r = cgroup_parse_size(t.text);
        cr_assert(!r, "'%s' accepted", t.text);
        cr_assert(r.error().text.find(t.error) != std::string::npos, "'%s': %s", t.text,
                  r.error().text.c_str());
        cr_assert(r.error().text.find(std::string("'") + t.text + "'") == 0, "names the text: %s",
                  r.error().text.c_str());
    }
}

Test(cgroup, size_text)
{
    struct {
        uint64_t bytes;
        const char *text;
    } t[] = {{32ULL << 20, "32M"}, {2ULL << 30, "2G"}, {1536ULL << 20, "1536M"},
             {4096, "4K"}, {1000, "1000 bytes"}};
    for (auto &c : t) {
        std::string s = cgroup_size_text(c.bytes);
        cr_assert_str_eq(s.c_str(), c.text);
    }
}

Test(cgroup, limits_from_jobspec)
{
    struct {
        const char *cgroup;
        uint64_t memory, pids;
    } good[] = {
        {"{\"memory\":\"32M\"}", 32ULL << 20, 0},
        {"{\"memory\":33554432}", 33554432, 0},
        {"{\"pids\":50}", 0, 50},
        {"{\"memory\":\"1G\",\"pids\":8}", 1ULL << 30, 8},
        {"{}", 0, 0},
    };
    for (auto &t : good) {
        json_t *js = jobspec_with(t.cgroup);
        auto l = cgroup_limits(js, "3");
        cr_assert(l, "%s: %s", t.cgroup, l ? "" : l.error().text.c_str());
        cr_assert_eq(l->memory, t.memory, "%s", t.cgroup);
        cr_assert_eq(l->pids, t.pids, "%s", t.cgroup);
        cr_assert_str_eq(l->cpus.c_str(), "3");
        json_decref(js);
    }
    struct {
        const char *cgroup;
        const char *error;
    } bad[] = {
        {"{\"memory\":\"lots\"}", "cgroup.memory: 'lots': expected a size"},
        {"{\"memory\":-5}", "cgroup.memory: expected a size"},
        {"{\"memory\":true}", "cgroup.memory: expected a size"},
        {"{\"pids\":\"many\"}", "cgroup.pids: expected a count"},
        {"{\"pids\":0}", "cgroup.pids: expected a count"},
        {"{\"swap\":1}", "cgroup.swap: unknown option"},
        {"\"32M\"", "cgroup: expected options such as -o cgroup.memory="},
    };
    for (auto &t : bad) {
        json_t *js = jobspec_with(t.cgroup);
        auto l = cgroup_limits(js, "");
        cr_assert(!l, "%s accepted", t.cgroup);
        cr_assert(l.error().text.find(t.error) == 0, "%s: %s", t.cgroup, l.error().text.c_str());
        json_decref(js);
    }
    /* memory-per-cpu: times the CPUs the job has on the node (at least
     * one); with memory too, the smaller. */
    const struct {
        const char *cgroup;
        size_t ncpus;
        uint64_t memory;
    } per_cpu[] = {
        {"{\"memory-per-cpu\":\"100M\"}", 3, 300ULL << 20},
        {"{\"memory-per-cpu\":\"100M\"}", 0, 100ULL << 20},
        {"{\"memory-per-cpu\":\"1G\",\"memory\":\"2G\"}", 4, 2ULL << 30},
        {"{\"memory-per-cpu\":\"1G\",\"memory\":\"8G\"}", 4, 4ULL << 30},
    };
    for (auto &t : per_cpu) {
        json_t *js = jobspec_with(t.cgroup);
        auto l = cgroup_limits(js, "", t.ncpus);
        cr_assert(l, "%s: %s", t.cgroup, l ? "" : l.error().text.c_str());
        cr_expect_eq(l->memory, t.memory, "%s with %zu cpus: %ju", t.cgroup, t.ncpus,
                     (uintmax_t)l->memory);
        json_decref(js);
    }
    json_t *bad_per = jobspec_with("{\"memory-per-cpu\":\"some\"}");
    auto lp = cgroup_limits(bad_per, "", 2);
    cr_assert(!lp);
    cr_expect(lp.error().text.find("cgroup.memory-per-cpu: ") == 0, "%s", lp.error().text.c_str());
    json_decref(bad_per);
    /* No option at all: only the cpus. */
    json_t *plain = json_pack("{s:i}", "version", 1);
    auto l = cgroup_limits(plain, "0-1");
    cr_assert(l);
    cr_assert_eq(l->memory, 0);
    cr_assert_str_eq(l->cpus.c_str(), "0-1");
    json_decref(plain);
}

Test(cgroup, memory_from_R)
{
    /* Two ranks: rank 0 holds 2 memory vertices (1024 MB + 1 G), rank 1 one
     * of 512 MB; cores and a vertex without a unit (bytes) are counted only
     * where they are memory. */
    const char *text = R"({"version": 1, "execution": {"R_lite": []},
      "scheduling": {"graph": {"nodes": [
        {"id": "0", "metadata": {"type": "node", "rank": 0, "size": 1}},
        {"id": "1", "metadata": {"type": "memory", "rank": 0, "size": 1024, "unit": "MB"}},
        {"id": "2", "metadata": {"type": "memory", "rank": 0, "size": 1, "unit": "G"}},
        {"id": "3", "metadata": {"type": "core", "rank": 0, "size": 1}},
        {"id": "4", "metadata": {"type": "memory", "rank": 1, "size": 512, "unit": "MB"}},
        {"id": "5", "metadata": {"type": "memory", "rank": 2, "size": 4096}},
        {"id": "6", "metadata": {"type": "memory", "rank": 2, "size": 1, "unit": "parsecs"}}
      ], "edges": []}}})";
    json_error_t err;
    json_t *R = json_loads(text, 0, &err);
    cr_assert(R, "%s", err.text);
    cr_expect_eq(cgroup_memory_from_R(R, 0), 2ULL << 30);
    cr_expect_eq(cgroup_memory_from_R(R, 1), 512ULL << 20);
    cr_expect_eq(cgroup_memory_from_R(R, 2), 4096);
    cr_expect_eq(cgroup_memory_from_R(R, 3), 0);
    json_decref(R);
    /* R without a scheduling key (sched-simple), or none at all. */
    json_t *plain = json_pack("{s:i}", "version", 1);
    cr_expect_eq(cgroup_memory_from_R(plain, 0), 0);
    cr_expect_eq(cgroup_memory_from_R(nullptr, 0), 0);
    json_decref(plain);
}

Test(cgroup, oom_counter)
{
    /* v1 memory.oom_control, v2 memory.events */
    cr_assert_eq(cgroup_oom_kills("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"), 2);
    cr_assert_eq(cgroup_oom_kills("oom_kill_disable 0\nunder_oom 0\n"), 0);
    cr_assert_eq(cgroup_oom_kills("low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n"), 1);
    cr_assert_eq(cgroup_oom_kills(""), 0);
}

Test(cgroup, paths_and_mode)
{
    std::string dir = cgroup_job_dir("/sys/fs/cgroup/memory/fluxd-12", 1234567);
    cr_assert_str_eq(dir.c_str(), "/sys/fs/cgroup/memory/fluxd-12/job-1234567");
    struct {
        const char *text;
        Cgroups::Mode mode;
    } modes[] = {{"", Cgroups::Mode::off},       {"false", Cgroups::Mode::off},
                 {"true", Cgroups::Mode::on},    {"auto", Cgroups::Mode::automatic},
                 {"0", Cgroups::Mode::off},      {"1", Cgroups::Mode::on}};
    for (auto &m : modes) {
        auto r = Cgroups::parse_mode(m.text);
        cr_assert(r && *r == m.mode, "%s", m.text);
    }
    auto r = Cgroups::parse_mode("yes please");
    cr_assert(!r);
    cr_assert(r.error().text.find("expected true, false or \"auto\"") != std::string::npos);
}

/* Off, or nothing mounted where looked: no Cgroups, one log line saying
 * why at the level the mode asks for (error for true, info for auto). */
Test(cgroup, fallback)
{
    int level = -1;
    std::string text;
    auto log = [&](int l, const std::string &t) {
        level = l;
        text = t;
    };
    cr_assert_null(Cgroups::create(Cgroups::Mode::off, "/nonexistent", getpid(), log).get());
    cr_assert_eq(level, -1, "off logs nothing");
    char dir[] = "/tmp/cgroup-test-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_null(Cgroups::create(Cgroups::Mode::on, dir, getpid(), log).get());
    cr_assert_eq(level, LOG_ERR);
    cr_assert(text.find("no cgroup v1 controller") != std::string::npos, "%s", text.c_str());
    cr_assert(text.find("jobs run without a cgroup") != std::string::npos, "%s", text.c_str());
    cr_assert_null(Cgroups::create(Cgroups::Mode::automatic, dir, getpid(), log).get());
    cr_assert_eq(level, LOG_INFO);
    rmdir(dir);
}
