/* handle.cpp - flux_t: connecting to an instance, send/recv, dispatch to
 * message handlers, responses, matchtags and aux data.
 *
 * Environment: FLUX_URI (default instance), FLUX_SSH (ssh program for
 * ssh:// URIs, default "ssh"), FLUX_SSH_RCMD (remote flux command, default
 * "flux").
 */
#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "handle_internal.h"
#include "message_internal.h"
#include "uri.h"

namespace {

const char *default_uri = "local:///run/flux/local";

void set_error(flux_error_t *error, const char *fmt, ...) FLUX_PRINTF(2, 3);
void set_error(flux_error_t *error, const char *fmt, ...)
{
    if (!error)
        return;
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error->text, sizeof(error->text), fmt, ap);
    va_end(ap);
    errno = saved;
}

int connect_local(const std::string &path, flux_error_t *error)
{
    struct sockaddr_un sa = {};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        set_error(error, "socket path %s is too long", path.c_str());
        return -1;
    }
    memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        set_error(error, "socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        set_error(error, "cannot connect to local://%s: %s", path.c_str(), strerror(errno));
        return -1;
    }
    return fd;
}

/* Start "$FLUX_SSH [-p port] [user@]host $FLUX_SSH_RCMD relay path" on a socketpair. */
int connect_ssh(const flux::Uri &u, pid_t *pidp, flux_error_t *error)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        set_error(error, "socketpair: %s", strerror(errno));
        return -1;
    }
    const char *ssh = getenv("FLUX_SSH") ? getenv("FLUX_SSH") : "ssh";
    const char *rcmd = getenv("FLUX_SSH_RCMD") ? getenv("FLUX_SSH_RCMD") : "flux";
    std::string dest = u.user.empty() ? u.host : u.user + "@" + u.host;
    std::string port = std::to_string(u.port);
    pid_t pid = fork();
    if (pid < 0) {
        set_error(error, "fork: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(sv[1], STDIN_FILENO);
        dup2(sv[1], STDOUT_FILENO);
        std::vector<const char *> argv = {ssh};
        if (u.port > 0) {
            argv.push_back("-p");
            argv.push_back(port.c_str());
        }
        argv.push_back(dest.c_str());
        argv.push_back(rcmd);
        argv.push_back("relay");
        argv.push_back(u.path.c_str());
        argv.push_back(nullptr);
        execvp(ssh, (char *const *)argv.data());
        fprintf(stderr, "flux: exec %s: %s\n", ssh, strerror(errno));
        _exit(127);
    }
    close(sv[1]);
    *pidp = pid;
    return sv[0];
}

void stream_readable(flux_t *h);

void dispatch_cb(evutil_socket_t, short, void *arg);

void respond_enosys(flux_t *h, const flux_msg_t *msg)
{
    char text[1100];
    snprintf(text, sizeof(text), "Unknown service method '%s'", msg->topic.c_str());
    flux_respond_error(h, msg, ENOSYS, text);
}

void reap_handlers(flux_t *h)
{
    if (h->dispatching > 0)
        return;
    for (auto it = h->handlers.begin(); it != h->handlers.end();) {
        if ((*it)->dead) {
            delete *it;
            it = h->handlers.erase(it);
        }
        else
            ++it;
    }
}

void dispatch_one(flux_t *h, const flux_msg_t *msg)
{
    bool matched = false;
    h->dispatching++;
    for (auto *mh : h->handlers) {
        if (!mh->started || mh->dead || !flux_msg_cmp(msg, mh->match))
            continue;
        if (msg->type == FLUX_MSGTYPE_REQUEST) {
            matched = true;
            if (!(msg->rolemask & (mh->rolemask | FLUX_ROLE_OWNER))) {
                flux_respond_error(h, msg, EPERM, "Request requires owner credentials");
                break;
            }
            mh->cb(h, mh, msg, mh->arg);
            break;
        }
        matched = true;
        mh->cb(h, mh, msg, mh->arg);
        if (msg->type != FLUX_MSGTYPE_EVENT)
            break;
    }
    h->dispatching--;
    if (!matched && msg->type == FLUX_MSGTYPE_REQUEST)
        respond_enosys(h, msg);
    reap_handlers(h);
}

void dispatch_queue(flux_t *h)
{
    while (!h->queue.empty() && h->handlers_started > 0) {
        const flux_msg_t *msg = h->queue.front();
        h->queue.pop_front();
        dispatch_one(h, msg);
        flux_msg_decref(msg);
    }
}

void dispatch_cb(evutil_socket_t, short, void *arg)
{
    auto *h = static_cast<flux_t *>(arg);
    /* Messages a blocking wait read ahead into the stream's buffer: the
     * socket will not announce them again. */
    for (;;) {
        flux_msg_t *msg = nullptr;
        if (h->stream->next(&msg) != 1)
            break;
        flux::handle_route(h, msg);
    }
    dispatch_queue(h);
}

