/* uri.h - parse the URIs that name a flux instance (libflux private).
 *
 *   local:///abs/path/to/socket
 *   ssh://[user@]host[:port]/abs/path/to/socket
 */
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace flux {

struct Uri {
    std::string scheme; /* "local" or "ssh" */
    std::string user;   /* ssh only, may be empty */
    std::string host;   /* ssh only */
    int port = -1;      /* ssh only, -1 if absent */
    std::string path;   /* absolute socket path */
};

/* nullopt with *err naming the problem (e.g. "unknown URI scheme 'tcp'"). */
std::optional<Uri> uri_parse(std::string_view uri, std::string *err);

} // namespace flux
