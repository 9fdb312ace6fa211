/* log_ring.cpp - bounded in-memory log (its text form: logentry.h). */
#include "log_ring.h"

namespace fluxd {

const LogEntry &LogRing::append(LogEntry e)
{
    e.seq = next_seq_++;
    entries_.push_back(std::move(e));
    while (entries_.size() > capacity_)
        entries_.pop_front();
    return entries_.back();
}

void LogRing::set_capacity(size_t n)
{
    capacity_ = n < 1 ? 1 : n;
    while (entries_.size() > capacity_)
        entries_.pop_front();
}

} // namespace fluxd
