/* future.cpp - RPC and its futures: one future per request, fulfilled by
 * one response (or a stream of them ended by an error such as ENODATA). */
#include <cerrno>
#include <cmath>
#include <cstring>

#include "handle_internal.h"
#include "message_internal.h"

namespace {

void ready_cb(evutil_socket_t, short, void *arg)
{
    auto *f = static_cast<flux_future_t *>(arg);
    if (f->cb && !f->responses.empty())
        f->cb(f, f->cb_arg);
}

void timer_cb(evutil_socket_t, short, void *arg)
{
    auto *f = static_cast<flux_future_t *>(arg);
    flux_msg_t *rsp = flux_msg_create(FLUX_MSGTYPE_RESPONSE);
    if (!rsp)
        return;
    rsp->errnum = ETIMEDOUT;
    rsp->matchtag = f->matchtag;
    f->responses.push_back(rsp);
    if (f->ready_ev)
        event_active(f->ready_ev, 0, 0);
}

void arm_timer(flux_future_t *f)
{
    if (!f->timer_ev || f->timeout < 0 || f->done)
        return;
    struct timeval tv;
    tv.tv_sec = (time_t)f->timeout;
    tv.tv_usec = (suseconds_t)((f->timeout - tv.tv_sec) * 1e6);
    event_add(f->timer_ev, &tv);
}

void stop_waiting(flux_future_t *f)
{
    if (f->cb && f->h && !f->done) {
        f->h->futures_waiting--;
        flux::handle_update_watch(f->h);
    }
}

} // namespace

namespace flux {

flux_future_t *future_create(flux_t *h, uint32_t matchtag, bool streaming)
{
    auto *f = new (std::nothrow) flux_future;
    if (!f) {
        errno = ENOMEM;
        return nullptr;
    }
    f->h = h;
    f->matchtag = matchtag;
    f->streaming = streaming;
    if (matchtag != FLUX_MATCHTAG_NONE)
        h->futures[matchtag] = f;
    return f;
}

void future_deliver(flux_future_t *f, const flux_msg_t *msg)
{
    if (f->filter)
        f->filter(f, msg);
    else
        future_push(f, msg);
}

void future_push(flux_future_t *f, const flux_msg_t *msg)
{
    bool final = !f->streaming || msg->errnum != 0;
    f->responses.push_back(msg);
    if (final && !f->done) {
        stop_waiting(f);
        f->done = true;
        if (f->h && f->matchtag != FLUX_MATCHTAG_NONE) {
            f->h->futures.erase(f->matchtag);
            flux_matchtag_free(f->h, f->matchtag);
        }
        if (f->timer_ev)
            event_del(f->timer_ev);
    }
    else
        arm_timer(f);
    if (f->ready_ev && f->cb)
        event_active(f->ready_ev, 0, 0);
}

void handle_fail_futures(flux_t *h, int errnum, const char *why)
{
    std::vector<flux_future_t *> live;
    for (auto &[tag, f] : h->futures) {
        if (f)
            live.push_back(f);
    }
    for (auto *f : live) {
        flux_msg_t *rsp = flux_msg_create(FLUX_MSGTYPE_RESPONSE);
        if (!rsp)
            continue;
        rsp->errnum = (uint32_t)errnum;
        rsp->matchtag = f->matchtag;
        if (why)
            flux_msg_set_string(rsp, why);
        f->streaming = false;
        future_deliver(f, rsp);
    }
}

} // namespace flux

