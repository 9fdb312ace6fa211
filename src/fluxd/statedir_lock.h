/* statedir_lock.h - keep two brokers off one statedir.
 *
 * A broker takes an fcntl(2) write lock on STATEDIR/rank-R.lock (R: its
 * rank; the brokers of one `flux start --test-size=N` instance share a
 * statedir, one rank each) and holds it for its life.  A second broker
 * for the same statedir and rank fails at once, naming the holder's pid.
 * The lock goes with the process (kill -9 included); the file stays.
 */
#pragma once

#include <cstdint>
#include <string>

#include "result/result.h"

namespace fluxd {

class StatedirLock {
  public:
    /* Take the lock for RANK in STATEDIR (an existing directory).  Fails
     * with EBUSY "statedir DIR is in use by fluxd pid N (lock FILE)" when
     * another process holds it, or with the system error otherwise. */
    static flux::Result<StatedirLock> acquire(const std::string &statedir, uint32_t rank);

    StatedirLock() = default;
    StatedirLock(StatedirLock &&o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    StatedirLock &operator=(StatedirLock &&o) noexcept;
    StatedirLock(const StatedirLock &) = delete;
    StatedirLock &operator=(const StatedirLock &) = delete;
    ~StatedirLock(); /* releases the lock */

  private:
    int fd_ = -1;
};

} // namespace fluxd
