/* taskmap/test/taskmap.cpp - Criterion tests for the task layout.
 *
 * A table of (R, jobspec request) -> per-node task counts and RFC 34 text,
 * covering slots from cores, slots per node, per_slot and total counts,
 * uneven R; then the error on every failure path.
 */
#include <criterion/criterion.h>

#include <string>
#include <vector>

#include "taskmap/taskmap.h"

using flux::IdSet;
using flux::Rv1;

namespace {

/* R with the given core counts on ranks 0..n-1 (cores 0..k-1). */
Rv1 make_R(const std::vector<uint32_t> &cores_per_rank, uint32_t first_rank = 0)
{
    Rv1 R;
    for (size_t i = 0; i < cores_per_rank.size(); i++) {
        IdSet cores;
        for (uint32_t c = 0; c < cores_per_rank[i]; c++)
            cores.insert(c);
        R.add_rank(first_rank + (uint32_t)i, "", cores, IdSet());
    }
    return R;
}

flux::Jobspec make_js(uint64_t ntasks, uint64_t nodes, uint64_t cores_per_task)
{
    flux::JobspecRequest req;
    req.command = {"true"};
    req.ntasks = ntasks;
    req.nodes = nodes;
    req.cores_per_task = cores_per_task;
    auto js = flux::jobspec_from_request(req);
    cr_assert(js.has_value());
    return std::move(*js);
}

} // namespace

Test(taskmap, layouts)
{
    struct {
        std::vector<uint32_t> cores;
        uint64_t n, N, c;
        std::vector<uint32_t> want;
        const char *map;
    } table[] = {
        /* -n4: slot[4]>core[1] over 2 ranks of 2 cores */
        {{2, 2}, 4, 0, 1, {2, 2}, "{\"version\":1,\"map\":[[0,2,2,1]]}"},
        /* -n3 -c2 on uneven R: 4 cores (2 slots) + 2 cores (1 slot) */
        {{4, 2}, 3, 0, 2, {2, 1}, "{\"version\":1,\"map\":[[0,1,2,1],[1,1,1,1]]}"},
        /* -N4 -n4: node[4]>slot[1], one per node whatever the cores */
        {{8, 8, 8, 8}, 4, 4, 1, {1, 1, 1, 1}, "{\"version\":1,\"map\":[[0,4,1,1]]}"},
        /* -N2 -n3: node[2]>slot[2], total 3: block fill 2 + 1 */
        {{4, 4}, 3, 2, 1, {2, 1}, "{\"version\":1,\"map\":[[0,1,2,1],[1,1,1,1]]}"},
        /* -N4 -n5: slot[2] per node, total 5: 2,2,1,0 */
        {{2, 2, 2, 2}, 5, 4, 1, {2, 2, 1, 0}, "{\"version\":1,\"map\":[[0,2,2,1],[2,1,1,1]]}"},
        /* -n1 on one rank */
        {{1}, 1, 0, 1, {1}, "{\"version\":1,\"map\":[[0,1,1,1]]}"},
    };
    for (auto &row : table) {
        size_t r = (size_t)(&row - table);
        auto m = flux::Taskmap::create(make_R(row.cores, 3), make_js(row.n, row.N, row.c));
        cr_assert(m.has_value(), "row %zu: %s", r, m.has_value() ? "" : m.error().text.c_str());
        cr_expect_eq(m->nnodes(), row.cores.size(), "row %zu", r);
        uint32_t size = 0;
        for (size_t i = 0; i < row.want.size(); i++) {
            const auto &node = m->nodes()[i];
            cr_expect_eq(node.rank, 3 + i, "row %zu node %zu", r, i);
            cr_expect_eq(node.ntasks, row.want[i], "row %zu node %zu: %u tasks", r, i,
                         node.ntasks);
            cr_expect_eq(node.first_task, size, "row %zu node %zu", r, i);
            cr_expect_eq(m->find(3 + (uint32_t)i), &node);
            size += row.want[i];
        }
        cr_expect_eq(m->size(), size, "row %zu", r);
        const std::string map = m->encode();
        cr_expect_str_eq(map.c_str(), row.map, "row %zu", r);
        cr_expect_null(m->find(0));
    }
}

Test(taskmap, per_slot_from_text)
{
    /* slot[2]>core[2] with 3 tasks per slot, R: 4 + 8 cores -> 2 and 4 slots */
    auto js = flux::jobspec_parse(
        "{\"version\":1,\"resources\":[{\"type\":\"slot\",\"count\":2,\"label\":\"task\","
        "\"with\":[{\"type\":\"core\",\"count\":2}]}],\"tasks\":[{\"command\":[\"true\"],"
        "\"slot\":\"task\",\"count\":{\"per_slot\":3}}],\"attributes\":{}}");
    cr_assert(js.has_value(), "%s", js.has_value() ? "" : js.error().text.c_str());
    auto m = flux::Taskmap::create(make_R({4, 8}), *js);
    cr_assert(m.has_value());
    cr_expect_eq(m->nodes()[0].ntasks, 6);
    cr_expect_eq(m->nodes()[1].ntasks, 12);
    cr_expect_eq(m->nodes()[1].first_task, 6);
    cr_expect_eq(m->size(), 18);
}