void connection_lost(flux_t *h)
{
    if (h->eof_reported)
        return;
    h->eof_reported = true;
    std::string why = h->stream->failed() ? h->stream->error() : "connection to broker closed";
    flux::handle_fail_futures(h, ECONNRESET, why.c_str());
    flux::handle_update_watch(h);
}

void stream_readable(flux_t *h)
{
    ssize_t n = h->stream->fill(0);
    (void)n;
    for (;;) {
        flux_msg_t *msg = nullptr;
        int rc = h->stream->next(&msg);
        if (rc == 0)
            break;
        if (rc < 0) {
            connection_lost(h);
            break;
        }
        flux::handle_route(h, msg);
    }
    dispatch_queue(h);
}

flux_t *handle_create(int fd, pid_t tunnel_pid, flux_error_t *error)
{
    auto *h = new (std::nothrow) flux_handle;
    if (!h) {
        close(fd);
        errno = ENOMEM;
        set_error(error, "out of memory");
        return nullptr;
    }
    h->tunnel_pid = tunnel_pid;
    h->stream = std::make_unique<flux::Stream>(fd, [h]() { stream_readable(h); });
    h->reactor = flux_reactor_create(0);
    if (!h->reactor) {
        set_error(error, "cannot create reactor");
        delete h;
        return nullptr;
    }
    h->reactor_owned = true;
    h->stream->attach(h->reactor->base);
    h->dispatch_ev = event_new(h->reactor->base, -1, 0, dispatch_cb, h);
    return h;
}

} // namespace

namespace flux {

void handle_update_watch(flux_t *h)
{
    bool want = (h->handlers_started > 0 || h->futures_waiting > 0) && !h->eof_reported;
    h->stream->watch_input(want);
    if (want && !h->queue.empty() && h->handlers_started > 0)
        event_active(h->dispatch_ev, 0, 0);
}

int handle_read_one(flux_t *h, double timeout, const flux_msg_t **msgp)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (h->stream->flush(timeout) < 0 && errno != ETIMEDOUT) {
        connection_lost(h);
        errno = ECONNRESET;
        return -1;
    }
    for (;;) {
        flux_msg_t *msg = nullptr;
        int rc = h->stream->next(&msg);
        if (rc == 1) {
            *msgp = msg;
            if (h->dispatch_ev)
                event_active(h->dispatch_ev, 0, 0); /* for what follows it */
            return 1;
        }
        if (rc < 0) {
            connection_lost(h);
            errno = ECONNRESET;
            return -1;
        }
        double left = -1;
        if (timeout >= 0) {
            struct timespec t1;
            clock_gettime(CLOCK_MONOTONIC, &t1);
            left = timeout - ((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9);
            if (left < 0)
                left = 0;
        }
        ssize_t n = h->stream->fill(left);
        if (n < 0) {
            if (errno == EAGAIN)
                return 0;
            connection_lost(h);
            errno = ECONNRESET;
            return -1;
        }
    }
}

void handle_route(flux_t *h, const flux_msg_t *msg)
{
    if (msg->type == FLUX_MSGTYPE_RESPONSE && msg->matchtag != FLUX_MATCHTAG_NONE) {
        auto it = h->futures.find(msg->matchtag);
        if (it != h->futures.end()) {
            if (it->second)
                future_deliver(it->second, msg);
            else {
                /* Orphaned future: drop, and free the tag once the stream ends. */
                bool final = !(msg->flags & FLUX_MSGFLAG_STREAMING) || msg->errnum != 0;
                if (final) {
                    h->futures.erase(it);
                    flux_matchtag_free(h, msg->matchtag);
                }
                flux_msg_decref(msg);
            }
            return;
        }
    }
    h->queue.push_back(msg);
    if (h->handlers_started > 0)
        event_active(h->dispatch_ev, 0, 0);
}

} // namespace flux

