/* handoff.h - run work posted from another thread on the shell's loop.
 *
 * OpenPMIx calls the host's server module (client_connected, fence_nb,
 * ...) and completes the host's own calls on its progress thread.  The
 * shell's state (tasks, the exchange, the flux handle) belongs to the
 * shell's thread and is never locked.  So every PMIx callback does one
 * thing: it copies its arguments into a closure and post()s it here; the
 * closure runs on the shell's loop, which finishes the operation through
 * the callback function PMIx passed (PMIx accepts those calls from any
 * thread).  This queue's mutex is the only lock in the shell.
 *
 * Mechanism: a mutex-guarded queue and an eventfd; post() appends and
 * writes the eventfd, the loop's read event drains the queue in order.
 */
#ifndef FLUX_SHELL_PMI_HANDOFF_H
#define FLUX_SHELL_PMI_HANDOFF_H

#include <functional>
#include <mutex>
#include <vector>

#include <event2/event.h>

#include "libflux/ptr.h"
#include "result/result.h"

namespace flux::shell::pmi {

class Handoff {
  public:
    Handoff() = default;
    ~Handoff();
    Handoff(const Handoff &) = delete;
    Handoff &operator=(const Handoff &) = delete;

    /* Watch the eventfd in BASE.  Before any post(). */
    Result<void> start(struct event_base *base);
    /* Any thread: run FN on the loop, after everything posted before. */
    void post(std::function<void()> fn);
    /* The loop's thread: run what is queued now (e.g. before judging a
     * task's exit, so a finalize posted before it exited is seen). */
    void drain();

  private:
    static void ready_cb(evutil_socket_t fd, short what, void *arg);
    std::mutex mu_;
    std::vector<std::function<void()>> queue_;
    int fd_ = -1;
    EventPtr ev_;
};

} // namespace flux::shell::pmi

#endif // FLUX_SHELL_PMI_HANDOFF_H
