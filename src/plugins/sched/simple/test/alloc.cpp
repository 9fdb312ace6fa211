/* sched/simple/test/alloc.cpp - Criterion unit tests for the sched-simple
 * allocation core (flux::sched::Pool, request_from_jobspec).
 *
 * Table-driven where it fits: requests from YAML/JSON jobspecs and from
 * jobspec_from_request() (flux submit options); first-fit placement as
 * exact per-rank core/gpu ids over sequences of alloc() calls; feasible()
 * verdicts with their exact messages; free() validation.  Then down ranks,
 * hostnames and properties, a large sparse-rank pool, a randomized
 * alloc/free churn of 100k operations checked against an independent naive
 * model, and a throughput measurement that is printed, never asserted.
 */
#include <criterion/criterion.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "jobspec/jobspec.h"
#include "plugins/sched/simple/alloc.h"
#include "rv1/rv1.h"

using flux::IdSet;
using flux::Jobspec;
using flux::JobspecRequest;
using flux::Rv1;
using flux::sched::Pool;
using flux::sched::Request;

/* Criterion's string assertions keep the raw pointer past the end of the
 * full expression, so a std::string temporary must be held in a local.
 */
#define expect_str(actual, expected, ...)                                                          \
    do {                                                                                           \
        const std::string got_ = (actual);                                                         \
        const std::string want_ = (expected);                                                      \
        if (got_ != want_)                                                                         \
            cr_log_error("got '%s', want '%s'", got_.c_str(), want_.c_str());                      \
        cr_expect_str_eq(got_.c_str(), want_.c_str() __VA_OPT__(, ) __VA_ARGS__);                  \
    } while (0)

namespace {

IdSet ids(const char *s)
{
    auto set = IdSet::parse(s);
    cr_assert(set.has_value(), "bad idset '%s' in test", s);
    return *set;
}

/* An R whose R_lite is the given JSON array (and optional extra execution
 * keys, e.g. nodelist), decoded.
 */
Rv1 make_r(const std::string &r_lite, const std::string &extra = "")
{
    std::string json = R"({"version":1,"execution":{"R_lite":)" + r_lite + extra + "}}";
    auto r = Rv1::decode(json);
    cr_assert(r.has_value(), "decode(%s): %s", json.c_str(),
              r.has_value() ? "" : r.error().text.c_str());
    return *r;
}

/* nranks identical ranks "host<rank>" with ncores cores and ngpus gpus. */
Rv1 make_pool_r(uint32_t nranks, uint32_t ncores, uint32_t ngpus = 0)
{
    Rv1 r;
    for (uint32_t i = 0; i < nranks; i++) {
        r.add_rank(i, "host" + std::to_string(i), IdSet::range(0, ncores - 1),
                   ngpus ? IdSet::range(0, ngpus - 1) : IdSet());
    }
    return r;
}

/* "0:0-3 1:0-1/0": per rank, cores, then "/gpus" when there are gpus. */
std::string show(const Rv1 &r)
{
    std::string s;
    for (const auto &[rank, res] : r.by_rank()) {
        if (!s.empty())
            s += " ";
        s += std::to_string(rank) + ":" + res.cores().encode();
        if (!res.gpus().empty())
            s += "/" + res.gpus().encode();
    }
    return s;
}

const char *errname(int e)
{
    switch (e) {
        case EINVAL:
            return "EINVAL";
        case ENOSPC:
            return "ENOSPC";
        case EOVERFLOW:
            return "EOVERFLOW";
        default:
            return "E?";
    }
}

/* show() of the allocation, or the errno name of the failure. */
std::string try_alloc(Pool &pool, const Request &r)
{
    auto a = pool.alloc(r);
    if (!a)
        return errname(a.error().errnum);
    return show(*a);
}

Request req(uint64_t nslots,
            uint64_t cores = 1,
            uint64_t gpus = 0,
            uint64_t nnodes = 0,
            bool exclusive = false)
{
    Request r;
    r.nslots = nslots;
    r.cores_per_slot = cores;
    r.gpus_per_slot = gpus;
    r.nnodes = nnodes;
    r.exclusive = exclusive;
    return r;
}

void expect_request(const Request &got, const Request &want, const char *name)
{
    cr_expect_eq(got.nnodes, want.nnodes, "%s: nnodes %" PRIu64, name, got.nnodes);
    cr_expect_eq(got.nslots, want.nslots, "%s: nslots %" PRIu64, name, got.nslots);
    cr_expect_eq(got.cores_per_slot, want.cores_per_slot, "%s: cores_per_slot %" PRIu64, name,
                 got.cores_per_slot);
    cr_expect_eq(got.gpus_per_slot, want.gpus_per_slot, "%s: gpus_per_slot %" PRIu64, name,
                 got.gpus_per_slot);
    cr_expect_eq(got.exclusive, want.exclusive, "%s: exclusive", name);
    cr_expect_eq(got.duration, want.duration, "%s: duration %g", name, got.duration);
}

/* R_lite building blocks */
#define LITE_4x4 R"([{"rank":"0-3","children":{"core":"0-3"}}])"
#define LITE_2x4_G2 R"([{"rank":"0-1","children":{"core":"0-3","gpu":"0-1"}}])"
#define LITE_2x8_G1 R"([{"rank":"0-1","children":{"core":"0-7","gpu":"0"}}])"
#define LITE_2x8 R"([{"rank":"0-1","children":{"core":"0-7"}}])"
#define LITE_3x8 R"([{"rank":"0-2","children":{"core":"0-7"}}])"
#define LITE_1x8 R"([{"rank":"0","children":{"core":"0-7"}}])"

} // namespace

/* ------------------------------------------------- request_from_jobspec */

