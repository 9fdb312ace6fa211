/* statedir_lock.cpp - one broker per statedir and rank (see statedir_lock.h).
 *
 * fcntl(2) record locks rather than flock(2): F_GETLK names the holder's
 * pid, and the lock is neither inherited by the shells the broker spawns
 * nor kept by them after it dies.  The holder also writes its pid into the
 * file, which is what the message shows when F_GETLK cannot tell (e.g. on
 * a file system that does not report the pid).
 */
#include "statedir_lock.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace fluxd {

namespace {

struct flock write_lock()
{
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 0;
    return fl;
}

/* The pid of the holder, or 0 when it cannot be told. */
pid_t holder_pid(int fd)
{
    struct flock fl = write_lock();
    if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK && fl.l_pid > 0)
        return fl.l_pid;
    char buf[32] = "";
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n > 0) {
        buf[n] = '\0';
        long pid = strtol(buf, nullptr, 10);
        if (pid > 0)
            return (pid_t)pid;
    }
    return 0;
}

} // namespace

flux::Result<StatedirLock> StatedirLock::acquire(const std::string &statedir, uint32_t rank)
{
    std::string path = statedir + "/rank-" + std::to_string(rank) + ".lock";
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return flux::make_error(errno, "statedir lock " + path + ": " + strerror(errno));
    struct flock fl = write_lock();
    if (fcntl(fd, F_SETLK, &fl) < 0) {
        int e = errno;
        if (e == EACCES || e == EAGAIN) {
            pid_t pid = holder_pid(fd);
            close(fd);
            std::string who = pid > 0 ? "fluxd pid " + std::to_string(pid) : "another fluxd";
            return flux::make_error(EBUSY, "statedir " + statedir + " is in use by " + who +
                                               " (lock " + path + ")");
        }
        close(fd);
        return flux::make_error(e, "statedir lock " + path + ": " + strerror(e));
    }
    char buf[32];
    int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
        int e = errno;
        close(fd);
        return flux::make_error(e, "statedir lock " + path + ": " + strerror(e));
    }
    StatedirLock lock;
    lock.fd_ = fd;
    return lock;
}

StatedirLock &StatedirLock::operator=(StatedirLock &&o) noexcept
{
    if (this != &o) {
        if (fd_ >= 0)
            close(fd_);
        fd_ = o.fd_;
        o.fd_ = -1;
    }
    return *this;
}

StatedirLock::~StatedirLock()
{
    if (fd_ >= 0)
        close(fd_);
}

} // namespace fluxd
