/* broker.cpp - fluxd core: links, routing, built-in services (broker, attr,
 * event, service, log), the initial program and shutdown.
 *
 * Attributes read: log-stderr-level, log-ring-size, access.allow-guest-user,
 * access.allow-root-owner,
 * broker.quorum, broker.shutdown-timeout, broker.signal-forward.  See
 * flux-broker-attributes(7).
 */
#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstring>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "broker.h"
#include "boot.h"
#include "pmi_boot.h"
#include "kvs/kvs.h"
#include "resource/resource.h"
#include "job-ingest/ingest.h"
#include "job-manager/manager.h"
#include "job-exec/exec.h"
#include "config.h"
#include "libflux/message_internal.h"
#include "libflux/ptr.h"
#include "topology.h"

extern char **environ;

namespace fluxd {

namespace {

std::string topic_service(const std::string &topic)
{
    size_t dot = topic.find('.');
    return dot == std::string::npos ? topic : topic.substr(0, dot);
}

/* Identifies a request and its responses on one broker: the route stack
 * (as it stands here) and the matchtag. */
std::string inflight_key(const flux_msg_t *msg)
{
    std::string key = std::to_string(msg->matchtag);
    for (const auto &r : msg->routes) {
        key += '!';
        key += r;
    }
    return key;
}

/* Messages handled from one link before the loop moves on, and the input
 * a link may have buffered (one frame may still exceed it). */
constexpr int max_batch = 256;
constexpr size_t max_buffered_in = 1 << 20;

/* Bytes a client may leave unread before the broker gives up on it. */
constexpr size_t client_queue_limit = 4 * (size_t)FLUX_MSG_MAX_SIZE;

bool prefix_match(const std::string &topic, const std::string &prefix)
{
    return topic.compare(0, prefix.size(), prefix) == 0;
}

} // namespace

Broker::Broker()
{
    base_ = event_base_new();
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    start_time_ = tv.tv_sec + tv.tv_usec * 1e-6;
    reap_ev_.reset(event_new(
        base_, -1, 0, [](evutil_socket_t, short, void *arg) { ((Broker *)arg)->reap_links(); },
        this));
}

Broker::~Broker()
{
    /* Commit what is queued while the services whose callbacks wait on it
     * still exist (the callbacks may queue more). */
    for (int i = 0; kvs_ && !kvs_->idle() && i < 100; i++)
        kvs_->sync();
    ingest_.reset();
    job_manager_.reset();
    job_exec_.reset();
    resource_.reset();
    kvs_.reset(); /* flushes pending commits; its events need base_ */
    modules_reap_at_exit();
    links_.clear();
    dead_links_.clear();
    dmesg_followers_.clear();
    if (tbon_listener_)
        evconnlistener_free(tbon_listener_);
    if (local_listener_)
        evconnlistener_free(local_listener_);
    for (auto *ev : {&reap_ev_, &reconnect_ev_, &connect_ev_, &sigchld_ev_, &sigterm_ev_,
                     &sigint_ev_, &shutdown_timer_})
        ev->reset();
    if (connect_fd_ >= 0)
        close(connect_fd_);
    if (!local_path_.empty())
        unlink(local_path_.c_str());
    if (!tbon_ipc_path_.empty())
        unlink(tbon_ipc_path_.c_str());
    if (statedir_created_) {
        auto rm = [](const char *path, const struct stat *, int, struct FTW *) {
            return remove(path);
        };
        if (nftw(statedir_.c_str(), rm, 16, FTW_DEPTH | FTW_PHYS) < 0)
            fprintf(stderr, "fluxd: could not remove %s: %s\n", statedir_.c_str(), strerror(errno));
    }
    if (rundir_created_)
        rmdir(rundir_.c_str());
    event_base_free(base_);
}

double Broker::now() const
{
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    return tv.tv_sec + tv.tv_usec * 1e-6;
}

/* Logging -----------------------------------------------------------------*/

void Broker::log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, fmt, ap);
    va_end(ap);
}

void Broker::vlog(int level, const char *fmt, va_list ap)
{
    char buf[2048];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    LogEntry e;
    e.level = level;
    e.rank = rank_;
    e.timestamp = now();
    e.appname = "broker";
    e.hostname = hostname_;
    e.message = buf;
    log_entry(std::move(e));
}

void Broker::log_entry(LogEntry e)
{
    long stderr_level = attrs_.get_long("log-stderr-level").value_or(LOG_ERR);
    if (e.rank == rank_ && e.level <= stderr_level)
        fprintf(stderr, "%s\n", LogRing::format(e).c_str());
    const LogEntry &stored = log_ring_.append(e);
    /* Sending to followers can log (a dropped response); those entries are
     * kept but not fanned out again, or a dead follower would recurse. */
    if (!in_log_fanout_ && !dmesg_followers_.empty()) {
        in_log_fanout_ = true;
        std::erase_if(dmesg_followers_, [&](const flux::ConstMsgPtr &req) {
            json_t *o = json_pack("{s:I s:i s:i s:f s:s s:s s:s}", "seq", (json_int_t)stored.seq,
                                  "level", stored.level, "rank", (int)stored.rank, "timestamp",
                                  stored.timestamp, "appname", stored.appname.c_str(), "hostname",
                                  stored.hostname.c_str(), "message", stored.message.c_str());
            return !respond(req.get(), o);
        });
        in_log_fanout_ = false;
    }
    /* Rank 0 collects the whole instance's log. */
    if (rank_ != 0 && parent_ && parent_hello_done_) {
        flux::MsgPtr fwd(flux_msg_create(FLUX_MSGTYPE_REQUEST));
        flux_msg_set_topic(fwd.get(), "log.append");
        flux_msg_set_nodeid(fwd.get(), 0);
        fwd->flags = FLUX_MSGFLAG_NORESPONSE;
        fwd->userid = getuid();
        fwd->rolemask = FLUX_ROLE_OWNER;
        flux_msg_pack(fwd.get(), "{s:i s:i s:f s:s s:s s:s}", "level", e.level, "rank", (int)e.rank,
                      "timestamp", e.timestamp, "appname", e.appname.c_str(), "hostname",
                      e.hostname.c_str(), "message", e.message.c_str());
        send_to(parent_, fwd.get());
    }
}

/* Links -------------------------------------------------------------------*/

Link *Broker::add_link(Link::Kind kind, int fd, const std::string &id)
{
    auto link = std::make_unique<Link>();
    Link *l = link.get();
    l->kind = kind;
    l->id = id;
    l->last_seen = now();
    l->stream = std::make_unique<flux::Stream>(fd, [this, l]() { link_readable(l); });
    l->stream->attach(base_);
    l->stream->defer_writes(true); /* one write per peer per loop pass */
    l->stream->watch_input(true);
    links_[id] = std::move(link);
    return l;
}

Link *Broker::find_link(const std::string &id)
{
    auto it = links_.find(id);
    if (it == links_.end() || it->second->closed)
        return nullptr;
    return it->second.get();
}

bool Broker::send_to(Link *link, const flux_msg_t *msg)
{
    if (!link || link->closed)
        return false;
    if (link->kind == Link::Kind::client && link->stream->queued_out() > client_queue_limit) {
        close_link(link, "client is not reading its messages (send queue over "
                             + std::to_string(client_queue_limit >> 20) + " MiB)");
        return false;
    }
    if (link->stream->send(msg) < 0) {
        close_link(link, link->stream->failed() ? link->stream->error() : strerror(errno));
        return false;
    }
    return true;
}

