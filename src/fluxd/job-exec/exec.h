/* exec.h - job-exec (every rank): starts a job's flux-shell on this node
 * and reports when it exits; delivers signals to the job. */
#pragma once

#include <map>
#include <memory>
#include <string>

#include "libflux/ptr.h"
#include "shell_records.h"

namespace fluxd {

class Broker;

class JobExec {
  public:
    static std::unique_ptr<JobExec> create(Broker &broker);
    ~JobExec();

  private:
    explicit JobExec(Broker &b) : broker_(b) {}
    void start(const flux_msg_t *msg);
    void kill(const flux_msg_t *msg);
    std::string shell_path() const;
    void reap_orphans(); /* orphans.cpp */

    struct Shell {
        pid_t pid = -1;
        flux::ConstMsgPtr req; /* answered with the shell's exit */
        flux::EventPtr kill_timer;
    };
    Broker &broker_;
    std::map<uint64_t, Shell> shells_;
    ShellRecords records_; /* for the next broker, should this one crash */
};

} // namespace fluxd
