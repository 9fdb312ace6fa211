/* shell_records.h - what job-exec started on this node, kept across a
 * crash of its broker, so that the next broker on the same statedir can
 * kill what the last one left running before it offers the node's cores.
 *
 * The file STATEDIR/rank-R.shells starts with the kernel's boot id, then
 * has one line per shell started ("+ PID STARTTIME JOBID") and one per
 * shell reaped ("- PID").  A shell leads its own process group, which its
 * tasks share.  STARTTIME is field 22 of /proc/PID/stat (clock ticks since
 * boot), so a pid the kernel has since given to another process is told
 * apart and left alone.  Writes are one append each, not synced: a broker
 * killed with SIGKILL loses nothing (the page cache keeps it), and after a
 * crash of the node itself there is nothing left to kill.
 *
 * Not covered: a task that leaves the shell's process group (setsid) is
 * not found.
 */
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace fluxd {

class ShellRecords {
  public:
    /* A process group left by an earlier broker and killed at open(). */
    struct Orphan {
        pid_t pgid;
        uint64_t jobid;
    };

    ShellRecords() = default;
    ShellRecords(const ShellRecords &) = delete;
    ShellRecords &operator=(const ShellRecords &) = delete;
    ~ShellRecords();

    /* Read PATH if it exists, SIGKILL every recorded process group that is
     * still alive (same boot, same start time), wait (at most
     * `wait_seconds`) until none of their processes runs, then start the
     * file afresh.  Returns false with ERR set when PATH cannot be written
     * (the broker runs on, without records).  KILLED lists what was
     * killed. */
    bool open(const std::string &path, std::vector<Orphan> &killed, std::string &err,
              double wait_seconds = 5.0);

    /* Record a shell started as the leader of process group PID, and its
     * exit.  One write(2) each; errors are ignored (best effort). */
    void started(pid_t pid, uint64_t jobid);
    void exited(pid_t pid);

  private:
    void write_line(const char *buf, size_t len);
    void compact();

    std::string path_;
    std::string boot_id_;
    int fd_ = -1;
    size_t live_ = 0;  /* started, not yet exited */
    size_t lines_ = 0; /* event lines in the file */
};

/* Field 22 of /proc/PID/stat (start time, clock ticks since boot), or 0. */
uint64_t proc_starttime(pid_t pid);

} // namespace fluxd