void Broker::peer_response_seen(Link *peer, const flux_msg_t *msg)
{
    if (peer->inflight.empty())
        return;
    bool final = !(msg->flags & FLUX_MSGFLAG_STREAMING) || msg->errnum != 0;
    if (final)
        peer->inflight.erase(inflight_key(msg));
}

void Broker::forward_request(Link *peer, const flux_msg_t *msg)
{
    if (!(msg->flags & FLUX_MSGFLAG_NORESPONSE) && msg->matchtag != FLUX_MATCHTAG_NONE)
        peer->inflight[inflight_key(msg)] = flux::ConstMsgPtr(flux_msg_copy(msg, false));
    send_to(peer, msg);
}

void Broker::fail_inflight(Link *link, const std::string &why)
{
    auto pending = std::move(link->inflight);
    link->inflight.clear();
    for (auto &[key, req] : pending)
        respond_error(req.get(), EHOSTUNREACH, why);
}

void Broker::reap_links()
{
    dead_links_.clear();
    auto disconnects = std::move(pending_disconnects_);
    pending_disconnects_.clear();
    for (auto &req : disconnects)
        route_request(req.get(), nullptr);
}

void Broker::close_link(Link *link, const std::string &why)
{
    if (link->closed)
        return;
    link->closed = true;
    link->stream->watch_input(false);
    for (const auto &svc : link->services) {
        auto it = services_.find(svc);
        if (it != services_.end() && it->second == link)
            services_.erase(it);
    }
    if (link->kind == Link::Kind::client || link->kind == Link::Kind::module) {
        queue_disconnects(link);
        event_active(reap_ev_.get(), 0, 0);
    }
    if (!link->inflight.empty()) {
        std::string who = link->kind == Link::Kind::parent ? "parent (rank " + link->id + ")"
                                                           : "rank " + link->id;
        fail_inflight(link, "lost connection to " + who + " before it responded");
    }
    switch (link->kind) {
        case Link::Kind::child:
            child_lost(link, why);
            break;
        case Link::Kind::parent:
            parent_ = nullptr;
            parent_hello_done_ = false;
            if (state_ == State::shutdown)
                log(LOG_DEBUG, "parent disconnected during shutdown");
            else {
                log(LOG_ERR, "lost connection to parent (rank %u): %s", tree_parent(rank_, fanout_),
                    why.c_str());
                parent_schedule_reconnect();
            }
            break;
        case Link::Kind::module:
            if (link->module)
                module_exited(link->module);
            break;
        case Link::Kind::client: {
            /* A client hanging up is routine; a protocol error is not. */
            bool hangup = why.empty() || why == "eof" || why.find("Broken pipe") != std::string::npos
                          || why.find("reset by peer") != std::string::npos;
            if (!hangup)
                log(LOG_ERR, "client %s: %s", link->id.c_str(), why.c_str());
            break;
        }
        case Link::Kind::pending_child:
            if (!why.empty() && why != "eof")
                log(LOG_ERR, "rejected overlay connection: %s", why.c_str());
            break;
    }
    auto it = links_.find(link->id);
    if (it != links_.end() && it->second.get() == link) {
        dead_links_.push_back(std::move(it->second));
        links_.erase(it);
        event_active(reap_ev_.get(), 0, 0);
    }
    maybe_finish_shutdown();
}

/* Tell each service a departed client streamed from that it is gone: a
 * SERVICE.disconnect request that follows the client's own route. */
void Broker::queue_disconnects(Link *link)
{
    for (const auto &[svc, nodeid] : link->streaming) {
        flux::MsgPtr req(flux_msg_create(FLUX_MSGTYPE_REQUEST));
        flux_msg_set_topic(req.get(), (svc + ".disconnect").c_str());
        req->flags = FLUX_MSGFLAG_NORESPONSE;
        req->nodeid = nodeid;
        req->userid = link->userid;
        req->rolemask = link->rolemask;
        flux_msg_route_push(req.get(), link->id.c_str());
        pending_disconnects_.push_back(std::move(req));
    }
    link->streaming.clear();
}

void Broker::link_readable(Link *link)
{
    if (link->closed)
        return;
    /* Read a bounded amount too: the rest stays in the socket until the
     * buffered messages are handled. */
    bool filled = false;
    if (link->stream->buffered_in() < max_buffered_in) {
        link->stream->fill(0, max_buffered_in);
        filled = true;
    }
    link->last_seen = now();
    /* Take a bounded batch, then let the loop run (group commits, other
     * links) before coming back for the rest. */
    for (int n = 0;; n++) {
        if (n == max_batch) {
            link->stream->reschedule_input();
            return;
        }
        flux_msg_t *msg = nullptr;
        int rc = link->stream->next(&msg);
        if (rc == 0) {
            if (!filled) { /* a frame larger than what is buffered: read on */
                link->stream->fill(0, max_buffered_in);
                filled = true;
                continue;
            }
            break;
        }
        if (rc < 0) {
            close_link(link, link->stream->failed() ? link->stream->error() : "eof");
            return;
        }
        flux::ConstMsgPtr owned(msg);
        link_message(link, msg);
        if (link->closed)
            return;
    }
    if (link->stream->eof())
        close_link(link, "eof");
}

void Broker::link_message(Link *link, const flux_msg_t *cmsg)
{
    auto *msg = const_cast<flux_msg_t *>(cmsg);
    switch (link->kind) {
        case Link::Kind::pending_child:
            if (msg->type == FLUX_MSGTYPE_REQUEST && msg->topic == "overlay.hello")
                child_hello(link, msg);
            else
                close_link(link, "expected overlay.hello, got " + msg->topic);
            return;
        case Link::Kind::client:
        case Link::Kind::module:
            if (msg->type == FLUX_MSGTYPE_REQUEST) {
                msg->userid = link->userid;
                msg->rolemask = link->rolemask;
                if (link->kind == Link::Kind::module && msg->topic == "module.status") {
                    svc_module_status(msg, link);
                    return;
                }
                if (!(link->rolemask & FLUX_ROLE_OWNER) &&
                    attrs_.get("access.allow-guest-user").value_or("false") != "true") {
                    flux_msg_route_push(msg, link->id.c_str());
                    respond_error(msg, EPERM, "guest access to this instance is not allowed");
                    return;
                }
                if (msg->flags & FLUX_MSGFLAG_STREAMING)
                    link->streaming.emplace(topic_service(msg->topic), msg->nodeid);
                flux_msg_route_push(msg, link->id.c_str());
                route_request(msg, link);
            }
            else if (msg->type == FLUX_MSGTYPE_RESPONSE)
                route_response(msg);
            else
                log(LOG_DEBUG, "%s: dropped %s %s", link->id.c_str(), flux_msg_typestr(msg->type),
                    msg->topic.c_str());
            return;
        case Link::Kind::child:
            if (msg->type == FLUX_MSGTYPE_REQUEST) {
                if (msg->topic == "overlay.update" && msg->routes.empty()) {
                    child_update(link, msg);
                    return;
                }
                flux_msg_route_push(msg, link->id.c_str());
                route_request(msg, link);
            }
            else if (msg->type == FLUX_MSGTYPE_RESPONSE) {
                peer_response_seen(link, msg);
                route_response(msg);
            }
            return;
        case Link::Kind::parent:
            if (msg->type == FLUX_MSGTYPE_REQUEST) {
                flux_msg_route_push(msg, link->id.c_str());
                route_request(msg, link);
            }
            else if (msg->type == FLUX_MSGTYPE_RESPONSE) {
                if (msg->routes.empty() && msg->topic == "overlay.hello")
                    parent_hello_response(msg);
                else {
                    peer_response_seen(link, msg);
                    route_response(msg);
                }
            }
            else if (msg->type == FLUX_MSGTYPE_EVENT)
                distribute_event(msg);
            return;
    }
}

