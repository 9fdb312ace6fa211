/* flux/core.h - the fluxd client API (C).
 *
 * Messages (RFC 3 in spirit), handles, RPC with futures, events, service
 * registration, logging and attributes.  Every type is opaque.  Functions
 * that can fail return -1 or NULL and set errno; where a text explanation
 * helps, an optional flux_error_t out-parameter receives it.
 */
#ifndef FLUX_CORE_H
#define FLUX_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define FLUX_API __attribute__((visibility("default")))
#define FLUX_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define FLUX_API
#define FLUX_PRINTF(f, a)
#endif

typedef struct flux_handle flux_t;
typedef struct flux_msg flux_msg_t;
typedef struct flux_future flux_future_t;
typedef struct flux_reactor flux_reactor_t;
typedef struct flux_msg_handler flux_msg_handler_t;

/* Error text filled in by functions that take a flux_error_t *. */
typedef struct {
    char text[160];
} flux_error_t;

/* Message types (a bit each so they can form a mask). */
enum {
    FLUX_MSGTYPE_REQUEST = 0x01,
    FLUX_MSGTYPE_RESPONSE = 0x02,
    FLUX_MSGTYPE_EVENT = 0x04,
    FLUX_MSGTYPE_CONTROL = 0x08,
    FLUX_MSGTYPE_ANY = 0x0f,
};

/* Message flags. */
enum {
    FLUX_MSGFLAG_NORESPONSE = 0x01, /* request: sender wants no reply */
    FLUX_MSGFLAG_STREAMING = 0x02,  /* request/response: many replies, ENODATA ends */
    FLUX_MSGFLAG_UPSTREAM = 0x04,   /* request: route past the sender's rank */
    FLUX_MSGFLAG_PRIVATE = 0x08,    /* event: only owner and the event's user see it */
};

#define FLUX_NODEID_ANY 0xffffffffu
#define FLUX_NODEID_UPSTREAM 0xfffffffeu
#define FLUX_MATCHTAG_NONE 0u
#define FLUX_USERID_UNKNOWN 0xffffffffu

/* Roles (a mask). */
#define FLUX_ROLE_NONE 0x0u
#define FLUX_ROLE_OWNER 0x1u
#define FLUX_ROLE_USER 0x2u
#define FLUX_ROLE_ALL 0xffffffffu

/* Largest encoded message accepted from a peer (bytes). */
#define FLUX_MSG_MAX_SIZE (64u * 1024 * 1024)

/* Message ----------------------------------------------------------------*/

/* Create a message of TYPE; destroy with flux_msg_decref().  NULL on ENOMEM/EINVAL. */
FLUX_API flux_msg_t *flux_msg_create(int type);
/* Reference counting; flux_msg_decref(NULL) is a no-op.  Returns msg. */
FLUX_API const flux_msg_t *flux_msg_incref(const flux_msg_t *msg);
FLUX_API void flux_msg_decref(const flux_msg_t *msg);
/* Same as decref, for symmetry with create. */
FLUX_API void flux_msg_destroy(flux_msg_t *msg);
/* Deep copy, optionally without the payload. */
FLUX_API flux_msg_t *flux_msg_copy(const flux_msg_t *msg, bool payload);

FLUX_API int flux_msg_get_type(const flux_msg_t *msg, int *type);
FLUX_API int flux_msg_set_type(flux_msg_t *msg, int type);
FLUX_API int flux_msg_get_flags(const flux_msg_t *msg, uint8_t *flags);
FLUX_API int flux_msg_set_flags(flux_msg_t *msg, uint8_t flags);
FLUX_API int flux_msg_set_topic(flux_msg_t *msg, const char *topic);
/* *topic stays valid while msg is unchanged. */
FLUX_API int flux_msg_get_topic(const flux_msg_t *msg, const char **topic);
FLUX_API int flux_msg_set_nodeid(flux_msg_t *msg, uint32_t nodeid);
FLUX_API int flux_msg_get_nodeid(const flux_msg_t *msg, uint32_t *nodeid);
FLUX_API int flux_msg_set_matchtag(flux_msg_t *msg, uint32_t matchtag);
FLUX_API int flux_msg_get_matchtag(const flux_msg_t *msg, uint32_t *matchtag);
FLUX_API int flux_msg_set_seq(flux_msg_t *msg, uint32_t seq); /* events */
FLUX_API int flux_msg_get_seq(const flux_msg_t *msg, uint32_t *seq);
FLUX_API int flux_msg_set_userid(flux_msg_t *msg, uint32_t userid);
FLUX_API int flux_msg_get_userid(const flux_msg_t *msg, uint32_t *userid);
FLUX_API int flux_msg_set_rolemask(flux_msg_t *msg, uint32_t rolemask);
FLUX_API int flux_msg_get_rolemask(const flux_msg_t *msg, uint32_t *rolemask);
FLUX_API int flux_msg_set_errnum(flux_msg_t *msg, int errnum);
FLUX_API int flux_msg_get_errnum(const flux_msg_t *msg, int *errnum);

