/* message_internal.h - the in-memory layout of flux_msg_t (libflux private). */
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include <jansson.h>

#include "flux/core.h"

struct flux_msg {
    mutable std::atomic<int> refcount{1};
    uint8_t type = 0;
    uint8_t flags = 0;
    uint32_t userid = FLUX_USERID_UNKNOWN;
    uint32_t rolemask = FLUX_ROLE_NONE;
    uint32_t nodeid = FLUX_NODEID_ANY;
    uint32_t matchtag = FLUX_MATCHTAG_NONE; /* holds the sequence number of an event */
    uint32_t errnum = 0;
    std::string topic;
    std::vector<std::string> routes; /* first pushed first */
    bool has_payload = false;
    std::string payload;
    mutable json_t *json = nullptr; /* parsed payload cache for unpack */

    ~flux_msg() { json_decref(json); }
    void payload_changed()
    {
        json_decref(json);
        json = nullptr;
    }
};

namespace flux {
/* Bytes the header occupies before topic/routes/payload. */
constexpr size_t msg_fixed_header = 26;
constexpr uint8_t msg_magic = 0x8e;
constexpr uint8_t msg_version = 1;
constexpr size_t msg_max_topic = 1024;
constexpr size_t msg_max_route_id = 255;
constexpr size_t msg_max_routes = 255;
} // namespace flux
