/* leader.cpp - LeaderChannel: a shell's reports to its job's leader shell,
 * one at a time and in order (see internal.h). */
#include <algorithm>
#include <cerrno>
#include <syslog.h>

#include <event2/event.h>

#include "shell/internal.h"

namespace flux::shell {

namespace {

constexpr const char *ref_name = "leader-channel";
constexpr double first_backoff = 0.005;
constexpr double max_backoff = 0.64;
constexpr double give_up_after = 60.;

} // namespace

Leader find_leader(const flux::Taskmap &m)
{
    Leader l;
    for (size_t i = 0; i < m.nodes().size(); i++) {
        if (m.nodes()[i].ntasks == 0)
            continue;
        if (l.nshells++ == 0) {
            l.node = (int)i;
            l.rank = m.nodes()[i].rank;
        }
    }
    return l;
}

void LeaderChannel::send(flux_shell_t *shell, uint32_t rank, std::string topic, Payload payload,
                         Done done)
{
    shell_ = shell;
    bool idle = queue_.empty() && !finishing_;
    queue_.push_back({rank, std::move(topic), std::move(payload), std::move(done)});
    if (idle) {
        flux_shell_add_completion_ref(shell_, ref_name);
        begin();
    }
}

/* The front request's first try. */
void LeaderChannel::begin()
{
    backoff_ = first_backoff;
    waited_ = 0;
    start();
}

void LeaderChannel::start()
{
    Request &r = queue_.front();
    json_t *payload = r.payload ? r.payload() : json_object();
    inflight_.reset(payload ? flux_rpc_pack(flux_shell_get_flux(shell_), r.topic.c_str(), r.rank,
                                            0, "O", payload)
                            : nullptr);
    json_decref(payload);
    if (!inflight_ || flux_future_then(inflight_.get(), -1, answered, this) < 0) {
        flux_shell_log(shell_, LOG_ERR, "cannot send %s to the leader shell", r.topic.c_str());
        inflight_.reset();
        finish(nullptr);
    }
}

void LeaderChannel::answered(flux_future_t *f, void *arg)
{
    auto *c = static_cast<LeaderChannel *>(arg);
    if (flux_rpc_get(f, nullptr) < 0 && errno == ENOSYS && c->waited_ < give_up_after) {
        if (!c->timer_)
            c->timer_.reset(evtimer_new(flux_shell_get_event_base(c->shell_), retry, c));
        struct timeval tv = {(time_t)c->backoff_,
                             (suseconds_t)((c->backoff_ - (long)c->backoff_) * 1e6)};
        c->waited_ += c->backoff_;
        c->backoff_ = std::min(c->backoff_ * 2, max_backoff);
        if (c->timer_ && evtimer_add(c->timer_.get(), &tv) == 0)
            return; /* the answer stays in inflight_ until the retry */
    }
    c->finish(f);
}

void LeaderChannel::retry(evutil_socket_t, short, void *arg)
{
    static_cast<LeaderChannel *>(arg)->start();
}

/* The front request has its final answer F (nullptr: it could not be
 * sent): tell its owner (who may queue another), then send the next. */
void LeaderChannel::finish(flux_future_t *f)
{
    Request r = std::move(queue_.front());
    queue_.pop_front();
    flux::FuturePtr keep = std::move(inflight_); /* F, valid through done() */
    finishing_ = true;
    if (r.done)
        r.done(f);
    finishing_ = false;
    if (!queue_.empty()) {
        begin();
        return;
    }
    flux_shell_remove_completion_ref(shell_, ref_name);
}

} // namespace flux::shell
