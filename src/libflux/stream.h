/* stream.h - length-framed flux messages over a stream socket (libflux private).
 *
 * Shared by the broker (event driven) and client handles (event driven or
 * blocking).  Frames are a 4-byte big-endian length then an encoded message.
 * A frame longer than FLUX_MSG_MAX_SIZE or a message that fails to decode is
 * a protocol error: the stream reports it and reads nothing more.
 */
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <event2/buffer.h>
#include <event2/event.h>

#include "flux/core.h"

namespace flux {

class Stream {
  public:
    /* on_readable is called (from the event loop) when input arrived or the
     * peer hung up; the owner then calls next() until it returns 0. */
    Stream(int fd, std::function<void()> on_readable);
    ~Stream();
    Stream(const Stream &) = delete;
    Stream &operator=(const Stream &) = delete;

    /* Attach to (or move to) an event loop and start watching for input. */
    int attach(struct event_base *base);
    void watch_input(bool on);

    /* Queue msg for sending; writes what the socket takes now and the rest
     * when it becomes writable.  -1 with errno on a dead stream. */
    int send(const flux_msg_t *msg);

    /* With deferred writes (event driven owners only), send() only queues:
     * everything queued in one pass of the event loop goes out together,
     * after the callbacks already active in that pass, in one write.  The
     * owner must run the loop, or call flush() before it blocks. */
    void defer_writes(bool on) { defer_ = on; }

    /* Read what is available without blocking (timeout 0), or wait up to
     * timeout seconds (< 0: forever) for more input, reading at most about
     * max_bytes.  Returns bytes read,
     * 0 at EOF, -1 with errno (EAGAIN when nothing came). */
    ssize_t fill(double timeout, size_t max_bytes = SIZE_MAX);

    /* Take the next complete message from the input buffer.  1: *msg set;
     * 0: need more input; -1: protocol error or EOF (see error()). */
    int next(flux_msg_t **msg);

    /* Run the input callback again on the next loop iteration (after the
     * owner stopped early with input still buffered). */
    void reschedule_input();

    /* Write everything queued, waiting as needed (client side). */
    int flush(double timeout);

    bool failed() const { return !error_.empty(); }
    bool eof() const { return eof_; }
    const std::string &error() const { return error_; }
    int fd() const { return fd_; }
    size_t queued_out() const;
    size_t buffered_in() const;

  private:
    static void read_cb(evutil_socket_t, short, void *arg);
    static void write_cb(evutil_socket_t, short, void *arg);
    static void flush_cb(evutil_socket_t, short, void *arg);
    int write_some();
    void set_error(const std::string &why);

    int fd_;
    std::function<void()> on_readable_;
    struct evbuffer *in_;
    struct evbuffer *out_;
    struct event *read_ev_ = nullptr;
    struct event *write_ev_ = nullptr;
    struct event *flush_ev_ = nullptr;
    bool defer_ = false;
    bool flush_scheduled_ = false;
    bool watching_ = false;
    bool eof_ = false;
    std::string error_;
};

} // namespace flux
