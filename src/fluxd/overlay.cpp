/* overlay.cpp - the tree-based overlay network (TBON): listening for
 * children, connecting (and reconnecting) to the parent, the hello
 * handshake, and tracking which ranks of each subtree are online.
 *
 * Endpoints are "tcp://ADDR:PORT" (across hosts) or "ipc:///path" (a unix
 * socket, for ranks on one host).  A child's first message must be
 * overlay.hello {rank, size, hostname}; the parent answers, and from then on
 * the child reports its subtree's online ranks with overlay.update.
 *
 * With tbon.authenticate = munge ([bootstrap] authenticate), the hello
 * carries a munge credential of overlay_auth_payload(): the parent refuses
 * (EPERM, logged) a credential munge does not accept (another munge key,
 * replayed, expired), one for another instance or rank, or one whose uid is
 * not the instance owner's (doc/design/signed-jobspec.md).
 *
 * Attributes read: tbon.fanout, broker.quorum, tbon.authenticate.
 * Environment: FLUX_MUNGE_SOCKET (munged's socket, else munge's default).
 */
#include <cerrno>
#include <cstring>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "broker.h"
#include "sign/sign.h"
#include "libflux/message_internal.h"
#include "libflux/ptr.h"
#include "topology.h"

namespace fluxd {

namespace {

struct Endpoint {
    bool ipc = false;
    std::string path; /* ipc */
    std::string host; /* tcp */
    std::string port;
};

std::optional<Endpoint> endpoint_parse(const std::string &uri, std::string *err)
{
    Endpoint ep;
    if (uri.rfind("ipc://", 0) == 0) {
        ep.ipc = true;
        ep.path = uri.substr(6);
        if (ep.path.empty() || ep.path[0] != '/') {
            *err = "ipc:// endpoint needs an absolute path: " + uri;
            return std::nullopt;
        }
        return ep;
    }
    if (uri.rfind("tcp://", 0) == 0) {
        std::string rest = uri.substr(6);
        size_t colon = rest.rfind(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
            *err = "tcp:// endpoint needs HOST:PORT: " + uri;
            return std::nullopt;
        }
        ep.host = rest.substr(0, colon);
        ep.port = rest.substr(colon + 1);
        if (ep.host.size() > 2 && ep.host.front() == '[' && ep.host.back() == ']')
            ep.host = ep.host.substr(1, ep.host.size() - 2);
        char *end;
        long p = strtol(ep.port.c_str(), &end, 10);
        if (*end || p < 1 || p > 65535) {
            *err = "invalid port in " + uri;
            return std::nullopt;
        }
        return ep;
    }
    *err = "unknown endpoint scheme (expected tcp:// or ipc://): " + uri;
    return std::nullopt;
}

/* Resolve ep to one sockaddr (first result). */
bool endpoint_addr(
    const Endpoint &ep, bool passive, struct sockaddr_storage *ss, socklen_t *len, std::string *err)
{
    memset(ss, 0, sizeof(*ss));
    if (ep.ipc) {
        auto *sa = (struct sockaddr_un *)ss;
        sa->sun_family = AF_UNIX;
        if (ep.path.size() >= sizeof(sa->sun_path)) {
            *err = "socket path too long: " + ep.path;
            return false;
        }
        strcpy(sa->sun_path, ep.path.c_str());
        *len = sizeof(*sa);
        return true;
    }
    struct addrinfo hints = {}, *res = nullptr;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (passive)
        hints.ai_flags = AI_PASSIVE;
    const char *host = (ep.host == "*") ? nullptr : ep.host.c_str();
    int rc = getaddrinfo(host, ep.port.c_str(), &hints, &res);
    if (rc != 0 || !res) {
        *err = "cannot resolve " + ep.host + ": " + gai_strerror(rc);
        return false;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

/* What a child's munge credential says: this instance (its size and the
 * parent's endpoint), the parent's rank and the child's. */
std::string overlay_auth_payload(uint32_t size, const std::string &parent_uri, uint32_t parent,
                                 uint32_t child)
{
    return "fluxd-overlay-hello v1 size=" + std::to_string(size) + " parent=" + std::to_string(parent)
           + " child=" + std::to_string(child) + " endpoint=" + parent_uri;
}

} // namespace

/* A peer that vanishes without closing (power loss, a cut link) is noticed
 * within about a minute: TCP keepalive probes when idle, and a limit on
 * how long sent data may stay unacknowledged. */
void tbon_tune_socket(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0
        || (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
        return;
    int one = 1, idle = 30, intvl = 10, cnt = 3;
    unsigned int user_timeout_ms = 60000;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof(user_timeout_ms));
}

flux::Result<void> Broker::overlay_check_parent() const
{
    const std::string &uri = boot_.connect_uri[tree_parent(rank_, fanout_)];
    std::string err;
    if (!endpoint_parse(uri, &err))
        return flux::make_error(EINVAL, "parent endpoint: " + err);
    return {};
}

flux::Result<void> Broker::overlay_listen(const std::string &uri)
{
    if (boot_.listen_fd >= 0) { /* PMI boot: bound before the exchange */
        tbon_listener_ = evconnlistener_new(base_, accept_cb, this,
                                            LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1,
                                            boot_.listen_fd);
        if (!tbon_listener_)
            return flux::make_error(EINVAL, "cannot listen on " + uri + ": " + strerror(errno));
        boot_.listen_fd = -1;
        attrs_.set_internal("tbon.endpoint", uri);
        return {};
    }
    std::string err;
    auto ep = endpoint_parse(uri, &err);
    if (!ep)
        return flux::make_error(EINVAL, err);
    struct sockaddr_storage ss;
    socklen_t len;
    if (!endpoint_addr(*ep, true, &ss, &len, &err))
        return flux::make_error(EINVAL, err);
    if (ep->ipc) {
        unlink(ep->path.c_str());
        tbon_ipc_path_ = ep->path;
    }
    tbon_listener_ = evconnlistener_new_bind(
        base_, accept_cb, this, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
        1024, (struct sockaddr *)&ss, len);
    if (!tbon_listener_)
        return flux::make_error(EINVAL, "cannot listen on " + uri + ": " + strerror(errno));
    attrs_.set_internal("tbon.endpoint", uri);
    return {};
}

void Broker::parent_schedule_reconnect()
{
    if (state_ == State::shutdown)
        return;
    if (!reconnect_ev_)
        reconnect_ev_.reset(event_new(
            base_, -1, 0,
            [](evutil_socket_t, short, void *arg) { ((Broker *)arg)->parent_connect(); }, this));
    struct timeval tv;
    tv.tv_sec = (time_t)reconnect_delay_;
    tv.tv_usec = (suseconds_t)((reconnect_delay_ - tv.tv_sec) * 1e6);
    event_add(reconnect_ev_.get(), &tv);
    reconnect_delay_ = std::min(reconnect_delay_ * 2, 2.0);
}

void Broker::parent_connect()
{
    if (parent_ || connect_fd_ >= 0 || state_ == State::shutdown)
        return;
    uint32_t prank = tree_parent(rank_, fanout_);
    const std::string &uri = boot_.connect_uri[prank];
    std::string err;
    auto ep = endpoint_parse(uri, &err);
    struct sockaddr_storage ss;
    socklen_t len;
    if (!ep || !endpoint_addr(*ep, false, &ss, &len, &err)) {
        log(LOG_ERR, "parent endpoint: %s", err.c_str());
        parent_schedule_reconnect();
        return;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        log(LOG_ERR, "socket: %s", strerror(errno));
        parent_schedule_reconnect();
        return;
    }
    if (connect(fd, (struct sockaddr *)&ss, len) == 0) {
        parent_connect_done(fd);
        return;
    }
    if (errno != EINPROGRESS) {
        /* Expected while the parent is still starting: retry quietly. */
        parent_connect_error_ = strerror(errno);
        if (parent_ever_connected_ || reconnect_delay_ >= 2.0)
            log(LOG_DEBUG, "connect to parent %s: %s", uri.c_str(), strerror(errno));
        close(fd);
        parent_schedule_reconnect();
        return;
    }
    connect_fd_ = fd;
    connect_ev_.reset(event_new(
        base_, fd, EV_WRITE,
        [](evutil_socket_t fd, short what, void *arg) {
            auto *b = (Broker *)arg;
            b->connect_fd_ = -1;
            int err = ETIMEDOUT;
            socklen_t elen = sizeof(err);
            if (what & EV_WRITE)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
            if (err != 0) {
                b->parent_connect_error_ = strerror(err);
                b->log(LOG_DEBUG, "connect to parent: %s", strerror(err));
                close(fd);
                b->parent_schedule_reconnect();
                return;
            }
            b->parent_connect_done(fd);
        },
        this));
    struct timeval tv = {5, 0};
    event_add(connect_ev_.get(), &tv);
}

void Broker::parent_connect_done(int fd)
{
    tbon_tune_socket(fd);
    uint32_t prank = tree_parent(rank_, fanout_);
    parent_ = add_link(Link::Kind::parent, fd, std::to_string(prank));
    parent_->rank = prank;
    parent_hello_done_ = false;
    flux::MsgPtr hello(flux_msg_create(FLUX_MSGTYPE_REQUEST));
    flux_msg_set_topic(hello.get(), "overlay.hello");
    hello->nodeid = prank;
    hello->userid = getuid();
    hello->rolemask = FLUX_ROLE_OWNER;
    std::string cred;
    if (attrs_.get("tbon.authenticate").value_or("none") == "munge") {
        auto c = flux::sign::munge_encode(
            overlay_auth_payload(size_, boot_.connect_uri[prank], prank, rank_));
        if (c)
            cred = std::move(*c);
        else /* the parent refuses the hello and says why */
            log(LOG_ERR, "overlay: cannot authenticate to the parent: %s", c.error().text.c_str());
    }
    if (cred.empty())
        flux_msg_pack(hello.get(), "{s:i s:i s:s}", "rank", (int)rank_, "size", (int)size_,
                      "hostname", hostname_.c_str());
    else
        flux_msg_pack(hello.get(), "{s:i s:i s:s s:s}", "rank", (int)rank_, "size", (int)size_,
                      "hostname", hostname_.c_str(), "munge", cred.c_str());
    send_to(parent_, hello.get());
}

void Broker::parent_hello_response(const flux_msg_t *msg)
{
    if (msg->errnum != 0) {
        std::string why = msg->has_payload ? msg->payload : strerror((int)msg->errnum);
        log(LOG_CRIT, "parent rejected this broker: %s", why.c_str());
        exit_code_ = 1;
        begin_shutdown("rejected by parent");
        event_base_loopexit(base_, nullptr);
        return;
    }
    parent_hello_done_ = true;
    reconnect_delay_ = 0.005;
    if (parent_ever_connected_)
        log(LOG_NOTICE, "reconnected to parent (rank %u)", parent_->rank);
    parent_ever_connected_ = true;
    subtree_changed();
}

void Broker::child_hello(Link *link, const flux_msg_t *msg)
{
    int rank = -1, size = -1;
    const char *host = "";
    const char *cred = nullptr;
    std::string err;
    int errnum = EPROTO;
    if (flux_msg_unpack(msg, "{s:i s:i s?s s?s}", "rank", &rank, "size", &size, "hostname", &host,
                        "munge", &cred)
        < 0)
        err = "malformed overlay.hello";
    else if (size != (int)size_)
        err = "instance size mismatch (child says " + std::to_string(size) + ", parent has " +
              std::to_string(size_) + ")";
    else if (rank <= 0 || rank >= (int)size_ || tree_parent(rank, fanout_) != rank_)
        err = "rank " + std::to_string(rank) + " is not a child of rank " + std::to_string(rank_);
    else if (state_ == State::shutdown)
        err = "instance is shutting down";
    else if (attrs_.get("tbon.authenticate").value_or("none") == "munge") {
        std::string who = "rank " + std::to_string(rank) + " (" + host + ")";
        errnum = EPERM;
        if (!cred)
            err = who + ": authentication failed: no munge credential (is [bootstrap]"
                        " authenticate = \"munge\" set on every broker?)";
        else if (auto c = flux::sign::munge_decode(cred); !c)
            err = who + ": authentication failed: " + c.error().text;
        else if (c->uid != getuid())
            err = who + ": authentication failed: munge credential of uid "
                  + std::to_string(c->uid) + ", not the instance owner's ("
                  + std::to_string(getuid()) + ")";
        else if (c->payload
                 != overlay_auth_payload(size_, boot_.connect_uri[rank_], rank_, (uint32_t)rank))
            err = who + ": authentication failed: the munge credential is for another instance"
                        " or rank";
        else
            errnum = EPROTO;
    }
    if (!err.empty()) {
        flux::MsgPtr rsp(flux_msg_create(FLUX_MSGTYPE_RESPONSE));
        flux_msg_set_topic(rsp.get(), "overlay.hello");
        rsp->errnum = errnum;
        flux_msg_set_string(rsp.get(), err.c_str());
        link->stream->send(rsp.get());
        log(LOG_ERR, "overlay: rejected connection: %s", err.c_str());
        close_link(link, "");
        return;
    }
    /* A reconnecting child replaces its old link. */
    auto old = child_links_.find(rank);
    if (old != child_links_.end())
        close_link(old->second, "replaced by a new connection");
    auto node = links_.extract(link->id);
    link->id = std::to_string(rank);
    link->kind = Link::Kind::child;
    link->rank = rank;
    node.key() = link->id;
    links_.insert(std::move(node));
    child_links_[rank] = link;
    ChildState &cs = children_[rank];
    bool was_lost = cs.state == ChildState::State::lost;
    cs.state = ChildState::State::online;
    cs.hostname = host;
    cs.since = now();
    cs.online = IdSet();
    cs.online.insert(rank);
    log(was_lost ? LOG_NOTICE : LOG_DEBUG, "overlay: rank %d (%s) %s", rank, host,
        was_lost ? "reconnected" : "joined");
    flux::MsgPtr rsp(flux_msg_create(FLUX_MSGTYPE_RESPONSE));
    flux_msg_set_topic(rsp.get(), "overlay.hello");
    flux_msg_pack(rsp.get(), "{s:i}", "rank", (int)rank_);
    send_to(link, rsp.get());
    subtree_changed();
}

void Broker::child_update(Link *link, const flux_msg_t *msg)
{
    const char *online, *lost = "";
    if (flux_msg_unpack(msg, "{s:s s?s}", "online", &online, "lost", &lost) < 0) {
        log(LOG_ERR, "overlay: malformed update from rank %u", link->rank);
        return;
    }
    std::string err;
    auto on = IdSet::parse(online, &err);
    auto off = on ? IdSet::parse(lost, &err) : std::nullopt;
    if (!on || !off) {
        log(LOG_ERR, "overlay: update from rank %u: %s", link->rank, err.c_str());
        return;
    }
    ChildState &cs = children_[link->rank];
    cs.online = *on;
    cs.lost = *off;
    subtree_changed();
}

void Broker::child_lost(Link *link, const std::string &why)
{
    auto it = child_links_.find(link->rank);
    if (it == child_links_.end() || it->second != link)
        return;
    child_links_.erase(it);
    ChildState &cs = children_[link->rank];
    cs.state = ChildState::State::lost;
    cs.since = now();
    size_t n = cs.online.count();
    cs.online = IdSet();
    cs.lost = IdSet();
    if (state_ != State::shutdown)
        log(LOG_ERR, "overlay: lost rank %u (%s)%s%s: %s", link->rank, cs.hostname.c_str(),
            n > 1 ? ", subtree of " : "", n > 1 ? std::to_string(n).append(" ranks").c_str() : "",
            why.c_str());
    subtree_changed();
}

IdSet Broker::subtree_online() const
{
    IdSet s;
    s.insert(rank_);
    for (const auto &[rank, cs] : children_) {
        if (cs.state == ChildState::State::online)
            s.insert(cs.online);
    }
    return s;
}

void Broker::subtree_changed()
{
    IdSet online = subtree_online();
    if (rank_ == 0) {
        if (state_ == State::join && online.count() >= quorum_)
            enter_run_state();
        if (state_ == State::run) {
            for (const auto &cb : ranks_changed_cbs_)
                cb();
        }
        return;
    }
    if (!parent_ || !parent_hello_done_)
        return;
    flux::MsgPtr upd(flux_msg_create(FLUX_MSGTYPE_REQUEST));
    flux_msg_set_topic(upd.get(), "overlay.update");
    upd->flags = FLUX_MSGFLAG_NORESPONSE;
    upd->nodeid = parent_->rank;
    flux_msg_pack(upd.get(), "{s:s s:s}", "online", online.encode().c_str(), "lost",
                  subtree_lost().encode().c_str());
    send_to(parent_, upd.get());
    if (state_ == State::join)
        enter_run_state();
}

IdSet Broker::subtree_ranks(uint32_t rank) const
{
    /* Descendants at each depth form one contiguous range. */
    IdSet s;
    uint64_t lo = rank, hi = rank;
    while (lo < size_) {
        s.insert(IdSet::range((uint32_t)lo, (uint32_t)std::min<uint64_t>(hi, size_ - 1)));
        lo = lo * fanout_ + 1;
        hi = hi * fanout_ + fanout_;
    }
    return s;
}

IdSet Broker::subtree_lost() const
{
    IdSet s;
    for (const auto &[rank, cs] : children_) {
        if (cs.state == ChildState::State::lost)
            s.insert(subtree_ranks(rank));
        else if (cs.state == ChildState::State::online)
            s.insert(cs.lost);
    }
    return s;
}

/* full: every rank below is up; degraded: some were lost; partial: some
 * have not joined yet. */
std::string Broker::subtree_status() const
{
    if (!subtree_lost().empty())
        return "degraded";
    uint32_t expect = tree_subtree_size(rank_, fanout_, size_);
    return subtree_online().count() < expect ? "partial" : "full";
}

void Broker::svc_overlay_status(const flux_msg_t *msg)
{
    json_t *kids = json_array();
    for (const auto &[rank, cs] : children_) {
        const char *st = cs.state == ChildState::State::online ? "online"
                         : cs.state == ChildState::State::lost ? "lost"
                                                               : "offline";
        json_array_append_new(kids, json_pack("{s:i s:s s:s s:s s:s s:f s:i}", "rank", (int)rank,
                                              "state", st, "hostname", cs.hostname.c_str(),
                                              "online", cs.online.encode().c_str(), "lost",
                                              cs.lost.encode().c_str(), "since", cs.since, "size",
                                              (int)tree_subtree_size(rank, fanout_, size_)));
    }
    const char *state = state_ == State::join ? "join" : state_ == State::run ? "run" : "shutdown";
    respond(msg, json_pack("{s:i s:i s:i s:s s:s s:s s:s s:s s:o}", "rank", (int)rank_, "size",
                           (int)size_, "fanout", (int)fanout_, "hostname", hostname_.c_str(),
                           "status", subtree_status().c_str(), "state", state, "online",
                           subtree_online().encode().c_str(), "lost",
                           subtree_lost().encode().c_str(), "children", kids));
}

} // namespace fluxd
