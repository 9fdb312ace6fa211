/* logentry.h - one entry of an instance's log (flux-dmesg(1)), its text
 * form and syslog(3) level names: shared by the broker's ring and the
 * commands that print it.
 */
#pragma once

#include <cstdint>
#include <string>

namespace flux {

struct LogEntry {
    uint64_t seq = 0;
    int level = 6;
    uint32_t rank = 0;
    double timestamp = 0;
    std::string appname;
    std::string hostname;
    std::string message;
};

/* "2026-11-24T06:40:01.123456Z broker.err[3]: text"; HUMAN: local
 * "Nov 24 06:40:01" instead. */
std::string log_format(const LogEntry &e, bool human = false);
/* "err" for 3; "unknown" out of range. */
const char *log_level_name(int level);
/* Parse "err", "3", "warning", "error", "warn", ...; -1 if unknown. */
int log_level_parse(const std::string &s);

} // namespace flux
