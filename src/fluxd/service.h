/* service.h - what a built-in service may use of the broker.
 *
 * The services that run in the broker's own loop (kvs, resource,
 * job-ingest, job-manager, job-exec) depend on this interface only, never
 * on broker.h or on libflux's private message layout (message_internal.h):
 *
 *   register topics ........ add_method()
 *   answer requests ........ respond(), respond_text(), respond_error()
 *   ask other services ..... rpc(), rpc_multi(), track_disconnect()
 *   log .................... log()
 *   the KVS ................ kvs()
 *   the instance ........... rank(), size(), attr(), online_ranks(), on_ranks_changed()
 *   the loop and children .. base(), now(), watch_child(), shutting_down()
 *   this node .............. local_uri_path(), cpus_of_cores()
 *
 * and reads messages through the accessors at the bottom.  The Broker
 * implements it (doc/design/service-interface.md says why the services stay
 * in the broker's loop rather than becoming modules).
 *
 * Every call is made from the broker's loop thread.  Nothing here throws.
 */
#pragma once

#include <cerrno>
#include <cstdarg>
#include <cstdlib>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <event2/event.h>
#include <jansson.h>
#include <sys/types.h>

#include "flux/core.h"
#include "idset/idset.h"

namespace fluxd {

class Kvs;

class ServiceHost {
  public:
    virtual ~ServiceHost() = default;

    /* A request for a registered topic.  MSG is borrowed for the call;
     * take a reference (flux::msg_ref) to answer later. */
    using Method = std::function<void(const flux_msg_t *msg)>;
    /* Register "svc.method"; callers need FLUX_ROLE_OWNER or a role in
     * ROLEMASK.  A later registration of the same topic replaces it. */
    virtual void add_method(const std::string &topic, uint32_t rolemask, Method fn) = 0;

    /* Answer REQ.  false if the response could not be routed (the
     * requester is gone).  respond() steals PAYLOAD (may be NULL);
     * respond_text() sends JSON text as it is. */
    virtual bool respond(const flux_msg_t *req, json_t *payload) = 0;
    virtual bool respond_text(const flux_msg_t *req, const std::string &payload) = 0;
    virtual bool respond_error(const flux_msg_t *req, int errnum, const std::string &text) = 0;

    /* A request from the broker to TOPIC at NODEID; CB gets the response or
     * an error response (EHOSTUNREACH, ENOSYS, ...). */
    using ResponseCb = std::function<void(const flux_msg_t *rsp)>;
    virtual void rpc(const std::string &topic, const std::string &payload /* JSON text */,
                     uint32_t nodeid, ResponseCb cb) = 0;
    virtual void rpc(const std::string &topic, json_t *payload /* stolen, may be NULL */,
                     uint32_t nodeid, ResponseCb cb) = 0;
    /* An RPC with several responses (RFC 27 sched.alloc): CB returns true
     * on the last one; an error response is always the last. */
    using MultiCb = std::function<bool(const flux_msg_t *rsp)>;
    virtual void rpc_multi(const std::string &topic, const std::string &payload, uint32_t nodeid,
                           MultiCb cb) = 0;
    /* Send SERVICE.disconnect when the sender of MSG goes away, as for a
     * streaming request. */
    virtual void track_disconnect(const flux_msg_t *msg, const std::string &service) = 0;

    /* Log into the instance's ring (flux dmesg). */
    void log(int level, const char *fmt, ...) FLUX_PRINTF(3, 4)
    {
        va_list ap;
        va_start(ap, fmt);
        vlog(level, fmt, ap);
        va_end(ap);
    }
    virtual void vlog(int level, const char *fmt, va_list ap) = 0;

    /* The KVS service of this broker (rank 0), or nullptr. */
    virtual Kvs *kvs() = 0;

    /* A broker attribute (flux-broker-attributes(7)), if set. */
    virtual std::optional<std::string> attr(const std::string &name) const = 0;
    /* The same, as an integer; nothing when unset or not a number. */
    std::optional<long> attr_long(const std::string &name) const
    {
        auto v = attr(name);
        if (!v || v->empty())
            return std::nullopt;
        char *end;
        errno = 0;
        long n = strtol(v->c_str(), &end, 10);
        if (errno != 0 || *end != '\0')
            return std::nullopt;
        return n;
    }

    virtual uint32_t rank() const = 0;
    virtual uint32_t size() const = 0;
    /* Ranks online in this broker's subtree (at rank 0: the instance). */
    virtual flux::IdSet online_ranks() const = 0;
    /* Call CB (in the loop) whenever the set of online ranks changes. */
    virtual void on_ranks_changed(std::function<void()> cb) = 0;

    virtual struct event_base *base() = 0;
    /* Wall-clock seconds. */
    virtual double now() const = 0;
    /* Call CB with the wait(2) status when child PID exits. */
    virtual void watch_child(pid_t pid, std::function<void(int status)> cb) = 0;
    virtual bool shutting_down() const = 0;

    /* Path of this broker's local connector socket. */
    virtual const std::string &local_uri_path() const = 0;
    /* OS CPU numbers ("0-3") of the cores with these logical indexes. */
    virtual std::string cpus_of_cores(const flux::IdSet &cores) = 0;
};

/* Reading a message without its private layout. */
namespace msg {
uint32_t userid(const flux_msg_t *m);
uint32_t rolemask(const flux_msg_t *m);
uint32_t matchtag(const flux_msg_t *m);
int errnum(const flux_msg_t *m); /* of a response; 0 = success */
std::string_view topic(const flux_msg_t *m);
bool has_payload(const flux_msg_t *m);
std::string_view payload(const flux_msg_t *m); /* empty without one */
bool streaming(const flux_msg_t *m);           /* FLUX_MSGFLAG_STREAMING */
/* Were A and B sent by the same connection (same route stack)? */
bool same_sender(const flux_msg_t *a, const flux_msg_t *b);
} // namespace msg

} // namespace fluxd