namespace {

struct jobspec_case {
    const char *name;
    const char *text;
    Request want;
};

Request shape(uint64_t nnodes,
              uint64_t nslots,
              uint64_t cores,
              uint64_t gpus,
              bool exclusive,
              double duration)
{
    Request r = req(nslots, cores, gpus, nnodes, exclusive);
    r.duration = duration;
    return r;
}

const jobspec_case jobspec_cases[] = {
    {"rfc25 example (yaml)", R"(version: 1
resources:
  - type: node
    count: 4
    with:
      - type: slot
        count: 1
        label: default
        with:
          - type: core
            count: 2
tasks:
  - command: [ "app" ]
    slot: default
    count:
      per_slot: 1
attributes:
  system:
    duration: 3600.
)",
     shape(4, 4, 2, 0, false, 3600)},
    {"slots with gpus (yaml)", R"(version: 1
resources:
  - type: slot
    count: 10
    label: default
    with:
      - type: core
        count: 2
      - type: gpu
        count: 1
tasks:
  - command: [ "myapp" ]
    slot: default
    count:
      per_slot: 1
attributes:
  system:
    duration: 60
)",
     shape(0, 10, 2, 1, false, 60)},
    {"exclusive nodes (yaml)", R"(version: 1
resources:
  - type: node
    count: 2
    exclusive: true
    with:
      - type: slot
        count: 3
        label: task
        with:
          - type: core
            count: 1
tasks:
  - command: [ "hostname" ]
    slot: task
    count:
      total: 5
attributes:
  system:
    duration: 0
)",
     shape(2, 6, 1, 0, true, 0)},
    {"single slot (json)",
     R"({"version": 1, "resources": [{"type": "slot", "count": 1, "label": "task",
        "with": [{"type": "core", "count": 1}]}],
        "tasks": [{"command": ["hostname"], "slot": "task", "count": {"per_slot": 1}}],
        "attributes": {"system": {"duration": 0}}})",
     shape(0, 1, 1, 0, false, 0)},
    {"nodes and gpus (json)",
     R"({"version": 1, "resources": [{"type": "node", "count": 4, "with": [{"type": "slot",
        "count": 4, "label": "task", "with": [{"type": "core", "count": 1},
        {"type": "gpu", "count": 1}]}]}],
        "tasks": [{"command": ["myapp"], "slot": "task", "count": {"per_slot": 1}}],
        "attributes": {"system": {"duration": 1.5}}})",
     shape(4, 16, 1, 1, false, 1.5)},
};

struct submit_case {
    const char *name;
    uint64_t ntasks, nodes, cores_per_task, gpus_per_task;
    bool exclusive;
    double duration;
    Request want;
};

const submit_case submit_cases[] = {
    {"-n4", 4, 0, 1, 0, false, 0, shape(0, 4, 1, 0, false, 0)},
    {"-n4 -c2", 4, 0, 2, 0, false, 0, shape(0, 4, 2, 0, false, 0)},
    {"-N2 -n4", 4, 2, 1, 0, false, 0, shape(2, 4, 1, 0, false, 0)},
    {"-n1 -g1", 1, 0, 1, 1, false, 0, shape(0, 1, 1, 1, false, 0)},
    {"-N2 -n2 --exclusive", 2, 2, 1, 0, true, 0, shape(2, 2, 1, 0, true, 0)},
    /* uneven: node[2] > slot[2], total 3 tasks: 4 slots are allocated */
    {"-N2 -n3", 3, 2, 1, 0, false, 0, shape(2, 4, 1, 0, false, 0)},
    {"-n8 -c4 -g2 -t 1h", 8, 0, 4, 2, false, 3600, shape(0, 8, 4, 2, false, 3600)},
};

Jobspec from_submit(const submit_case &c)
{
    JobspecRequest jr;
    jr.command = {"hostname"};
    jr.ntasks = c.ntasks;
    jr.nodes = c.nodes;
    jr.cores_per_task = c.cores_per_task;
    jr.gpus_per_task = c.gpus_per_task;
    jr.exclusive = c.exclusive;
    jr.duration = c.duration;
    auto js = flux::jobspec_from_request(jr);
    cr_assert(js.has_value(), "%s: jobspec_from_request: %s", c.name,
              js.has_value() ? "" : js.error().text.c_str());
    return std::move(*js);
}

} // namespace

Test(request, from_jobspec_text)
{
    for (const auto &c : jobspec_cases) {
        auto js = flux::jobspec_parse(c.text);
        cr_assert(js.has_value(), "%s: parse: %s", c.name,
                  js.has_value() ? "" : js.error().text.c_str());
        cr_assert(js->v1, "%s: not V1: %s", c.name, js->v1_error.c_str());
        auto r = flux::sched::request_from_jobspec(*js);
        cr_assert(r.has_value(), "%s: %s", c.name, r.has_value() ? "" : r.error().text.c_str());
        expect_request(*r, c.want, c.name);
    }
}

Test(request, from_submit_options)
{
    for (const auto &c : submit_cases) {
        Jobspec js = from_submit(c);
        auto r = flux::sched::request_from_jobspec(js);
        cr_assert(r.has_value(), "%s: %s", c.name, r.has_value() ? "" : r.error().text.c_str());
        expect_request(*r, c.want, c.name);
    }
}

Test(request, not_v1_rejected)
{
    /* valid canonical jobspec (RFC 14), but node > socket > core is not V1 */
    const char *text = R"({"version": 1, "resources": [{"type": "node", "count": 1,
        "with": [{"type": "socket", "count": 1, "with": [{"type": "slot", "count": 1,
        "label": "task", "with": [{"type": "core", "count": 1}]}]}]}],
        "tasks": [{"command": ["x"], "slot": "task", "count": {"per_slot": 1}}],
        "attributes": {"system": {"duration": 0}}})";
    auto js = flux::jobspec_parse(text);
    cr_assert(js.has_value(), "parse: %s", js.has_value() ? "" : js.error().text.c_str());
    cr_assert(!js->v1);
    cr_assert(!js->v1_error.empty());
    auto r = flux::sched::request_from_jobspec(*js);
    cr_assert(!r.has_value());
    cr_expect_eq(r.error().errnum, EINVAL);
    expect_str(r.error().text, "unsupported jobspec: " + js->v1_error);
}

Test(request, describe)
{
    expect_str(flux::sched::describe(req(1)), "1 slot of 1 core");
    expect_str(flux::sched::describe(req(4, 2, 1, 2, true)),
               "4 slots of 2 cores and 1 gpu on 2 nodes, exclusive");
}

/* Jobspec -> Request -> allocation, end to end. */
Test(request, submit_to_allocation)
{
    struct {
        const char *name;
        uint64_t ntasks, nodes, cores, gpus;
        bool exclusive;
        const char *want;
    } cases[] = {
        {"-n4", 4, 0, 1, 0, false, "0:0-3"},
        {"-n4 -c2", 4, 0, 2, 0, false, "0:0-3 1:0-3"},
        {"-N2 -n4", 4, 2, 1, 0, false, "0:0-1 1:0-1"},
        {"-n1 -g1", 1, 0, 1, 1, false, "0:0/0"},
        {"-N2 -n2 --exclusive", 2, 2, 1, 0, true, "0:0-3/0-1 1:0-3/0-1"},
        {"-n3 -c2 -g1", 3, 0, 2, 1, false, "0:0-3/0-1 1:0-1/0"},
    };
    for (const auto &c : cases) {
        submit_case sc{c.name, c.ntasks, c.nodes, c.cores, c.gpus, c.exclusive, 0, {}};
        Jobspec js = from_submit(sc);
        auto r = flux::sched::request_from_jobspec(js);
        cr_assert(r.has_value());
        Pool pool(make_r(LITE_2x4_G2));
        cr_assert(pool.feasible(*r).has_value(), "%s: not feasible", c.name);
        expect_str(try_alloc(pool, *r), c.want, "%s", c.name);
    }
}

