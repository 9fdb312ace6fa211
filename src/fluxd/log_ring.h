/* log_ring.h - the broker's in-memory log: a bounded ring of entries that
 * flux-dmesg(1) reads.  Levels are syslog(3) levels. */
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "logentry/logentry.h"

namespace fluxd {

using flux::LogEntry;

class LogRing {
  public:
    explicit LogRing(size_t capacity = 1024) : capacity_(capacity < 1 ? 1 : capacity) {}
    /* Returns the stored entry (with its sequence number). */
    const LogEntry &append(LogEntry e);
    void clear() { entries_.clear(); }
    void set_capacity(size_t n);
    const std::deque<LogEntry> &entries() const { return entries_; }
    /* "2026-11-24T06:40:01.123456Z broker.err[3]: text" */
    static std::string format(const LogEntry &e, bool human = false)
    {
        return flux::log_format(e, human);
    }
    static const char *level_name(int level) { return flux::log_level_name(level); }
    /* Parse "err", "3", "warning", ...; -1 if unknown. */
    static int level_parse(const std::string &s) { return flux::log_level_parse(s); }

  private:
    size_t capacity_;
    uint64_t next_seq_ = 1;
    std::deque<LogEntry> entries_;
};

} // namespace fluxd