/* Routing -----------------------------------------------------------------*/

void Broker::forward_to_parent(flux_msg_t *msg)
{
    if (!parent_ || !parent_hello_done_) {
        respond_error(msg, EHOSTUNREACH,
                      "rank " + std::to_string(rank_) + " has no connection to its parent");
        return;
    }
    forward_request(parent_, msg);
}

void Broker::route_request(flux_msg_t *msg, Link *from)
{
    uint32_t nodeid = msg->nodeid;
    bool upstream = msg->flags & FLUX_MSGFLAG_UPSTREAM;
    if (nodeid == FLUX_NODEID_ANY || (upstream && nodeid == rank_)) {
        if (!upstream) {
            std::string svc = topic_service(msg->topic);
            if (builtin_services_.count(svc) || services_.count(svc)) {
                deliver_local(msg, from);
                return;
            }
        }
        if (rank_ == 0) {
            respond_error(msg, ENOSYS, "No service matching " + msg->topic + " is registered");
            return;
        }
        if (upstream)
            msg->nodeid = FLUX_NODEID_ANY;
        forward_to_parent(msg);
        return;
    }
    if (nodeid == FLUX_NODEID_UPSTREAM) {
        respond_error(msg, EINVAL, "FLUX_NODEID_UPSTREAM requires the upstream flag");
        return;
    }
    if (nodeid >= size_) {
        respond_error(msg, EHOSTUNREACH,
                      "nodeid " + std::to_string(nodeid) + " is out of range (size " +
                          std::to_string(size_) + ")");
        return;
    }
    if (nodeid == rank_) {
        deliver_local(msg, from);
        return;
    }
    if (auto hop = tree_next_hop(rank_, nodeid, fanout_)) {
        auto it = child_links_.find(*hop);
        if (it == child_links_.end()) {
            respond_error(msg, EHOSTUNREACH,
                          "rank " + std::to_string(nodeid) + " is unreachable (rank " +
                              std::to_string(*hop) + " is offline)");
            return;
        }
        forward_request(it->second, msg);
        return;
    }
    forward_to_parent(msg);
}

void Broker::deliver_local(flux_msg_t *msg, Link *from)
{
    auto b = builtins_.find(msg->topic);
    if (b != builtins_.end()) {
        if (!(msg->rolemask & (b->second.rolemask | FLUX_ROLE_OWNER))) {
            respond_error(msg, EPERM, "Request requires owner credentials");
            return;
        }
        b->second.fn(msg, from);
        return;
    }
    std::string svc = topic_service(msg->topic);
    auto s = services_.find(svc);
    if (s != services_.end()) {
        send_to(s->second, msg);
        return;
    }
    if (builtin_services_.count(svc))
        respond_error(msg, ENOSYS, "Unknown service method " + msg->topic);
    else if (msg->nodeid == FLUX_NODEID_ANY && rank_ != 0)
        forward_to_parent(msg);
    else
        respond_error(msg, ENOSYS, "No service matching " + msg->topic + " is registered");
}

/* Route id of requests the broker itself sends. */
static const char *self_route = "b";

void Broker::rpc_multi(const std::string &topic, const std::string &payload, uint32_t nodeid,
                       MultiCb cb)
{
    send_internal(topic, payload.c_str(), nodeid, nullptr, std::move(cb));
}

void Broker::rpc(const std::string &topic, const std::string &payload, uint32_t nodeid,
                 ResponseCb cb)
{
    send_internal(topic, payload.c_str(), nodeid, std::move(cb), nullptr);
}

void Broker::track_disconnect(const flux_msg_t *msg, const std::string &service)
{
    if (msg->routes.empty())
        return;
    if (Link *link = find_link(msg->routes.front()))
        link->streaming.emplace(service, msg->nodeid);
}

void Broker::rpc(const std::string &topic, json_t *payload, uint32_t nodeid, ResponseCb cb)
{
    char *s = payload ? json_dumps(payload, JSON_COMPACT) : nullptr;
    json_decref(payload);
    send_internal(topic, s, nodeid, std::move(cb), nullptr);
    free(s);
}

/* The callback is registered before the request is routed: an error
 * response (ENOSYS) may come back at once. */
void Broker::send_internal(const std::string &topic, const char *payload, uint32_t nodeid,
                           ResponseCb cb, MultiCb mcb)
{
    flux::MsgPtr req(flux_msg_create(FLUX_MSGTYPE_REQUEST));
    flux_msg_set_topic(req.get(), topic.c_str());
    req->nodeid = nodeid;
    req->userid = getuid();
    req->rolemask = FLUX_ROLE_OWNER;
    uint32_t tag = next_internal_tag_++;
    if (next_internal_tag_ == 0)
        next_internal_tag_ = 1;
    req->matchtag = tag;
    if (payload)
        flux_msg_set_string(req.get(), payload);
    if (mcb)
        internal_multi_[tag] = std::move(mcb);
    else
        internal_rpcs_[tag] = std::move(cb);
    flux_msg_route_push(req.get(), self_route);
    route_request(req.get(), nullptr);
}

bool Broker::route_response(flux_msg_t *msg)
{
    const char *last = flux_msg_route_last(msg);
    if (!last)
        return false; /* nobody to answer */
    if (msg->routes.size() == 1 && strcmp(last, self_route) == 0) {
        auto it = internal_rpcs_.find(msg->matchtag);
        if (it == internal_rpcs_.end()) {
            auto m = internal_multi_.find(msg->matchtag);
            if (m == internal_multi_.end())
                return false;
            /* The callback may send requests (and grow the map). */
            MultiCb cb = std::move(m->second);
            internal_multi_.erase(m);
            uint32_t tag = msg->matchtag;
            flux_msg_route_pop(msg);
            if (!cb(msg) && msg->errnum == 0)
                internal_multi_[tag] = std::move(cb);
            return true;
        }
        ResponseCb cb = std::move(it->second);
        bool final = !(msg->flags & FLUX_MSGFLAG_STREAMING) || msg->errnum != 0;
        if (final)
            internal_rpcs_.erase(it);
        else
            it->second = cb;
        flux_msg_route_pop(msg);
        cb(msg);
        return true;
    }
    Link *link = find_link(last);
    flux_msg_route_pop(msg);
    if (!link)
        return false; /* the requester went away; nothing to report */
    return send_to(link, msg);
}

bool Broker::respond_text(const flux_msg_t *req, const std::string &payload)
{
    if (req->flags & FLUX_MSGFLAG_NORESPONSE)
        return true;
    flux::MsgPtr rsp(flux_msg_create(FLUX_MSGTYPE_RESPONSE));
    rsp->topic = req->topic;
    rsp->matchtag = req->matchtag;
    rsp->routes = req->routes;
    rsp->userid = req->userid;
    rsp->rolemask = req->rolemask;
    rsp->flags = req->flags & FLUX_MSGFLAG_STREAMING;
    flux_msg_set_string(rsp.get(), payload.c_str());
    return route_response(rsp.get());
}

bool Broker::respond(const flux_msg_t *req, json_t *payload)
{
    if (req->flags & FLUX_MSGFLAG_NORESPONSE) {
        json_decref(payload);
        return true;
    }
    flux::MsgPtr rsp(flux_msg_create(FLUX_MSGTYPE_RESPONSE));
    rsp->topic = req->topic;
    rsp->matchtag = req->matchtag;
    rsp->routes = req->routes;
    rsp->userid = req->userid;
    rsp->rolemask = req->rolemask;
    rsp->flags = req->flags & FLUX_MSGFLAG_STREAMING;
    if (payload) {
        char *s = json_dumps(payload, JSON_COMPACT);
        flux_msg_set_string(rsp.get(), s);
        free(s);
        json_decref(payload);
    }
    return route_response(rsp.get());
}