/* ------------------------------------------------------ first-fit tables */

namespace {

struct step {
    Request r;
    const char *want; // show() of the allocation, or an errno name
    int free_step;    // >= 0: before this alloc, free the allocation of that step
};

struct placement_case {
    const char *name;
    const char *r_lite;
    std::vector<step> steps;
};

step S(Request r, const char *want, int free_step = -1)
{
    return step{r, want, free_step};
}

const std::vector<placement_case> &placement_cases()
{
    static const std::vector<placement_case> cases = {
        {"single cores fill rank 0 first",
         LITE_4x4,
         {S(req(1), "0:0"), S(req(1), "0:1"), S(req(2), "0:2-3"), S(req(1), "1:0")}},
        {"slots pack onto ranks in order", LITE_4x4, {S(req(6), "0:0-3 1:0-1")}},
        {"multi-core slots pack whole", LITE_4x4, {S(req(5, 2), "0:0-3 1:0-3 2:0-1")}},
        {"a slot never spans ranks",
         LITE_4x4,
         {S(req(3), "0:0-2"), S(req(2, 2), "1:0-3"), S(req(1), "0:3"), S(req(1, 2), "2:0-1")}},
        {"slots skip ranks without room",
         LITE_4x4,
         {S(req(1, 3), "0:0-2"), S(req(1, 3), "1:0-2"), S(req(2), "0:3 1:3"),
          S(req(3, 2), "2:0-3 3:0-1")}},
        {"lowest free cores are reused",
         LITE_4x4,
         {S(req(1), "0:0"), S(req(1), "0:1"), S(req(1), "0:2"), S(req(2), "0:1,3", 1),
          S(req(1), "1:0")}},
        {"full pool then ENOSPC then success after free",
         LITE_4x4,
         {S(req(16), "0:0-3 1:0-3 2:0-3 3:0-3"), S(req(1), "ENOSPC"), S(req(1), "0:0", 0),
          S(req(1, 2), "0:1-2"), S(req(1, 2), "1:0-1")}},
        {"node count spreads slots",
         LITE_4x4,
         {S(req(4, 1, 0, 2), "0:0-1 1:0-1"), S(req(2, 1, 0, 2), "0:2 1:2"),
          S(req(4, 1, 0, 4), "0:3 1:3 2:0 3:0")}},
        {"node count, uneven: extra slot on the first node",
         LITE_4x4,
         {S(req(3, 1, 0, 2), "0:0-1 1:0"), S(req(5, 1, 0, 3), "0:2-3 1:1-2 2:0")}},
        {"node count skips ranks lacking room",
         LITE_4x4,
         {S(req(3), "0:0-2"), S(req(4, 1, 0, 2), "1:0-1 2:0-1")}},
        {"node count, uneven: extra slot where it fits",
         LITE_4x4,
         {S(req(3), "0:0-2"), S(req(3, 1, 0, 2), "0:3 1:0-1")}},
        {"node count larger than free ranks",
         LITE_4x4,
         {S(req(4, 4, 0, 4), "0:0-3 1:0-3 2:0-3 3:0-3"), S(req(1, 1, 0, 1), "ENOSPC"),
          S(req(2, 1, 0, 2), "0:0 1:0", 0)}},
        {"exclusive takes whole nodes",
         LITE_4x4,
         {S(req(1, 1, 0, 1, true), "0:0-3"), S(req(1), "1:0"),
          S(req(2, 1, 0, 2, true), "2:0-3 3:0-3"), S(req(1, 1, 0, 1, true), "ENOSPC"),
          S(req(1, 1, 0, 1, true), "0:0-3", 0)}},
        {"exclusive skips partly used nodes",
         LITE_4x4,
         {S(req(1), "0:0"), S(req(1, 1, 0, 1, true), "1:0-3"), S(req(3, 1, 0, 1, true), "2:0-3")}},
        {"exclusive without node count packs whole nodes",
         LITE_4x4,
         {S(req(5, 1, 0, 0, true), "0:0-3 1:0-3"), S(req(1), "2:0")}},
        {"exclusive includes the gpus",
         LITE_2x4_G2,
         {S(req(1, 1, 0, 1, true), "0:0-3/0-1"), S(req(1, 1, 1), "1:0/0")}},
        {"gpus first fit",
         LITE_2x4_G2,
         {S(req(1, 1, 1), "0:0/0"), S(req(2, 1, 1), "0:1/1 1:0/0"), S(req(1, 1, 1), "1:1/1"),
          S(req(1, 1, 1), "ENOSPC"), S(req(2), "0:2-3"), S(req(1, 1, 1), "0:0/0", 0)}},
        {"gpu slots limited by gpus, not cores",
         LITE_2x4_G2,
         {S(req(3, 1, 1), "0:0-1/0-1 1:0/0"), S(req(1, 2, 1), "1:1-2/1")}},
        {"gpus with node count",
         LITE_2x4_G2,
         {S(req(2, 2, 2, 2), "0:0-1/0-1 1:0-1/0-1"), S(req(2, 1, 0, 2), "0:2 1:2"),
          S(req(1, 1, 1), "ENOSPC")}},
        {"sparse core ids and ranks",
         R"([{"rank":"0","children":{"core":"0,2,4-5"}},{"rank":"5,9","children":{"core":"10-11"}}])",
         {S(req(3), "0:0,2,4"), S(req(2), "0:5 5:10"), S(req(2, 1, 0, 1), "9:10-11"),
          S(req(1), "5:11"), S(req(1), "ENOSPC"), S(req(2, 1, 0, 1), "0:0,2", 0)}},
        {"never satisfiable is EOVERFLOW, not ENOSPC",
         LITE_4x4,
         {S(req(16), "0:0-3 1:0-3 2:0-3 3:0-3"), S(req(1, 5), "EOVERFLOW"),
          S(req(5, 1, 0, 5), "EOVERFLOW"), S(req(17), "EOVERFLOW"), S(req(1), "ENOSPC")}},
        {"malformed requests are EINVAL",
         LITE_4x4,
         {S(req(0), "EINVAL"), S(req(1, 0), "EINVAL"), S(req(2, 1, 0, 3), "EINVAL"),
          S(req(UINT64_MAX, 2), "EINVAL"), S(req(1), "0:0")}},
    };
    return cases;
}

} // namespace