extern "C" {

flux_future_t *flux_rpc_message(flux_t *h, const flux_msg_t *msg, uint32_t nodeid, int flags)
{
    if (!h || !msg || (flags & ~(FLUX_RPC_NORESPONSE | FLUX_RPC_STREAMING)) ||
        ((flags & FLUX_RPC_NORESPONSE) && (flags & FLUX_RPC_STREAMING))) {
        errno = EINVAL;
        return nullptr;
    }
    flux_msg_t *req = flux_msg_copy(msg, true);
    if (!req)
        return nullptr;
    req->type = FLUX_MSGTYPE_REQUEST;
    req->nodeid = nodeid;
    req->flags &= ~(FLUX_MSGFLAG_NORESPONSE | FLUX_MSGFLAG_STREAMING);
    if (flags & FLUX_RPC_NORESPONSE)
        req->flags |= FLUX_MSGFLAG_NORESPONSE;
    if (flags & FLUX_RPC_STREAMING)
        req->flags |= FLUX_MSGFLAG_STREAMING;
    uint32_t tag = (flags & FLUX_RPC_NORESPONSE) ? FLUX_MATCHTAG_NONE : flux_matchtag_alloc(h);
    req->matchtag = tag;
    if (flux_send(h, req, 0) < 0) {
        int saved = errno;
        flux_msg_decref(req);
        flux_matchtag_free(h, tag);
        errno = saved;
        return nullptr;
    }
    flux_msg_decref(req);
    flux_future_t *f = flux::future_create(h, tag, flags & FLUX_RPC_STREAMING);
    if (f && (flags & FLUX_RPC_NORESPONSE)) {
        flux_msg_t *rsp = flux_msg_create(FLUX_MSGTYPE_RESPONSE);
        if (rsp)
            flux::future_deliver(f, rsp);
    }
    return f;
}

flux_future_t *flux_rpc(flux_t *h, const char *topic, const char *s, uint32_t nodeid, int flags)
{
    if (!topic || !*topic) {
        errno = EINVAL;
        return nullptr;
    }
    flux_msg_t *msg = flux_msg_create(FLUX_MSGTYPE_REQUEST);
    if (!msg)
        return nullptr;
    flux_future_t *f = nullptr;
    if (flux_msg_set_topic(msg, topic) == 0 && flux_msg_set_string(msg, s) == 0)
        f = flux_rpc_message(h, msg, nodeid, flags);
    flux_msg_decref(msg);
    return f;
}

flux_future_t *
flux_rpc_pack(flux_t *h, const char *topic, uint32_t nodeid, int flags, const char *fmt, ...)
{
    if (!topic || !*topic || !fmt) {
        errno = EINVAL;
        return nullptr;
    }
    flux_msg_t *msg = flux_msg_create(FLUX_MSGTYPE_REQUEST);
    if (!msg)
        return nullptr;
    va_list ap;
    va_start(ap, fmt);
    int rc = flux_msg_vpack(msg, fmt, ap);
    va_end(ap);
    flux_future_t *f = nullptr;
    if (rc == 0 && flux_msg_set_topic(msg, topic) == 0)
        f = flux_rpc_message(h, msg, nodeid, flags);
    flux_msg_decref(msg);
    return f;
}

int flux_future_wait_for(flux_future_t *f, double timeout)
{
    if (!f) {
        errno = EINVAL;
        return -1;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (f->responses.empty()) {
        if (f->done || !f->h) {
            errno = ENODATA;
            return -1;
        }
        double left = -1;
        if (timeout >= 0) {
            struct timespec t1;
            clock_gettime(CLOCK_MONOTONIC, &t1);
            left = timeout - ((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9);
            if (left <= 0) {
                errno = ETIMEDOUT;
                return -1;
            }
        }
        const flux_msg_t *msg = nullptr;
        int rc = flux::handle_read_one(f->h, left, &msg);
        if (rc < 0)
            continue; /* connection loss fails the future; loop sees it */
        if (rc == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        flux::handle_route(f->h, msg);
    }
    return 0;
}

bool flux_future_is_ready(flux_future_t *f)
{
    return f && !f->responses.empty();
}

int flux_future_get_msg(flux_future_t *f, const flux_msg_t **msg)
{
    if (!msg || flux_future_wait_for(f, -1) < 0)
        return -1;
    const flux_msg_t *rsp = f->responses.front();
    if (rsp->errnum != 0) {
        errno = (int)rsp->errnum;
        return -1;
    }
    *msg = rsp;
    return 0;
}

int flux_rpc_get(flux_future_t *f, const char **s)
{
    const flux_msg_t *msg;
    if (flux_future_get_msg(f, &msg) < 0)
        return -1;
    const char *str = nullptr;
    if (flux_msg_get_string(msg, &str) < 0)
        return -1;
    if (s)
        *s = str;
    return 0;
}

int flux_rpc_get_unpack(flux_future_t *f, const char *fmt, ...)
{
    const flux_msg_t *msg;
    if (!fmt || flux_future_get_msg(f, &msg) < 0)
        return -1;
    if (!msg->json) {
        json_error_t jerr;
        if (!msg->has_payload ||
            !(msg->json = json_loadb(msg->payload.data(), msg->payload.size(), 0, &jerr))) {
            errno = EPROTO;
            return -1;
        }
    }
    va_list ap;
    va_start(ap, fmt);
    json_error_t jerr;
    int rc = json_vunpack_ex(msg->json, &jerr, 0, fmt, ap);
    va_end(ap);
    if (rc < 0) {
        errno = EPROTO;
        return -1;
    }
    return 0;
}

const char *flux_future_error_string(flux_future_t *f)
{
    if (!f || f->responses.empty())
        return strerror(errno);
    const flux_msg_t *rsp = f->responses.front();
    if (rsp->errnum == 0)
        return nullptr;
    if (rsp->has_payload && !rsp->payload.empty() && rsp->payload.find('\0') == std::string::npos)
        return rsp->payload.c_str();
    return strerror((int)rsp->errnum);
}

int flux_future_then(flux_future_t *f, double timeout, flux_continuation_f cb, void *arg)
{
    if (!f || !cb || !f->h) {
        errno = EINVAL;
        return -1;
    }
    struct event_base *base = f->h->reactor->base;
    if (!f->ready_ev && !(f->ready_ev = event_new(base, -1, 0, ready_cb, f))) {
        errno = ENOMEM;
        return -1;
    }
    if (!f->cb && !f->done) {
        f->h->futures_waiting++;
        flux::handle_update_watch(f->h);
    }
    f->cb = cb;
    f->cb_arg = arg;
    f->timeout = timeout;
    if (timeout >= 0) {
        if (!f->timer_ev && !(f->timer_ev = event_new(base, -1, 0, timer_cb, f))) {
            errno = ENOMEM;
            return -1;
        }
        arm_timer(f);
    }
    if (!f->responses.empty())
        event_active(f->ready_ev, 0, 0);
    return 0;
}

void flux_future_reset(flux_future_t *f)
{
    if (!f || f->responses.empty())
        return;
    flux_msg_decref(f->responses.front());
    f->responses.pop_front();
    if (f->cb && f->ready_ev && !f->responses.empty())
        event_active(f->ready_ev, 0, 0);
}

void flux_future_destroy(flux_future_t *f)
{
    if (!f)
        return;
    int saved = errno;
    stop_waiting(f);
    if (f->h && !f->done && f->matchtag != FLUX_MATCHTAG_NONE)
        f->h->futures[f->matchtag] = nullptr; /* late responses are dropped */
    for (const auto *m : f->responses)
        flux_msg_decref(m);
    if (f->ready_ev)
        event_free(f->ready_ev);
    if (f->timer_ev)
        event_free(f->timer_ev);
    for (auto &[name, a] : f->aux) {
        if (a.destroy)
            a.destroy(a.data);
    }
    delete f;
    errno = saved;
}

flux_t *flux_future_get_flux(flux_future_t *f)
{
    return f ? f->h : nullptr;
}

int flux_future_aux_set(flux_future_t *f, const char *name, void *aux, void (*destroy)(void *))
{
    if (!f || !name) {
        errno = EINVAL;
        return -1;
    }
    auto it = f->aux.find(name);
    if (it != f->aux.end() && it->second.destroy)
        it->second.destroy(it->second.data);
    f->aux[name] = AuxEntry{aux, destroy};
    return 0;
}

void *flux_future_aux_get(flux_future_t *f, const char *name)
{
    if (!f || !name)
        return nullptr;
    auto it = f->aux.find(name);
    return it == f->aux.end() ? nullptr : it->second.data;
}

} // extern "C"
