/* schedutil.cpp - the RFC 27 plumbing of scheduler modules
 * (include/flux/schedutil.h), written on the public libflux API only.
 *
 * Topics served: sched.alloc, sched.free, sched.cancel, sched.prioritize,
 * sched.expiration
 * (service "sched") and feasibility.check (service "feasibility", only when
 * the scheduler has a feasibility callback).  Topics called:
 * job-manager.sched-hello, job-manager.sched-ready.
 */
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <syslog.h>

#include "flux/schedutil.h"

struct flux_schedutil {
    flux_t *h = nullptr;
    struct flux_schedutil_ops ops = {};
    void *arg = nullptr;
    flux_msg_handler_t **handlers = nullptr;
    flux_msg_handler_t **fhandlers = nullptr;
    bool feasibility = false; /* the "feasibility" service is ours */
    std::string mode;
    flux_future_t *pending = nullptr; /* hello or ready in flight */
};

namespace {

void seterr(flux_error_t *error, const char *fmt, const char *a = "")
{
    if (error)
        snprintf(error->text, sizeof(error->text), fmt, a);
}

bool mode_ok(const char *mode)
{
    if (strcmp(mode, "unlimited") == 0 || strcmp(mode, "single") == 0)
        return true;
    if (strncmp(mode, "limited=", 8) != 0 || !mode[8])
        return false;
    for (const char *p = mode + 8; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
    }
    return atoi(mode + 8) > 0;
}

flux_schedutil_t *util_of(void *arg)
{
    return static_cast<flux_schedutil_t *>(arg);
}

void alloc_cb(flux_t *h, flux_msg_handler_t *, const flux_msg_t *msg, void *arg)
{
    flux_schedutil_t *u = util_of(arg);
    json_int_t id, priority;
    int userid;
    double t_submit = 0;
    json_t *jobspec;
    if (flux_msg_unpack(msg, "{s:I s:I s:i s?f s:o}", "id", &id, "priority", &priority, "userid",
                        &userid, "t_submit", &t_submit, "jobspec", &jobspec)
        < 0) {
        flux_respond_error(h, msg, EPROTO, "sched.alloc: expected {id, priority, userid, jobspec}");
        return;
    }
    json_t *job = json_pack("{s:I s:I s:i s:f s:O}", "id", id, "priority", priority, "userid",
                            userid, "t_submit", t_submit, "jobspec", jobspec);
    if (!job) {
        flux_respond_error(h, msg, ENOMEM, nullptr);
        return;
    }
    u->ops.alloc(u, msg, job, u->arg);
    json_decref(job);
}

/* The job manager writes a final free as {"id":N,"final":true,"R":...}:
 * the id is read from that prefix when the scheduler frees by id, and R
 * (the bulk of the message: with a JGF, a kilobyte or more per job) is
 * never decoded.  Anything else is decoded in full. */
bool free_by_id_fast(const flux_msg_t *msg, uint64_t *id)
{
    const void *data;
    size_t len;
    static const char head[] = "{\"id\":";
    static const char tail[] = ",\"final\":true,\"R\":{";
    if (flux_msg_get_payload(msg, &data, &len) < 0 || !data)
        return false;
    const char *p = static_cast<const char *>(data), *end = p + len;
    if ((size_t)(end - p) < sizeof(head) - 1 || memcmp(p, head, sizeof(head) - 1) != 0)
        return false;
    p += sizeof(head) - 1;
    uint64_t v = 0;
    const char *digits = p;
    while (p < end && *p >= '0' && *p <= '9' && p - digits < 19)
        v = v * 10 + (uint64_t)(*p++ - '0');
    if (p == digits || (size_t)(end - p) < sizeof(tail) - 1
        || memcmp(p, tail, sizeof(tail) - 1) != 0)
        return false;
    *id = v;
    return true;
}

void free_cb(flux_t *h, flux_msg_handler_t *, const flux_msg_t *msg, void *arg)
{
    flux_schedutil_t *u = util_of(arg);
    json_int_t id;
    json_t *R = nullptr;
    int final = 1;
    uint64_t fast_id;
    if ((u->ops.flags & FLUX_SCHEDUTIL_FREE_BY_ID) && free_by_id_fast(msg, &fast_id)) {
        u->ops.free(u, msg, fast_id, nullptr, u->arg);
        return;
    }
    /* final: RFC 27 partial release (the scheduler reads it from msg). */
    if (flux_msg_unpack(msg, "{s:I s?o s?b}", "id", &id, "R", &R, "final", &final) < 0) {
        flux_respond_error(h, msg, EPROTO, "sched.free: expected {id, R, final?: bool}");
        return;
    }
    u->ops.free(u, msg, (uint64_t)id, R, u->arg);
}

void cancel_cb(flux_t *, flux_msg_handler_t *, const flux_msg_t *msg, void *arg)
{
    flux_schedutil_t *u = util_of(arg);
    json_int_t id;
    if (flux_msg_unpack(msg, "{s:I}", "id", &id) < 0 || !u->ops.cancel)
        return; /* no response (RFC 27) */
    u->ops.cancel(u, (uint64_t)id, u->arg);
}

void prioritize_cb(flux_t *, flux_msg_handler_t *, const flux_msg_t *msg, void *arg)
{
    flux_schedutil_t *u = util_of(arg);
    json_t *jobs;
    if (flux_msg_unpack(msg, "{s:o}", "jobs", &jobs) < 0 || !json_is_array(jobs)
        || !u->ops.prioritize)
        return;
    u->ops.prioritize(u, jobs, u->arg);
}

void expiration_cb(flux_t *h, flux_msg_handler_t *, const flux_msg_t *msg, void *arg)
{
    flux_schedutil_t *u = util_of(arg);
    json_int_t id;
    double expiration;
    if (flux_msg_unpack(msg, "{s:I s:F}", "id", &id, "expiration", &expiration) < 0
        || expiration < 0) {
        flux_respond_error(h, msg, EPROTO, "sched.expiration: expected {id, expiration >= 0}");
        return;
    }
    if (!u->ops.expiration) {
        flux_respond(h, msg, "{}"); /* nothing planned in time to move */
        return;
    }
    u->ops.expiration(u, msg, (uint64_t)id, expiration, u->arg);
}

void feasibility_cb(flux_t *h, flux_msg_handler_t *, const flux_msg_t *msg, void *arg)
{
    flux_schedutil_t *u = util_of(arg);
    json_t *jobspec;
    if (flux_msg_unpack(msg, "{s:o}", "jobspec", &jobspec) < 0 || !json_is_object(jobspec)) {
        flux_respond_error(h, msg, EPROTO, "feasibility.check: expected {\"jobspec\": {...}}");
        return;
    }
    u->ops.feasibility(u, msg, jobspec, u->arg);
}

void fail(flux_schedutil_t *u, const char *what, flux_future_t *f)
{
    flux_log(u->h, LOG_ERR, "schedutil: %s: %s", what, flux_future_error_string(f));
    flux_reactor_stop_error(flux_get_reactor(u->h));
}

void ready_cb(flux_future_t *f, void *arg)
{
    flux_schedutil_t *u = util_of(arg);
    int count = 0;
    if (flux_rpc_get_unpack(f, "{s?i}", "count", &count) < 0) {
        fail(u, "job-manager.sched-ready", f);
        flux_future_destroy(f);
        u->pending = nullptr;
        return;
    }
    flux_future_destroy(f);
    u->pending = nullptr;
    if (u->ops.ready)
        u->ops.ready(u, count, u->arg);
}

void hello_cb(flux_future_t *f, void *arg)
{
    flux_schedutil_t *u = util_of(arg);
    json_t *jobs;
    if (flux_rpc_get_unpack(f, "{s:o}", "alloc", &jobs) < 0 || !json_is_array(jobs)) {
        fail(u, "job-manager.sched-hello", f);
        flux_future_destroy(f);
        u->pending = nullptr;
        return;
    }
    size_t i;
    json_t *job;
    json_array_foreach(jobs, i, job)
    {
        if (u->ops.hello && u->ops.hello(u, job, u->arg) < 0) {
            flux_log(u->h, LOG_ERR, "schedutil: hello: the scheduler refused a running job");
            flux_future_destroy(f);
            u->pending = nullptr;
            flux_reactor_stop_error(flux_get_reactor(u->h));
            return;
        }
    }
    flux_future_destroy(f);
    /* Asynchronous: a synchronous RPC in a callback could strand messages
     * in the handle's buffer. */
    u->pending = flux_rpc_pack(u->h, "job-manager.sched-ready", 0, 0, "{s:s}", "mode",
                               u->mode.c_str());
    if (!u->pending || flux_future_then(u->pending, -1, ready_cb, u) < 0) {
        flux_log_error(u->h, "schedutil: job-manager.sched-ready");
        flux_reactor_stop_error(flux_get_reactor(u->h));
    }
}

int register_service(flux_t *h, const char *name, flux_error_t *error)
{
    flux_future_t *f = flux_service_register(h, name);
    if (!f || flux_rpc_get(f, nullptr) < 0) {
        if (error)
            snprintf(error->text, sizeof(error->text), "cannot register service '%s': %s", name,
                     f ? flux_future_error_string(f) : strerror(errno));
        flux_future_destroy(f);
        return -1;
    }
    flux_future_destroy(f);
    return 0;
}

void unregister_service(flux_t *h, const char *name)
{
    flux_future_t *f = flux_service_unregister(h, name);
    if (f)
        (void)flux_rpc_get(f, nullptr);
    flux_future_destroy(f);
}

} // namespace

