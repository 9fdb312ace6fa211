/* launcher.h - what started this process, from its environment. */
#pragma once

#include <cstdlib>
#include <cstring>

extern char **environ;

namespace flux {

/* A PMIx server is there for this process: its launcher (mpirun/prterun,
 * srun --mpi=pmix, a job shell offering pmix) set PMIX_NAMESPACE,
 * PMIX_RANK and a PMIX_SERVER_URI* variable. */
inline bool pmix_server_in_env()
{
    if (!getenv("PMIX_NAMESPACE") || !getenv("PMIX_RANK"))
        return false;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "PMIX_SERVER_URI", 15) == 0)
            return true;
    return false;
}

} // namespace flux