/* One task per node of R (flux batch/alloc -n N): slots of the jobspec may
 * land unevenly, each node gets one broker. */
Test(taskmap, per_resource_node)
{
    auto js = flux::jobspec_parse(
        "{\"version\":1,\"resources\":[{\"type\":\"slot\",\"count\":3,\"label\":\"task\","
        "\"with\":[{\"type\":\"core\",\"count\":1}]}],\"tasks\":[{\"command\":[\"true\"],"
        "\"slot\":\"task\",\"count\":{\"per_resource\":{\"type\":\"node\",\"count\":1}}}],"
        "\"attributes\":{\"system\":{\"duration\":0}}}");
    cr_assert(js.has_value(), "%s", js.has_value() ? "" : js.error().text.c_str());
    cr_expect(js->v1, "%s", js->v1_error.c_str());
    auto m = flux::Taskmap::create(make_R({2, 1}), *js);
    cr_assert(m.has_value(), "%s", m.has_value() ? "" : m.error().text.c_str());
    cr_expect_eq(m->nodes()[0].ntasks, 1);
    cr_expect_eq(m->nodes()[1].ntasks, 1);
    cr_expect_eq(m->nodes()[1].first_task, 1);
    cr_expect_eq(m->size(), 2);
}

/* RFC 25: a total may exceed the slots; it spreads over all of them, the
 * first slots taking one more. */
Test(taskmap, total_beyond_slots)
{
    auto js = flux::jobspec_parse(
        "{\"version\":1,\"resources\":[{\"type\":\"slot\",\"count\":1,\"label\":\"task\","
        "\"with\":[{\"type\":\"core\",\"count\":1}]}],\"tasks\":[{\"command\":[\"true\"],"
        "\"slot\":\"task\",\"count\":{\"total\":7}}],\"attributes\":{}}");
    cr_assert(js.has_value(), "%s", js.has_value() ? "" : js.error().text.c_str());
    auto m = flux::Taskmap::create(make_R({2, 1}), *js);
    cr_assert(m.has_value(), "%s", m.has_value() ? "" : m.error().text.c_str());
    cr_expect_eq(m->nodes()[0].ntasks, 5); /* 2 slots: 2 + 2, plus 1 of the remainder */
    cr_expect_eq(m->nodes()[1].ntasks, 2);
    cr_expect_eq(m->nodes()[1].first_task, 5);
    cr_expect_eq(m->size(), 7);
}

Test(taskmap, errors)
{
    struct {
        const char *jobspec;
        std::vector<uint32_t> cores;
        const char *error;
    } table[] = {
        {"{\"version\":1,\"resources\":[{\"type\":\"slot\",\"count\":1,\"label\":\"task\","
         "\"with\":[{\"type\":\"gpu\",\"count\":1}]}],\"tasks\":[{\"command\":[\"true\"],"
         "\"slot\":\"task\",\"count\":{\"per_slot\":1}}],\"attributes\":{}}",
         {1},
         "taskmap: slot 'task' holds no cores and has no node above it"},
        {"{\"version\":1,\"resources\":[{\"type\":\"slot\",\"count\":1,\"label\":\"task\","
         "\"with\":[{\"type\":\"core\",\"count\":1}]}],\"tasks\":[{\"command\":[\"true\"],"
         "\"slot\":\"task\",\"count\":{\"per_slot\":1}}],\"attributes\":{}}",
         {},
         "taskmap: R holds no ranks"},
    };
    for (auto &row : table) {
        auto js = flux::jobspec_parse(row.jobspec);
        cr_assert(js.has_value(), "%s", js.has_value() ? "" : js.error().text.c_str());
        auto m = flux::Taskmap::create(make_R(row.cores), *js);
        cr_assert(!m.has_value(), "%s should fail", row.error);
        cr_expect_eq(m.error().errnum, EINVAL);
        cr_expect_str_eq(m.error().text.c_str(), row.error);
    }
    /* Two task entries. */
    auto js = make_js(1, 0, 1);
    flux::Task second;
    second.command = {"true"};
    second.slot = js.tasks[0].slot;
    js.tasks.push_back(std::move(second));
    auto m = flux::Taskmap::create(make_R({1}), js);
    cr_assert(!m.has_value());
    cr_expect_str_eq(m.error().text.c_str(), "taskmap: jobspec has 2 task entries, expected 1");
    /* per_resource of another type than node */
    js.tasks.pop_back();
    js.tasks[0].count.kind = flux::TaskCount::per_resource;
    js.tasks[0].count.resource_type = "core";
    m = flux::Taskmap::create(make_R({1}), js);
    cr_assert(!m.has_value());
    cr_expect_str_eq(m.error().text.c_str(),
                     "taskmap: per_resource task counts of type 'core' are not supported");
}
