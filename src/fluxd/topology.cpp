/* topology.cpp - k-ary TBON arithmetic. */
#include "topology.h"

namespace fluxd {

uint32_t tree_parent(uint32_t rank, uint32_t fanout)
{
    return rank == 0 ? 0 : (rank - 1) / fanout;
}

std::vector<uint32_t> tree_children(uint32_t rank, uint32_t fanout, uint32_t size)
{
    std::vector<uint32_t> v;
    uint64_t first = (uint64_t)rank * fanout + 1;
    for (uint64_t c = first; c < first + fanout && c < size; c++)
        v.push_back((uint32_t)c);
    return v;
}

std::optional<uint32_t> tree_next_hop(uint32_t rank, uint32_t target, uint32_t fanout)
{
    while (target > rank) {
        uint32_t up = (target - 1) / fanout;
        if (up == rank)
            return target;
        target = up;
    }
    return std::nullopt;
}

bool tree_contains(uint32_t rank, uint32_t target, uint32_t fanout)
{
    return target == rank || tree_next_hop(rank, target, fanout).has_value();
}

uint32_t tree_subtree_size(uint32_t rank, uint32_t fanout, uint32_t size)
{
    if (rank >= size)
        return 0;
    /* Walk level by level: descendants at each depth form one contiguous range. */
    uint64_t lo = rank, hi = rank, count = 0;
    while (lo < size) {
        count += (hi < size ? hi : size - 1) - lo + 1;
        lo = lo * fanout + 1;
        hi = hi * fanout + fanout;
    }
    return (uint32_t)count;
}

uint32_t tree_depth(uint32_t rank, uint32_t fanout)
{
    uint32_t d = 0;
    while (rank > 0) {
        rank = (rank - 1) / fanout;
        d++;
    }
    return d;
}

} // namespace fluxd