/* Payload: opaque bytes; by convention a NUL-terminated JSON object. */
FLUX_API int flux_msg_set_payload(flux_msg_t *msg, const void *data, size_t len);
FLUX_API int flux_msg_get_payload(const flux_msg_t *msg, const void **data, size_t *len);
FLUX_API bool flux_msg_has_payload(const flux_msg_t *msg);
/* String payload (JSON text); NULL clears.  get fails EPROTO if not a string. */
FLUX_API int flux_msg_set_string(flux_msg_t *msg, const char *s);
FLUX_API int flux_msg_get_string(const flux_msg_t *msg, const char **s);
/* jansson json_pack()/json_unpack() style; unpack fails EPROTO on mismatch. */
FLUX_API int flux_msg_pack(flux_msg_t *msg, const char *fmt, ...);
FLUX_API int flux_msg_vpack(flux_msg_t *msg, const char *fmt, va_list ap);
FLUX_API int flux_msg_unpack(const flux_msg_t *msg, const char *fmt, ...);

/* Route stack: each hop pushes the id of the link a request came in on. */
FLUX_API int flux_msg_route_push(flux_msg_t *msg, const char *id);
FLUX_API int flux_msg_route_pop(flux_msg_t *msg);
/* Last pushed id, or NULL if none. */
FLUX_API const char *flux_msg_route_last(const flux_msg_t *msg);
FLUX_API int flux_msg_route_count(const flux_msg_t *msg);
/* "id!id!id" (first pushed first); caller frees. */
FLUX_API char *flux_msg_route_string(const flux_msg_t *msg);
FLUX_API int flux_msg_route_clear(flux_msg_t *msg);

/* Wire encoding (without the 4-byte frame length).  encode returns bytes
 * written or -1 (ENOSPC if size is too small).  decode fails EPROTO on any
 * malformed input, never reading outside buf. */
FLUX_API ssize_t flux_msg_encode_size(const flux_msg_t *msg);
FLUX_API ssize_t flux_msg_encode(const flux_msg_t *msg, void *buf, size_t size);
FLUX_API flux_msg_t *flux_msg_decode(const void *buf, size_t size);

/* Human-readable one-line summary for debugging; caller frees. */
FLUX_API char *flux_msg_typestr_dup(const flux_msg_t *msg);
FLUX_API const char *flux_msg_typestr(int type);

/* Message matching --------------------------------------------------------*/

struct flux_match {
    int typemask;
    uint32_t matchtag;      /* FLUX_MATCHTAG_NONE matches any */
    const char *topic_glob; /* fnmatch(3) glob, NULL or "*" matches any */
};
#define FLUX_MATCH_ANY ((struct flux_match){FLUX_MSGTYPE_ANY, FLUX_MATCHTAG_NONE, NULL})
#define FLUX_MATCH_EVENT ((struct flux_match){FLUX_MSGTYPE_EVENT, FLUX_MATCHTAG_NONE, NULL})
#define FLUX_MATCH_REQUEST ((struct flux_match){FLUX_MSGTYPE_REQUEST, FLUX_MATCHTAG_NONE, NULL})
#define FLUX_MATCH_RESPONSE ((struct flux_match){FLUX_MSGTYPE_RESPONSE, FLUX_MATCHTAG_NONE, NULL})
FLUX_API bool flux_msg_cmp(const flux_msg_t *msg, struct flux_match match);

/* Reactor (libevent) -----------------------------------------------------*/

enum { FLUX_REACTOR_NOWAIT = 1, FLUX_REACTOR_ONCE = 2 };
struct event_base;

FLUX_API flux_reactor_t *flux_reactor_create(int flags);
FLUX_API void flux_reactor_destroy(flux_reactor_t *r);
/* Run until stopped or until nothing is left to wait for.  Returns 0, or -1
 * after flux_reactor_stop_error(). */
