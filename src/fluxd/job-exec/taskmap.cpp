/* taskmap.cpp - tasks per rank from R and the jobspec (see taskmap.h). */
#include <algorithm>

#include "jobspec/jobspec.h"
#include "taskmap.h"

namespace fluxd {

flux::Result<TaskShape> task_shape(json_t *jobspec)
{
    auto js = flux::jobspec_parse_json(jobspec);
    if (!js)
        return flux::make_error(EINVAL, "invalid jobspec: " + js.error().text);
    if (!js->v1)
        return flux::make_error(EINVAL, "unsupported jobspec: " + js->v1_error);
    TaskShape s;
    s.nnodes = js->nnodes;
    s.nslots = js->nslots;
    s.cores_per_slot = std::max<uint64_t>(1, js->cores_per_slot);
    json_t *count = json_object_get(json_array_get(json_object_get(jobspec, "tasks"), 0), "count");
    s.per_slot = json_integer_value(json_object_get(count, "per_slot"));
    s.total = json_integer_value(json_object_get(count, "total"));
    if (s.per_slot <= 0 && s.total <= 0)
        return flux::make_error(EINVAL, "the jobspec has no task count (per_slot or total)");
    return s;
}

flux::Result<std::vector<std::pair<uint32_t, int64_t>>> task_layout(const TaskShape &s,
                                                                    const flux::Rv1 &R)
{
    if (R.empty())
        return flux::make_error(EINVAL, "R holds no rank");
    std::vector<std::pair<uint32_t, int64_t>> plan;
    plan.reserve(R.nnodes());
    uint64_t nranks = R.nnodes(), i = 0;
    int64_t remaining = s.total, size = 0;
    for (const auto &[rank, res] : R.by_rank()) {
        int64_t slots;
        if (s.nnodes > 0)
            slots = (int64_t)(s.nslots / nranks + (i < s.nslots % nranks ? 1 : 0));
        else
            slots = (int64_t)(res.cores().count() / std::max<uint64_t>(1, s.cores_per_slot));
        int64_t n = s.per_slot > 0 ? slots * s.per_slot : std::min(remaining, slots);
        remaining -= n;
        size += n;
        plan.emplace_back(rank, n);
        i++;
    }
    if (size <= 0)
        return flux::make_error(EINVAL, "no task fits the allocation");
    return plan;
}

} // namespace fluxd