Test(placement, first_fit_table)
{
    size_t nsteps = 0;
    for (const auto &c : placement_cases()) {
        Pool pool(make_r(c.r_lite));
        size_t total = pool.all().ncores();
        std::vector<Rv1> got(c.steps.size());
        for (size_t i = 0; i < c.steps.size(); i++) {
            const step &s = c.steps[i];
            if (s.free_step >= 0) {
                auto f = pool.free(got[static_cast<size_t>(s.free_step)]);
                cr_assert(f.has_value(), "%s step %zu: free: %s", c.name, i,
                          f.has_value() ? "" : f.error().text.c_str());
                got[static_cast<size_t>(s.free_step)] = Rv1();
            }
            size_t before = pool.free_cores();
            auto a = pool.alloc(s.r);
            std::string result = a ? show(*a) : errname(a.error().errnum);
            expect_str(result, s.want, "%s step %zu", c.name, i);
            if (a) {
                got[i] = *a;
                cr_expect_eq(pool.free_cores(), before - a->ncores(), "%s step %zu: free_cores",
                             c.name, i);
                /* no slot split: a rank's cores are whole slots */
                if (!s.r.exclusive) {
                    for (const auto &[rank, res] : a->by_rank()) {
                        cr_expect_eq(res.cores().count() % s.r.cores_per_slot, 0u,
                                     "%s step %zu: rank %u split", c.name, i, rank);
                    }
                }
            }
            else {
                cr_expect_eq(pool.free_cores(), before, "%s step %zu: unchanged", c.name, i);
            }
            cr_expect_eq(pool.free_cores() + pool.allocated_cores(), total, "%s step %zu", c.name,
                         i);
            nsteps++;
        }
    }
    cr_expect_geq(placement_cases().size(), 20u);
    cr_expect_geq(nsteps, 70u);
}

/* ----------------------------------------------------------- feasible() */

namespace {

struct feasible_case {
    const char *name;
    const char *r_lite;
    Request r;
    int errnum;        // 0: feasible
    const char *error; // exact text
};

const feasible_case feasible_cases[] = {
    {"fits", LITE_2x8, req(16), 0, ""},
    {"too many cores", LITE_1x8, req(64), EOVERFLOW,
     "unsatisfiable request: 64 cores requested, 8 available"},
    {"too many cores, multi-core slots", LITE_2x8, req(6, 3), EOVERFLOW,
     "unsatisfiable request: 18 cores requested, 16 available"},
    {"too many nodes", LITE_2x8, req(3, 1, 0, 3), EOVERFLOW,
     "unsatisfiable request: 3 nodes requested, 2 available"},
    {"one node too many", LITE_1x8, req(2, 1, 0, 2), EOVERFLOW,
     "unsatisfiable request: 2 nodes requested, 1 available"},
    {"slot larger than any node", LITE_2x8, req(1, 16), EOVERFLOW,
     "unsatisfiable request: a slot of 16 cores does not fit on any node (largest has 8)"},
    {"gpu slot larger than any node", LITE_2x8_G1, req(1, 1, 2), EOVERFLOW,
     "unsatisfiable request: a slot of 1 core and 2 gpus does not fit on any node (largest has "
     "1)"},
    {"cores and gpus never together",
     R"([{"rank":"0","children":{"core":"0-7"}},{"rank":"1","children":{"core":"0-1","gpu":"0"}}])",
     req(1, 4, 1), EOVERFLOW,
     "unsatisfiable request: a slot of 4 cores and 1 gpu does not fit on any node"},
    {"too many gpus", LITE_2x8_G1, req(3, 1, 1), EOVERFLOW,
     "unsatisfiable request: 3 gpus requested, 2 available"},
    {"no gpus at all", LITE_2x8, req(1, 1, 1), EOVERFLOW,
     "unsatisfiable request: 1 gpu requested, 0 available"},
    {"slots do not pack", LITE_2x8, req(3, 5), EOVERFLOW,
     "unsatisfiable request: 3 slots of 5 cores requested, at most 2 fit"},
    {"slots per node do not fit", LITE_3x8, req(6, 3, 0, 2), EOVERFLOW,
     "unsatisfiable request: 2 nodes with 3 slots of 3 cores requested, 0 available"},
    {"uneven extra slot does not fit", LITE_3x8, req(5, 3, 0, 2), EOVERFLOW,
     "unsatisfiable request: 1 node with 3 slots of 3 cores requested, 0 available"},
    {"node count fits", LITE_3x8, req(6, 2, 0, 3), 0, ""},
    {"exclusive fits", LITE_2x8, req(2, 1, 0, 2, true), 0, ""},
    {"exclusive too many nodes", LITE_2x8, req(3, 1, 0, 3, true), EOVERFLOW,
     "unsatisfiable request: 3 nodes requested, 2 available"},
    {"gpu slots fit", LITE_2x8_G1, req(2, 4, 1), 0, ""},
    {"zero slots", LITE_2x8, req(0), EINVAL, "invalid request: slot count must be >= 1"},
    {"zero cores per slot", LITE_2x8, req(1, 0), EINVAL,
     "invalid request: cores per slot must be >= 1"},
    {"fewer slots than nodes", LITE_2x8, req(1, 1, 0, 2), EINVAL,
     "invalid request: node count (2) must not exceed slot count (1)"},
    {"count overflow", LITE_2x8, req(UINT64_MAX / 2, 3), EINVAL,
     "invalid request: resource count is too large"},
    {"empty pool", "[]", req(1), EOVERFLOW, "unsatisfiable request: 1 core requested, 0 available"},
};

} // namespace

Test(feasible, messages)
{
    for (const auto &c : feasible_cases) {
        Pool pool(make_r(c.r_lite));
        auto f = pool.feasible(c.r);
        if (c.errnum == 0) {
            cr_expect(f.has_value(), "%s: %s", c.name, f.has_value() ? "" : f.error().text.c_str());
            /* a feasible request fits an empty pool */
            auto a = pool.alloc(c.r);
            cr_expect(a.has_value(), "%s: alloc: %s", c.name,
                      a.has_value() ? "" : a.error().text.c_str());
            continue;
        }
        cr_expect(!f.has_value(), "%s: should fail", c.name);
        if (f.has_value())
            continue;
        cr_expect_eq(f.error().errnum, c.errnum, "%s: errnum %d", c.name, f.error().errnum);
        expect_str(f.error().text, c.error, "%s", c.name);
        /* alloc() fails the same way, leaving the pool untouched */
        auto a = pool.alloc(c.r);
        cr_expect(!a.has_value(), "%s: alloc should fail", c.name);
        if (!a.has_value()) {
            cr_expect_eq(a.error().errnum, c.errnum, "%s: alloc errnum", c.name);
            expect_str(a.error().text, c.error, "%s: alloc", c.name);
        }
        cr_expect_eq(pool.allocated_cores(), 0u, "%s", c.name);
    }
}

