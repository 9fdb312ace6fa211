/* service.cpp - the message accessors of service.h: the one place where a
 * built-in service's view of a message meets libflux's private layout.
 */
#include "service.h"

#include "libflux/message_internal.h"

namespace fluxd::msg {

uint32_t userid(const flux_msg_t *m)
{
    return m->userid;
}

uint32_t rolemask(const flux_msg_t *m)
{
    return m->rolemask;
}

uint32_t matchtag(const flux_msg_t *m)
{
    return m->matchtag;
}

int errnum(const flux_msg_t *m)
{
    return static_cast<int>(m->errnum);
}

std::string_view topic(const flux_msg_t *m)
{
    return m->topic;
}

bool has_payload(const flux_msg_t *m)
{
    return m->has_payload;
}

std::string_view payload(const flux_msg_t *m)
{
    return m->payload;
}

bool streaming(const flux_msg_t *m)
{
    return (m->flags & FLUX_MSGFLAG_STREAMING) != 0;
}

bool same_sender(const flux_msg_t *a, const flux_msg_t *b)
{
    return a->routes == b->routes;
}

} // namespace fluxd::msg
