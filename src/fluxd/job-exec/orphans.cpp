/* orphans.cpp - job-exec at broker start: before this node's resources are
 * offered, kill the shells (and their tasks) that an earlier broker on the
 * same statedir started and never saw exit, e.g. because it was killed
 * with SIGKILL.  The job manager raises dead-instance on those jobs when
 * it replays their eventlogs (see ../job-manager/README.md).
 *
 * File: STATEDIR/rank-R.shells (shell_records.h).  The statedir lock
 * (../statedir_lock.h) guarantees no live broker is still using it.
 */
#include <syslog.h>

#include "exec.h"
#include "fluid/fluid.h"
#include "fluxd/service.h"

namespace fluxd {

void JobExec::reap_orphans()
{
    std::string statedir = broker_.attr("statedir").value_or("");
    if (statedir.empty())
        return;
    std::string path = statedir + "/rank-" + std::to_string(broker_.rank()) + ".shells";
    std::vector<ShellRecords::Orphan> killed;
    std::string err;
    if (!records_.open(path, killed, err))
        broker_.log(LOG_ERR, "job-exec: cannot record the shells it starts: %s", err.c_str());
    for (const auto &o : killed)
        broker_.log(LOG_WARNING,
                    "job-exec: killed job %s (process group %ld), left running by a previous "
                    "broker on this statedir",
                    flux::fluid_encode(o.jobid, flux::FluidFormat::f58).c_str(), (long)o.pgid);
}

} // namespace fluxd
