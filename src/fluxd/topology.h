/* topology.h - arithmetic of the k-ary TBON: rank 0 is the root and the
 * parent of rank r > 0 is (r - 1) / k.  Pure functions, unit tested. */
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace fluxd {

uint32_t tree_parent(uint32_t rank, uint32_t fanout);
std::vector<uint32_t> tree_children(uint32_t rank, uint32_t fanout, uint32_t size);
/* True if target is rank itself or one of its descendants. */
bool tree_contains(uint32_t rank, uint32_t target, uint32_t fanout);
/* The child of rank whose subtree holds target (target must be a strict
 * descendant), or nullopt. */
std::optional<uint32_t> tree_next_hop(uint32_t rank, uint32_t target, uint32_t fanout);
/* Number of ranks in the subtree rooted at rank (itself included). */
uint32_t tree_subtree_size(uint32_t rank, uint32_t fanout, uint32_t size);
/* Depth of rank (root is 0). */
uint32_t tree_depth(uint32_t rank, uint32_t fanout);

} // namespace fluxd
