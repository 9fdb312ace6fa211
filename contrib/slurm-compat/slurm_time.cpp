/* slurm_time.cpp - Slurm's time formats (see slurm_time.h and sbatch(1)
 * "-t, --time"). */
#include "slurm_time.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <strings.h>
#include <vector>

namespace slurm {

namespace {

/* Split S on SEP into unsigned decimal fields; false if a field is empty
 * or not a number. */
bool split_numbers(const std::string &s, char sep, std::vector<int64_t> &out)
{
    out.clear();
    size_t start = 0;
    while (true) {
        size_t end = s.find(sep, start);
        std::string f = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (f.empty() || f.size() > 9)
            return false;
        for (char c : f)
            if (!isdigit((unsigned char)c))
                return false;
        out.push_back(std::stoll(f));
        if (end == std::string::npos)
            return true;
        start = end + 1;
    }
}

} // namespace

int64_t parse_time_limit_seconds(const std::string &s)
{
    if (!strcasecmp(s.c_str(), "unlimited") || !strcasecmp(s.c_str(), "infinite"))
        return -1;
    if (s.empty())
        return -2;
    int64_t days = 0;
    std::string rest = s;
    size_t dash = s.find('-');
    std::vector<int64_t> f;
    if (dash != std::string::npos) {
        /* D-H, D-H:M, D-H:M:S */
        if (!split_numbers(s.substr(0, dash), ':', f) || f.size() != 1)
            return -2;
        days = f[0];
        if (!split_numbers(s.substr(dash + 1), ':', f) || f.size() > 3)
            return -2;
        int64_t h = f[0], m = f.size() > 1 ? f[1] : 0, sec = f.size() > 2 ? f[2] : 0;
        return ((days * 24 + h) * 60 + m) * 60 + sec;
    }
    /* M, M:S, H:M:S */
    if (!split_numbers(rest, ':', f) || f.size() > 3)
        return -2;
    if (f.size() == 1)
        return f[0] * 60;
    if (f.size() == 2)
        return f[0] * 60 + f[1];
    return (f[0] * 60 + f[1]) * 60 + f[2];
}

int64_t parse_time_limit(const std::string &s)
{
    int64_t sec = parse_time_limit_seconds(s);
    if (sec < 0)
        return sec;
    return (sec + 59) / 60;
}

namespace {

/* [D-]H:MM:SS as Slurm prints times: squeue drops zero hours ("5:03"),
 * sacct keeps them in two digits ("00:05:03"). */
std::string format_hms(int64_t t, bool sacct)
{
    if (t < 0)
        t = 0;
    long long d = t / 86400, h = t / 3600 % 24, m = t / 60 % 60, s = t % 60;
    char buf[64];
    if (d > 0)
        snprintf(buf, sizeof(buf), "%lld-%02lld:%02lld:%02lld", d, h, m, s);
    else if (sacct)
        snprintf(buf, sizeof(buf), "%02lld:%02lld:%02lld", h, m, s);
    else if (h > 0)
        snprintf(buf, sizeof(buf), "%lld:%02lld:%02lld", h, m, s);
    else
        snprintf(buf, sizeof(buf), "%lld:%02lld", m, s);
    return buf;
}

} // namespace

std::string format_elapsed(int64_t t)
{
    return format_hms(t, false);
}

std::string format_elapsed_sacct(int64_t t)
{
    return format_hms(t, true);
}

std::string format_limit_sacct(int64_t seconds)
{
    return seconds <= 0 ? "UNLIMITED" : format_elapsed_sacct(seconds);
}

std::string format_limit(int64_t seconds, const char *unlimited_word)
{
    if (seconds <= 0)
        return unlimited_word;
    return format_elapsed(seconds);
}

int64_t parse_begin(const std::string &s, time_t now)
{
    if (s.empty())
        return -1;
    std::string l;
    for (char c : s)
        l += (char)tolower((unsigned char)c);
    if (l == "now")
        return now;
    if (l.rfind("now+", 0) == 0) {
        std::string n = l.substr(4);
        size_t i = 0;
        while (i < n.size() && isdigit((unsigned char)n[i]))
            i++;
        if (i == 0 || i > 9)
            return -1;
        int64_t v = std::stoll(n.substr(0, i));
        std::string unit = n.substr(i);
        int64_t mult;
        if (unit.empty() || unit == "s" || unit == "seconds" || unit == "second")
            mult = 1;
        else if (unit == "minutes" || unit == "minute" || unit == "min" || unit == "m")
            mult = 60;
        else if (unit == "hours" || unit == "hour" || unit == "h")
            mult = 3600;
        else if (unit == "days" || unit == "day" || unit == "d")
            mult = 86400;
        else if (unit == "weeks" || unit == "week" || unit == "w")
            mult = 7 * 86400;
        else
            return -1;
        return now + v * mult;
    }
    struct tm tm;
    localtime_r(&now, &tm);
    auto at = [&](int hour, int min, int sec, int add_day_if_past) -> int64_t {
        struct tm t = tm;
        t.tm_hour = hour;
        t.tm_min = min;
        t.tm_sec = sec;
        t.tm_isdst = -1;
        time_t v = mktime(&t);
        if (add_day_if_past && v <= now) {
            t.tm_mday += 1;
            t.tm_isdst = -1;
            v = mktime(&t);
        }
        return v;
    };
    if (l == "midnight")
        return at(0, 0, 0, 1);
    if (l == "noon")
        return at(12, 0, 0, 1);
    if (l == "teatime")
        return at(16, 0, 0, 1);
    if (l == "today")
        return at(0, 0, 0, 0);
    if (l == "tomorrow") {
        struct tm t = tm;
        t.tm_mday += 1;
        t.tm_hour = t.tm_min = t.tm_sec = 0;
        t.tm_isdst = -1;
        return mktime(&t);
    }
    int Y, M, D, h = 0, m = 0, sec = 0, n = 0;
    if (sscanf(s.c_str(), "%4d-%2d-%2d%n", &Y, &M, &D, &n) == 3) {
        const char *r = s.c_str() + n;
        if (*r == 'T') {
            int n2 = 0;
            if (sscanf(r + 1, "%2d:%2d%n", &h, &m, &n2) != 2)
                return -1;
            r += 1 + n2;
            if (*r == ':') {
                int n3 = 0;
                if (sscanf(r + 1, "%2d%n", &sec, &n3) != 1)
                    return -1;
                r += 1 + n3;
            }
        }
        if (*r || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 59)
            return -1;
        struct tm t = {};
        t.tm_year = Y - 1900;
        t.tm_mon = M - 1;
        t.tm_mday = D;
        t.tm_hour = h;
        t.tm_min = m;
        t.tm_sec = sec;
        t.tm_isdst = -1;
        return mktime(&t);
    }
    n = 0;
    if (sscanf(s.c_str(), "%2d:%2d%n", &h, &m, &n) == 2) {
        const char *r = s.c_str() + n;
        if (*r == ':') {
            int n3 = 0;
            if (sscanf(r + 1, "%2d%n", &sec, &n3) != 1)
                return -1;
            r += 1 + n3;
        }
        if (*r || h > 23 || m > 59 || sec > 59)
            return -1;
        return at(h, m, sec, 1);
    }
    return -1;
}

std::string format_timestamp(double t)
{
    if (t <= 0)
        return "Unknown";
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    char buf[64];
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    return buf;
}

} // namespace slurm
