/* handoff.cpp - the PMIx thread to shell loop queue (see handoff.h). */
#include "handoff.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <sys/eventfd.h>
#include <unistd.h>

namespace flux::shell::pmi {

Handoff::~Handoff()
{
    ev_.reset();
    if (fd_ >= 0)
        close(fd_);
}

Result<void> Handoff::start(struct event_base *base)
{
    fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd_ < 0)
        return make_error(errno, std::string("eventfd: ") + strerror(errno));
    ev_.reset(event_new(base, fd_, EV_READ | EV_PERSIST, ready_cb, this));
    if (!ev_ || event_add(ev_.get(), nullptr) < 0)
        return make_error(ENOMEM, "cannot watch the PMIx hand-off eventfd");
    return {};
}

void Handoff::post(std::function<void()> fn)
{
    {
        std::lock_guard<std::mutex> lock(mu_);
        queue_.push_back(std::move(fn));
    }
    uint64_t one = 1;
    /* EAGAIN only when the counter is saturated: the loop is woken already. */
    (void)!write(fd_, &one, sizeof(one));
}

void Handoff::drain()
{
    std::vector<std::function<void()>> work;
    {
        std::lock_guard<std::mutex> lock(mu_);
        work.swap(queue_);
    }
    for (auto &fn : work)
        fn();
}

void Handoff::ready_cb(evutil_socket_t fd, short, void *arg)
{
    uint64_t n;
    (void)!read(fd, &n, sizeof(n));
    static_cast<Handoff *>(arg)->drain();
}

} // namespace flux::shell::pmi