bool Broker::respond_error(const flux_msg_t *req, int errnum, const std::string &text)
{
    if (req->flags & FLUX_MSGFLAG_NORESPONSE)
        return true;
    flux::MsgPtr rsp(flux_msg_create(FLUX_MSGTYPE_RESPONSE));
    rsp->topic = req->topic;
    rsp->matchtag = req->matchtag;
    rsp->routes = req->routes;
    rsp->userid = req->userid;
    rsp->rolemask = req->rolemask;
    rsp->flags = req->flags & FLUX_MSGFLAG_STREAMING;
    rsp->errnum = (uint32_t)errnum;
    if (!text.empty())
        flux_msg_set_string(rsp.get(), text.c_str());
    return route_response(rsp.get());
}

void Broker::distribute_event(const flux_msg_t *msg)
{
    if (rank_ != 0) {
        if (event_seq_ != 0 && msg->matchtag != event_seq_ + 1)
            log(LOG_ERR, "event sequence gap: expected %u, got %u (%s)", event_seq_ + 1,
                msg->matchtag, msg->topic.c_str());
        event_seq_ = msg->matchtag;
    }
    /* Copy first: a failed send closes a link and edits the map. */
    std::vector<Link *> children;
    for (auto &[rank, link] : child_links_)
        children.push_back(link);
    for (auto *link : children)
        send_to(link, msg);
    bool priv = msg->flags & FLUX_MSGFLAG_PRIVATE;
    std::vector<Link *> targets;
    for (auto &[id, link] : links_) {
        if (link->closed || (link->kind != Link::Kind::client && link->kind != Link::Kind::module))
            continue;
        if (priv && !(link->rolemask & FLUX_ROLE_OWNER) && link->userid != msg->userid)
            continue;
        for (const auto &sub : link->subscriptions) {
            if (prefix_match(msg->topic, sub)) {
                targets.push_back(link.get());
                break;
            }
        }
    }
    for (auto *l : targets)
        send_to(l, msg);
    if (msg->topic == "broker.shutdown")
        begin_shutdown("shutdown event");
}

void Broker::add_builtin(const std::string &topic, uint32_t rolemask, Handler fn)
{
    builtins_[topic] = Builtin{rolemask, std::move(fn)};
    builtin_services_.insert(topic_service(topic));
}

/* The local link a request entered this broker on (requests that a client
 * sent to its own broker carry exactly one route entry). */
Link *Broker::origin_link(const flux_msg_t *msg)
{
    if (msg->routes.size() != 1)
        return nullptr;
    Link *l = find_link(msg->routes[0]);
    if (!l || (l->kind != Link::Kind::client && l->kind != Link::Kind::module))
        return nullptr;
    return l;
}

/* Built-in services ---------------------------------------------------------*/

void Broker::register_builtins()
{
    auto reg = [this](const char *topic, uint32_t roles, void (Broker::*fn)(const flux_msg_t *)) {
        add_builtin(topic, roles, [this, fn](const flux_msg_t *m, Link *) { (this->*fn)(m); });
    };
    const uint32_t user = FLUX_ROLE_USER;
    /* Every built-in service answers NAME.ping. */
    for (const char *svc :
         {"broker", "attr", "event", "service", "log", "overlay", "module", "hwloc"}) {
        std::string t = std::string(svc) + ".ping";
        add_builtin(t, user, [this](const flux_msg_t *m, Link *) { svc_ping(m); });
    }
    reg("attr.get", user, &Broker::svc_attr_get);
    reg("attr.set", 0, &Broker::svc_attr_set);
    reg("attr.list", user, &Broker::svc_attr_list);
    reg("event.publish", 0, &Broker::svc_event_publish);
    add_builtin("event.subscribe", user,
                [this](const flux_msg_t *m, Link *) { svc_event_sub(m, true); });
    add_builtin("event.unsubscribe", user,
                [this](const flux_msg_t *m, Link *) { svc_event_sub(m, false); });
    reg("service.add", user, &Broker::svc_service_add);
    reg("service.remove", user, &Broker::svc_service_remove);
    reg("log.append", user, &Broker::svc_log_append);
    reg("log.dmesg", 0, &Broker::svc_log_dmesg);
    reg("log.clear", 0, &Broker::svc_log_clear);
    reg("log.disconnect", user, &Broker::svc_log_disconnect);
    reg("overlay.status", user, &Broker::svc_overlay_status);
    reg("broker.shutdown", 0, &Broker::svc_broker_shutdown);
    reg("module.load", 0, &Broker::svc_module_load);
    reg("module.remove", 0, &Broker::svc_module_remove);
    reg("module.list", user, &Broker::svc_module_list);
    reg("hwloc.info", user, &Broker::svc_hwloc_info);
    reg("config.get", user, &Broker::svc_config_get);
    reg("config.reload", 0, &Broker::svc_config_reload);
}

/* Config: flux config get / reload (flux-config(1)) -------------------------*/

void Broker::set_config(const std::string &path,
                        const std::string &json,
                        const std::map<std::string, std::string> &attrs)
{
    config_path_ = path;
    config_json_ = json;
    config_attrs_ = attrs;
}

void Broker::svc_config_get(const flux_msg_t *msg)
{
    json_error_t jerr;
    json_t *o = json_loads(config_json_.c_str(), 0, &jerr);
    respond(msg, o ? o : json_object());
}

/* Reread the config path.  A config that does not validate changes nothing.
 * Settings the running broker consults each time it needs them are applied;
 * one that services read once at start (and the bootstrap table: ranks,
 * hosts, endpoints) refuses the reload, naming the keys: they need a
 * restart of fluxd.  Tables the broker does not consume itself are taken as
 * they are (config.get serves them). */
void Broker::svc_config_reload(const flux_msg_t *msg)
{
    static const char *reloadable[] = {"broker.shutdown-timeout"};
    if (config_path_.empty()) {
        respond_error(msg, EINVAL, "config reload: this broker was not started with a config "
                                   "path (fluxd --config-path)");
        return;
    }
    auto cfg = config_load(config_path_);
    if (!cfg) {
        log(LOG_ERR, "config reload: %s", cfg.error().text.c_str());
        respond_error(msg, EINVAL, "config reload: " + cfg.error().text);
        return;
    }
    json_error_t jerr;
    flux::JsonPtr before(json_loads(config_json_.c_str(), 0, &jerr));
    flux::JsonPtr after(json_loads(cfg->json.c_str(), 0, &jerr));
    std::string refused;
    json_t *b0 = before ? json_object_get(before.get(), "bootstrap") : nullptr;
    json_t *b1 = after ? json_object_get(after.get(), "bootstrap") : nullptr;
    if ((b0 || b1) && !(b0 && b1 && json_equal(b0, b1)))
        refused = "bootstrap";
    std::map<std::string, std::string> apply;
    std::set<std::string> keys;
    for (const auto &[k, v] : config_attrs_)
        keys.insert(k);
    for (const auto &[k, v] : cfg->attrs)
        keys.insert(k);
    for (const auto &k : keys) {
        auto o = config_attrs_.find(k), n = cfg->attrs.find(k);
        std::optional<std::string> ov, nv;
        if (o != config_attrs_.end())
            ov = o->second;
        if (n != cfg->attrs.end())
            nv = n->second;
        if (ov == nv)
            continue;
        bool ok = nv.has_value();
        if (ok) {
            ok = false;
            for (const char *r : reloadable)
                ok = ok || k == r;
        }
        if (ok)
            apply[k] = *nv;
        else
            refused += (refused.empty() ? "" : ", ") + k;
    }
    if (!refused.empty()) {
        respond_error(msg, EPERM,
                      "config reload: " + refused +
                          ": may not change while fluxd runs (restart it); nothing was changed");
        return;
    }
    for (const auto &[k, v] : apply) {
        std::string err;
        if (int e = attrs_.set_runtime(k, v, &err); e != 0) {
            respond_error(msg, e, "config reload: " + err);
            return;
        }
    }
    config_json_ = cfg->json;
    config_attrs_ = cfg->attrs;
    log(LOG_INFO, "config reloaded from %s", config_path_.c_str());
    respond(msg, nullptr);
}

