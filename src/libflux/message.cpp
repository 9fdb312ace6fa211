/* message.cpp - flux_msg_t: creation, accessors, route stack, wire codec.
 *
 * Wire format (all integers big-endian), framed by a 4-byte length on streams:
 *   u8 magic 0x8e, u8 version 1, u8 type, u8 flags,
 *   u32 userid, u32 rolemask, u32 nodeid, u32 matchtag|seq, u32 errnum,
 *   u16 topic length, topic bytes,
 *   u8 route count, then per route u8 length + bytes,
 *   u8 has-payload, [u32 payload length, payload bytes]
 * RFC 3 in spirit: same fields, simpler framing than ZeroMQ multipart.
 */
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fnmatch.h>

#include "message_internal.h"

namespace {

bool valid_type(int type)
{
    return type == FLUX_MSGTYPE_REQUEST || type == FLUX_MSGTYPE_RESPONSE ||
           type == FLUX_MSGTYPE_EVENT || type == FLUX_MSGTYPE_CONTROL;
}

void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Bounds-checked reader over untrusted bytes. */
struct Reader {
    const uint8_t *p;
    size_t left;
    bool ok = true;
    bool take(void *out, size_t n)
    {
        if (!ok || left < n)
            return ok = false;
        memcpy(out, p, n);
        p += n;
        left -= n;
        return true;
    }
    uint8_t u8()
    {
        uint8_t v = 0;
        take(&v, 1);
        return v;
    }
    uint16_t u16()
    {
        uint8_t b[2] = {0, 0};
        take(b, 2);
        return (uint16_t)(b[0] << 8 | b[1]);
    }
    uint32_t u32()
    {
        uint8_t b[4] = {0, 0, 0, 0};
        take(b, 4);
        return get_u32(b);
    }
    bool str(std::string &s, size_t n)
    {
        if (!ok || left < n)
            return ok = false;
        s.assign((const char *)p, n);
        p += n;
        left -= n;
        return true;
    }
};

} // namespace