Test(feasible, ignores_allocations_and_down_ranks)
{
    Pool pool(make_pool_r(2, 8));
    auto a = pool.alloc(req(16));
    cr_assert(a.has_value());
    pool.mark_down(ids("0-1"));
    cr_expect(pool.feasible(req(16)).has_value());
    cr_expect(pool.feasible(req(2, 8, 0, 2, true)).has_value());
    auto b = pool.alloc(req(1));
    cr_assert(!b.has_value());
    cr_expect_eq(b.error().errnum, ENOSPC);
    expect_str(b.error().text, "not enough free resources now for 1 slot of 1 core");
}

/* --------------------------------------------------------------- free() */

Test(free, unallocated_rejected_without_partial_effect)
{
    Pool pool(make_pool_r(2, 4, 1));
    auto a = pool.alloc(req(2, 1, 0));
    cr_assert(a.has_value());
    expect_str(show(*a), "0:0-1");
    Rv1 before = pool.allocated();

    struct {
        const char *name;
        const char *r_lite;
        const char *error;
    } cases[] = {
        {"one core too many", R"([{"rank":"0","children":{"core":"0-2"}}])",
         "free: core 2 of rank 0 is not allocated"},
        {"good rank then bad rank",
         R"([{"rank":"0","children":{"core":"0-1"}},{"rank":"1","children":{"core":"0"}}])",
         "free: core 0 of rank 1 is not allocated"},
        {"gpu not allocated", R"([{"rank":"0","children":{"core":"0","gpu":"0"}}])",
         "free: gpu 0 of rank 0 is not allocated"},
        {"unknown rank", R"([{"rank":"7","children":{"core":"0"}}])",
         "free: rank 7 is not in the pool"},
        {"unknown core id", R"([{"rank":"0","children":{"core":"0,9"}}])",
         "free: core 9 of rank 0 is not in the pool"},
        {"more cores than the rank has", R"([{"rank":"0","children":{"core":"0-99"}}])",
         "free: 100 cores of rank 0 given, the pool has 4"},
        {"other child type", R"([{"rank":"0","children":{"core":"0","memory":"0"}}])",
         "free: rank 0: memory resources are not allocated by this pool"},
    };
    for (const auto &c : cases) {
        auto f = pool.free(make_r(c.r_lite));
        cr_expect(!f.has_value(), "%s: should fail", c.name);
        if (f.has_value())
            continue;
        cr_expect_eq(f.error().errnum, EINVAL, "%s", c.name);
        expect_str(f.error().text, c.error, "%s", c.name);
        cr_expect(pool.allocated() == before, "%s: pool changed", c.name);
        cr_expect_eq(pool.free_cores(), 6u, "%s", c.name);
        cr_expect_eq(pool.allocated_cores(), 2u, "%s", c.name);
    }
    /* the real allocation frees, once */
    cr_expect(pool.free(*a).has_value());
    cr_expect_eq(pool.free_cores(), 8u);
    auto again = pool.free(*a);
    cr_assert(!again.has_value());
    expect_str(again.error().text, "free: core 0 of rank 0 is not allocated");
    cr_expect(pool.allocated().empty());
    cr_expect(pool.available() == pool.all());
}

Test(free, partial_free_of_an_allocation)
{
    Pool pool(make_pool_r(1, 8));
    auto a = pool.alloc(req(4, 2));
    cr_assert(a.has_value());
    Rv1 part;
    part.add_rank(0, "host0", ids("2-3"), IdSet());
    cr_assert(pool.free(part).has_value());
    expect_str(show(pool.allocated()), "0:0-1,4-7");
    expect_str(try_alloc(pool, req(1, 2)), "0:2-3");
    cr_expect(pool.free(Rv1()).has_value()); // empty set frees nothing
    cr_expect_eq(pool.free_cores(), 0u);
}

/* A reloaded scheduler claims the resources of jobs that hold them (RFC 27
 * hello): claimed resources are not allocated again and free normally. */
Test(claim, marks_allocated_then_frees)
{
    Pool pool(make_pool_r(2, 4, 1));
    Rv1 held = make_r(R"([{"rank":"0","children":{"core":"1-2","gpu":"0"}}])");
    cr_assert(pool.claim(held).has_value());
    cr_expect_eq(pool.free_cores(), 6u);
    cr_expect_eq(pool.free_gpus(), 1u);
    cr_expect_eq(pool.allocated_cores(), 2u);
    expect_str(show(pool.allocated()), "0:1-2/0");
    expect_str(try_alloc(pool, req(3, 1)), "0:0,3 1:0");
    /* claiming something already allocated fails and changes nothing */
    Rv1 before = pool.allocated();
    auto again = pool.claim(make_r(R"([{"rank":"1","children":{"core":"0-1"}}])"));
    cr_assert(!again.has_value());
    expect_str(again.error().text, "claim: core 0 of rank 1 is already allocated");
    auto dup = pool.claim(make_r(R"([{"rank":"0","children":{"core":"2"}}])"));
    cr_assert(!dup.has_value());
    cr_expect(pool.allocated() == before);
    auto bad = pool.claim(make_r(R"([{"rank":"5","children":{"core":"0"}}])"));
    cr_assert(!bad.has_value());
    expect_str(bad.error().text, "claim: rank 5 is not in the pool");
    cr_assert(pool.free(held).has_value());
    cr_expect_eq(pool.free_gpus(), 2u);
    expect_str(show(pool.allocated()), "0:0,3 1:0");
}

/* Claims on a down rank count as allocated but not against free cores. */
Test(claim, down_rank)
{
    Pool pool(make_pool_r(2, 4));
    pool.mark_down(ids("1"));
    cr_expect_eq(pool.free_cores(), 4u);
    cr_assert(pool.claim(make_r(R"([{"rank":"1","children":{"core":"0-1"}}])")).has_value());
    cr_expect_eq(pool.free_cores(), 4u);
    cr_expect_eq(pool.allocated_cores(), 2u);
    pool.mark_up(ids("1"));
    cr_expect_eq(pool.free_cores(), 6u);
}

/* ----------------------------------------------------------- down ranks */