extern "C" {

FLUX_API flux_schedutil_t *flux_schedutil_create(flux_t *h,
                                                 const struct flux_schedutil_ops *ops,
                                                 void *arg,
                                                 flux_error_t *error)
{
    if (!h || !ops) {
        seterr(error, "flux_schedutil_create: no handle or ops");
        errno = EINVAL;
        return nullptr;
    }
    if (ops->api_version >> 16 != FLUX_SCHEDUTIL_API_VERSION >> 16
        || (ops->api_version & 0xffff) > (FLUX_SCHEDUTIL_API_VERSION & 0xffff)) {
        if (error)
            snprintf(error->text, sizeof(error->text),
                     "schedutil API version %u.%u is not supported (this is %u.%u)",
                     ops->api_version >> 16, ops->api_version & 0xffff,
                     FLUX_SCHEDUTIL_API_VERSION >> 16, FLUX_SCHEDUTIL_API_VERSION & 0xffff);
        errno = EINVAL;
        return nullptr;
    }
    if (!ops->alloc || !ops->free) {
        seterr(error, "a scheduler needs alloc and free callbacks");
        errno = EINVAL;
        return nullptr;
    }
    auto *u = new flux_schedutil;
    u->h = h;
    /* An older scheduler's table is shorter: copy what it has (1.0 ends
     * before expiration, 1.1 before flags). */
    if ((ops->api_version & 0xffff) >= 2)
        u->ops = *ops;
    else if ((ops->api_version & 0xffff) == 1)
        memcpy(&u->ops, ops, offsetof(struct flux_schedutil_ops, flags));
    else
        memcpy(&u->ops, ops, offsetof(struct flux_schedutil_ops, expiration));
    u->arg = arg;
    const struct flux_msg_handler_spec htab[] = {
        {FLUX_MSGTYPE_REQUEST, "sched.alloc", alloc_cb, 0},
        {FLUX_MSGTYPE_REQUEST, "sched.free", free_cb, 0},
        {FLUX_MSGTYPE_REQUEST, "sched.cancel", cancel_cb, 0},
        {FLUX_MSGTYPE_REQUEST, "sched.prioritize", prioritize_cb, 0},
        {FLUX_MSGTYPE_REQUEST, "sched.expiration", expiration_cb, 0},
        FLUX_MSGHANDLER_TABLE_END,
    };
    const struct flux_msg_handler_spec ftab[] = {
        {FLUX_MSGTYPE_REQUEST, "feasibility.check", feasibility_cb, FLUX_ROLE_USER},
        FLUX_MSGHANDLER_TABLE_END,
    };
    flux_msg_handler_t **fh = nullptr;
    if (register_service(h, "sched", error) < 0)
        goto fail;
    if (flux_msg_handler_addvec(h, htab, u, &u->handlers) < 0) {
        seterr(error, "cannot add the sched.* handlers");
        unregister_service(h, "sched");
        goto fail;
    }
    if (ops->feasibility) {
        if (register_service(h, "feasibility", error) < 0) {
            unregister_service(h, "sched");
            goto fail;
        }
        if (flux_msg_handler_addvec(h, ftab, u, &fh) < 0) {
            seterr(error, "cannot add the feasibility.check handler");
            unregister_service(h, "feasibility");
            unregister_service(h, "sched");
            goto fail;
        }
        u->feasibility = true;
        u->fhandlers = fh;
    }
    return u;
fail:
    flux_msg_handler_delvec(u->handlers);
    delete u;
    errno = EINVAL;
    return nullptr;
}

FLUX_API void flux_schedutil_destroy(flux_schedutil_t *util)
{
    if (!util)
        return;
    int saved = errno;
    flux_msg_handler_delvec(util->handlers);
    flux_msg_handler_delvec(util->fhandlers);
    flux_future_destroy(util->pending);
    delete util;
    errno = saved;
}

FLUX_API int flux_schedutil_start(flux_schedutil_t *util, const char *mode, flux_error_t *error)
{
    if (!util || !mode || !mode_ok(mode)) {
        seterr(error, "scheduler mode '%s': expected unlimited, single or limited=N",
               mode ? mode : "(null)");
        errno = EINVAL;
        return -1;
    }
    if (util->pending) {
        seterr(error, "the handshake is already under way");
        errno = EBUSY;
        return -1;
    }
    util->mode = mode;
    util->pending = flux_rpc(util->h, "job-manager.sched-hello", "{}", 0, 0);
    if (!util->pending || flux_future_then(util->pending, -1, hello_cb, util) < 0) {
        int e = errno;
        flux_future_destroy(util->pending);
        util->pending = nullptr;
        seterr(error, "job-manager.sched-hello: %s", strerror(e));
        errno = e;
        return -1;
    }
    return 0;
}

FLUX_API flux_t *flux_schedutil_handle(flux_schedutil_t *util)
{
    return util ? util->h : nullptr;
}

FLUX_API int flux_schedutil_alloc_success(flux_schedutil_t *util, const flux_msg_t *msg,
                                          uint64_t id, json_t *R, json_t *annotations)
{
    if (!util || !msg) {
        errno = EINVAL;
        return -1;
    }
    /* {id, type, R} in that order: the job manager stores R's own text. */
    if (R && annotations)
        return flux_respond_pack(util->h, msg, "{s:I s:i s:O s:O}", "id", (json_int_t)id, "type",
                                 0, "R", R, "annotations", annotations);
    if (R)
        return flux_respond_pack(util->h, msg, "{s:I s:i s:O}", "id", (json_int_t)id, "type", 0,
                                 "R", R);
    if (annotations)
        return flux_respond_pack(util->h, msg, "{s:I s:i s:O}", "id", (json_int_t)id, "type", 0,
                                 "annotations", annotations);
    return flux_respond_pack(util->h, msg, "{s:I s:i}", "id", (json_int_t)id, "type", 0);
}

FLUX_API int flux_schedutil_alloc_success_text(flux_schedutil_t *util, const flux_msg_t *msg,
                                               uint64_t id, const char *R, json_t *annotations)
{
    if (!util || !msg || !R || *R != '{' || (annotations && !json_is_object(annotations))) {
        errno = EINVAL;
        return -1;
    }
    /* {id, type, R[, annotations]}: R's text goes in as given. */
    std::string payload = "{\"id\":" + std::to_string(id) + ",\"type\":0,\"R\":";
    payload += R;
    if (annotations) {
        char *a = json_dumps(annotations, JSON_COMPACT);
        if (!a) {
            errno = ENOMEM;
            return -1;
        }
        payload += ",\"annotations\":";
        payload += a;
        free(a);
    }
    payload += '}';
    return flux_respond(util->h, msg, payload.c_str());
}

FLUX_API int flux_schedutil_alloc_annotate(flux_schedutil_t *util, const flux_msg_t *msg,
                                           uint64_t id, json_t *annotations)
{
    if (!util || !msg || !json_is_object(annotations)) {
        errno = EINVAL;
        return -1;
    }
    return flux_respond_pack(util->h, msg, "{s:I s:i s:O}", "id", (json_int_t)id, "type", 1,
                             "annotations", annotations);
}

FLUX_API int flux_schedutil_alloc_deny(flux_schedutil_t *util, const flux_msg_t *msg,
                                       uint64_t id, const char *note)
{
    if (!util || !msg) {
        errno = EINVAL;
        return -1;
    }
    return flux_respond_pack(util->h, msg, "{s:I s:i s:s}", "id", (json_int_t)id, "type", 2,
                             "note", note ? note : "the scheduler denied the request");
}

FLUX_API int flux_schedutil_alloc_cancel(flux_schedutil_t *util, const flux_msg_t *msg,
                                         uint64_t id)
{
    if (!util || !msg) {
        errno = EINVAL;
        return -1;
    }
    return flux_respond_pack(util->h, msg, "{s:I s:i}", "id", (json_int_t)id, "type", 3);
}

FLUX_API int flux_schedutil_free_respond(flux_schedutil_t *util, const flux_msg_t *msg,
                                         uint64_t id)
{
    if (!util || !msg) {
        errno = EINVAL;
        return -1;
    }
    return flux_respond_pack(util->h, msg, "{s:I}", "id", (json_int_t)id);
}

FLUX_API int flux_schedutil_feasibility_respond(flux_schedutil_t *util, const flux_msg_t *msg,
                                                int errnum, const char *text)
{
    if (!util || !msg || errnum < 0) {
        errno = EINVAL;
        return -1;
    }
    if (errnum == 0)
        return flux_respond(util->h, msg, "{}");
    return flux_respond_error(util->h, msg, errnum, text);
}

FLUX_API int flux_schedutil_expiration_respond(flux_schedutil_t *util, const flux_msg_t *msg,
                                               int errnum, const char *text)
{
    return flux_schedutil_feasibility_respond(util, msg, errnum, text);
}

} // extern "C"
