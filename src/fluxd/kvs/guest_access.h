/* guest_access.h - which keys of the primary namespace a guest (a user with
 * FLUX_ROLE_USER only) may reach: its own jobs' directories, nothing else.
 * See doc/design/multi-user-access.md. */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "result/result.h"

namespace fluxd {

/* A key inside one job's directory, job.<dothex id>[.rest]. */
struct GuestKey {
    uint64_t id = 0;
    /* Below job.<id>.guest (or that directory itself): the job's shell,
     * running as the guest, appends its output and log there. */
    bool writable = false;
};

/* The job directory a normalized KEY lies in (the directory itself
 * included), or nullopt when KEY is outside every job's directory
 * ("job", "job.0000", a key not below "job."). */
std::optional<GuestKey> guest_key(std::string_view key);

/* The submitter of a job from its eventlog's text (the KVS value, a JSON
 * string, as stored): the userid of its first entry, "submit".  EINVAL
 * when the text is not such an eventlog. */
flux::Result<uint32_t> eventlog_submitter(const std::string &value_json);

} // namespace fluxd
