/* peer.h - who may call a shell's own services.
 *
 * A leader shell serves the other shells of its job (exit reports, the
 * exec eventlog's "started", PMI exchanges, PMIx requests).  A request
 * counts only when it comes from this shell's user (every shell of the
 * job runs as the job's user) or from the instance owner; any other is
 * answered EPERM "only the job's own shells may WHAT".
 */
#ifndef FLUX_SHELL_PEER_H
#define FLUX_SHELL_PEER_H

#include <cerrno>
#include <string>
#include <unistd.h>

#include <flux/core.h>

namespace flux::shell {

inline bool from_job_shell(flux_t *h, const flux_msg_t *msg, const char *what)
{
    uint32_t userid = 0, rolemask = 0;
    flux_msg_get_userid(msg, &userid);
    flux_msg_get_rolemask(msg, &rolemask);
    if ((rolemask & FLUX_ROLE_OWNER) || userid == (uint32_t)getuid())
        return true;
    flux_respond_error(h, msg, EPERM, (std::string("only the job's own shells may ") + what).c_str());
    return false;
}

} // namespace flux::shell

#endif // FLUX_SHELL_PEER_H
