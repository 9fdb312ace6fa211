/* stream.cpp - length-framed flux messages over a stream socket. */
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "message_internal.h"
#include "stream.h"

namespace flux {

namespace {

int poll_fd(int fd, short events, double timeout)
{
    struct pollfd pfd = {fd, events, 0};
    int ms = timeout < 0 ? -1 : (int)(timeout * 1000);
    int rc;
    do {
        rc = poll(&pfd, 1, ms);
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    return rc < 0 ? -1 : 0;
}

} // namespace

Stream::Stream(int fd, std::function<void()> on_readable)
    : fd_(fd), on_readable_(std::move(on_readable)), in_(evbuffer_new()), out_(evbuffer_new())
{
    evutil_make_socket_nonblocking(fd_);
    evutil_make_socket_closeonexec(fd_);
}

Stream::~Stream()
{
    /* What a deferred write left queued: as much as the socket takes now. */
    if (fd_ >= 0 && !failed() && evbuffer_get_length(out_) > 0)
        (void)write_some();
    if (flush_ev_)
        event_free(flush_ev_);
    if (read_ev_)
        event_free(read_ev_);
    if (write_ev_)
        event_free(write_ev_);
    evbuffer_free(in_);
    evbuffer_free(out_);
    if (fd_ >= 0)
        close(fd_);
}

int Stream::attach(struct event_base *base)
{
    if (read_ev_)
        event_free(read_ev_);
    if (write_ev_)
        event_free(write_ev_);
    if (flush_ev_)
        event_free(flush_ev_);
    flush_scheduled_ = false;
    read_ev_ = event_new(base, fd_, EV_READ | EV_PERSIST, read_cb, this);
    write_ev_ = event_new(base, fd_, EV_WRITE, write_cb, this);
    flush_ev_ = event_new(base, -1, 0, flush_cb, this);
    if (!read_ev_ || !write_ev_ || !flush_ev_) {
        errno = ENOMEM;
        return -1;
    }
    if (watching_)
        event_add(read_ev_, nullptr);
    if (evbuffer_get_length(out_) > 0)
        event_add(write_ev_, nullptr);
    return 0;
}

void Stream::watch_input(bool on)
{
    watching_ = on;
    if (!read_ev_)
        return;
    if (on)
        event_add(read_ev_, nullptr);
    else
        event_del(read_ev_);
}

void Stream::reschedule_input()
{
    if (read_ev_)
        event_active(read_ev_, EV_READ, 0);
}

void Stream::read_cb(evutil_socket_t, short, void *arg)
{
    auto *s = static_cast<Stream *>(arg);
    s->on_readable_();
}

void Stream::write_cb(evutil_socket_t, short, void *arg)
{
    auto *s = static_cast<Stream *>(arg);
    if (s->write_some() < 0) {
        /* Let the owner notice through the input path. */
        if (s->read_ev_)
            event_active(s->read_ev_, EV_READ, 0);
    }
}

void Stream::flush_cb(evutil_socket_t, short, void *arg)
{
    auto *s = static_cast<Stream *>(arg);
    s->flush_scheduled_ = false;
    if (s->write_ev_ && event_pending(s->write_ev_, EV_WRITE, nullptr))
        return; /* write_cb follows when the socket takes more */
    if (s->write_some() < 0 && s->read_ev_)
        event_active(s->read_ev_, EV_READ, 0);
}

void Stream::set_error(const std::string &why)
{
    if (error_.empty())
        error_ = why;
}

size_t Stream::queued_out() const
{
    return evbuffer_get_length(out_);
}

size_t Stream::buffered_in() const
{
    return evbuffer_get_length(in_);
}

/* Like evbuffer_write(), but with MSG_NOSIGNAL: a peer that went away is
 * an error to report, not a SIGPIPE that kills the process. */
static ssize_t send_buffer(struct evbuffer *buf, int fd)
{
    struct evbuffer_iovec vec[16];
    int n = evbuffer_peek(buf, -1, nullptr, vec, 16);
    if (n > 16)
        n = 16;
    struct iovec iov[16];
    for (int i = 0; i < n; i++) {
        iov[i].iov_base = vec[i].iov_base;
        iov[i].iov_len = vec[i].iov_len;
    }
    struct msghdr mh = {};
    mh.msg_iov = iov;
    mh.msg_iovlen = (size_t)n;
    ssize_t rc = sendmsg(fd, &mh, MSG_NOSIGNAL);
    if (rc > 0)
        evbuffer_drain(buf, (size_t)rc);
    return rc;
}

int Stream::write_some()
{
    while (evbuffer_get_length(out_) > 0) {
        ssize_t n = send_buffer(out_, fd_);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            set_error(std::string("write: ") + strerror(errno));
            evbuffer_drain(out_, evbuffer_get_length(out_));
            return -1;
        }
    }
    if (evbuffer_get_length(out_) > 0 && write_ev_)
        event_add(write_ev_, nullptr);
    return 0;
}

int Stream::send(const flux_msg_t *msg)
{
    if (failed()) {
        errno = EPIPE;
        return -1;
    }
    ssize_t len = flux_msg_encode_size(msg);
    if (len < 0)
        return -1;
    if ((size_t)len > FLUX_MSG_MAX_SIZE) {
        errno = EMSGSIZE;
        return -1;
    }
    struct evbuffer_iovec vec;
    if (evbuffer_reserve_space(out_, len + 4, &vec, 1) < 1) {
        errno = ENOMEM;
        return -1;
    }
    auto *p = (uint8_t *)vec.iov_base;
    p[0] = (uint8_t)(len >> 24);
    p[1] = (uint8_t)(len >> 16);
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    if (flux_msg_encode(msg, p + 4, len) < 0)
        return -1;
    vec.iov_len = len + 4;
    evbuffer_commit_space(out_, &vec, 1);
    /* Write now only if nothing is already waiting for writability. */
    if (write_ev_ && event_pending(write_ev_, EV_WRITE, nullptr))
        return 0;
    if (defer_ && flush_ev_) {
        if (!flush_scheduled_) {
            flush_scheduled_ = true;
            event_active(flush_ev_, 0, 0);
        }
        return 0;
    }
    if (write_some() < 0) {
        errno = EPIPE;
        return -1;
    }
    return 0;
}

int Stream::flush(double timeout)
{
    while (evbuffer_get_length(out_) > 0) {
        if (failed()) {
            errno = EPIPE;
            return -1;
        }
        if (write_some() < 0) {
            errno = EPIPE;
            return -1;
        }
        if (evbuffer_get_length(out_) > 0 && poll_fd(fd_, POLLOUT, timeout) < 0)
            return -1;
    }
    if (write_ev_)
        event_del(write_ev_);
    return 0;
}

ssize_t Stream::fill(double timeout, size_t max_bytes)
{
    if (eof_)
        return 0;
    if (timeout != 0 && poll_fd(fd_, POLLIN, timeout) < 0) {
        if (errno == ETIMEDOUT)
            errno = EAGAIN;
        return -1;
    }
    ssize_t total = 0;
    for (;;) {
        int n = evbuffer_read(in_, fd_, 65536);
        if (n > 0) {
            total += n;
            if ((size_t)total >= max_bytes)
                return total;
            continue;
        }
        if (n == 0) {
            eof_ = true;
            return total;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (total > 0)
                return total;
            errno = EAGAIN;
            return -1;
        }
        if (errno == ECONNRESET) {
            eof_ = true;
            return total;
        }
        set_error(std::string("read: ") + strerror(errno));
        return -1;
    }
}

int Stream::next(flux_msg_t **msg)
{
    if (failed()) {
        errno = EPROTO;
        return -1;
    }
    size_t avail = evbuffer_get_length(in_);
    if (avail < 4) {
        if (eof_) {
            if (avail > 0)
                set_error("connection closed in the middle of a message");
            errno = ECONNRESET;
            return -1;
        }
        return 0;
    }
    uint8_t hdr[4];
    evbuffer_copyout(in_, hdr, 4);
    uint32_t len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    if (len > FLUX_MSG_MAX_SIZE) {
        set_error("frame length " + std::to_string(len) + " exceeds the limit of " +
                  std::to_string(FLUX_MSG_MAX_SIZE) + " bytes");
        errno = EPROTO;
        return -1;
    }
    if (avail < (size_t)len + 4) {
        if (eof_) {
            set_error("connection closed in the middle of a message");
            errno = ECONNRESET;
            return -1;
        }
        return 0;
    }
    evbuffer_drain(in_, 4);
    const void *p = evbuffer_pullup(in_, len);
    flux_msg_t *m = p ? flux_msg_decode(p, len) : nullptr;
    evbuffer_drain(in_, len);
    if (!m) {
        set_error("malformed message (" + std::to_string(len) + " byte frame)");
        errno = EPROTO;
        return -1;
    }
    *msg = m;
    return 1;
}

} // namespace flux
