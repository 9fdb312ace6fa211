/* fsd.cpp - Flux Standard Duration parsing and formatting (RFC 23). */
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "fsd.h"

namespace flux {

Result<double> fsd_parse(const std::string &s, char default_unit)
{
    if (s == "inf" || s == "infinity" || s == "INF")
        return 0.0;
    char *end;
    errno = 0;
    double v = strtod(s.c_str(), &end);
    if (s.empty() || errno || end == s.c_str() || v < 0 || std::isnan(v) || std::isinf(v)
        || !(isdigit((unsigned char)s[0]) || s[0] == '.'))
        return make_error(EINVAL, "invalid duration '" + s + "'");
    std::string unit = end;
    if (unit.empty())
        unit = std::string(1, default_unit);
    double mult = unit == "ms" ? 1e-3
                  : unit == "s" ? 1
                  : unit == "m" ? 60
                  : unit == "h" ? 3600
                  : unit == "d" ? 86400
                                : -1;
    if (mult < 0)
        return make_error(EINVAL, "invalid duration '" + s + "' (units: ms, s, m, h, d)");
    return v * mult;
}

std::string fsd_format(double t)
{
    char buf[64];
    if (t < 10)
        snprintf(buf, sizeof(buf), "%.3fs", t);
    else if (t < 60)
        snprintf(buf, sizeof(buf), "%.1fs", t);
    else if (t < 3600)
        snprintf(buf, sizeof(buf), "%.3gm", t / 60);
    else if (t < 86400)
        snprintf(buf, sizeof(buf), "%.3gh", t / 3600);
    else
        snprintf(buf, sizeof(buf), "%.3gd", t / 86400);
    return buf;
}

} // namespace flux