void Broker::svc_ping(const flux_msg_t *msg)
{
    json_t *o = nullptr;
    if (msg->has_payload) {
        json_error_t jerr;
        o = json_loadb(msg->payload.data(), msg->payload.size(), 0, &jerr);
        if (!o || !json_is_object(o)) {
            json_decref(o);
            respond_error(msg, EPROTO, "ping payload must be a JSON object");
            return;
        }
    }
    else
        o = json_object();
    char *route = flux_msg_route_string(msg);
    json_object_set_new(o, "route", json_string(route ? route : ""));
    json_object_set_new(o, "rank", json_integer(rank_));
    free(route);
    respond(msg, o);
}

void Broker::svc_attr_get(const flux_msg_t *msg)
{
    const char *name;
    if (flux_msg_unpack(msg, "{s:s}", "name", &name) < 0) {
        respond_error(msg, EPROTO, "attr.get: expected {\"name\": string}");
        return;
    }
    auto v = attrs_.get(name);
    if (!v) {
        respond_error(msg, ENOENT, std::string("unknown attribute '") + name + "'");
        return;
    }
    respond(msg,
            json_pack("{s:s s:b}", "value", v->c_str(), "immutable", attrs_.is_immutable(name)));
}

void Broker::svc_attr_set(const flux_msg_t *msg)
{
    const char *name, *value;
    if (flux_msg_unpack(msg, "{s:s s:s}", "name", &name, "value", &value) < 0) {
        respond_error(msg, EPROTO, "attr.set: expected {\"name\": string, \"value\": string}");
        return;
    }
    std::string err;
    int e = attrs_.set_runtime(name, value, &err);
    if (e != 0) {
        respond_error(msg, e, err);
        return;
    }
    if (strcmp(name, "log-ring-size") == 0)
        log_ring_.set_capacity((size_t)attrs_.get_long(name).value_or(1024));
    respond(msg, nullptr);
}

void Broker::svc_attr_list(const flux_msg_t *msg)
{
    json_t *names = json_array();
    attrs_.for_each([&](const std::string &name, const std::string &, int) {
        json_array_append_new(names, json_string(name.c_str()));
    });
    respond(msg, json_pack("{s:o}", "names", names));
}

void Broker::svc_event_publish(const flux_msg_t *msg)
{
    const char *topic;
    int flags = 0;
    json_t *payload = nullptr;
    if (flux_msg_unpack(msg, "{s:s s?i s?o}", "topic", &topic, "flags", &flags, "payload",
                        &payload) < 0 ||
        !*topic || (payload && !json_is_string(payload) && !json_is_null(payload))) {
        respond_error(msg, EPROTO,
                      "event.publish: expected {\"topic\": string, "
                      "\"flags\": int, \"payload\": string|null}");
        return;
    }
    if (rank_ != 0) {
        respond_error(msg, EINVAL, "events are published at rank 0");
        return;
    }
    flux::MsgPtr ev(flux_msg_create(FLUX_MSGTYPE_EVENT));
    if (flux_msg_set_topic(ev.get(), topic) < 0) {
        respond_error(msg, EINVAL, "event topic is too long");
        return;
    }
    ev->flags = (uint8_t)(flags & FLUX_MSGFLAG_PRIVATE);
    ev->userid = msg->userid;
    ev->rolemask = msg->rolemask;
    ev->matchtag = ++event_seq_;
    if (payload && json_is_string(payload))
        flux_msg_set_string(ev.get(), json_string_value(payload));
    uint32_t seq = ev->matchtag;
    distribute_event(ev.get());
    respond(msg, json_pack("{s:i}", "seq", (int)seq));
}

void Broker::svc_event_sub(const flux_msg_t *msg, bool subscribe)
{
    const char *topic;
    if (flux_msg_unpack(msg, "{s:s}", "topic", &topic) < 0) {
        respond_error(msg, EPROTO, "expected {\"topic\": string}");
        return;
    }
    Link *link = origin_link(msg);
    if (!link) {
        respond_error(msg, EINVAL, "subscriptions are made with the local broker");
        return;
    }
    auto &subs = link->subscriptions;
    if (subscribe)
        subs.push_back(topic);
    else {
        auto it = std::find(subs.begin(), subs.end(), topic);
        if (it == subs.end()) {
            respond_error(msg, ENOENT, std::string("not subscribed to '") + topic + "'");
            return;
        }
        subs.erase(it);
    }
    respond(msg, nullptr);
}

void Broker::svc_service_add(const flux_msg_t *msg)
{
    const char *name;
    if (flux_msg_unpack(msg, "{s:s}", "service", &name) < 0 || !*name || strchr(name, '.')) {
        respond_error(msg, EPROTO, "service.add: expected {\"service\": name without '.'}");
        return;
    }
    Link *link = origin_link(msg);
    if (!link) {
        respond_error(msg, EINVAL, "services are registered with the local broker");
        return;
    }
    /* A guest (a job shell running as its user) names its services
     * "UID-...", so no guest can stand in for another's or the instance's. */
    std::string mine = std::to_string(msg->userid) + "-";
    if (!(msg->rolemask & FLUX_ROLE_OWNER) && strncmp(name, mine.c_str(), mine.size()) != 0) {
        respond_error(msg, EPERM, std::string("service '") + name + "': a guest's service name must begin with '" + mine + "'");
        return;
    }
    if (services_.count(name) || builtin_services_.count(name)) {
        respond_error(msg, EEXIST, std::string("service '") + name + "' is already registered");
        return;
    }
    services_[name] = link;
    link->services.push_back(name);
    respond(msg, nullptr);
}

void Broker::svc_service_remove(const flux_msg_t *msg)
{
    const char *name;
    if (flux_msg_unpack(msg, "{s:s}", "service", &name) < 0) {
        respond_error(msg, EPROTO, "service.remove: expected {\"service\": string}");
        return;
    }
    Link *link = origin_link(msg);
    auto it = services_.find(name);
    if (!link || it == services_.end() || it->second != link) {
        respond_error(msg, ENOENT,
                      std::string("service '") + name + "' is not registered by this client");
        return;
    }
    services_.erase(it);
    auto &v = link->services;
    v.erase(std::remove(v.begin(), v.end(), name), v.end());
    respond(msg, nullptr);
}

