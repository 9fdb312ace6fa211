/* proc_tree.cpp - walk /proc parent links up from a pid to a job shell. */
#include "proc_tree.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

namespace imp {

namespace {

struct ProcInfo {
    pid_t ppid = 0;
    uid_t ruid = 0;
};

bool read_small(const std::string &path, std::string &out)
{
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[4096];
    out.clear();
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0 && out.size() < 65536)
        out.append(buf, (size_t)n);
    close(fd);
    return !out.empty();
}

bool proc_info(pid_t pid, ProcInfo &pi)
{
    std::string stat, status;
    std::string base = "/proc/" + std::to_string(pid);
    if (!read_small(base + "/stat", stat) || !read_small(base + "/status", status))
        return false;
    /* The command name may hold ')' or spaces: fields start after the last ')'. */
    size_t rp = stat.rfind(')');
    if (rp == std::string::npos)
        return false;
    char state;
    int ppid;
    if (sscanf(stat.c_str() + rp + 1, " %c %d", &state, &ppid) != 2)
        return false;
    size_t u = status.find("\nUid:");
    unsigned ruid;
    if (u == std::string::npos || sscanf(status.c_str() + u + 5, "%u", &ruid) != 1)
        return false;
    pi.ppid = ppid;
    pi.ruid = ruid;
    return true;
}

std::string proc_exe(pid_t pid)
{
    char buf[PATH_MAX];
    std::string link = "/proc/" + std::to_string(pid) + "/exe";
    ssize_t n = readlink(link.c_str(), buf, sizeof(buf) - 1);
    if (n <= 0)
        return "";
    buf[n] = '\0';
    return buf;
}

} // namespace

bool proc_in_job(pid_t pid, uid_t caller, const std::vector<std::string> &shells,
                 std::string &why)
{
    if (pid <= 1) {
        why = "pid " + std::to_string(pid) + " is not a job's process";
        return false;
    }
    pid_t p = pid;
    for (int depth = 0; depth < 4096 && p > 1; depth++) {
        ProcInfo pi;
        if (!proc_info(p, pi)) {
            why = "pid " + std::to_string(pid) + ": no such process";
            return false;
        }
        ProcInfo parent;
        if (pi.ppid > 1 && proc_info(pi.ppid, parent) && parent.ruid == caller) {
            std::string exe = proc_exe(p);
            if (!exe.empty() && std::find(shells.begin(), shells.end(), exe) != shells.end())
                return true;
        }
        p = pi.ppid;
    }
    why = "pid " + std::to_string(pid) + " is not a process of a job started by uid "
          + std::to_string(caller) + " (no allowed shell started by it among its ancestors)";
    return false;
}

} // namespace imp
