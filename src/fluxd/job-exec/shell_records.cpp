/* shell_records.cpp - kill what a crashed broker left running (see
 * shell_records.h).  Reads /proc: Linux only, as is the rest of job-exec.
 */
#include "shell_records.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <unistd.h>

namespace fluxd {

namespace {

/* Past this many lines with shells still running, rewrite the file with
 * only those (when none runs it is simply truncated). */
constexpr size_t compact_lines = 65536;
/* With none running, truncate once this many lines have piled up. */
constexpr size_t truncate_lines = 1024;

std::string read_small_file(const char *path)
{
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return "";
    char buf[1024];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    return n > 0 ? std::string(buf, (size_t)n) : "";
}

std::string boot_id()
{
    std::string id = read_small_file("/proc/sys/kernel/random/boot_id");
    while (!id.empty() && (id.back() == '\n' || id.back() == ' '))
        id.pop_back();
    return id.empty() ? "unknown" : id;
}

struct ProcStat {
    char state = '?';
    long pgrp = 0;
    uint64_t starttime = 0;
};

/* Read /proc/PID/stat into a stack buffer (no allocation: job-exec calls
 * this for every shell it starts).  The command (field 2) may hold spaces
 * and parentheses: it ends at the last ')'.  False if PID does not exist. */
bool read_stat(pid_t pid, ProcStat &out)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[1024];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return false;
    p += 2; /* field 3: state */
    out.state = *p;
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return false;
        p++;
        if (field + 1 == 5)
            out.pgrp = strtol(p, nullptr, 10);
    }
    char *end;
    out.starttime = strtoull(p, &end, 10);
    return end != p;
}

/* Does process group PGID have a member that is not a zombie? */
bool group_runs(pid_t pgid)
{
    if (::kill(-pgid, 0) < 0 && errno == ESRCH)
        return false;
    DIR *d = opendir("/proc");
    if (!d)
        return true;
    bool found = false;
    while (struct dirent *e = readdir(d)) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        ProcStat st;
        if (read_stat((pid_t)pid, st) && st.pgrp == pgid && st.state != 'Z' && st.state != 'X') {
            found = true;
            break;
        }
    }
    closedir(d);
    return found;
}

struct Entry {
    uint64_t starttime;
    uint64_t jobid;
};

/* The shells of PATH started and not reaped; BOOT gets the boot id line. */
std::map<pid_t, Entry> read_records(const std::string &path, std::string &boot)
{
    std::map<pid_t, Entry> open_shells;
    FILE *f = fopen(path.c_str(), "re");
    if (!f)
        return open_shells;
    char line[256];
    while (fgets(line, sizeof(line), f)) {
        long pid = 0;
        unsigned long long start = 0, jobid = 0;
        char id[128];
        if (sscanf(line, "boot %127s", id) == 1)
            boot = id;
        else if (sscanf(line, "+ %ld %llu %llu", &pid, &start, &jobid) == 3 && pid > 1)
            open_shells[(pid_t)pid] = Entry{start, jobid};
        else if (sscanf(line, "- %ld", &pid) == 1)
            open_shells.erase((pid_t)pid);
        /* anything else (a line cut short by a crash): ignored */
    }
    fclose(f);
    return open_shells;
}

} // namespace

uint64_t proc_starttime(pid_t pid)
{
    ProcStat st;
    return read_stat(pid, st) ? st.starttime : 0;
}

ShellRecords::~ShellRecords()
{
    if (fd_ >= 0)
        close(fd_);
}

bool ShellRecords::open(const std::string &path, std::vector<Orphan> &killed, std::string &err,
                        double wait_seconds)
{
    path_ = path;
    boot_id_ = boot_id();
    std::string boot;
    std::map<pid_t, Entry> left = read_records(path, boot);
    std::vector<pid_t> groups;
    if (boot == boot_id_) {
        for (const auto &[pid, e] : left) {
            ProcStat st;
            if (read_stat(pid, st)) {
                /* The leader is there: ours only if it started when ours did. */
                if (st.starttime != e.starttime)
                    continue;
            }
            /* Leader gone: the kernel does not reuse a pid while a process
             * group of that id has members, so any group left is ours. */
            if (::kill(-pid, SIGKILL) == 0) {
                groups.push_back(pid);
                killed.push_back(Orphan{pid, e.jobid});
            }
        }
    }
    /* Their cores are free once nothing of them runs (zombies do not). */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        bool running = false;
        for (pid_t g : groups) {
            if (group_runs(g)) {
                running = true;
                break;
            }
        }
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        double elapsed = (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) * 1e-9;
        if (!running || elapsed >= wait_seconds)
            break;
        usleep(10000);
    }
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        err = path + ": " + strerror(errno);
        return false;
    }
    std::string head = "boot " + boot_id_ + "\n";
    write_line(head.data(), head.size());
    lines_ = 0;
    live_ = 0;
    return true;
}

void ShellRecords::write_line(const char *buf, size_t len)
{
    if (fd_ < 0)
        return;
    ssize_t n;
    do
        n = write(fd_, buf, len);
    while (n < 0 && errno == EINTR);
}

void ShellRecords::started(pid_t pid, uint64_t jobid)
{
    if (fd_ < 0)
        return;
    char buf[96];
    int len = snprintf(buf, sizeof(buf), "+ %ld %llu %llu\n", (long)pid,
                       (unsigned long long)proc_starttime(pid), (unsigned long long)jobid);
    write_line(buf, (size_t)len);
    live_++;
    lines_++;
}

void ShellRecords::exited(pid_t pid)
{
    if (fd_ < 0)
        return;
    char buf[48];
    int len = snprintf(buf, sizeof(buf), "- %ld\n", (long)pid);
    write_line(buf, (size_t)len);
    if (live_ > 0)
        live_--;
    lines_++;
    if ((live_ == 0 && lines_ >= truncate_lines) || lines_ >= compact_lines)
        compact();
}

/* Drop the lines of reaped shells: truncate to the boot line when none
 * runs (the usual case, cheap), else rewrite with the running ones. */
void ShellRecords::compact()
{
    std::string head = "boot " + boot_id_ + "\n";
    if (live_ == 0) {
        if (ftruncate(fd_, (off_t)head.size()) == 0)
            lines_ = 0;
        return;
    }
    std::string boot;
    std::map<pid_t, Entry> running = read_records(path_, boot);
    std::string text = head;
    char buf[96];
    for (const auto &[pid, e] : running) {
        snprintf(buf, sizeof(buf), "+ %ld %llu %llu\n", (long)pid, (unsigned long long)e.starttime,
                 (unsigned long long)e.jobid);
        text += buf;
    }
    std::string tmp = path_ + ".new";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    if (write(fd, text.data(), text.size()) != (ssize_t)text.size()
        || rename(tmp.c_str(), path_.c_str()) < 0) {
        close(fd);
        unlink(tmp.c_str());
        return;
    }
    close(fd_);
    fd_ = fd;
    live_ = running.size();
    lines_ = running.size();
}

} // namespace fluxd