void Broker::svc_log_append(const flux_msg_t *msg)
{
    int level = LOG_INFO, rank = -1;
    double ts = now();
    const char *appname = "unknown", *message = nullptr, *host = nullptr;
    if (flux_msg_unpack(msg, "{s:i s?s s:s s?f s?i s?s}", "level", &level, "appname", &appname,
                        "message", &message, "timestamp", &ts, "rank", &rank, "hostname",
                        &host) < 0) {
        respond_error(msg, EPROTO, "log.append: expected {\"level\": int, \"message\": string}");
        return;
    }
    LogEntry e;
    e.level = level < 0 ? 0 : level > 7 ? 7 : level;
    e.rank = rank < 0 ? rank_ : (uint32_t)rank;
    e.timestamp = ts;
    e.appname = appname;
    e.hostname = host ? host : hostname_;
    e.message = message;
    /* Module load failures are reported with the module's last error. */
    if (e.level <= LOG_ERR) {
        if (Link *l = origin_link(msg); l && l->module)
            l->module->last_error = e.message;
    }
    log_entry(std::move(e));
    respond(msg, nullptr);
}

void Broker::svc_log_dmesg(const flux_msg_t *msg)
{
    int follow = 0;
    if (msg->has_payload && flux_msg_unpack(msg, "{s?b}", "follow", &follow) < 0) {
        respond_error(msg, EPROTO, "log.dmesg: expected {\"follow\": bool}");
        return;
    }
    if (!(msg->flags & FLUX_MSGFLAG_STREAMING)) {
        respond_error(msg, EPROTO, "log.dmesg requires a streaming request");
        return;
    }
    for (const auto &e : log_ring_.entries()) {
        respond(msg, json_pack("{s:I s:i s:i s:f s:s s:s s:s}", "seq", (json_int_t)e.seq, "level",
                               e.level, "rank", (int)e.rank, "timestamp", e.timestamp, "appname",
                               e.appname.c_str(), "hostname", e.hostname.c_str(), "message",
                               e.message.c_str()));
    }
    if (follow)
        dmesg_followers_.push_back(flux::msg_ref(msg));
    else
        respond_error(msg, ENODATA, "");
}

void Broker::svc_log_disconnect(const flux_msg_t *msg)
{
    std::erase_if(dmesg_followers_,
                  [&](const flux::ConstMsgPtr &f) { return f->routes == msg->routes; });
}

void Broker::svc_log_clear(const flux_msg_t *msg)
{
    log_ring_.clear();
    respond(msg, nullptr);
}

void Broker::svc_broker_shutdown(const flux_msg_t *msg)
{
    if (rank_ != 0) {
        respond_error(msg, EINVAL, "shutdown is requested at rank 0");
        return;
    }
    respond(msg, nullptr);
    if (initial_pid_ > 0)
        kill(initial_pid_, SIGHUP);
    begin_shutdown("shutdown requested");
}

/* Local connector -----------------------------------------------------------*/

void Broker::accept_cb(
    struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *, int, void *arg)
{
    auto *b = static_cast<Broker *>(arg);
    if (lev == b->local_listener_)
        b->accept_local(fd);
    else {
        tbon_tune_socket(fd);
        std::string id = "p" + std::to_string(b->next_link_id_++);
        b->add_link(Link::Kind::pending_child, fd, id);
    }
}

void Broker::accept_local(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        log(LOG_ERR, "local connector: SO_PEERCRED: %s", strerror(errno));
        close(fd);
        return;
    }
    if (state_ == State::shutdown) {
        close(fd);
        return;
    }
    std::string id = "c" + std::to_string(next_link_id_++);
    Link *l = add_link(Link::Kind::client, fd, id);
    l->userid = cred.uid;
    /* RFC 12: the owner (and root, where allow-root-owner) is admin;
     * everyone else a guest, whose access the services decide. */
    bool root_owner = cred.uid == 0
                      && attrs_.get("access.allow-root-owner").value_or("false") == "true";
    l->rolemask = cred.uid == getuid() || root_owner ? FLUX_ROLE_OWNER : FLUX_ROLE_USER;
}

flux::Result<void> Broker::local_listen()
{
    local_path_ = rundir_ + "/local";
    struct sockaddr_un sa = {};
    sa.sun_family = AF_UNIX;
    if (local_path_.size() >= sizeof(sa.sun_path))
        return flux::make_error(EINVAL, "local socket path " + local_path_ + " is too long");
    strcpy(sa.sun_path, local_path_.c_str());
    unlink(local_path_.c_str());
    local_listener_ = evconnlistener_new_bind(base_, accept_cb, this,
                                              LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 1024,
                                              (struct sockaddr *)&sa, sizeof(sa));
    if (!local_listener_) {
        std::string err = "cannot listen on " + local_path_ + ": " + strerror(errno);
        local_path_.clear();
        return flux::make_error(EINVAL, err);
    }
    /* Access is decided per connection (SO_PEERCRED), not by file mode. */
    chmod(local_path_.c_str(), 0777);
    return {};
}

/* Lifecycle ------------------------------------------------------------------*/

void Broker::enter_run_state()
{
    if (state_ != State::join)
        return;
    state_ = State::run;
    ready_time_ = now();
    attrs_.set_internal("broker.ready-time", std::to_string(ready_time_ - start_time_));
    if (rank_ == 0)
        log(LOG_INFO, "instance of size %u is up (%.3fs)", size_, ready_time_ - start_time_);
    else
        log(LOG_DEBUG, "joined the instance (%.3fs)", ready_time_ - start_time_);
    /* A job of a parent instance: tell the parent where we are. */
    auto jobid = attrs_.get("jobid");
    auto parent = attrs_.get("parent-uri");
    if (rank_ == 0 && jobid && parent) {
        if (auto r = parent_post_uri(*parent, *jobid, "local://" + local_path_); !r)
            log(LOG_ERR, "%s", r.error().text.c_str());
    }
    if (rank_ != 0 || initial_program_.empty())
        return;
    if (!initial_waits_for_sched_ || (job_manager_ && job_manager_->sched_is_ready())) {
        initial_waits_for_sched_ = false;
        start_initial_program();
        return;
    }
    /* A scheduler that never says ready does not keep the instance idle. */
    struct timeval tv = {10, 0};
    initial_wait_timer_.reset(event_new(
        base_, -1, 0,
        [](evutil_socket_t, short, void *arg) {
            auto *b = (Broker *)arg;
            b->log(LOG_ERR, "the scheduler is not ready after 10s: starting the initial program");
            b->initial_waits_for_sched_ = false;
            if (b->state_ == State::run && b->initial_pid_ < 0)
                b->start_initial_program();
        },
        this));
    event_add(initial_wait_timer_.get(), &tv);
}

void Broker::start_initial_program()
{
    std::vector<std::string> env;
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, "FLUX_URI=", 9) != 0 && strncmp(*e, "FLUX_INSTANCE_LEVEL=", 20) != 0)
            env.push_back(*e);
    }
    env.push_back("FLUX_URI=local://" + local_path_);
    env.push_back("FLUX_INSTANCE_LEVEL=" + attrs_.get("instance-level").value_or("0"));
    std::vector<char *> envp, argv;
    for (auto &s : env)
        envp.push_back(s.data());
    envp.push_back(nullptr);
    for (auto &s : initial_program_)
        argv.push_back(s.data());
    argv.push_back(nullptr);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    sigset_t dfl;
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGHUP);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    /* broker.signal-forward=jobs: the job's SIGUSR1/SIGUSR2 are for its
     * jobs, not the initial program, which shares the broker's process
     * group: it starts with them ignored (an ignored signal stays ignored
     * across exec; the broker's own handlers are back right after). */
    bool ignore_usr = attrs_.get("broker.signal-forward").value_or("all") == "jobs";
    struct sigaction ign = {}, old_usr1 = {}, old_usr2 = {};
    ign.sa_handler = SIG_IGN;
    if (ignore_usr) {
        sigaction(SIGUSR1, &ign, &old_usr1);
        sigaction(SIGUSR2, &ign, &old_usr2);
    }
    int rc = posix_spawnp(&initial_pid_, argv[0], nullptr, &attr, argv.data(), envp.data());
    if (ignore_usr) {
        sigaction(SIGUSR1, &old_usr1, nullptr);
        sigaction(SIGUSR2, &old_usr2, nullptr);
    }
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        initial_pid_ = -1;
        fprintf(stderr, "flux-start: %s: %s\n", initial_program_[0].c_str(), strerror(rc));
        exit_code_ = rc == ENOENT ? 127 : 126;
        begin_shutdown("initial program could not be started");
        return;
    }
    log(LOG_DEBUG, "started initial program pid %d", (int)initial_pid_);
}

