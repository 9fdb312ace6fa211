/* taskmap.cpp - task layout from R + jobspec, RFC 34 encoding (taskmap.h). */
#include "taskmap/taskmap.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace flux {

namespace {

/* The shape below the task's slot: slots per node when a node vertex is
 * above it (0 when none), and cores per slot. */
struct SlotShape {
    bool found = false;
    uint64_t slots_per_node = 0;
    uint64_t cores_per_slot = 0;
};

uint64_t count_cores(const Resource &r)
{
    uint64_t n = r.type == "core" ? r.count.min : 0;
    if (r.type != "core") {
        for (const auto &c : r.with)
            n += count_cores(c);
        n *= r.count.min;
    }
    return n;
}

/* Walk down to the slot named label; mult is the product of counts
 * between the node vertex (exclusive) and here. */
void find_slot(const std::vector<Resource> &rs, const std::string &label, bool under_node,
               uint64_t mult, SlotShape &shape)
{
    for (const auto &r : rs) {
        if (shape.found)
            return;
        if (r.type == "slot" && r.label == label) {
            shape.found = true;
            shape.slots_per_node = under_node ? mult * r.count.min : 0;
            shape.cores_per_slot = 0;
            for (const auto &c : r.with)
                shape.cores_per_slot += count_cores(c);
            return;
        }
        if (r.type == "node")
            find_slot(r.with, label, true, 1, shape);
        else
            find_slot(r.with, label, under_node, mult * r.count.min, shape);
    }
}

} // namespace

Result<Taskmap> Taskmap::create(const Rv1 &R, const Jobspec &js)
{
    if (js.tasks.size() != 1)
        return make_error(EINVAL, "taskmap: jobspec has " + std::to_string(js.tasks.size())
                                      + " task entries, expected 1");
    const Task &task = js.tasks[0];
    if (task.count.kind == TaskCount::per_resource && task.count.resource_type != "node")
        return make_error(EINVAL, "taskmap: per_resource task counts of type '"
                                      + task.count.resource_type + "' are not supported");
    if (task.count.count == 0)
        return make_error(EINVAL, "taskmap: task count must be >= 1");
    SlotShape shape;
    find_slot(js.resources, task.slot, false, 1, shape);
    if (!shape.found)
        return make_error(EINVAL, "taskmap: no slot labeled '" + task.slot + "'");
    if (shape.slots_per_node == 0 && shape.cores_per_slot == 0)
        return make_error(EINVAL, "taskmap: slot '" + task.slot
                                      + "' holds no cores and has no node above it");
    if (R.empty())
        return make_error(EINVAL, "taskmap: R holds no ranks");
    std::vector<std::pair<uint32_t, uint64_t>> slots; /* rank, slots */
    uint64_t all_slots = 0;
    for (const auto &[rank, res] : R.by_rank()) {
        uint64_t n = shape.slots_per_node ? shape.slots_per_node
                                          : res.cores().count() / shape.cores_per_slot;
        slots.emplace_back(rank, n);
        all_slots += n;
    }
    /* A total fills the slots in rank order; one larger than the slots
     * (RFC 25 allows it) spreads evenly over all of them, the first
     * slots taking one more when it does not divide. */
    uint64_t total = task.count.count;
    bool spread = task.count.kind == TaskCount::total && total > all_slots && all_slots > 0;
    uint64_t base = spread ? total / all_slots : 0, extra = spread ? total % all_slots : 0;
    Taskmap m;
    uint64_t remaining = total, next = 0;
    for (const auto &[rank, nslots] : slots) {
        uint64_t n;
        if (task.count.kind == TaskCount::per_resource) /* per node of R */
            n = task.count.count;
        else if (task.count.kind == TaskCount::per_slot)
            n = nslots * task.count.count;
        else if (spread) {
            uint64_t more = std::min(extra, nslots);
            n = nslots * base + more;
            extra -= more;
            remaining -= n;
        }
        else {
            n = std::min(remaining, nslots);
            remaining -= n;
        }
        if (next + n > UINT32_MAX)
            return make_error(EINVAL, "taskmap: too many tasks");
        m.nodes_.push_back(Node{rank, (uint32_t)next, (uint32_t)n});
        next += n;
    }
    if (task.count.kind == TaskCount::total && remaining > 0)
        return make_error(EINVAL, "taskmap: R holds no slots for "
                                      + std::to_string(task.count.count) + " tasks");
    m.size_ = (uint32_t)next;
    return m;
}

const Taskmap::Node *Taskmap::find(uint32_t rank) const
{
    for (const auto &n : nodes_)
        if (n.rank == rank)
            return &n;
    return nullptr;
}

std::string Taskmap::encode() const
{
    /* Runs of nodes with the same task count become one block; nodes
     * without tasks have no entry. */
    std::string out = "{\"version\":1,\"map\":[";
    bool first = true;
    for (size_t i = 0; i < nodes_.size();) {
        size_t j = i;
        while (j < nodes_.size() && nodes_[j].ntasks == nodes_[i].ntasks)
            j++;
        if (nodes_[i].ntasks > 0) {
            out += (first ? "[" : ",[") + std::to_string(i) + "," + std::to_string(j - i) + ","
                   + std::to_string(nodes_[i].ntasks) + ",1]";
            first = false;
        }
        i = j;
    }
    return out + "]}";
}

} // namespace flux
