/* taskmap.h - how many tasks of a job go on each rank of its allocation,
 * worked out from R and the jobspec alone (no scheduler request shape).
 *
 * The rule (RFC 25 V1 jobspecs; the shell will compute the same from R):
 *   - with a node level (node[N] > slot[S] > core[c]), every allocated rank
 *     holds nslots / nranks slots, the first nslots % nranks ranks one more;
 *   - without one (slot[S] > core[c]), a rank holds as many slots as its
 *     allocated cores make (cores / c), as the scheduler packed them;
 *   - tasks: count.per_slot × the rank's slots, or a count.total spread over
 *     the slots in rank order (one task per slot until none are left).
 * Global task ids follow rank order. */
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <jansson.h>

#include "result/result.h"
#include "rv1/rv1.h"

namespace fluxd {

/* What the layout depends on in a jobspec. */
struct TaskShape {
    uint64_t nnodes = 0;         /* 0: no node level */
    uint64_t nslots = 0;         /* all slots of the job */
    uint64_t cores_per_slot = 1;
    int64_t per_slot = 0;        /* tasks[0].count.per_slot, 0 if absent */
    int64_t total = 0;           /* tasks[0].count.total, 0 if absent */
};

/* The shape of a V1 jobspec (object).  EINVAL with the reason if it is not
 * a V1 jobspec or has no task count. */
flux::Result<TaskShape> task_shape(json_t *jobspec);

/* One entry per rank of R, ascending: {rank, ntasks}; ntasks may be 0 (a
 * rank that got no task).  EINVAL if R is empty or no task fits. */
flux::Result<std::vector<std::pair<uint32_t, int64_t>>> task_layout(const TaskShape &shape,
                                                                    const flux::Rv1 &R);

} // namespace fluxd
