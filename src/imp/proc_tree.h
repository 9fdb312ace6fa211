/* proc_tree.h - is a process part of a job the caller launched? (imp kill)
 *
 * A job's shell is a process whose executable is an allowed shell and
 * whose parent runs as the caller (the broker that started flux-imp exec,
 * which became that shell).  A process belongs to a job when it is such a
 * shell or one of its descendants (parent chain read from /proc).  Tasks
 * that escaped the chain (reparented to init) are not found: the job's
 * cgroup is how those are reached.
 */
#ifndef FLUX_IMP_PROC_TREE_H
#define FLUX_IMP_PROC_TREE_H

#include <string>
#include <sys/types.h>
#include <vector>

namespace imp {

/* True when PID is a job shell started for CALLER or a descendant of one.
 * SHELLS holds the allowed shells' resolved paths.  False with WHY. */
[[nodiscard]] bool proc_in_job(pid_t pid, uid_t caller, const std::vector<std::string> &shells,
                               std::string &why);

} // namespace imp

#endif
