/* credentials.cpp - the identity a job's shell takes (credentials.h). */
#include "credentials.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fluxd {

flux::Result<std::optional<JobCredentials>> job_credentials(uint32_t userid, uid_t broker_uid)
{
    if (userid == (uint32_t)broker_uid)
        return std::optional<JobCredentials>();
    std::vector<char> buf(16384);
    struct passwd pw, *res = nullptr;
    int rc = getpwuid_r((uid_t)userid, &pw, buf.data(), buf.size(), &res);
    std::string who = res ? std::string(res->pw_name) : "uid " + std::to_string(userid);
    if (broker_uid != 0)
        return flux::make_error(EPERM, "no IMP configured to run jobs as user " + who);
    if (!res)
        return flux::make_error(rc ? rc : ENOENT,
                                "cannot run the job as uid " + std::to_string(userid)
                                    + ": no such user on this node");
    JobCredentials c;
    c.uid = pw.pw_uid;
    c.gid = pw.pw_gid;
    c.user = pw.pw_name;
    int n = 64;
    for (int tries = 0; tries < 8; tries++) {
        c.groups.resize((size_t)n);
        int want = n;
        if (getgrouplist(pw.pw_name, pw.pw_gid, c.groups.data(), &want) >= 0) {
            c.groups.resize((size_t)want);
            return std::optional<JobCredentials>(std::move(c));
        }
        n = want > n ? want : n * 2;
    }
    return flux::make_error(E2BIG, "cannot list the groups of user " + c.user);
}

int apply_credentials(const JobCredentials &c)
{
    if (setgroups(c.groups.size(), c.groups.data()) < 0)
        return errno;
    if (setgid(c.gid) < 0)
        return errno;
    if (setuid(c.uid) < 0)
        return errno;
    if (c.uid != 0 && (setuid(0) == 0 || geteuid() == 0))
        return EPERM;
    return 0;
}

} // namespace fluxd
