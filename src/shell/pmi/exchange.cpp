/* exchange.cpp - the job's shells exchange a JSON object by tree fan-in
 * then fan-out over the broker overlay (see exchange.h). */
#include "exchange.h"

#include <cerrno>
#include <cstring>
#include <syslog.h>
#include <unistd.h>

#include "shell/peer.h"

namespace flux::shell::pmi {

Exchange::Exchange(flux_shell_t *shell, uint64_t jobid, int node, std::vector<uint32_t> ranks,
                   int fanout, const std::string &name)
    : shell_(shell), jobid_(jobid), node_(node), ranks_(std::move(ranks)),
      fanout_(fanout < 1 ? 1 : fanout), service_(std::to_string(getuid()) + "-" + name + "-" + std::to_string(jobid))
{
}

Exchange::~Exchange()
{
    if (mh_)
        flux_msg_handler_destroy(mh_);
}

Result<void> Exchange::ensure_service()
{
    if (registered_)
        return {};
    flux_t *h = flux_shell_get_flux(shell_);
    topic_ = service_ + ".exchange";
    struct flux_match match = FLUX_MATCH_REQUEST;
    match.topic_glob = topic_.c_str();
    mh_ = flux_msg_handler_create(h, match, request_cb, this);
    if (!mh_)
        return make_error(errno, "cannot create the exchange handler");
    flux_msg_handler_allow_rolemask(mh_, FLUX_ROLE_USER);
    flux_msg_handler_start(mh_);
    FuturePtr f(flux_service_register(h, service_.c_str()));
    if (!f || flux_rpc_get(f.get(), nullptr) < 0)
        return make_error(errno, "cannot register service " + service_ + ": "
                                     + (f ? flux_future_error_string(f.get()) : strerror(errno)));
    registered_ = true;
    return {};
}

int Exchange::nchildren() const
{
    int n = 0;
    for (int c = fanout_ * node_ + 1; c <= fanout_ * node_ + fanout_; c++)
        if (c < (int)ranks_.size())
            n++;
    return n;
}

Result<void> Exchange::start(json_t *data, Done done)
{
    JsonPtr d(data);
    if (busy_)
        return make_error(EINPROGRESS, "an exchange is already in progress");
    if (!json_is_object(data))
        return make_error(EINVAL, "exchange data must be an object");
    if (ranks_.size() > 1) {
        if (auto r = ensure_service(); !r)
            return r;
    }
    busy_ = true;
    done_ = std::move(done);
    Round &r = rounds_[seq_];
    json_object_update(r.merged.get(), data);
    r.local_in = true;
    maybe_forward(seq_);
    return {};
}

void Exchange::request_cb(flux_t *, flux_msg_handler_t *, const flux_msg_t *msg, void *arg)
{
    static_cast<Exchange *>(arg)->request(msg);
}

void Exchange::request(const flux_msg_t *msg)
{
    flux_t *h = flux_shell_get_flux(shell_);
    if (!flux::shell::from_job_shell(h, msg, "exchange"))
        return;
    int seq = -1, from = -1;
    json_t *data = nullptr;
    if (flux_msg_unpack(msg, "{s:i s:i s:o}", "seq", &seq, "from", &from, "data", &data) < 0
        || !json_is_object(data)) {
        flux_respond_error(h, msg, EPROTO, "exchange: expected {seq, from, data: object}");
        return;
    }
    if (from <= fanout_ * node_ || from > fanout_ * node_ + fanout_
        || from >= (int)ranks_.size()) {
        flux_respond_error(h, msg, EINVAL,
                           ("exchange: node " + std::to_string(from) + " is not a child of node "
                            + std::to_string(node_))
                               .c_str());
        return;
    }
    /* A child is at most one round ahead of us: it cannot finish round
     * seq_ without us. */
    if ((uint32_t)seq != seq_ && (uint32_t)seq != seq_ + 1) {
        flux_respond_error(h, msg, EPROTO,
                           ("exchange: round " + std::to_string(seq) + " is out of step (at "
                            + std::to_string(seq_) + ")")
                               .c_str());
        return;
    }
    Round &r = rounds_[(uint32_t)seq];
    json_object_update(r.merged.get(), data);
    r.children_in++;
    r.waiting.push_back(msg_ref(msg));
    maybe_forward((uint32_t)seq);
}

void Exchange::maybe_forward(uint32_t seq)
{
    auto it = rounds_.find(seq);
    if (it == rounds_.end())
        return;
    Round &r = it->second;
    if (!r.local_in || r.sent || r.children_in < nchildren())
        return;
    r.sent = true;
    if (node_ == 0) {
        JsonPtr all(json_incref(r.merged.get()));
        finish(seq, all.get());
        return;
    }
    send_up(seq);
}

void Exchange::send_up(uint32_t seq)
{
    Round &r = rounds_[seq];
    uint32_t parent = ranks_[(size_t)((node_ - 1) / fanout_)];
    up_.reset(flux_rpc_pack(flux_shell_get_flux(shell_), topic_.c_str(), parent, 0,
                            "{s:i s:i s:O}", "seq", (int)seq, "from", node_, "data",
                            r.merged.get()));
    if (!up_ || flux_future_then(up_.get(), -1, response_cb, this) < 0) {
        finish(seq, make_error(errno, "exchange: cannot send to the parent shell"));
        return;
    }
}

void Exchange::retry_cb(evutil_socket_t, short, void *arg)
{
    auto *x = static_cast<Exchange *>(arg);
    x->send_up(x->seq_);
}

void Exchange::response_cb(flux_future_t *f, void *arg)
{
    auto *x = static_cast<Exchange *>(arg);
    json_t *data = nullptr;
    if (flux_rpc_get_unpack(f, "{s:o}", "data", &data) < 0) {
        if (errno == ENOSYS) {
            /* The parent shell has not registered its service yet. */
            if (!x->retry_)
                x->retry_.reset(evtimer_new(flux_shell_get_event_base(x->shell_), retry_cb, x));
            struct timeval tv = {(time_t)x->backoff_,
                                 (suseconds_t)((x->backoff_ - (long)x->backoff_) * 1e6)};
            if (x->backoff_ < 0.5)
                x->backoff_ *= 2;
            evtimer_add(x->retry_.get(), &tv);
            return;
        }
        std::string text = flux_future_error_string(f);
        x->finish(x->seq_, make_error(errno, "exchange with the parent shell failed: " + text));
        return;
    }
    x->backoff_ = 0.005;
    FuturePtr keep(x->up_.release()); /* data lives in the future */
    x->finish(x->seq_, data);
}

void Exchange::finish(uint32_t seq, const Result<json_t *> &result)
{
    flux_t *h = flux_shell_get_flux(shell_);
    auto it = rounds_.find(seq);
    if (it != rounds_.end()) {
        for (auto &m : it->second.waiting) {
            if (result)
                flux_respond_pack(h, m.get(), "{s:i s:O}", "seq", (int)seq, "data", *result);
            else
                flux_respond_error(h, m.get(), result.error().errnum,
                                   result.error().text.c_str());
        }
    }
    Done done = std::move(done_);
    done_ = nullptr;
    busy_ = false;
    seq_ = seq + 1;
    /* The root's result is its round's merged object: call back first. */
    if (done)
        done(result);
    rounds_.erase(seq);
}

} // namespace flux::shell::pmi
