/* fluxd/test/topology.cpp - Criterion tests for the k-ary TBON arithmetic in topology.h, checked
 * against a brute-force reference. */
#include <criterion/criterion.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "topology.h"

using namespace fluxd;

namespace {

const uint32_t fanouts[] = {1, 2, 3, 8};
constexpr uint32_t max_size = 40;

/* Reference model: nothing but "the parent of r > 0 is (r - 1) / k". */
uint32_t ref_parent(uint32_t r, uint32_t k)
{
    return r == 0 ? 0 : (r - 1) / k;
}

uint32_t ref_depth(uint32_t r, uint32_t k)
{
    uint32_t d = 0;
    for (; r != 0; r = ref_parent(r, k))
        d++;
    return d;
}

/* Ancestors of t, t itself first, up to and including 0. */
std::vector<uint32_t> ref_path(uint32_t t, uint32_t k)
{
    std::vector<uint32_t> v{t};
    while (t != 0) {
        t = ref_parent(t, k);
        v.push_back(t);
    }
    return v;
}

bool ref_contains(uint32_t r, uint32_t t, uint32_t k)
{
    for (uint32_t a : ref_path(t, k)) {
        if (a == r)
            return true;
    }
    return false;
}

std::optional<uint32_t> ref_next_hop(uint32_t r, uint32_t t, uint32_t k)
{
    auto path = ref_path(t, k);
    for (size_t i = 1; i < path.size(); i++) {
        if (path[i] == r)
            return path[i - 1];
    }
    return std::nullopt;
}

std::vector<uint32_t> ref_children(uint32_t r, uint32_t k, uint32_t size)
{
    std::vector<uint32_t> v;
    for (uint32_t c = 1; c < size; c++) {
        if (ref_parent(c, k) == r)
            v.push_back(c);
    }
    return v;
}

uint32_t ref_subtree_size(uint32_t r, uint32_t k, uint32_t size)
{
    uint32_t n = 0;
    for (uint32_t t = 0; t < size; t++) {
        if (ref_contains(r, t, k))
            n++;
    }
    return n;
}

} // namespace

Test(topology, parent)
{
    for (uint32_t k : fanouts) {
        cr_expect_eq(tree_parent(0, k), 0u, "root is its own parent (k=%u)", k);
        for (uint32_t r = 1; r < 4 * max_size; r++)
            cr_expect_eq(tree_parent(r, k), (r - 1) / k, "parent(%u, k=%u)", r, k);
    }
    /* spot values */
    cr_expect_eq(tree_parent(1, 2), 0u);
    cr_expect_eq(tree_parent(2, 2), 0u);
    cr_expect_eq(tree_parent(3, 2), 1u);
    cr_expect_eq(tree_parent(6, 2), 2u);
    cr_expect_eq(tree_parent(8, 8), 0u);
    cr_expect_eq(tree_parent(9, 8), 1u);
    cr_expect_eq(tree_parent(5, 1), 4u);
}

Test(topology, children)
{
    for (uint32_t k : fanouts) {
        for (uint32_t size = 1; size <= max_size; size++) {
            for (uint32_t r = 0; r < size + 2; r++) {
                auto got = tree_children(r, k, size);
                auto want = ref_children(r, k, size);
                cr_expect(got == want, "children(%u, k=%u, size=%u): got %zu, want %zu", r, k, size,
                          got.size(), want.size());
                cr_expect_leq(got.size(), (size_t)k);
                for (uint32_t c : got)
                    cr_expect_eq(tree_parent(c, k), r, "child %u of %u (k=%u)", c, r, k);
            }
        }
    }
}

Test(topology, children_partition_ranks)
{
    /* every rank but 0 is the child of exactly one rank */
    for (uint32_t k : fanouts) {
        for (uint32_t size = 1; size <= max_size; size++) {
            std::vector<int> seen(size, 0);
            for (uint32_t r = 0; r < size; r++) {
                for (uint32_t c : tree_children(r, k, size)) {
                    cr_assert_lt(c, size);
                    seen[c]++;
                }
            }
            cr_expect_eq(seen[0], 0, "rank 0 is nobody's child (k=%u size=%u)", k, size);
            for (uint32_t c = 1; c < size; c++)
                cr_expect_eq(seen[c], 1, "rank %u seen %d times (k=%u size=%u)", c, seen[c], k,
                             size);
        }
    }
}

Test(topology, contains)
{
    for (uint32_t k : fanouts) {
        for (uint32_t r = 0; r < max_size; r++) {
            cr_expect(tree_contains(r, r, k), "rank contains itself (%u, k=%u)", r, k);
            cr_expect(tree_contains(0, r, k), "root contains %u (k=%u)", r, k);
            for (uint32_t t = 0; t < 2 * max_size; t++)
                cr_expect_eq(tree_contains(r, t, k), ref_contains(r, t, k),
                             "contains(%u, %u, k=%u)", r, t, k);
        }
    }
}

