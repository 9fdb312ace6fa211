/* task_cpus.h - which CPUs the affinity plugin binds each task of this
 * node to, for the plugins that must agree with it (affinity, PMIx).
 *
 * Shell option cpu-affinity (-o cpu-affinity=MODE):
 *   on (default)  every task gets all the allocation's CPUs here
 *   per-task      the CPUs are split into ntasks contiguous, even blocks
 *                 and task i gets block i (with fewer CPUs than tasks,
 *                 task i gets CPU i mod ncpus)
 *   off           no binding
 * Header-only: the PMIx plugin is a separate module.
 */
#ifndef FLUX_SHELL_TASK_CPUS_H
#define FLUX_SHELL_TASK_CPUS_H

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <jansson.h>

namespace flux::shell {

enum class CpuAffinity { on, per_task, off };

/* The mode the option OPT (NULL: not given) asks for; false with *ERROR
 * set if it is not one. */
inline bool cpu_affinity_parse(json_t *opt, CpuAffinity *mode, std::string *error)
{
    const char *s = json_string_value(opt);
    if (!opt || (s && !strcmp(s, "on")))
        *mode = CpuAffinity::on;
    else if (s && !strcmp(s, "per-task"))
        *mode = CpuAffinity::per_task;
    else if (s && !strcmp(s, "off"))
        *mode = CpuAffinity::off;
    else {
        *error = s ? "cpu-affinity: unknown value '" + std::string(s)
                         + "' (expected on, off or per-task)"
                   : "cpu-affinity: expected on, off or per-task";
        return false;
    }
    return true;
}

/* The CPUs (of CPUS, the allocation's here) that local task LOCALID of
 * NTASKS is bound to; empty: not bound (off, or no CPUs known). */
inline std::vector<int> task_cpus(const std::vector<int> &cpus, CpuAffinity mode, int ntasks,
                                  int localid)
{
    std::vector<int> out;
    if (mode == CpuAffinity::off || cpus.empty())
        return out;
    size_t n = cpus.size(), k = (size_t)std::max(1, ntasks), i = (size_t)localid;
    if (mode == CpuAffinity::on)
        out = cpus;
    else if (n >= k)
        out.assign(cpus.begin() + (long)(i * n / k), cpus.begin() + (long)((i + 1) * n / k));
    else
        out.push_back(cpus[i % n]);
    return out;
}

} // namespace flux::shell

#endif // FLUX_SHELL_TASK_CPUS_H
