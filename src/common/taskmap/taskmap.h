/* taskmap/taskmap.h - where a job's tasks run, computed from R and jobspec.
 *
 * The exec side (the job shell, as in Flux) lays tasks out from the job's
 * R (RFC 20) and its jobspec (RFC 14), not from the scheduler's request:
 *
 *   slots on a node:  with a "node" vertex above the slot, the slot count
 *                     per node from the jobspec; otherwise the node's cores
 *                     in R divided by the cores one slot holds.
 *   tasks on a node:  per_slot N: slots * N.
 *                     total N: the slots filled in rank order (block).
 *
 * Nodes are R's ranks in ascending order; the job's node ids are their
 * indexes (0..nnodes-1) and task ids are handed out in node order, so
 * each node holds a contiguous block of task ids.  encode() writes the
 * RFC 34 taskmap ({"version":1,"map":[[nodeid,nnodes,ppn,repeat],...]}),
 * for FLUX_TASK_MAP and PMI process mappings.
 */
#ifndef FLUX_COMMON_TASKMAP_TASKMAP_H
#define FLUX_COMMON_TASKMAP_TASKMAP_H

#include <cstdint>
#include <string>
#include <vector>

#include "jobspec/jobspec.h"
#include "result/result.h"
#include "rv1/rv1.h"

namespace flux {

class Taskmap {
  public:
    struct Node {
        uint32_t rank;       // broker rank
        uint32_t first_task; // global id of its first task
        uint32_t ntasks;     // may be 0
    };

    /* Lay out the job's tasks.  EINVAL naming the problem when the
     * jobspec has no single task entry with a per_slot or total count,
     * a slot holds no cores (without a node level), or R holds fewer
     * slots than a total count asks for.
     */
    static Result<Taskmap> create(const Rv1 &R, const Jobspec &jobspec);

    uint32_t size() const { return size_; }                // tasks in the job
    uint32_t nnodes() const { return (uint32_t)nodes_.size(); }
    const std::vector<Node> &nodes() const { return nodes_; }
    /* The node entry of a broker rank; nullptr if R does not hold it. */
    const Node *find(uint32_t rank) const;
    /* RFC 34 text, compact, e.g. {"version":1,"map":[[0,2,4,1]]}. */
    std::string encode() const;

  private:
    std::vector<Node> nodes_;
    uint32_t size_ = 0;
};

} // namespace flux

#endif // FLUX_COMMON_TASKMAP_TASKMAP_H
