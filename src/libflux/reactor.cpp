/* reactor.cpp - flux_reactor_t, a thin owner of a libevent event_base. */
#include <cerrno>

#include "handle_internal.h"

extern "C" {

flux_reactor_t *flux_reactor_create(int flags)
{
    if (flags != 0) {
        errno = EINVAL;
        return nullptr;
    }
    auto *r = new (std::nothrow) flux_reactor;
    if (!r) {
        errno = ENOMEM;
        return nullptr;
    }
    r->base = event_base_new();
    if (!r->base) {
        delete r;
        errno = ENOMEM;
        return nullptr;
    }
    r->owned = true;
    return r;
}

void flux_reactor_destroy(flux_reactor_t *r)
{
    if (!r)
        return;
    if (r->owned)
        event_base_free(r->base);
    delete r;
}

int flux_reactor_run(flux_reactor_t *r, int flags)
{
    if (!r) {
        errno = EINVAL;
        return -1;
    }
    if (r->run_hook) {
        auto hook = std::move(r->run_hook);
        r->run_hook = nullptr;
        hook();
    }
    int evflags = 0;
    if (flags & FLUX_REACTOR_NOWAIT)
        evflags |= EVLOOP_NONBLOCK;
    if (flags & FLUX_REACTOR_ONCE)
        evflags |= EVLOOP_ONCE;
    r->stop_error = false;
    if (event_base_loop(r->base, evflags) < 0) {
        errno = EINVAL;
        return -1;
    }
    if (r->stop_error) {
        r->stop_error = false;
        return -1;
    }
    return 0;
}

void flux_reactor_stop(flux_reactor_t *r)
{
    if (r)
        event_base_loopbreak(r->base);
}

void flux_reactor_stop_error(flux_reactor_t *r)
{
    if (r) {
        r->stop_error = true;
        event_base_loopbreak(r->base);
    }
}

struct event_base *flux_reactor_get_event_base(flux_reactor_t *r)
{
    return r ? r->base : nullptr;
}

double flux_reactor_now(flux_reactor_t *r)
{
    struct timeval tv;
    if (!r || event_base_gettimeofday_cached(r->base, &tv) < 0)
        return 0.;
    return tv.tv_sec + tv.tv_usec * 1e-6;
}

} // extern "C"
