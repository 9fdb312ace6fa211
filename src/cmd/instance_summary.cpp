/* instance_summary.cpp - what flux jobs shows of a child instance
 * ({instance.*} fields, flux-jobs(1)): its job counts and its cores and
 * GPUs by state, asked over the instance's own URI. */
#include "instance_summary.h"

#include <cstring>

#include "flux/job.h"
#include "idset/idset.h"
#include "libflux/ptr.h"
#include "rv1/rv1.h"

namespace fluxcmd {

namespace {

/* Cores and GPUs held by the instance's running jobs (the union of their
 * R, as flux resource list counts them). */
flux::Rv1 allocated_in(flux_t *h, json_t *jobs)
{
    std::vector<flux::FuturePtr> lookups;
    size_t k;
    json_t *job;
    json_array_foreach(jobs, k, job)
    {
        json_int_t id = 0;
        const char *state = "";
        if (json_unpack(job, "{s:I s:s}", "id", &id, "state", &state) < 0
            || (strcmp(state, "RUN") != 0 && strcmp(state, "CLEANUP") != 0))
            continue;
        if (flux_future_t *f = flux_job_lookup(h, (flux_jobid_t)id, "R"))
            lookups.emplace_back(f);
    }
    flux::Rv1 all;
    for (auto &f : lookups) {
        json_t *o = nullptr;
        if (flux_job_lookup_get_unpack(f.get(), "o", &o) < 0)
            continue;
        auto R = json_is_string(o) ? flux::Rv1::decode(std::string_view(json_string_value(o)))
                                   : flux::Rv1::decode(o);
        if (R) {
            if (auto u = all.union_with(*R))
                all = std::move(*u);
        }
    }
    return all;
}

json_t *counts(const flux::Rv1 &R)
{
    return json_pack("{s:I s:I}", "ncores", (json_int_t)R.ncores(), "ngpus",
                     (json_int_t)R.ngpus());
}

} // namespace

json_t *instance_summary(flux_t *h)
{
    flux::FuturePtr lf(flux_job_list(h, 0, nullptr, FLUX_USERID_UNKNOWN, 127));
    json_t *jobs = nullptr;
    if (!lf || flux_job_list_get(lf.get(), &jobs) < 0)
        return nullptr;
    int pending = 0, running = 0, successful = 0, failed = 0;
    size_t k;
    json_t *job;
    json_array_foreach(jobs, k, job)
    {
        const char *state = "";
        int success = 0;
        json_unpack(job, "{s?s s?b}", "state", &state, "success", &success);
        if (!strcmp(state, "RUN") || !strcmp(state, "CLEANUP"))
            running++;
        else if (!strcmp(state, "INACTIVE"))
            (success ? successful : failed)++;
        else
            pending++;
    }
    flux::FuturePtr rf(flux_rpc(h, "resource.list", nullptr, FLUX_NODEID_ANY, 0));
    json_t *Rj = nullptr;
    const char *up = "";
    if (!rf || flux_rpc_get_unpack(rf.get(), "{s:o s:s}", "R", &Rj, "up", &up) < 0)
        return nullptr;
    auto R = flux::Rv1::decode(Rj);
    auto upset = flux::IdSet::parse(up);
    if (!R || !upset)
        return nullptr;
    flux::Rv1 up_R = R->copy_ranks(*upset);
    flux::Rv1 down_R = R->copy_ranks(R->ranks().difference(*upset));
    flux::Rv1 alloc = allocated_in(h, jobs).intersect(up_R);
    return json_pack("{s:{s:i s:i s:i s:i s:i} s:{s:o s:o s:o s:o s:o}}", "stats", "pending",
                     pending, "running", running, "successful", successful, "failed", failed,
                     "total", pending + running + successful + failed, "resources", "all",
                     counts(*R), "up", counts(up_R), "down", counts(down_R), "allocated",
                     counts(alloc), "free", counts(up_R.diff(alloc)));
}

} // namespace fluxcmd
