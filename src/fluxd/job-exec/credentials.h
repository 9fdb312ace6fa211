/* credentials.h - who a job's shell runs as.
 *
 * A job runs as its submitter.  When that is the broker's own user (every
 * single-user instance, and the owner's jobs) the shell is simply spawned.
 * Otherwise a broker running as root forks, and the child takes the
 * submitter's identity (supplementary groups, gid, uid) before exec; an
 * unprivileged broker needs a setuid helper (the IMP, [exec] imp), which
 * is the other branch of this decision (doc/design/multi-user-access.md).
 */
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "result/result.h"

namespace fluxd {

/* The identity a child process takes before it execs the job shell. */
struct JobCredentials {
    uid_t uid = 0;
    gid_t gid = 0;
    std::string user;          /* the login name, for messages */
    std::vector<gid_t> groups; /* supplementary groups, as initgroups(3) would set them */
};

/* How to start the shell of a job submitted by USERID from a broker
 * running as BROKER_UID: nullopt to run it as the broker itself (USERID
 * is the broker's uid); the credentials the child must switch to (the
 * broker is root); or an error naming the user when neither is possible
 * (EPERM "no IMP configured to run jobs as user X", ENOENT for a uid
 * without a passwd entry). */
flux::Result<std::optional<JobCredentials>> job_credentials(uint32_t userid, uid_t broker_uid);

/* In a forked child before exec: setgroups, setgid, setuid to C, and check
 * that root cannot be regained.  Only system calls (async-signal-safe).
 * Returns 0, or the errno of the step that failed. */
int apply_credentials(const JobCredentials &c);

} // namespace fluxd
