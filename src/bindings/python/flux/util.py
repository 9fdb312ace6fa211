"""flux.util: the helpers of Flux's flux.util that scripts use most:
parse_fsd() and fsd() (RFC 23 durations), parse_datetime()."""
import datetime
import math
import re

from flux.job.jobspec import parse_fsd as _seconds


def parse_fsd(s):
    """Seconds (float) of an RFC 23 duration string ("30", "1.5m", "2h",
    "1d", "inf"); ValueError if malformed or negative."""
    if not isinstance(s, str):
        raise TypeError("parse_fsd() takes a string, not %s" % type(s).__name__)
    if s.strip().lower() in ("inf", "infinity", "unlimited"):
        return math.inf
    return _seconds(s)


def fsd(secs):
    """An RFC 23 duration string for SECS, shortest unit first that fits."""
    if math.isinf(secs):
        return "infinity"
    if secs < 5.0e-5:
        return "0s"
    if secs < 10.0:
        return "%.03fs" % secs
    if secs < 60.0:
        return "%.4gs" % secs
    if secs < 3600.0:
        return "%.4gm" % (secs / 60.0)
    if secs < 86400.0:
        return "%.4gh" % (secs / 3600.0)
    return "%.4gd" % (secs / 86400.0)


_FORMATS = ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%H:%M:%S", "%H:%M")


def parse_datetime(string, now=None):
    """A timezone-aware datetime from STRING: "now", "+FSD"/"-FSD" (from
    now), "@EPOCH", an ISO 8601 date/time ("2025-01-31T10:00", with or
    without offset), or "HH:MM[:SS]" (today, or tomorrow if already past).
    NOW (a datetime) is the reference; default the current local time."""
    if not isinstance(string, str):
        raise TypeError("parse_datetime() takes a string")
    if now is None:
        now = datetime.datetime.now().astimezone()
    elif now.tzinfo is None:
        now = now.astimezone()
    s = string.strip()
    if s == "now":
        return now
    if s[:1] in ("+", "-"):
        delta = datetime.timedelta(seconds=parse_fsd(s[1:]))
        return now + delta if s[0] == "+" else now - delta
    if s.startswith("@"):
        try:
            return datetime.datetime.fromtimestamp(float(s[1:])).astimezone()
        except ValueError:
            raise ValueError("invalid date/time %r" % string) from None
    try:
        dt = datetime.datetime.fromisoformat(s)
        return dt if dt.tzinfo else dt.astimezone()
    except ValueError:
        pass
    for fmt in _FORMATS:
        try:
            dt = datetime.datetime.strptime(s, fmt)
        except ValueError:
            continue
        if re.match(r"^\d+:\d+", s):  # a time of day
            dt = now.replace(hour=dt.hour, minute=dt.minute, second=dt.second, microsecond=0)
            return dt if dt >= now else dt + datetime.timedelta(days=1)
        return dt.astimezone()
    raise ValueError("invalid date/time %r (now, +FSD, @EPOCH, ISO 8601 or HH:MM)" % string)