FLUX_API int flux_reactor_run(flux_reactor_t *r, int flags);
FLUX_API void flux_reactor_stop(flux_reactor_t *r);
FLUX_API void flux_reactor_stop_error(flux_reactor_t *r);
/* The libevent base under the reactor, for timers and fd watchers. */
FLUX_API struct event_base *flux_reactor_get_event_base(flux_reactor_t *r);
FLUX_API double flux_reactor_now(flux_reactor_t *r);

/* Handle -----------------------------------------------------------------*/

enum { FLUX_O_NONBLOCK = 0x01 };

/* Connect to an instance.  uri NULL means $FLUX_URI.  Schemes:
 *   local:///path/to/socket      unix socket of a broker on this host
 *   ssh://[user@]host[:port]/path tunnel through ssh ($FLUX_SSH) to 'flux relay'
 * flux_open_ex() explains a failure in *error. */
FLUX_API flux_t *flux_open(const char *uri, int flags);
FLUX_API flux_t *flux_open_ex(const char *uri, int flags, flux_error_t *error);
/* Wrap an already-connected stream fd (takes ownership). */
FLUX_API flux_t *flux_open_fd(int fd, int flags, flux_error_t *error);
FLUX_API void flux_close(flux_t *h);

FLUX_API int flux_send(flux_t *h, const flux_msg_t *msg, int flags);
/* Receive the first message matching; blocks unless FLUX_O_NONBLOCK (EAGAIN).
 * Messages read meanwhile that do not match are kept for dispatch. */
FLUX_API flux_msg_t *flux_recv(flux_t *h, struct flux_match match, int flags);

FLUX_API flux_reactor_t *flux_get_reactor(flux_t *h);
FLUX_API int flux_set_reactor(flux_t *h, flux_reactor_t *r);

FLUX_API uint32_t flux_matchtag_alloc(flux_t *h);
FLUX_API void flux_matchtag_free(flux_t *h, uint32_t matchtag);

/* Arbitrary data attached to a handle, freed with destroy on flux_close(). */
FLUX_API int flux_aux_set(flux_t *h, const char *name, void *aux, void (*destroy)(void *));
FLUX_API void *flux_aux_get(flux_t *h, const char *name);

/* Message handlers ---------------------------------------------------------*/

typedef void (*flux_msg_handler_f)(flux_t *h,
                                   flux_msg_handler_t *mh,
                                   const flux_msg_t *msg,
                                   void *arg);

/* Requests from senders without an allowed role get EPERM automatically;
 * by default only FLUX_ROLE_OWNER is allowed. */
FLUX_API flux_msg_handler_t *
flux_msg_handler_create(flux_t *h, const struct flux_match match, flux_msg_handler_f cb, void *arg);
FLUX_API void flux_msg_handler_destroy(flux_msg_handler_t *mh);
FLUX_API void flux_msg_handler_start(flux_msg_handler_t *mh);
FLUX_API void flux_msg_handler_stop(flux_msg_handler_t *mh);
FLUX_API void flux_msg_handler_allow_rolemask(flux_msg_handler_t *mh, uint32_t rolemask);

struct flux_msg_handler_spec {
    int typemask;
    const char *topic_glob;
    flux_msg_handler_f cb;
    uint32_t rolemask; /* in addition to owner */
};
#define FLUX_MSGHANDLER_TABLE_END                                                                  \
    {                                                                                              \
        0, NULL, NULL, 0                                                                           \
    }
/* Create and start one handler per table row; *handlers is a NULL-terminated
 * array owned by the caller (free with flux_msg_handler_delvec). */
FLUX_API int flux_msg_handler_addvec(flux_t *h,
                                     const struct flux_msg_handler_spec tab[],
                                     void *arg,
                                     flux_msg_handler_t ***handlers);
FLUX_API void flux_msg_handler_delvec(flux_msg_handler_t **handlers);

/* Responses ----------------------------------------------------------------*/

FLUX_API int flux_respond(flux_t *h, const flux_msg_t *request, const char *s);
FLUX_API int flux_respond_pack(flux_t *h, const flux_msg_t *request, const char *fmt, ...);
/* errmsg may be NULL (the reader then sees strerror(errnum)). */
FLUX_API int
flux_respond_error(flux_t *h, const flux_msg_t *request, int errnum, const char *errmsg);

/* Requests, RPC and futures -------------------------------------------------*/

enum { FLUX_RPC_NORESPONSE = 0x01, FLUX_RPC_STREAMING = 0x02 };

typedef void (*flux_continuation_f)(flux_future_t *f, void *arg);

