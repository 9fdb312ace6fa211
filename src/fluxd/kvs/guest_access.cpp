/* guest_access.cpp - the guest's view of the primary namespace: a job's
 * directory belongs to the job's submitter (see guest_access.h). */
#include "guest_access.h"

#include <cctype>
#include <cerrno>

#include <jansson.h>

#include "eventlog/eventlog.h"
#include "fluid/fluid.h"

namespace fluxd {

std::optional<GuestKey> guest_key(std::string_view key)
{
    constexpr std::string_view prefix = "job.";
    if (!key.starts_with(prefix))
        return std::nullopt;
    std::string_view rest = key.substr(prefix.size());
    /* Four groups of four hex digits: "0017.e9fb.8df1.6c2e". */
    constexpr size_t idlen = 19;
    if (rest.size() < idlen || (rest.size() > idlen && rest[idlen] != '.'))
        return std::nullopt;
    for (size_t i = 0; i < idlen; i++) {
        bool dot = i % 5 == 4;
        if (dot ? rest[i] != '.' : !isxdigit((unsigned char)rest[i]))
            return std::nullopt;
    }
    auto id = flux::fluid_parse(rest.substr(0, idlen));
    if (!id)
        return std::nullopt;
    GuestKey g;
    g.id = *id;
    std::string_view below = rest.size() > idlen ? rest.substr(idlen + 1) : std::string_view();
    g.writable = below == "guest" || below.starts_with("guest.");
    return g;
}

flux::Result<uint32_t> eventlog_submitter(const std::string &value_json)
{
    json_error_t jerr;
    json_t *s = json_loads(value_json.c_str(), JSON_DECODE_ANY, &jerr);
    if (!json_is_string(s)) {
        json_decref(s);
        return flux::make_error(EINVAL, "the job's eventlog is not a string");
    }
    std::string_view text(json_string_value(s), json_string_length(s));
    size_t nl = text.find('\n');
    auto first = flux::eventlog_entry_decode(text.substr(0, nl));
    json_decref(s);
    json_int_t userid = -1;
    if (!first || first->name != "submit"
        || json_unpack(first->context, "{s:I}", "userid", &userid) < 0 || userid < 0
        || userid > UINT32_MAX)
        return flux::make_error(EINVAL, "the job's eventlog does not start with a submit event");
    return (uint32_t)userid;
}

} // namespace fluxd