Test(down, ranks_skipped)
{
    Pool pool(make_pool_r(4, 4));
    pool.mark_down(ids("0-1"));
    cr_expect_eq(pool.free_cores(), 8u);
    expect_str(pool.up().encode(), "2-3");
    expect_str(try_alloc(pool, req(1)), "2:0");
    expect_str(try_alloc(pool, req(1, 1, 0, 1, true)), "3:0-3");
    expect_str(show(pool.available()), "2:1-3");
    pool.mark_up(ids("0"));
    expect_str(try_alloc(pool, req(1)), "0:0");
    pool.set_up(ids("1,3"));
    expect_str(pool.up().encode(), "1,3");
    cr_expect_eq(pool.free_cores(), 4u); // rank 3 is fully allocated
    expect_str(try_alloc(pool, req(2)), "1:0-1");
    pool.set_up(IdSet());
    cr_expect_eq(pool.free_cores(), 0u);
    expect_str(try_alloc(pool, req(1)), "ENOSPC");
    pool.set_up(ids("0-99")); // ranks beyond the pool are ignored
    expect_str(pool.up().encode(), "0-3");
    cr_expect_eq(pool.free_cores(), 16u - 1 - 4 - 1 - 2);
}

Test(down, free_on_a_down_rank)
{
    Pool pool(make_pool_r(2, 4, 1));
    auto a = pool.alloc(req(2, 1, 1, 2));
    cr_assert(a.has_value());
    expect_str(show(*a), "0:0/0 1:0/0");
    pool.mark_down(ids("1"));
    cr_expect_eq(pool.free_cores(), 3u);
    cr_expect_eq(pool.free_gpus(), 0u);
    expect_str(show(pool.allocated()), "0:0/0 1:0/0");
    cr_assert(pool.free(*a).has_value());
    cr_expect_eq(pool.free_cores(), 4u); // rank 1's cores are free but down
    cr_expect_eq(pool.free_gpus(), 1u);
    cr_expect_eq(pool.allocated_cores(), 0u);
    expect_str(show(pool.available()), "0:0-3/0");
    pool.mark_up(ids("1"));
    cr_expect_eq(pool.free_cores(), 8u);
    cr_expect_eq(pool.free_gpus(), 2u);
    expect_str(try_alloc(pool, req(1, 1, 0, 1, true)), "0:0-3/0");
}

/* --------------------------------------------- hostnames and properties */

Test(pool, hostnames_and_properties_kept)
{
    Rv1 all = make_r(R"([{"rank":"0-3","children":{"core":"0-3"}}])",
                     R"(,"nodelist":["node[0-3]"],"properties":{"batch":"0-1","big":"1"})");
    Pool pool(all);
    auto a = pool.alloc(req(5));
    cr_assert(a.has_value());
    expect_str(show(*a), "0:0-3 1:0");
    expect_str(a->nodelist().encode(), "node[0-1]");
    expect_str(a->ranks_with_property("batch").encode(), "0-1");
    expect_str(a->ranks_with_property("big").encode(), "1");
    auto text = a->encode();
    cr_assert(text.has_value(), "encode: %s", text.has_value() ? "" : text.error().text.c_str());
    auto back = Rv1::decode(*text);
    cr_assert(back.has_value());
    cr_expect(*back == *a);
    auto b = pool.alloc(req(1, 1, 0, 1, true));
    cr_assert(b.has_value());
    expect_str(b->nodelist().encode(), "node2");
    cr_expect(b->properties().empty());
    cr_expect(pool.available().ranks_with_property("batch") == ids("1"));
    /* the union of what is allocated and what is free is everything */
    auto u = pool.allocated().union_with(pool.available());
    cr_assert(u.has_value());
    cr_expect(*u == pool.all());
    cr_assert(pool.free(*a).has_value());
    cr_assert(pool.free(*b).has_value());
    cr_expect(pool.available() == pool.all());
}

/* A constraint no node can satisfy is refused naming the term at fault. */
Test(pool, unsatisfiable_constraint_named)
{
    Rv1 all = make_r(R"([{"rank":"0-3","children":{"core":"0-3"}}])",
                     R"(,"nodelist":["node[0-3]"],"properties":{"batch":"0-1","big":"1"})");
    Pool pool(all);
    struct {
        const char *constraints;
        uint64_t nnodes;
        const char *error; /* "" feasible */
    } cases[] = {
        {R"({"properties":["batch","big"]})", 0, ""},
        {R"({"properties":["batch","gpu"]})", 0,
         "unsatisfiable request: no node satisfies the constraint 'gpu'"},
        {R"({"and":[{"ranks":["0-1"]},{"hostlist":["node[5-6]"]}]})", 0,
         "unsatisfiable request: no node satisfies the constraint 'host:node[5-6]'"},
        {R"({"and":[{"ranks":["2"]},{"properties":["big"]}]})", 0,
         "unsatisfiable request: no node satisfies the constraint '(rank:2 & big)'"},
        {R"({"not":[{"ranks":["0-3"]}]})", 0,
         "unsatisfiable request: no node satisfies the constraint '-rank:0-3'"},
        {R"({"or":[{"properties":["^batch"]},{"ranks":["0"]}]})", 0, ""},
        {R"({"properties":["^batch"]})", 3,
         "unsatisfiable request: 3 nodes requested, 2 available with the constraint "
         "'^batch'"},
    };
    for (const auto &c : cases) {
        json_error_t jerr;
        json_t *o = json_loads(c.constraints, 0, &jerr);
        cr_assert_not_null(o);
        auto k = flux::sched::Constraint::parse(o);
        json_decref(o);
        cr_assert(k.has_value(), "%s", c.constraints);
        Request r = req(c.nnodes ? c.nnodes : 1, 1, 0, c.nnodes);
        r.constraint = std::make_shared<const flux::sched::Constraint>(std::move(*k));
        auto f = pool.feasible(r);
        if (!*c.error) {
            cr_expect(f.has_value(), "%s: %s", c.constraints,
                      f.has_value() ? "" : f.error().text.c_str());
            continue;
        }
        cr_assert(!f.has_value(), "%s: expected an error", c.constraints);
        cr_expect_eq(f.error().errnum, EOVERFLOW);
        expect_str(f.error().text, c.error);
    }
}

/* Many ranks: the rank index crosses its word and summary boundaries. */
Test(pool, large_rank_index)
{
    const uint32_t n = 10000;
    Pool pool(make_pool_r(n, 1));
    auto all = pool.alloc(req(n));
    cr_assert(all.has_value());
    cr_expect_eq(all->nnodes(), n);
    expect_str(try_alloc(pool, req(1)), "ENOSPC");
    for (uint32_t rank : {9000u, 8191u, 4096u, 63u, 64u, 9999u}) {
        Rv1 one;
        one.add_rank(rank, "host" + std::to_string(rank), ids("0"), IdSet());
        cr_assert(pool.free(one).has_value());
    }
    const char *order[] = {"63:0", "64:0", "4096:0", "8191:0", "9000:0", "9999:0", "ENOSPC"};
    for (const char *want : order)
        expect_str(try_alloc(pool, req(1)), want);
    cr_expect_eq(pool.free_cores(), 0u);
    cr_expect_eq(pool.allocated_cores(), n);
}

