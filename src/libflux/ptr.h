/* ptr.h - RAII owners for the C objects libflux and fluxd create
 * (libflux private).  Each deleter accepts NULL. */
#pragma once

#include <memory>

#include <event2/event.h>
#include <jansson.h>

#include "flux/core.h"

namespace flux {

struct JsonDeleter {
    void operator()(json_t *o) const { json_decref(o); }
};
using JsonPtr = std::unique_ptr<json_t, JsonDeleter>;

struct MsgDeleter {
    void operator()(const flux_msg_t *m) const { flux_msg_decref(m); }
};
using MsgPtr = std::unique_ptr<flux_msg_t, MsgDeleter>;
using ConstMsgPtr = std::unique_ptr<const flux_msg_t, MsgDeleter>;

struct FutureDeleter {
    void operator()(flux_future_t *f) const { flux_future_destroy(f); }
};
using FuturePtr = std::unique_ptr<flux_future_t, FutureDeleter>;

struct EventDeleter {
    void operator()(struct event *e) const
    {
        if (e)
            event_free(e);
    }
};
using EventPtr = std::unique_ptr<struct event, EventDeleter>;

/* A new reference to msg, owned. */
inline ConstMsgPtr msg_ref(const flux_msg_t *msg)
{
    return ConstMsgPtr(flux_msg_incref(msg));
}

} // namespace flux