Test(topology, next_hop)
{
    for (uint32_t k : fanouts) {
        for (uint32_t r = 0; r < max_size; r++) {
            cr_expect(!tree_next_hop(r, r, k).has_value(), "no hop to self (%u, k=%u)", r, k);
            for (uint32_t t = 0; t < 2 * max_size; t++) {
                auto got = tree_next_hop(r, t, k);
                auto want = ref_next_hop(r, t, k);
                cr_expect_eq(got.has_value(), want.has_value(), "next_hop(%u, %u, k=%u) presence",
                             r, t, k);
                if (got && want) {
                    cr_expect_eq(*got, *want, "next_hop(%u, %u, k=%u) = %u, want %u", r, t, k, *got,
                                 *want);
                    cr_expect_eq(tree_parent(*got, k), r, "hop is a child of %u", r);
                    cr_expect(tree_contains(*got, t, k), "hop %u leads to %u", *got, t);
                }
                /* a strict descendant always has a hop, anything else never */
                cr_expect_eq(got.has_value(), t != r && tree_contains(r, t, k),
                             "next_hop(%u, %u, k=%u) vs contains", r, t, k);
            }
        }
    }
}

Test(topology, next_hop_is_direct_child)
{
    for (uint32_t k : fanouts) {
        for (uint32_t size = 1; size <= max_size; size++) {
            for (uint32_t r = 0; r < size; r++) {
                for (uint32_t c : tree_children(r, k, size)) {
                    auto hop = tree_next_hop(r, c, k);
                    cr_expect(hop.has_value() && *hop == c, "hop(%u -> child %u, k=%u)", r, c, k);
                }
            }
        }
    }
}

Test(topology, subtree_size)
{
    for (uint32_t k : fanouts) {
        for (uint32_t size = 1; size <= max_size; size++) {
            cr_expect_eq(tree_subtree_size(0, k, size), size, "root subtree (k=%u size=%u)", k,
                         size);
            for (uint32_t r = 0; r < size + 3; r++) {
                uint32_t got = tree_subtree_size(r, k, size);
                uint32_t want = r < size ? ref_subtree_size(r, k, size) : 0;
                cr_expect_eq(got, want, "subtree_size(%u, k=%u, size=%u) = %u, want %u", r, k, size,
                             got, want);
            }
        }
    }
}

Test(topology, subtree_sizes_sum)
{
    for (uint32_t k : fanouts) {
        for (uint32_t size = 1; size <= max_size; size++) {
            uint64_t leaves = 0, depth_sum = 0, subtree_sum = 0;
            for (uint32_t r = 0; r < size; r++) {
                /* 1 + the children's subtrees */
                uint32_t sum = 1;
                for (uint32_t c : tree_children(r, k, size))
                    sum += tree_subtree_size(c, k, size);
                cr_expect_eq(tree_subtree_size(r, k, size), sum,
                             "subtree(%u) != 1 + sum(children) (k=%u size=%u)", r, k, size);
                if (tree_children(r, k, size).empty()) {
                    leaves++;
                    cr_expect_eq(tree_subtree_size(r, k, size), 1u, "leaf %u", r);
                }
                depth_sum += tree_depth(r, k);
                subtree_sum += tree_subtree_size(r, k, size);
            }
            /* each rank is counted once in its own subtree and once per ancestor */
            cr_expect_eq(subtree_sum, depth_sum + size, "k=%u size=%u", k, size);
            cr_expect_geq(leaves, 1u);
        }
    }
}

Test(topology, depth)
{
    for (uint32_t k : fanouts) {
        cr_expect_eq(tree_depth(0, k), 0u);
        for (uint32_t r = 1; r < 4 * max_size; r++) {
            cr_expect_eq(tree_depth(r, k), ref_depth(r, k), "depth(%u, k=%u)", r, k);
            cr_expect_eq(tree_depth(r, k), tree_depth(tree_parent(r, k), k) + 1);
        }
    }
    /* fanout 1 is a chain; fanout 2 levels start at 2^d - 1 */
    cr_expect_eq(tree_depth(39, 1), 39u);
    for (uint32_t d = 0; d < 31; d++) {
        uint32_t first = (1u << d) - 1;
        cr_expect_eq(tree_depth(first, 2), d, "first rank of level %u", d);
        if (d > 0)
            cr_expect_eq(tree_depth(first - 1, 2), d - 1, "last rank of level %u", d - 1);
    }
}

Test(topology, large_ranks)
{
    /* no 32-bit overflow near the top of the rank space */
    const uint32_t big = UINT32_MAX - 1;
    cr_expect(tree_children(big, 2, UINT32_MAX).empty());
    cr_expect(tree_children(UINT32_MAX / 2, 2, UINT32_MAX).empty(), "first child is 2^32-1");
    const std::vector<uint32_t> want{UINT32_MAX - 2, UINT32_MAX - 1};
    cr_expect(tree_children(UINT32_MAX / 2 - 1, 2, UINT32_MAX) == want);
    cr_expect_eq(tree_parent(UINT32_MAX, 2), (UINT32_MAX - 1) / 2);
    cr_expect_eq(tree_subtree_size(0, 2, UINT32_MAX), UINT32_MAX);
    cr_expect_eq(tree_subtree_size(0, 1024, UINT32_MAX), UINT32_MAX);
    cr_expect_eq(tree_subtree_size(big, 2, UINT32_MAX), 1u);
    cr_expect_eq(tree_depth(UINT32_MAX, 2), 32u);
    auto hop = tree_next_hop(0, UINT32_MAX - 1, 2);
    cr_assert(hop.has_value());
    cr_expect_eq(*hop, 2u, "2^32-2 lies under rank 2 in a binary tree");
    cr_expect(tree_contains(1, UINT32_MAX - 1, 2) == false);
}