/* Send a request; the future is fulfilled by the response.  With
 * FLUX_RPC_NORESPONSE the future is already fulfilled (empty). */
FLUX_API flux_future_t *
flux_rpc(flux_t *h, const char *topic, const char *s, uint32_t nodeid, int flags);
FLUX_API flux_future_t *
flux_rpc_pack(flux_t *h, const char *topic, uint32_t nodeid, int flags, const char *fmt, ...);
FLUX_API flux_future_t *
flux_rpc_message(flux_t *h, const flux_msg_t *msg, uint32_t nodeid, int flags);
/* Block for the response.  Returns 0 with *s the payload (NULL if none) or
 * -1 with errno from the response (see flux_future_error_string()). */
FLUX_API int flux_rpc_get(flux_future_t *f, const char **s);
FLUX_API int flux_rpc_get_unpack(flux_future_t *f, const char *fmt, ...);
/* Borrow the response message itself. */
FLUX_API int flux_future_get_msg(flux_future_t *f, const flux_msg_t **msg);
/* Error text that came with an error response, else strerror(errno). */
FLUX_API const char *flux_future_error_string(flux_future_t *f);

/* timeout < 0: none.  On timeout the future is fulfilled with ETIMEDOUT. */
FLUX_API int flux_future_then(flux_future_t *f, double timeout, flux_continuation_f cb, void *arg);
/* Block until fulfilled or timeout (-1 with ETIMEDOUT). */
FLUX_API int flux_future_wait_for(flux_future_t *f, double timeout);
FLUX_API bool flux_future_is_ready(flux_future_t *f);
/* Streaming: drop the current response and wait for the next. */
FLUX_API void flux_future_reset(flux_future_t *f);
FLUX_API void flux_future_destroy(flux_future_t *f);
FLUX_API flux_t *flux_future_get_flux(flux_future_t *f);
/* Arbitrary data attached to a future, freed on destroy. */
FLUX_API int
flux_future_aux_set(flux_future_t *f, const char *name, void *aux, void (*destroy)(void *));
FLUX_API void *flux_future_aux_get(flux_future_t *f, const char *name);

/* Events -----------------------------------------------------------------*/

/* Subscribe this handle to events whose topic starts with TOPIC. */
FLUX_API int flux_event_subscribe(flux_t *h, const char *topic);
FLUX_API int flux_event_unsubscribe(flux_t *h, const char *topic);
/* Publish through rank 0, which gives the event its sequence number. */
FLUX_API flux_future_t *flux_event_publish(flux_t *h, const char *topic, int flags, const char *s);
FLUX_API flux_future_t *
flux_event_publish_pack(flux_t *h, const char *topic, int flags, const char *fmt, ...);
FLUX_API int flux_event_publish_get_seq(flux_future_t *f, int *seq);
FLUX_API int flux_event_decode(const flux_msg_t *msg, const char **topic, const char **s);
FLUX_API int flux_event_unpack(const flux_msg_t *msg, const char **topic, const char *fmt, ...);

/* Services -----------------------------------------------------------------*/

/* Requests for "NAME.*" reaching this handle's broker come to this handle. */
FLUX_API flux_future_t *flux_service_register(flux_t *h, const char *name);
FLUX_API flux_future_t *flux_service_unregister(flux_t *h, const char *name);

/* Broker attributes and identity -------------------------------------------*/

/* Value cached in h; NULL with ENOENT if the attribute does not exist. */
FLUX_API const char *flux_attr_get(flux_t *h, const char *name);
FLUX_API int flux_attr_set(flux_t *h, const char *name, const char *value);
FLUX_API int flux_get_rank(flux_t *h, uint32_t *rank);
FLUX_API int flux_get_size(flux_t *h, uint32_t *size);

/* Logging (syslog levels, <syslog.h>) ---------------------------------------*/

/* Appends to the broker's log ring buffer (see flux-dmesg(1)).  Before a
 * broker is reachable the text goes to stderr. */
FLUX_API int flux_log(flux_t *h, int level, const char *fmt, ...) FLUX_PRINTF(3, 4);
FLUX_API int flux_vlog(flux_t *h, int level, const char *fmt, va_list ap);
/* flux_log(LOG_ERR) with ": strerror(errno)" appended; errno is preserved. */
FLUX_API void flux_log_error(flux_t *h, const char *fmt, ...) FLUX_PRINTF(2, 3);
FLUX_API void flux_log_set_appname(flux_t *h, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* !FLUX_CORE_H */