extern "C" {

flux_msg_t *flux_msg_create(int type)
{
    if (!valid_type(type)) {
        errno = EINVAL;
        return nullptr;
    }
    auto *msg = new (std::nothrow) flux_msg;
    if (!msg) {
        errno = ENOMEM;
        return nullptr;
    }
    msg->type = (uint8_t)type;
    return msg;
}

const flux_msg_t *flux_msg_incref(const flux_msg_t *msg)
{
    if (msg)
        msg->refcount.fetch_add(1, std::memory_order_relaxed);
    return msg;
}

void flux_msg_decref(const flux_msg_t *msg)
{
    if (msg && msg->refcount.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        int saved = errno;
        delete msg;
        errno = saved;
    }
}

void flux_msg_destroy(flux_msg_t *msg)
{
    flux_msg_decref(msg);
}

flux_msg_t *flux_msg_copy(const flux_msg_t *msg, bool payload)
{
    if (!msg) {
        errno = EINVAL;
        return nullptr;
    }
    auto *cpy = new (std::nothrow) flux_msg;
    if (!cpy) {
        errno = ENOMEM;
        return nullptr;
    }
    cpy->type = msg->type;
    cpy->flags = msg->flags;
    cpy->userid = msg->userid;
    cpy->rolemask = msg->rolemask;
    cpy->nodeid = msg->nodeid;
    cpy->matchtag = msg->matchtag;
    cpy->errnum = msg->errnum;
    cpy->topic = msg->topic;
    cpy->routes = msg->routes;
    if (payload) {
        cpy->has_payload = msg->has_payload;
        cpy->payload = msg->payload;
    }
    return cpy;
}

#define CHECK_MSG(m)                                                                               \
    do {                                                                                           \
        if (!(m)) {                                                                                \
            errno = EINVAL;                                                                        \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

int flux_msg_get_type(const flux_msg_t *msg, int *type)
{
    CHECK_MSG(msg && type);
    *type = msg->type;
    return 0;
}

int flux_msg_set_type(flux_msg_t *msg, int type)
{
    CHECK_MSG(msg && valid_type(type));
    msg->type = (uint8_t)type;
    return 0;
}

int flux_msg_get_flags(const flux_msg_t *msg, uint8_t *flags)
{
    CHECK_MSG(msg && flags);
    *flags = msg->flags;
    return 0;
}

int flux_msg_set_flags(flux_msg_t *msg, uint8_t flags)
{
    CHECK_MSG(msg);
    msg->flags = flags;
    return 0;
}

int flux_msg_set_topic(flux_msg_t *msg, const char *topic)
{
    CHECK_MSG(msg && topic && strlen(topic) <= flux::msg_max_topic);
    msg->topic = topic;
    return 0;
}

int flux_msg_get_topic(const flux_msg_t *msg, const char **topic)
{
    CHECK_MSG(msg && topic);
    if (msg->topic.empty()) {
        errno = EPROTO;
        return -1;
    }
    *topic = msg->topic.c_str();
    return 0;
}

#define ACCESSOR(name, field, ctype)                                                               \
    int flux_msg_set_##name(flux_msg_t *msg, ctype v)                                              \
    {                                                                                              \
        CHECK_MSG(msg);                                                                            \
        msg->field = (uint32_t)v;                                                                  \
        return 0;                                                                                  \
    }                                                                                              \
    int flux_msg_get_##name(const flux_msg_t *msg, ctype *v)                                       \
    {                                                                                              \
        CHECK_MSG(msg &&v);                                                                        \
        *v = (ctype)msg->field;                                                                    \
        return 0;                                                                                  \
    }

ACCESSOR(nodeid, nodeid, uint32_t)
ACCESSOR(matchtag, matchtag, uint32_t)
ACCESSOR(seq, matchtag, uint32_t)
ACCESSOR(userid, userid, uint32_t)
ACCESSOR(rolemask, rolemask, uint32_t)
ACCESSOR(errnum, errnum, int)

int flux_msg_set_payload(flux_msg_t *msg, const void *data, size_t len)
{
    CHECK_MSG(msg && (data || len == 0) && len <= FLUX_MSG_MAX_SIZE);
    msg->payload_changed();
    if (data) {
        msg->payload.assign((const char *)data, len);
        msg->has_payload = true;
    }
    else {
        msg->payload.clear();
        msg->has_payload = false;
    }
    return 0;
}

int flux_msg_get_payload(const flux_msg_t *msg, const void **data, size_t *len)
{
    CHECK_MSG(msg && data && len);
    if (!msg->has_payload) {
        errno = EPROTO;
        return -1;
    }
    *data = msg->payload.data();
    *len = msg->payload.size();
    return 0;
}

bool flux_msg_has_payload(const flux_msg_t *msg)
{
    return msg && msg->has_payload;
}

int flux_msg_set_string(flux_msg_t *msg, const char *s)
{
    return flux_msg_set_payload(msg, s, s ? strlen(s) : 0);
}

int flux_msg_get_string(const flux_msg_t *msg, const char **s)
{
    CHECK_MSG(msg && s);
    if (!msg->has_payload) {
        *s = nullptr;
        return 0;
    }
    if (memchr(msg->payload.data(), '\0', msg->payload.size())) {
        errno = EPROTO;
        return -1;
    }
    *s = msg->payload.c_str();
    return 0;
}

int flux_msg_vpack(flux_msg_t *msg, const char *fmt, va_list ap)
{
    CHECK_MSG(msg && fmt);
    json_error_t jerr;
    json_t *o = json_vpack_ex(&jerr, 0, fmt, ap);
    if (!o) {
        errno = EINVAL;
        return -1;
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(o);
    if (!s) {
        errno = ENOMEM;
        return -1;
    }
    int rc = flux_msg_set_string(msg, s);
    free(s);
    return rc;
}

int flux_msg_pack(flux_msg_t *msg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = flux_msg_vpack(msg, fmt, ap);
    va_end(ap);
    return rc;
}

int flux_msg_unpack(const flux_msg_t *msg, const char *fmt, ...)
{
    CHECK_MSG(msg && fmt);
    if (!msg->json) {
        if (!msg->has_payload) {
            errno = EPROTO;
            return -1;
        }
        json_error_t jerr;
        msg->json = json_loadb(msg->payload.data(), msg->payload.size(), 0, &jerr);
        if (!msg->json) {
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

int flux_msg_route_push(flux_msg_t *msg, const char *id)
{
    CHECK_MSG(msg && id && *id && strlen(id) <= flux::msg_max_route_id);
    if (msg->routes.size() >= flux::msg_max_routes) {
        errno = EOVERFLOW;
        return -1;
    }
    msg->routes.emplace_back(id);
    return 0;
}

int flux_msg_route_pop(flux_msg_t *msg)
{
    CHECK_MSG(msg);
    if (msg->routes.empty()) {
        errno = EPROTO;
        return -1;
    }
    msg->routes.pop_back();
    return 0;
}

const char *flux_msg_route_last(const flux_msg_t *msg)
{
    if (!msg || msg->routes.empty())
        return nullptr;
    return msg->routes.back().c_str();
}

int flux_msg_route_count(const flux_msg_t *msg)
{
    CHECK_MSG(msg);
    return (int)msg->routes.size();
}

char *flux_msg_route_string(const flux_msg_t *msg)
{
    if (!msg) {
        errno = EINVAL;
        return nullptr;
    }
    std::string s;
    for (const auto &r : msg->routes) {
        if (!s.empty())
            s += '!';
        s += r;
    }
    return strdup(s.c_str());
}

int flux_msg_route_clear(flux_msg_t *msg)
{
    CHECK_MSG(msg);
    msg->routes.clear();
    return 0;
}

ssize_t flux_msg_encode_size(const flux_msg_t *msg)
{
    CHECK_MSG(msg);
    size_t n = flux::msg_fixed_header + msg->topic.size() + 1;
    for (const auto &r : msg->routes)
        n += 1 + r.size();
    n += 1;
    if (msg->has_payload)
        n += 4 + msg->payload.size();
    return (ssize_t)n;
}

ssize_t flux_msg_encode(const flux_msg_t *msg, void *buf, size_t size)
{
    ssize_t need = flux_msg_encode_size(msg);
    if (need < 0)
        return -1;
    if (!buf || size < (size_t)need) {
        errno = ENOSPC;
        return -1;
    }
    auto *p = (uint8_t *)buf;
    p[0] = flux::msg_magic;
    p[1] = flux::msg_version;
    p[2] = msg->type;
    p[3] = msg->flags;
    put_u32(p + 4, msg->userid);
    put_u32(p + 8, msg->rolemask);
    put_u32(p + 12, msg->nodeid);
    put_u32(p + 16, msg->matchtag);
    put_u32(p + 20, msg->errnum);
    p[24] = (uint8_t)(msg->topic.size() >> 8);
    p[25] = (uint8_t)msg->topic.size();
    p += flux::msg_fixed_header;
    memcpy(p, msg->topic.data(), msg->topic.size());
    p += msg->topic.size();
    *p++ = (uint8_t)msg->routes.size();
    for (const auto &r : msg->routes) {
        *p++ = (uint8_t)r.size();
        memcpy(p, r.data(), r.size());
        p += r.size();
    }
    *p++ = msg->has_payload ? 1 : 0;
    if (msg->has_payload) {
        put_u32(p, (uint32_t)msg->payload.size());
        p += 4;
        memcpy(p, msg->payload.data(), msg->payload.size());
    }
    return need;
}

flux_msg_t *flux_msg_decode(const void *buf, size_t size)
{
    if (!buf) {
        errno = EINVAL;
        return nullptr;
    }
    Reader rd{(const uint8_t *)buf, size};
    auto *msg = new (std::nothrow) flux_msg;
    if (!msg) {
        errno = ENOMEM;
        return nullptr;
    }
    uint8_t magic = rd.u8();
    uint8_t version = rd.u8();
    msg->type = rd.u8();
    msg->flags = rd.u8();
    msg->userid = rd.u32();
    msg->rolemask = rd.u32();
    msg->nodeid = rd.u32();
    msg->matchtag = rd.u32();
    msg->errnum = rd.u32();
    uint16_t topiclen = rd.u16();
    if (!rd.ok || magic != flux::msg_magic || version != flux::msg_version ||
        !valid_type(msg->type) || topiclen > flux::msg_max_topic)
        goto proto;
    if (!rd.str(msg->topic, topiclen) || msg->topic.find('\0') != std::string::npos)
        goto proto;
    {
        uint8_t nroutes = rd.u8();
        for (int i = 0; rd.ok && i < nroutes; i++) {
            uint8_t len = rd.u8();
            std::string id;
            if (len == 0 || !rd.str(id, len))
                goto proto;
            msg->routes.push_back(std::move(id));
        }
    }
    {
        uint8_t has = rd.u8();
        if (has > 1)
            goto proto;
        msg->has_payload = has == 1;
    }
    if (msg->has_payload) {
        uint32_t len = rd.u32();
        if (!rd.ok || len > FLUX_MSG_MAX_SIZE || !rd.str(msg->payload, len))
            goto proto;
    }
    if (!rd.ok || rd.left != 0)
        goto proto;
    if ((msg->type == FLUX_MSGTYPE_REQUEST || msg->type == FLUX_MSGTYPE_EVENT) &&
        msg->topic.empty())
        goto proto;
    return msg;
proto:
    delete msg;
    errno = EPROTO;
    return nullptr;
}

const char *flux_msg_typestr(int type)
{
    switch (type) {
        case FLUX_MSGTYPE_REQUEST:
            return "request";
        case FLUX_MSGTYPE_RESPONSE:
            return "response";
        case FLUX_MSGTYPE_EVENT:
            return "event";
        case FLUX_MSGTYPE_CONTROL:
            return "control";
    }
    return "unknown";
}

char *flux_msg_typestr_dup(const flux_msg_t *msg)
{
    if (!msg) {
        errno = EINVAL;
        return nullptr;
    }
    char *routes = flux_msg_route_string(msg);
    char *s = nullptr;
    if (asprintf(&s,
                 "%s topic=%s nodeid=%u matchtag=%u userid=%u rolemask=0x%x errnum=%u "
                 "flags=0x%x route=%s payload=%zu",
                 flux_msg_typestr(msg->type), msg->topic.c_str(), msg->nodeid, msg->matchtag,
                 msg->userid, msg->rolemask, msg->errnum, msg->flags, routes ? routes : "",
                 msg->payload.size()) < 0)
        s = nullptr;
    free(routes);
    return s;
}

bool flux_msg_cmp(const flux_msg_t *msg, struct flux_match match)
{
    if (!msg)
        return false;
    if (!(match.typemask & msg->type))
        return false;
    if (match.matchtag != FLUX_MATCHTAG_NONE && match.matchtag != msg->matchtag)
        return false;
    if (match.topic_glob && strcmp(match.topic_glob, "*") != 0 &&
        fnmatch(match.topic_glob, msg->topic.c_str(), 0) != 0)
        return false;
    return true;
}

} // extern "C"
