/* imp.cpp - job-exec's use of the setuid launcher flux-imp ([exec] imp).
 *
 * A job whose userid is not the broker's starts through the IMP when one
 * is configured (attribute conf.exec.imp): `IMP exec SHELL JOBID` with the
 * signed jobspec J (KVS job.<id>.J, written by job-ingest) as the first
 * line of its stdin, the shell's own input after it.  The IMP verifies J
 * and becomes the job's user before exec'ing the shell.  Signals to such a
 * shell's process group go through `IMP kill SIG -PGID`, run as root by
 * the IMP after it checks the group is one of this broker's job shells.
 * Without an IMP, or for the broker's own jobs, nothing changes.
 * See doc/design/imp.md and flux-imp(8).
 */
#include <cerrno>
#include <csignal>
#include <cstring>
#include <spawn.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "exec.h"
#include "fluid/fluid.h"
#include "fluxd/kvs/kvs.h"
#include "fluxd/service.h"

extern char **environ;

namespace fluxd {

flux::Result<std::string> JobExec::imp_J(uint64_t id, uint32_t userid)
{
    if (imp_path_.empty() || userid == (uint32_t)getuid())
        return std::string();
    std::string key = "job." + flux::fluid_encode(id, flux::FluidFormat::dothex) + ".J";
    auto text = broker_.kvs() ? broker_.kvs()->lookup("primary", key)
                              : flux::Result<std::string>(flux::make_error(ENOSYS, "no KVS"));
    if (!text)
        return flux::make_error(EPERM, "cannot run a job of uid " + std::to_string(userid)
                                           + " through the IMP: no signed jobspec (" + key
                                           + "): " + text.error().text);
    /* The KVS holds JSON: J is a JSON string. */
    json_error_t jerr;
    json_t *o = json_loads(text->c_str(), JSON_DECODE_ANY, &jerr);
    std::string J = json_is_string(o) ? json_string_value(o) : "";
    json_decref(o);
    if (J.empty() || J.find('\n') != std::string::npos)
        return flux::make_error(EPROTO, key + ": not a signed jobspec string");
    return J;
}

void JobExec::imp_kill(pid_t pgid, int sig, bool wait)
{
    std::string s = std::to_string(sig), p = std::to_string((long)pgid), cmd = "kill";
    char *argv[] = {imp_path_.data(), cmd.data(), s.data(), p.data(), nullptr};
    pid_t pid;
    int rc = posix_spawn(&pid, imp_path_.c_str(), nullptr, nullptr, argv, environ);
    if (rc != 0) {
        broker_.log(LOG_ERR, "job-exec: cannot start %s kill: %s", imp_path_.c_str(),
                    strerror(rc));
        return;
    }
    if (wait) { /* the broker is going away: no loop will reap it */
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        return;
    }
    std::string what = imp_path_ + " kill " + s + " " + p;
    broker_.watch_child(pid, [this, what](int status) {
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            broker_.log(LOG_ERR, "job-exec: %s failed (status %d)", what.c_str(), status);
    });
}

} // namespace fluxd
