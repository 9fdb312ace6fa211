/* job-exec/test/taskmap.cpp - Criterion tests for the per-rank task layout
 * job-exec computes from R and the jobspec (job-exec/taskmap.h).
 *
 * One table: a jobspec (as flux submit/run build it, or by hand for the
 * count.total and node shapes) and an R (ranks with core ids), and the
 * exact tasks per rank expected; then the error paths with their texts.
 */
#include <criterion/criterion.h>

#include <string>
#include <utility>
#include <vector>

#include "fluxd/job-exec/taskmap.h"
#include "jobspec/jobspec.h"

using fluxd::task_layout;
using fluxd::task_shape;
using Plan = std::vector<std::pair<uint32_t, int64_t>>;

namespace {

flux::JsonPtr jobspec_of(uint64_t ntasks, uint64_t nodes, uint64_t cores_per_task)
{
    flux::JobspecRequest req;
    req.command = {"true"};
    req.ntasks = ntasks;
    req.nodes = nodes;
    req.cores_per_task = cores_per_task;
    auto js = flux::jobspec_from_request(req);
    cr_assert(js, "jobspec_from_request");
    auto o = flux::jobspec_to_json(*js);
    cr_assert(o, "jobspec_to_json");
    return std::move(*o);
}

/* R with the given core counts on ranks 0, 1, ... (cores 0..n-1). */
flux::Rv1 R_of(std::vector<uint32_t> cores_per_rank, uint32_t first_rank = 0)
{
    flux::Rv1 R;
    uint32_t rank = first_rank;
    for (uint32_t n : cores_per_rank) {
        R.add_rank(rank, "node" + std::to_string(rank), flux::IdSet::range(0, n - 1),
                   flux::IdSet());
        rank++;
    }
    return R;
}

Plan layout(json_t *js, const flux::Rv1 &R)
{
    auto shape = task_shape(js);
    cr_assert(shape, "task_shape: %s", shape ? "" : shape.error().text.c_str());
    auto plan = task_layout(*shape, R);
    cr_assert(plan, "task_layout: %s", plan ? "" : plan.error().text.c_str());
    return *plan;
}

void expect_plan(const Plan &got, const Plan &want, const char *what)
{
    cr_assert_eq(got.size(), want.size(), "%s: %zu ranks, expected %zu", what, got.size(),
                 want.size());
    for (size_t i = 0; i < want.size(); i++) {
        cr_expect_eq(got[i].first, want[i].first, "%s: entry %zu rank %u, expected %u", what, i,
                     got[i].first, want[i].first);
        cr_expect_eq(got[i].second, want[i].second, "%s: rank %u has %lld tasks, expected %lld",
                     what, got[i].first, (long long)got[i].second, (long long)want[i].second);
    }
}

struct Row {
    const char *what;
    uint64_t ntasks, nodes, cores_per_task;
    std::vector<uint32_t> cores_per_rank;
    Plan want;
};

} // namespace

Test(taskmap, table)
{
    const std::vector<Row> rows = {
        {"-n1 on one core", 1, 0, 1, {1}, {{0, 1}}},
        {"-n4 packed on one rank", 4, 0, 1, {4}, {{0, 4}}},
        {"-n4 packed over two ranks (3+1 cores)", 4, 0, 1, {3, 1}, {{0, 3}, {1, 1}}},
        {"-n4 -c2 over 8 cores of one rank", 4, 0, 2, {8}, {{0, 4}}},
        {"-n3 -c2: 4 cores and 2 cores", 3, 0, 2, {4, 2}, {{0, 2}, {1, 1}}},
        {"-N2 -n4: two per node", 4, 2, 1, {2, 2}, {{0, 2}, {1, 2}}},
        {"-N2 -n2: one per node", 2, 2, 1, {1, 1}, {{0, 1}, {1, 1}}},
        /* node[2] > slot[2], count.total 3: slots in rank order */
        {"-N2 -n3: total spread over slots", 3, 2, 1, {2, 2}, {{0, 2}, {1, 1}}},
        {"-N3 -n3 over ranks 0,1,2", 3, 3, 1, {4, 4, 4}, {{0, 1}, {1, 1}, {2, 1}}},
    };
    for (const auto &r : rows) {
        auto js = jobspec_of(r.ntasks, r.nodes, r.cores_per_task);
        expect_plan(layout(js.get(), R_of(r.cores_per_rank)), r.want, r.what);
    }
}

/* Ranks need not start at 0 or be adjacent; the plan follows R's order. */
Test(taskmap, sparse_ranks)
{
    auto js = jobspec_of(4, 2, 1);
    flux::Rv1 R;
    R.add_rank(3, "a", flux::IdSet::range(0, 1), flux::IdSet());
    R.add_rank(7, "b", flux::IdSet::range(4, 5), flux::IdSet());
    expect_plan(layout(js.get(), R), {{3, 2}, {7, 2}}, "ranks 3 and 7");
}

/* A rank without enough cores for a slot gets no task (nnodes == 0). */
Test(taskmap, rank_without_a_slot)
{
    auto js = jobspec_of(2, 0, 2);
    expect_plan(layout(js.get(), R_of({4, 1})), {{0, 2}, {1, 0}}, "a 1-core rank with -c2");
}

Test(taskmap, errors)
{
    auto js = jobspec_of(2, 0, 1);
    auto shape = task_shape(js.get());
    cr_assert(shape);
    auto empty = task_layout(*shape, flux::Rv1());
    cr_assert(!empty);
    cr_expect_str_eq(empty.error().text.c_str(), "R holds no rank");

    auto none = task_layout(*shape, R_of({1}, 0));
    cr_assert(none); /* one slot fits: 1 task */

    auto js2 = jobspec_of(1, 0, 4);
    auto shape2 = task_shape(js2.get());
    cr_assert(shape2);
    auto nofit = task_layout(*shape2, R_of({2}));
    cr_assert(!nofit);
    cr_expect_str_eq(nofit.error().text.c_str(), "no task fits the allocation");

    flux::JsonPtr bad(json_pack("{s:i}", "version", 1));
    auto b = task_shape(bad.get());
    cr_assert(!b);
    cr_expect_eq(b.error().errnum, EINVAL);
    cr_expect(b.error().text.starts_with("invalid jobspec: "), "got: %s", b.error().text.c_str());
}
