/* fsd.h - Flux Standard Duration (RFC 23): "500ms", "30s", "1.5m", "2h", "1d",
 * "inf"; a bare number is in a caller-chosen default unit. */
#pragma once

#include <string>

#include "result/result.h"

namespace flux {

/* Seconds (0 for "inf"/"infinity", meaning unlimited).  default_unit is
 * one of 's', 'm', 'h', 'd' (a bare number never means ms). */
Result<double> fsd_parse(const std::string &s, char default_unit = 's');

/* "30s", "2.5m", "1h", "3d": the largest unit that keeps it short. */
std::string fsd_format(double seconds);

} // namespace flux