void Broker::reap_children()
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (auto it = child_cbs_.find(pid); it != child_cbs_.end()) {
            auto cb = std::move(it->second);
            child_cbs_.erase(it);
            cb(status);
            continue;
        }
        if (pid != initial_pid_)
            continue;
        initial_pid_ = -1;
        if (WIFEXITED(status))
            exit_code_ = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
            exit_code_ = 128 + WTERMSIG(status);
        log(LOG_DEBUG, "initial program exited (%d)", exit_code_);
        begin_shutdown("initial program exited");
    }
}

void Broker::begin_shutdown(const std::string &why)
{
    if (state_ == State::shutdown)
        return;
    state_ = State::shutdown;
    log(LOG_DEBUG, "shutdown: %s", why.c_str());
    if (rank_ == 0) {
        flux::MsgPtr ev(flux_msg_create(FLUX_MSGTYPE_EVENT));
        flux_msg_set_topic(ev.get(), "broker.shutdown");
        ev->userid = getuid();
        ev->rolemask = FLUX_ROLE_OWNER;
        ev->matchtag = ++event_seq_;
        std::vector<Link *> children;
        for (auto &[rank, link] : child_links_)
            children.push_back(link);
        for (auto *link : children)
            send_to(link, ev.get());
    }
    for (auto &[name, m] : modules_)
        module_stop(m.get());
    if (reconnect_ev_)
        event_del(reconnect_ev_.get());
    double timeout = 10.0;
    if (auto t = attrs_.get_long("broker.shutdown-timeout"))
        timeout = (double)*t;
    struct timeval tv = {(time_t)timeout, 0};
    shutdown_timer_.reset(event_new(
        base_, -1, 0,
        [](evutil_socket_t, short, void *arg) {
            auto *b = (Broker *)arg;
            b->log(LOG_ERR, "shutdown timed out waiting for children or modules");
            event_base_loopexit(b->base_, nullptr);
        },
        this));
    event_add(shutdown_timer_.get(), &tv);
    maybe_finish_shutdown();
}

void Broker::maybe_finish_shutdown()
{
    if (state_ != State::shutdown || initial_pid_ > 0)
        return;
    if (!child_links_.empty() || !modules_.empty())
        return;
    event_base_loopexit(base_, nullptr);
}

void Broker::on_signal(int sig)
{
    /* SIGUSR1/SIGUSR2 are not fatal: a job signaled with them (flux job
     * kill -s USR1, --signal=USR1@TIME of a batch job) asks its work to
     * checkpoint.  The signal reached this broker's whole process group,
     * so the initial program (the batch script) has it already; rank 0
     * passes it on to every running job of the instance, and a job that
     * is an instance does the same one level down.  broker.signal-forward
     * = script leaves the jobs alone (sbatch --signal=B:), = jobs keeps
     * it from the initial program (it starts with these signals ignored:
     * sbatch --signal without B:). */
    if (sig == SIGUSR1 || sig == SIGUSR2) {
        if (rank_ != 0 || attrs_.get("broker.signal-forward").value_or("all") == "script")
            return;
        rpc("job-manager.killall", json_pack("{s:i}", "signal", sig), 0,
            [this, sig](const flux_msg_t *rsp) {
                int count = 0;
                if (msg::errnum(rsp) == 0)
                    flux_msg_unpack(rsp, "{s?i}", "count", &count);
                log(LOG_DEBUG, "signal %s forwarded to %d running job(s)", strsignal(sig),
                    count);
            });
        return;
    }
    /* A terminal's Ctrl-C reaches the whole process group: the initial
     * program gets it directly, and the other brokers leave it alone. */
    if (sig == SIGINT && (rank_ != 0 || initial_pid_ > 0))
        return;
    if (rank_ == 0 && initial_pid_ > 0) {
        /* Let the initial program end; shutdown follows its exit. */
        kill(initial_pid_, sig == SIGINT ? SIGINT : SIGHUP);
        return;
    }
    if (state_ == State::shutdown) {
        event_base_loopexit(base_, nullptr);
        return;
    }
    begin_shutdown(std::string("signal ") + strsignal(sig));
}

static std::string make_dir(const std::string &dir, bool *created, mode_t mode = 0755)
{
    struct stat sb;
    if (stat(dir.c_str(), &sb) == 0) {
        if (!S_ISDIR(sb.st_mode))
            return dir + ": not a directory";
        if (access(dir.c_str(), R_OK | W_OK | X_OK) < 0)
            return dir + ": " + strerror(errno);
        return "";
    }
    if (mkdir(dir.c_str(), mode) < 0) {
        /* Several brokers of one instance may race to create it. */
        if (errno == EEXIST && stat(dir.c_str(), &sb) == 0 && S_ISDIR(sb.st_mode))
            return "";
        return dir + ": " + strerror(errno);
    }
    *created = true;
    return "";
}