extern "C" {

flux_t *flux_open_fd(int fd, int flags, flux_error_t *error)
{
    if (fd < 0 || (flags & ~FLUX_O_NONBLOCK)) {
        if (fd >= 0)
            close(fd); /* ownership was passed in, even on failure */
        errno = EINVAL;
        set_error(error, "invalid arguments");
        return nullptr;
    }
    return handle_create(fd, -1, error);
}

flux_t *flux_open_ex(const char *uri, int flags, flux_error_t *error)
{
    if (flags & ~FLUX_O_NONBLOCK) {
        errno = EINVAL;
        set_error(error, "invalid flags");
        return nullptr;
    }
    if (!uri)
        uri = getenv("FLUX_URI");
    if (!uri || !*uri)
        uri = default_uri;
    std::string err;
    auto u = flux::uri_parse(uri, &err);
    if (!u) {
        errno = EINVAL;
        set_error(error, "%s", err.c_str());
        return nullptr;
    }
    pid_t pid = -1;
    int fd = u->scheme == "local" ? connect_local(u->path, error) : connect_ssh(*u, &pid, error);
    if (fd < 0)
        return nullptr;
    return handle_create(fd, pid, error);
}

flux_t *flux_open(const char *uri, int flags)
{
    return flux_open_ex(uri, flags, nullptr);
}

void flux_close(flux_t *h)
{
    if (!h)
        return;
    int saved = errno;
    if (!h->eof_reported)
        h->stream->flush(2.0);
    for (auto &[tag, f] : h->futures) {
        if (f)
            f->h = nullptr;
    }
    for (auto *mh : h->handlers)
        delete mh;
    for (const auto *m : h->queue)
        flux_msg_decref(m);
    for (auto &[name, a] : h->aux) {
        if (a.destroy)
            a.destroy(a.data);
    }
    event_free(h->dispatch_ev);
    h->stream.reset();
    if (h->reactor_owned)
        flux_reactor_destroy(h->reactor);
    if (h->tunnel_pid > 0) {
        int status;
        if (waitpid(h->tunnel_pid, &status, WNOHANG) == 0) {
            kill(h->tunnel_pid, SIGTERM);
            waitpid(h->tunnel_pid, &status, 0);
        }
    }
    delete h;
    errno = saved;
}

int flux_send(flux_t *h, const flux_msg_t *msg, int flags)
{
    if (!h || !msg || (flags & ~FLUX_O_NONBLOCK)) {
        errno = EINVAL;
        return -1;
    }
    if (h->eof_reported) {
        errno = ECONNRESET;
        return -1;
    }
    return h->stream->send(msg);
}

flux_msg_t *flux_recv(flux_t *h, struct flux_match match, int flags)
{
    if (!h) {
        errno = EINVAL;
        return nullptr;
    }
    for (auto it = h->queue.begin(); it != h->queue.end(); ++it) {
        if (flux_msg_cmp(*it, match)) {
            auto *msg = const_cast<flux_msg_t *>(*it);
            h->queue.erase(it);
            return msg;
        }
    }
    double timeout = (flags & FLUX_O_NONBLOCK) ? 0 : -1;
    for (;;) {
        const flux_msg_t *msg = nullptr;
        int rc = flux::handle_read_one(h, timeout, &msg);
        if (rc < 0)
            return nullptr;
        if (rc == 0) {
            errno = EAGAIN;
            return nullptr;
        }
        if (flux_msg_cmp(msg, match))
            return const_cast<flux_msg_t *>(msg);
        flux::handle_route(h, msg);
    }
}

flux_reactor_t *flux_get_reactor(flux_t *h)
{
    return h ? h->reactor : nullptr;
}

int flux_set_reactor(flux_t *h, flux_reactor_t *r)
{
    if (!h || !r) {
        errno = EINVAL;
        return -1;
    }
    if (h->reactor_owned)
        flux_reactor_destroy(h->reactor);
    h->reactor = r;
    h->reactor_owned = false;
    event_free(h->dispatch_ev);
    h->dispatch_ev = event_new(r->base, -1, 0, dispatch_cb, h);
    h->stream->attach(r->base);
    flux::handle_update_watch(h);
    return 0;
}

uint32_t flux_matchtag_alloc(flux_t *h)
{
    if (!h->free_matchtags.empty()) {
        uint32_t tag = h->free_matchtags.back();
        h->free_matchtags.pop_back();
        return tag;
    }
    return h->next_matchtag++;
}

void flux_matchtag_free(flux_t *h, uint32_t matchtag)
{
    if (h && matchtag != FLUX_MATCHTAG_NONE)
        h->free_matchtags.push_back(matchtag);
}

int flux_aux_set(flux_t *h, const char *name, void *aux, void (*destroy)(void *))
{
    if (!h || !name) {
        errno = EINVAL;
        return -1;
    }
    auto it = h->aux.find(name);
    if (it != h->aux.end() && it->second.destroy)
        it->second.destroy(it->second.data);
    h->aux[name] = AuxEntry{aux, destroy};
    return 0;
}

void *flux_aux_get(flux_t *h, const char *name)
{
    if (!h || !name)
        return nullptr;
    auto it = h->aux.find(name);
    return it == h->aux.end() ? nullptr : it->second.data;
}

flux_msg_handler_t *
flux_msg_handler_create(flux_t *h, const struct flux_match match, flux_msg_handler_f cb, void *arg)
{
    if (!h || !cb) {
        errno = EINVAL;
        return nullptr;
    }
    auto *mh = new (std::nothrow) flux_msg_handler;
    if (!mh) {
        errno = ENOMEM;
        return nullptr;
    }
    mh->h = h;
    mh->match = match;
    if (match.topic_glob) {
        mh->glob = match.topic_glob;
        mh->match.topic_glob = mh->glob.c_str();
    }
    mh->cb = cb;
    mh->arg = arg;
    /* Newest first, so a specific handler added later wins. */
    h->handlers.push_front(mh);
    return mh;
}

void flux_msg_handler_destroy(flux_msg_handler_t *mh)
{
    if (!mh)
        return;
    flux_msg_handler_stop(mh);
    mh->dead = true;
    reap_handlers(mh->h);
}

void flux_msg_handler_start(flux_msg_handler_t *mh)
{
    if (!mh || mh->started || mh->dead)
        return;
    mh->started = true;
    mh->h->handlers_started++;
    flux::handle_update_watch(mh->h);
}

void flux_msg_handler_stop(flux_msg_handler_t *mh)
{
    if (!mh || !mh->started)
        return;
    mh->started = false;
    mh->h->handlers_started--;
    flux::handle_update_watch(mh->h);
}

void flux_msg_handler_allow_rolemask(flux_msg_handler_t *mh, uint32_t rolemask)
{
    if (mh)
        mh->rolemask |= rolemask;
}

int flux_msg_handler_addvec(flux_t *h,
                            const struct flux_msg_handler_spec tab[],
                            void *arg,
                            flux_msg_handler_t ***handlers)
{
    if (!h || !tab || !handlers) {
        errno = EINVAL;
        return -1;
    }
    int n = 0;
    while (tab[n].cb)
        n++;
    flux_msg_handler_t **v = (flux_msg_handler_t **)calloc(n + 1, sizeof(flux_msg_handler_t *));
    if (!v) {
        errno = ENOMEM;
        return -1;
    }
    for (int i = 0; i < n; i++) {
        struct flux_match m = {tab[i].typemask, FLUX_MATCHTAG_NONE, tab[i].topic_glob};
        v[i] = flux_msg_handler_create(h, m, tab[i].cb, arg);
        if (!v[i]) {
            flux_msg_handler_delvec(v);
            return -1;
        }
        flux_msg_handler_allow_rolemask(v[i], tab[i].rolemask);
        flux_msg_handler_start(v[i]);
    }
    *handlers = v;
    return 0;
}

void flux_msg_handler_delvec(flux_msg_handler_t **handlers)
{
    if (!handlers)
        return;
    for (int i = 0; handlers[i]; i++)
        flux_msg_handler_destroy(handlers[i]);
    free(handlers);
}

static flux_msg_t *response_create(const flux_msg_t *req)
{
    flux_msg_t *rsp = flux_msg_create(FLUX_MSGTYPE_RESPONSE);
    if (!rsp)
        return nullptr;
    rsp->topic = req->topic;
    rsp->matchtag = req->matchtag;
    rsp->routes = req->routes;
    rsp->userid = req->userid;
    rsp->rolemask = req->rolemask;
    rsp->nodeid = req->nodeid;
    rsp->flags = req->flags & FLUX_MSGFLAG_STREAMING;
    return rsp;
}

static int respond_msg(flux_t *h, flux_msg_t *rsp)
{
    int rc = flux_send(h, rsp, 0);
    flux_msg_decref(rsp);
    return rc;
}

int flux_respond(flux_t *h, const flux_msg_t *request, const char *s)
{
    if (!h || !request) {
        errno = EINVAL;
        return -1;
    }
    if (request->flags & FLUX_MSGFLAG_NORESPONSE)
        return 0;
    flux_msg_t *rsp = response_create(request);
    if (!rsp || flux_msg_set_string(rsp, s) < 0) {
        flux_msg_decref(rsp);
        return -1;
    }
    return respond_msg(h, rsp);
}

int flux_respond_pack(flux_t *h, const flux_msg_t *request, const char *fmt, ...)
{
    if (!h || !request || !fmt) {
        errno = EINVAL;
        return -1;
    }
    if (request->flags & FLUX_MSGFLAG_NORESPONSE)
        return 0;
    flux_msg_t *rsp = response_create(request);
    if (!rsp)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int rc = flux_msg_vpack(rsp, fmt, ap);
    va_end(ap);
    if (rc < 0) {
        flux_msg_decref(rsp);
        return -1;
    }
    return respond_msg(h, rsp);
}

int flux_respond_error(flux_t *h, const flux_msg_t *request, int errnum, const char *errmsg)
{
    if (!h || !request || errnum == 0) {
        errno = EINVAL;
        return -1;
    }
    if (request->flags & FLUX_MSGFLAG_NORESPONSE)
        return 0;
    flux_msg_t *rsp = response_create(request);
    if (!rsp)
        return -1;
    rsp->errnum = (uint32_t)errnum;
    if (errmsg && *errmsg)
        flux_msg_set_string(rsp, errmsg);
    return respond_msg(h, rsp);
}

} // extern "C"
