/* launcher.h - job-exec's side of `flux-shell --launcher`.
 *
 * One long-lived flux-shell per broker, started with its symbols bound,
 * that forks a job's shell on request (src/shell/launcher.cpp): no exec,
 * no dynamic loading per job.  Used for the jobs the broker's own user
 * runs with the built-in shell; the IMP, a credentials switch or a
 * configured conf.shell_path keep the exec path.
 * doc/design/shell-launcher.md.
 *
 *   auto l = ShellLauncher::start(host, path, env);   // once
 *   auto pid = l->spawn(jobid, stdin_read_end);        // per shell
 *   l->watch(*pid, [](int status) {...});              // its exit
 *
 * The launcher is the shells' parent: their exits come back on its socket
 * (callbacks run from the broker's loop, never inside spawn()).  If the
 * launcher dies, each shell it started is killed (its process group,
 * SIGKILL) and reported as killed by SIGKILL; later spawns fail and the
 * caller falls back to exec. */
#pragma once

#include <sys/types.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "libflux/ptr.h"
#include "result/result.h"

namespace fluxd {

class ServiceHost;

class ShellLauncher {
  public:
    /* Start PATH --launcher 3 with environment ENV (plus LD_BIND_NOW=1). */
    static flux::Result<std::unique_ptr<ShellLauncher>> start(ServiceHost &host,
                                                              const std::string &path,
                                                              const std::vector<std::string> &env);
    ~ShellLauncher();
    /* Fork a shell for job ID whose stdin is IN_FD (kept by the caller). */
    flux::Result<pid_t> spawn(uint64_t id, int in_fd);
    void watch(pid_t pid, std::function<void(int status)> cb);
    bool alive() const { return fd_ >= 0; }
    pid_t pid() const { return pid_; }

  private:
    explicit ShellLauncher(ServiceHost &h) : host_(h) {}
    /* One message, or false at the end of the socket. */
    bool receive(bool wait, std::string &msg);
    void on_readable();
    void handle(const std::string &msg);
    void lost();
    void dispatch_exits();

    ServiceHost &host_;
    int fd_ = -1;
    pid_t pid_ = -1;
    flux::EventPtr ev_;
    flux::EventPtr flush_ev_; /* runs dispatch_exits() from the loop */
    std::map<pid_t, std::function<void(int)>> watchers_;
    std::deque<std::pair<pid_t, int>> exits_; /* heard during spawn(), not yet dispatched */
};

} // namespace fluxd