flux::Result<void> Broker::init(const BootInfo &boot, std::vector<std::string> initial_program)
{
    boot_ = boot;
    rank_ = boot.rank;
    size_ = boot.size;
    initial_program_ = std::move(initial_program);
    fanout_ = (uint32_t)attrs_.get_long("tbon.fanout").value_or(2);

    if (auto h = attrs_.get("hostname"); h && !h->empty())
        hostname_ = *h;
    else if (const char *fake = getenv("FLUX_FAKE_HOSTNAME"); fake && *fake)
        hostname_ = fake;
    else {
        char buf[256] = "";
        gethostname(buf, sizeof(buf) - 1);
        hostname_ = buf;
    }

    /* rundir: given, or private to this broker. */
    std::string err;
    if (auto r = attrs_.get("rundir"); r && !r->empty()) {
        rundir_ = *r;
        if (!(err = make_dir(rundir_, &rundir_created_)).empty())
            return flux::make_error(EINVAL, "rundir " + err);
    }
    else {
        const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        std::string tmpl = std::string(tmp) + "/flux-XXXXXX";
        if (!mkdtemp(tmpl.data()))
            return flux::make_error(EINVAL, "cannot create rundir in " + std::string(tmp) + ": " +
                                                strerror(errno));
        rundir_ = tmpl;
        rundir_created_ = true;
        /* Guests reach the local socket in it (access is then decided per
         * connection); the statedir below stays the owner's alone. */
        if (attrs_.get("access.allow-guest-user").value_or("false") == "true")
            chmod(rundir_.c_str(), 0755);
    }
    /* statedir: given (kept), or temporary under rundir (removed at exit). */
    if (auto s = attrs_.get("statedir"); s && !s->empty()) {
        statedir_ = *s;
        bool created = false;
        if (!(err = make_dir(statedir_, &created)).empty())
            return flux::make_error(EINVAL, "statedir " + err);
    }
    else {
        statedir_ = rundir_ + "/state";
        if (!(err = make_dir(statedir_, &statedir_created_, 0700)).empty())
            return flux::make_error(EINVAL, "statedir " + err);
    }
    /* Held for the broker's life: a second broker on this statedir stops here. */
    auto lock = StatedirLock::acquire(statedir_, rank_);
    if (!lock)
        return lock.error();
    statedir_lock_ = std::move(*lock);

    long quorum = attrs_.get_long("broker.quorum").value_or(size_);
    quorum_ = (uint32_t)std::max(1L, std::min(quorum, (long)size_));
    log_ring_.set_capacity((size_t)attrs_.get_long("log-ring-size").value_or(1024));

    attrs_.set_internal("rank", std::to_string(rank_));
    attrs_.set_internal("size", std::to_string(size_));
    attrs_.set_internal("tbon.fanout", std::to_string(fanout_));
    attrs_.set_internal("tbon.level", std::to_string(tree_depth(rank_, fanout_)));
    attrs_.set_internal("hostname", hostname_);
    attrs_.set_internal("rundir", rundir_);
    attrs_.set_internal("statedir", statedir_);
    attrs_.set_internal("broker.pid", std::to_string(getpid()));
    attrs_.set_internal("broker.boot-method", boot.method);
    attrs_.set_internal("broker.quorum", std::to_string(quorum_));
    attrs_.set_internal("version", PACKAGE_VERSION);
    attrs_.set_internal("security.owner", std::to_string(getuid()));
    if (rank_ > 0)
        attrs_.set_internal("tbon.parent-endpoint", boot.connect_uri[tree_parent(rank_, fanout_)]);

    for (uint32_t c : tree_children(rank_, fanout_, size_))
        children_[c] = ChildState{};

    register_builtins();
    job_exec_ = JobExec::create(*this);
    if (rank_ == 0) {
        auto kvs = Kvs::create(*this, statedir_ + "/kvs.sqlite");
        if (!kvs)
            return kvs.error();
        kvs_ = std::move(*kvs);
        auto res = Resource::create(*this);
        if (!res)
            return res.error();
        resource_ = std::move(*res);
        auto jm = JobManager::create(*this);
        if (!jm)
            return jm.error();
        job_manager_ = std::move(*jm);
        auto in = Ingest::create(*this, resource_.get(), [this](NewJob &&job) { job_manager_->submit(std::move(job)); });
        if (!in)
            return in.error();
        ingest_ = std::move(*in);
        ingest_->set_validator([this](uint64_t id, uint32_t userid, int urgency, int flags,
                                      const std::string &jobspec) {
            return job_manager_->validate(id, userid, urgency, flags, jobspec);
        });
        ingest_->set_queue_check(
            [this](const std::string &queue) { return job_manager_->submit_check(queue); });
        job_manager_->on_sched_change = [this]() {
            if (ingest_)
                ingest_->sched_changed();
            if (initial_waits_for_sched_ && job_manager_->sched_is_ready()) {
                initial_waits_for_sched_ = false;
                initial_wait_timer_.reset();
                if (state_ == State::run && initial_pid_ < 0)
                    start_initial_program();
            }
        };
        /* The scheduler is a module speaking RFC 27 with the job manager. */
        std::string sched = attrs_.get("sched-module").value_or("sched-simple");
        if (sched != "none" && !sched.empty()) {
            if (auto m = module_load(sched, {}); !m)
                log(LOG_ERR, "cannot load the scheduler: %s", m.error().text.c_str());
            else
                initial_waits_for_sched_ = !initial_program_.empty();
        }
    }
    if (auto r = local_listen(); !r)
        return r;
    attrs_.set_internal("local-uri", "local://" + local_path_);
    if (!children_.empty()) {
        if (auto r = overlay_listen(boot.bind_uri); !r)
            return r;
    }
    if (rank_ > 0) {
        if (auto r = overlay_check_parent(); !r)
            return r;
        parent_connect();
    }
    /* Booted over PMI, every broker had bound its socket before the
     * barrier: a parent that cannot be reached (a wrong address, a
     * firewall), or ranks that never join rank 0, are an error within
     * broker.boot-timeout, not brokers waiting for ever inside their job
     * (whose shell has no exit-timeout under flux alloc). */
    if (size_ > 1 && (boot.method == "pmi" || boot.method == "pmix"))
        boot_connect_watch((double)attrs_.get_long("broker.boot-timeout").value_or(60));
    return {};
}

void Broker::boot_connect_watch(double timeout)
{
    boot_connect_timer_.reset(event_new(
        base_, -1, 0,
        [](evutil_socket_t, short, void *arg) {
            auto *b = (Broker *)arg;
            if (b->state_ == State::shutdown)
                return;
            if (b->rank_ == 0) {
                if (b->state_ != State::join)
                    return;
                IdSet missing;
                IdSet online = b->subtree_online();
                for (uint32_t r = 0; r < b->size_; r++) {
                    if (!online.contains(r))
                        missing.insert(r);
                }
                b->log(LOG_CRIT, "PMI boot: rank(s) %s did not join within %lds",
                       missing.encode().c_str(), (long)b->boot_timeout_);
                b->exit_code_ = 1;
                b->begin_shutdown("ranks did not join");
                event_base_loopexit(b->base_, nullptr);
                return;
            }
            if (b->parent_ever_connected_)
                return;
            uint32_t prank = tree_parent(b->rank_, b->fanout_);
            std::string msg = "PMI boot: the parent broker (rank " + std::to_string(prank) + ") at "
                              + b->boot_.connect_uri[prank] + " was not reached within "
                              + std::to_string((long)b->boot_timeout_) + "s"
                              + (b->parent_connect_error_.empty()
                                     ? ""
                                     : " (" + b->parent_connect_error_ + ")");
            b->log(LOG_CRIT, "%s", msg.c_str());
            b->exit_code_ = 1;
            b->begin_shutdown("parent unreachable");
            event_base_loopexit(b->base_, nullptr);
        },
        this));
    boot_timeout_ = timeout;
    struct timeval tv = {(time_t)timeout, (suseconds_t)((timeout - (time_t)timeout) * 1e6)};
    event_add(boot_connect_timer_.get(), &tv);
}

int Broker::run()
{
    auto sigcb = [](evutil_socket_t sig, short, void *arg) {
        auto *b = (Broker *)arg;
        if (sig == SIGCHLD)
            b->reap_children();
        else
            b->on_signal(sig);
    };
    signal(SIGPIPE, SIG_IGN);
    sigchld_ev_.reset(evsignal_new(base_, SIGCHLD, sigcb, this));
    sigterm_ev_.reset(evsignal_new(base_, SIGTERM, sigcb, this));
    sigint_ev_.reset(evsignal_new(base_, SIGINT, sigcb, this));
    sigusr1_ev_.reset(evsignal_new(base_, SIGUSR1, sigcb, this));
    sigusr2_ev_.reset(evsignal_new(base_, SIGUSR2, sigcb, this));
    for (auto *ev : {&sigchld_ev_, &sigterm_ev_, &sigint_ev_, &sigusr1_ev_, &sigusr2_ev_})
        event_add(ev->get(), nullptr);
    if (rank_ == 0)
        subtree_changed(); /* a size-1 instance is ready at once */
    event_base_dispatch(base_);
    /* Children (rank 0's initial program) get one last chance to be reaped. */
    if (initial_pid_ > 0) {
        kill(initial_pid_, SIGKILL);
        int status;
        waitpid(initial_pid_, &status, 0);
    }
    return exit_code_;
}

} // namespace fluxd
