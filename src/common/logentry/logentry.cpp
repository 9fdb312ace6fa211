/* logentry.cpp - a log entry's text form and syslog level names
 * (logentry.h). */
#include <cmath>
#include <cstdio>
#include <ctime>
#include <strings.h>

#include "logentry/logentry.h"

namespace flux {

namespace {
const char *names[] = {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
}

const char *log_level_name(int level)
{
    return level >= 0 && level <= 7 ? names[level] : "unknown";
}

int log_level_parse(const std::string &s)
{
    if (s.size() == 1 && s[0] >= '0' && s[0] <= '7')
        return s[0] - '0';
    for (int i = 0; i <= 7; i++) {
        if (strcasecmp(s.c_str(), names[i]) == 0)
            return i;
    }
    if (strcasecmp(s.c_str(), "error") == 0)
        return 3;
    if (strcasecmp(s.c_str(), "warn") == 0)
        return 4;
    return -1;
}

std::string log_format(const LogEntry &e, bool human)
{
    char ts[64];
    time_t sec = (time_t)e.timestamp;
    long usec = std::lround((e.timestamp - (double)sec) * 1e6);
    if (usec >= 1000000) {
        sec++;
        usec -= 1000000;
    }
    struct tm tm;
    if (human) {
        localtime_r(&sec, &tm);
        strftime(ts, sizeof(ts), "%b %d %H:%M:%S", &tm);
    }
    else {
        gmtime_r(&sec, &tm);
        char base[40];
        strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(ts, sizeof(ts), "%s.%06ldZ", base, usec);
    }
    std::string s = ts;
    s += ' ';
    s += e.appname;
    s += '.';
    s += log_level_name(e.level);
    s += '[' + std::to_string(e.rank) + "]: ";
    s += e.message;
    return s;
}

} // namespace flux