/* ------------------------------------------------ randomized churn model */

namespace {

/* An independent, naive model of the pool: plain vectors of flags, the
 * placement rules re-stated as directly as possible.
 */
struct Model {
    struct Node {
        uint32_t rank;
        std::vector<bool> core_used, gpu_used;
        bool up = true;
    };
    std::vector<Node> nodes;

    static size_t nfree(const std::vector<bool> &v)
    {
        size_t n = 0;
        for (bool used : v)
            n += used ? 0 : 1;
        return n;
    }
    uint64_t cap(const Node &n, const Request &r) const
    {
        if (!n.up)
            return 0;
        size_t c = nfree(n.core_used), g = nfree(n.gpu_used);
        if (r.exclusive) {
            if (c != n.core_used.size() || g != n.gpu_used.size())
                return 0;
        }
        uint64_t k = c / r.cores_per_slot;
        if (r.gpus_per_slot)
            k = std::min<uint64_t>(k, g / r.gpus_per_slot);
        return k;
    }
    static void take(std::vector<bool> &v, size_t n, IdSet &out)
    {
        for (size_t i = 0; i < v.size() && n > 0; i++) {
            if (!v[i]) {
                v[i] = true;
                out.insert(static_cast<uint32_t>(i));
                n--;
            }
        }
    }
    /* "" if it does not fit, else show() of the allocation */
    std::string alloc(const Request &r, Rv1 *out)
    {
        std::vector<std::pair<size_t, uint64_t>> picks;
        if (r.nnodes == 0) {
            uint64_t left = r.nslots;
            for (size_t i = 0; i < nodes.size() && left; i++) {
                uint64_t k = std::min(cap(nodes[i], r), left);
                if (k) {
                    picks.push_back({i, k});
                    left -= k;
                }
            }
            if (left)
                return "";
        }
        else {
            uint64_t per = r.nslots / r.nnodes, extra = r.nslots % r.nnodes;
            uint64_t base = r.nnodes - extra;
            for (size_t i = 0; i < nodes.size(); i++) {
                uint64_t k = cap(nodes[i], r);
                if (extra && k >= per + 1) {
                    picks.push_back({i, per + 1});
                    extra--;
                }
                else if (base && k >= per) {
                    picks.push_back({i, per});
                    base--;
                }
            }
            if (extra || base)
                return "";
        }
        Rv1 result;
        for (auto [i, k] : picks) {
            Node &n = nodes[i];
            IdSet cores, gpus;
            take(n.core_used, r.exclusive ? n.core_used.size() : k * r.cores_per_slot, cores);
            take(n.gpu_used, r.exclusive ? n.gpu_used.size() : k * r.gpus_per_slot, gpus);
            result.add_rank(n.rank, "host" + std::to_string(n.rank), cores, gpus);
        }
        if (out)
            *out = result;
        return show(result);
    }
    void release(const Rv1 &a)
    {
        for (const auto &[rank, res] : a.by_rank()) {
            Node &n = nodes[rank];
            res.cores().for_each([&](uint32_t id) {
                cr_assert(n.core_used[id], "model: double free");
                n.core_used[id] = false;
            });
            res.gpus().for_each([&](uint32_t id) {
                cr_assert(n.gpu_used[id], "model: double free");
                n.gpu_used[id] = false;
            });
        }
    }
    size_t free_cores() const
    {
        size_t k = 0;
        for (const auto &n : nodes)
            k += n.up ? nfree(n.core_used) : 0;
        return k;
    }
    size_t allocated_cores() const
    {
        size_t k = 0;
        for (const auto &n : nodes)
            k += n.core_used.size() - nfree(n.core_used);
        return k;
    }
    /* the allocated (used == true) or free-and-up (used == false) set */
    std::string show_set(bool used) const
    {
        Rv1 r;
        for (const auto &n : nodes) {
            if (!used && !n.up)
                continue;
            IdSet c, g;
            for (size_t i = 0; i < n.core_used.size(); i++) {
                if (n.core_used[i] == used)
                    c.insert(static_cast<uint32_t>(i));
            }
            for (size_t i = 0; i < n.gpu_used.size(); i++) {
                if (n.gpu_used[i] == used)
                    g.insert(static_cast<uint32_t>(i));
            }
            if (!c.empty() || !g.empty())
                r.add_rank(n.rank, "", c, g);
        }
        return show(r);
    }
};

/* 8 ranks with 4, 6 or 8 cores; odd ranks have 2 gpus. */
void churn_pool(Rv1 &r, Model &m)
{
    for (uint32_t i = 0; i < 8; i++) {
        uint32_t ncores = 4 + (i % 3) * 2, ngpus = i % 2 ? 2 : 0;
        r.add_rank(i, "host" + std::to_string(i), IdSet::range(0, ncores - 1),
                   ngpus ? IdSet::range(0, ngpus - 1) : IdSet());
        m.nodes.push_back({i, std::vector<bool>(ncores), std::vector<bool>(ngpus), true});
    }
}

} // namespace

