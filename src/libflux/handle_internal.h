/* handle_internal.h - flux_t, flux_reactor_t and flux_future_t internals (libflux private). */
#pragma once

#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <event2/event.h>

#include "flux/core.h"
#include "stream.h"

struct flux_reactor {
    struct event_base *base = nullptr;
    bool owned = false;
    bool stop_error = false;
    std::function<void()> run_hook; /* called once at the next run (module "running") */
};

struct flux_msg_handler {
    flux_t *h;
    struct flux_match match;
    std::string glob; /* owns match.topic_glob */
    flux_msg_handler_f cb;
    void *arg;
    uint32_t rolemask = FLUX_ROLE_OWNER;
    bool started = false;
    bool dead = false; /* destroyed during dispatch; freed afterwards */
};

struct AuxEntry {
    void *data;
    void (*destroy)(void *);
};

struct flux_future {
    flux_t *h = nullptr;
    uint32_t matchtag = FLUX_MATCHTAG_NONE;
    bool streaming = false;
    bool done = false; /* final response received */
    std::deque<const flux_msg_t *> responses;
    flux_continuation_f cb = nullptr;
    void *cb_arg = nullptr;
    double timeout = -1;
    struct event *ready_ev = nullptr;
    struct event *timer_ev = nullptr;
    std::string errstr;
    std::map<std::string, AuxEntry> aux;
    /* If set, each response goes through it instead of straight into
     * responses: it calls flux::future_push() zero or more times (e.g. one
     * response per eventlog line) and owns MSG. */
    std::function<void(flux_future_t *, const flux_msg_t *msg)> filter;
};

struct flux_handle {
    std::unique_ptr<flux::Stream> stream;
    flux_reactor_t *reactor = nullptr;
    bool reactor_owned = false;
    std::deque<const flux_msg_t *> queue; /* read while blocking, awaiting dispatch */
    std::list<flux_msg_handler *> handlers;
    int dispatching = 0;
    int handlers_started = 0;
    int futures_waiting = 0; /* futures with a continuation and no final response */
    struct event *dispatch_ev = nullptr;
    uint32_t next_matchtag = 1;
    std::vector<uint32_t> free_matchtags;
    std::unordered_map<uint32_t, flux_future_t *>
        futures; /* matchtag -> future (or nullptr if orphaned) */
    std::map<std::string, AuxEntry> aux;
    std::map<std::string, std::string> attr_cache;
    std::string appname = "flux";
    pid_t tunnel_pid = -1; /* ssh:// child */
    bool eof_reported = false;
};

namespace flux {
/* Re-evaluate whether the handle must watch its stream. */
void handle_update_watch(flux_t *h);
/* Feed a response to its future (takes the reference), through its filter. */
void future_deliver(flux_future_t *f, const flux_msg_t *msg);
/* Queue a response on F (takes the reference): what future_deliver() does
 * when there is no filter.  A response with an error is the last. */
void future_push(flux_future_t *f, const flux_msg_t *msg);
/* Future for a request with this matchtag. */
flux_future_t *future_create(flux_t *h, uint32_t matchtag, bool streaming);
/* Fail every waiting future (connection lost). */
void handle_fail_futures(flux_t *h, int errnum, const char *why);
/* Read one message, waiting up to timeout; 1 got, 0 timeout, -1 error. */
int handle_read_one(flux_t *h, double timeout, const flux_msg_t **msg);
/* Route a freshly read message: responses to futures, the rest to the queue. */
void handle_route(flux_t *h, const flux_msg_t *msg);
} // namespace flux
