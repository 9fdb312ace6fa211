/* event.cpp - event subscription (local broker) and publication (rank 0
 * sequences every event; see the broker's event service). */
#include <cerrno>
#include <cstring>

#include "handle_internal.h"
#include "message_internal.h"

namespace {

int subscription_rpc(flux_t *h, const char *topic_name, const char *topic)
{
    if (!h || !topic) {
        errno = EINVAL;
        return -1;
    }
    flux_future_t *f = flux_rpc_pack(h, topic_name, FLUX_NODEID_ANY, 0, "{s:s}", "topic", topic);
    if (!f)
        return -1;
    int rc = flux_rpc_get(f, nullptr);
    flux_future_destroy(f);
    return rc;
}

} // namespace

extern "C" {

int flux_event_subscribe(flux_t *h, const char *topic)
{
    return subscription_rpc(h, "event.subscribe", topic);
}

int flux_event_unsubscribe(flux_t *h, const char *topic)
{
    return subscription_rpc(h, "event.unsubscribe", topic);
}

flux_future_t *flux_event_publish(flux_t *h, const char *topic, int flags, const char *s)
{
    if (!h || !topic || !*topic || (flags & ~FLUX_MSGFLAG_PRIVATE)) {
        errno = EINVAL;
        return nullptr;
    }
    json_t *payload = s ? json_string(s) : json_null();
    if (!payload) {
        errno = EINVAL; /* not valid UTF-8 */
        return nullptr;
    }
    return flux_rpc_pack(h, "event.publish", 0, 0, "{s:s s:i s:o}", "topic", topic, "flags", flags,
                         "payload", payload);
}

flux_future_t *
flux_event_publish_pack(flux_t *h, const char *topic, int flags, const char *fmt, ...)
{
    if (!fmt) {
        errno = EINVAL;
        return nullptr;
    }
    va_list ap;
    va_start(ap, fmt);
    json_error_t jerr;
    json_t *o = json_vpack_ex(&jerr, 0, fmt, ap);
    va_end(ap);
    if (!o) {
        errno = EINVAL;
        return nullptr;
    }
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s) {
        errno = ENOMEM;
        return nullptr;
    }
    flux_future_t *f = flux_event_publish(h, topic, flags, s);
    free(s);
    return f;
}

int flux_event_publish_get_seq(flux_future_t *f, int *seq)
{
    int s = 0;
    if (flux_rpc_get_unpack(f, "{s:i}", "seq", &s) < 0)
        return -1;
    if (seq)
        *seq = s;
    return 0;
}

int flux_event_decode(const flux_msg_t *msg, const char **topic, const char **s)
{
    if (!msg || msg->type != FLUX_MSGTYPE_EVENT) {
        errno = EPROTO;
        return -1;
    }
    if (topic)
        *topic = msg->topic.c_str();
    if (s && flux_msg_get_string(msg, s) < 0)
        return -1;
    return 0;
}

int flux_event_unpack(const flux_msg_t *msg, const char **topic, const char *fmt, ...)
{
    if (!msg || msg->type != FLUX_MSGTYPE_EVENT || !fmt) {
        errno = EPROTO;
        return -1;
    }
    if (topic)
        *topic = msg->topic.c_str();
    if (!msg->json) {
        json_error_t jerr;
        if (!msg->has_payload ||
            !(msg->json = json_loadb(msg->payload.data(), msg->payload.size(), 0, &jerr))) {
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

flux_future_t *flux_service_register(flux_t *h, const char *name)
{
    if (!h || !name || !*name || strchr(name, '.')) {
        errno = EINVAL;
        return nullptr;
    }
    return flux_rpc_pack(h, "service.add", FLUX_NODEID_ANY, 0, "{s:s}", "service", name);
}

flux_future_t *flux_service_unregister(flux_t *h, const char *name)
{
    if (!h || !name || !*name) {
        errno = EINVAL;
        return nullptr;
    }
    return flux_rpc_pack(h, "service.remove", FLUX_NODEID_ANY, 0, "{s:s}", "service", name);
}

} // extern "C"