Test(churn, random_alloc_free_against_model)
{
    Rv1 all;
    Model model;
    churn_pool(all, model);
    Model empty = model;
    Pool pool(all);
    const size_t total_cores = all.ncores();

    std::mt19937_64 rng(20240611);
    auto uniform = [&](uint64_t lo, uint64_t hi) {
        return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
    };
    std::vector<Rv1> live;
    size_t nalloc = 0, nspace = 0, noverflow = 0, nfree = 0, nupdown = 0;
    const size_t ops = 100000;
    for (size_t op = 0; op < ops; op++) {
        uint64_t dice = uniform(0, 99);
        if (dice < 2) {
            /* a rank goes down or comes back */
            uint32_t rank = static_cast<uint32_t>(uniform(0, 7));
            bool up = uniform(0, 2) != 0;
            IdSet one = IdSet::range(rank, rank);
            if (up)
                pool.mark_up(one);
            else
                pool.mark_down(one);
            model.nodes[rank].up = up;
            nupdown++;
        }
        else if (dice < 50 && !live.empty()) {
            size_t k = static_cast<size_t>(uniform(0, live.size() - 1));
            auto f = pool.free(live[k]);
            cr_assert(f.has_value(), "op %zu: free: %s", op,
                      f.has_value() ? "" : f.error().text.c_str());
            model.release(live[k]);
            if (k != live.size() - 1)
                live[k] = std::move(live.back());
            live.pop_back();
            nfree++;
        }
        else {
            Request r;
            r.nslots = uniform(1, 6);
            r.cores_per_slot = uniform(0, 19) == 0 ? uniform(5, 10) : uniform(1, 3);
            r.gpus_per_slot = uniform(0, 4) == 0 ? uniform(1, 2) : 0;
            if (uniform(0, 3) == 0)
                r.nnodes = uniform(1, std::min<uint64_t>(r.nslots, 4));
            r.exclusive = uniform(0, 9) == 0;
            Model copy = model;
            Rv1 want_r;
            std::string want = copy.alloc(r, &want_r);
            auto a = pool.alloc(r);
            if (want.empty()) {
                const std::string got = a.has_value() ? show(*a) : "";
                cr_assert(!a.has_value(), "op %zu: %s allocated %s, model says no", op,
                          flux::sched::describe(r).c_str(), got.c_str());
                /* never satisfiable iff it does not fit an empty, all-up pool */
                Model fresh = empty;
                bool ever = !fresh.alloc(r, nullptr).empty();
                int want_errno = ever ? ENOSPC : EOVERFLOW;
                cr_assert_eq(a.error().errnum, want_errno, "op %zu: %s: %s", op,
                             flux::sched::describe(r).c_str(), a.error().text.c_str());
                cr_assert_eq(pool.feasible(r).has_value(), ever, "op %zu", op);
                if (ever)
                    nspace++;
                else
                    noverflow++;
            }
            else {
                cr_assert(a.has_value(), "op %zu: %s failed: %s, model gives %s", op,
                          flux::sched::describe(r).c_str(), a.error().text.c_str(), want.c_str());
                const std::string got = show(*a);
                cr_assert_str_eq(got.c_str(), want.c_str(), "op %zu: %s", op,
                                 flux::sched::describe(r).c_str());
                /* hostnames carried over */
                for (const auto &[rank, res] : a->by_rank()) {
                    const std::string host = "host" + std::to_string(rank);
                    cr_assert_str_eq(res.hostname.c_str(), host.c_str());
                }
                model = std::move(copy);
                live.push_back(std::move(*a));
                nalloc++;
            }
        }
        /* cheap invariants every operation */
        cr_assert_eq(pool.free_cores(), model.free_cores(), "op %zu: free_cores", op);
        cr_assert_eq(pool.allocated_cores(), model.allocated_cores(), "op %zu: allocated", op);
        /* full set invariants now and then */
        if (op % 1000 == 0 || op == ops - 1) {
            Rv1 allocated = pool.allocated(), available = pool.available();
            const std::string a_got = show(allocated), a_want = model.show_set(true);
            cr_assert_str_eq(a_got.c_str(), a_want.c_str(), "op %zu: allocated()", op);
            const std::string f_got = show(available), f_want = model.show_set(false);
            cr_assert_str_eq(f_got.c_str(), f_want.c_str(), "op %zu: available()", op);
            cr_assert(allocated.intersect(available).empty(), "op %zu: overlap", op);
            cr_assert_eq(available.ncores(), pool.free_cores());
            /* allocated + free (up or down) == all */
            Rv1 free_down = pool.all().diff(allocated).diff(available);
            auto u1 = allocated.union_with(available);
            cr_assert(u1.has_value());
            auto u2 = u1->union_with(free_down);
            cr_assert(u2.has_value());
            cr_assert(*u2 == pool.all(), "op %zu: allocated + free != all", op);
            cr_assert_eq(allocated.ncores(), pool.allocated_cores());
            /* no double allocation among live jobs */
            size_t sum = 0;
            Rv1 seen;
            for (const Rv1 &job : live) {
                cr_assert(seen.intersect(job).empty(), "op %zu: double allocation", op);
                auto s = seen.union_with(job);
                cr_assert(s.has_value());
                seen = std::move(*s);
                sum += job.ncores();
            }
            cr_assert_eq(sum, pool.allocated_cores());
            cr_assert(seen == allocated || show(seen) == show(allocated));
        }
    }
    for (const Rv1 &job : live)
        cr_assert(pool.free(job).has_value());
    pool.set_up(ids("0-7"));
    cr_expect_eq(pool.free_cores(), total_cores);
    cr_expect(pool.available() == pool.all());
    cr_expect_gt(nalloc, 10000u);
    cr_expect_gt(nfree, 10000u);
    cr_expect_gt(nspace, 100u);
    cr_expect_gt(noverflow, 100u);
    cr_expect_gt(nupdown, 100u);
    printf("churn: %zu allocs, %zu ENOSPC, %zu EOVERFLOW, %zu frees, %zu up/down\n", nalloc, nspace,
           noverflow, nfree, nupdown);
    fflush(stdout);
}

/* ----------------------------------------------------------- throughput */

/* Small requests on a 16 x 64-core pool with ~300 jobs live: free one, alloc
 * one.  The rate is printed (first and second half, to show it does not
 * degrade); only correctness is asserted.
 */
Test(throughput, alloc_free_pairs)
{
    Pool pool(make_pool_r(16, 64));
    std::mt19937_64 rng(7);
    std::vector<Rv1> live;
    auto small = [&] {
        uint64_t k = rng() % 8;
        return k < 5 ? req(1, 1 + rng() % 4) : k < 7 ? req(2 + rng() % 3) : req(2, 1, 0, 2);
    };
    while (live.size() < 300) {
        auto a = pool.alloc(small());
        cr_assert(a.has_value());
        live.push_back(std::move(*a));
    }
    const size_t pairs = 400000;
    double secs[2] = {0, 0};
    size_t busy = 0;
    for (int half = 0; half < 2; half++) {
        auto t0 = std::chrono::steady_clock::now();
        for (size_t i = 0; i < pairs / 2; i++) {
            size_t k = rng() % live.size();
            auto f = pool.free(live[k]);
            if (!f.has_value())
                cr_assert_fail("free: %s", f.error().text.c_str());
            auto a = pool.alloc(small());
            if (a.has_value()) {
                live[k] = std::move(*a);
            }
            else {
                if (a.error().errnum != ENOSPC)
                    cr_assert_fail("alloc: %s", a.error().text.c_str());
                busy++;
                if (k != live.size() - 1)
                    live[k] = std::move(live.back());
                live.pop_back();
                if (live.empty())
                    cr_assert_fail("pool emptied");
            }
        }
        secs[half] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    size_t cores = 0;
    for (const Rv1 &job : live)
        cores += job.ncores();
    cr_assert_eq(cores, pool.allocated_cores());
    cr_assert_eq(pool.free_cores() + pool.allocated_cores(), 16u * 64u);
    printf("throughput: 16x64 pool, %zu live jobs: %.0f alloc+free pairs/s (first half), "
           "%.0f pairs/s (second half), %zu ENOSPC\n",
           live.size(), (pairs / 2) / secs[0], (pairs / 2) / secs[1], busy);
    fflush(stdout);
}
