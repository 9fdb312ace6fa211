/* resource.cpp - the resource service (rank 0).
 *
 * Resources are discovered with hwloc on every rank (hwloc.info) when the
 * rank comes online, or read from an R file (resource.path).  Topics:
 *   resource.list      -> {R, online, up, drained: {rank: {timestamp, reason}}, excluded}
 *   resource.drain     {targets, reason?, force?}   (owner)
 *   resource.undrain   {targets}                    (owner)
 *   resource.acquire   (streaming, owner): {resources: R, up} first, then
 *                      {up, down} whenever availability changes
 * TARGETS is an idset of ranks ("0-3") or a hostlist ("node[1-2]").
 * Drain state persists in the KVS key resource.drain.
 *
 * Attributes read: resource.exclude, resource.path, resource.noverify (ranks
 * of R beyond the instance size are synthetic: always up, never online).
 */
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/time.h>
#include <syslog.h>

#include "fluxd/service.h"
#include "fluxd/kvs/kvs.h"
#include "hostlist/hostlist.h"
#include "resource.h"

namespace fluxd {

using flux::IdSet;

namespace {


std::string read_file(const std::string &path, std::string *err)
{
    std::ifstream in(path);
    if (!in) {
        *err = path + ": " + strerror(errno);
        return "";
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

flux::Result<std::unique_ptr<Resource>> Resource::create(ServiceHost &broker)
{
    std::unique_ptr<Resource> r(new Resource(broker));
    if (auto path = broker.attr("resource.path"); path && !path->empty()) {
        std::string err;
        std::string text = read_file(*path, &err);
        if (!err.empty())
            return flux::make_error(ENOENT, "resource.path: " + err);
        auto R = flux::Rv1::decode(text);
        if (!R)
            return flux::make_error(EINVAL, "resource.path: " + *path + ": " + R.error().text);
        bool noverify = broker.attr("resource.noverify").value_or("false") == "true";
        if (auto last = R->ranks().last(); last && *last >= broker.size()) {
            if (!noverify)
                return flux::make_error(EINVAL, "resource.path: " + *path + ": rank "
                                                    + std::to_string(*last)
                                                    + " is beyond the instance size"
                                                      " (set [resource] noverify for synthetic"
                                                      " resources)");
            /* Synthetic ranks: no broker runs them; a scheduler may plan
             * on them (exec test mode runs jobs there). */
            r->synthetic_ = R->ranks().difference(IdSet::range(0, broker.size() - 1));
        }
        r->R_ = std::move(*R);
        r->known_ = IdSet::range(0, broker.size() - 1);
        r->configured_ = true;
    }
    if (auto ex = broker.attr("resource.exclude"); ex && !ex->empty()) {
        auto ids = IdSet::parse(*ex);
        if (!ids) {
            /* A hostlist: only meaningful with hostnames known from config. */
            return flux::make_error(EINVAL, "resource.exclude: '" + *ex
                                                + "' is not an idset of ranks");
        }
        if (auto last = ids->last(); last && *last >= broker.size())
            return flux::make_error(EINVAL, "resource.exclude: rank " + std::to_string(*last)
                                                + " is beyond the instance size");
        r->excluded_ = *ids;
    }
    r->register_methods();
    Resource *p = r.get();
    broker.on_ranks_changed([p] { p->ranks_changed(); });
    return r;
}

void Resource::register_methods()
{
    const uint32_t user = FLUX_ROLE_USER;
    auto reg = [this](const char *topic, uint32_t roles, void (Resource::*fn)(const flux_msg_t *)) {
        broker_.add_method(topic, roles,
                            [this, fn](const flux_msg_t *m) { (this->*fn)(m); });
    };
    reg("resource.list", user, &Resource::list);
    reg("resource.drain", 0, &Resource::drain);
    reg("resource.undrain", 0, &Resource::undrain);
    reg("resource.acquire", 0, &Resource::acquire);
    reg("resource.disconnect", 0, &Resource::disconnect);
    broker_.add_method("resource.ping", user,
                        [this](const flux_msg_t *m) { broker_.respond(m, json_object()); });
}

bool Resource::ready() const
{
    /* Every rank that is online has been discovered. */
    return drain_loaded_ && broker_.online_ranks().difference(known_).empty()
           && pending_.empty();
}

void Resource::ranks_changed()
{
    if (!drain_loaded_) {
        drain_loaded_ = true;
        if (Kvs *kvs = broker_.kvs()) {
            auto v = kvs->lookup("primary", "resource.drain");
            json_error_t jerr;
            json_t *o = v ? json_loads(v->c_str(), 0, &jerr) : nullptr;
            const char *key;
            json_t *val;
            json_object_foreach(o, key, val)
            {
                double ts = 0;
                const char *reason = "";
                if (json_unpack(val, "{s:F s:s}", "timestamp", &ts, "reason", &reason) == 0)
                    drained_[(uint32_t)strtoul(key, nullptr, 10)] = Drain{ts, reason};
            }
            json_decref(o);
        }
    }
    IdSet todo = broker_.online_ranks().difference(known_).difference(pending_);
    todo.for_each([this](uint32_t rank) { discover(rank); });
    if (ready())
        on_ready();
}

void Resource::discover(uint32_t rank)
{
    pending_.insert(rank);
    broker_.rpc("hwloc.info", nullptr, rank, [this, rank](const flux_msg_t *rsp) {
        pending_.erase(rank);
        int cores, gpus;
        const char *host;
        if (msg::errnum(rsp) != 0
            || flux_msg_unpack(rsp, "{s:i s:i s:s}", "cores", &cores, "gpus", &gpus, "hostname",
                               &host)
                   < 0) {
            broker_.log(LOG_ERR, "resource: discovering rank %u failed: %s", rank,
                        msg::errnum(rsp) ? strerror((int)msg::errnum(rsp)) : "malformed response");
            return;
        }
        IdSet c = cores > 0 ? IdSet::range(0, (uint32_t)cores - 1) : IdSet();
        IdSet g = gpus > 0 ? IdSet::range(0, (uint32_t)gpus - 1) : IdSet();
        R_.add_rank(rank, host, c, g);
        json_t *sockets = nullptr;
        if (flux_msg_unpack(rsp, "{s:o}", "sockets", &sockets) == 0 && json_is_array(sockets)
            && json_array_size(sockets) > 0)
            sockets_[rank] = flux::JsonPtr(json_incref(sockets));
        known_.insert(rank);
        generation_++;
        if (ready())
            on_ready();
    });
}

void Resource::when_ready(std::function<void()> cb)
{
    if (ready())
        cb();
    else
        ready_cbs_.push_back(std::move(cb));
}

void Resource::on_ready()
{
    auto cbs = std::move(ready_cbs_);
    ready_cbs_.clear();
    for (auto &cb : cbs)
        cb();
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto &req : waiting) {
        if (msg::topic(req.get()) == "resource.acquire")
            acquire(req.get());
        else
            list(req.get());
    }
    send_acquire_update();
}

IdSet Resource::up() const
{
    IdSet up = broker_.online_ranks().intersect(known_);
    up.insert(synthetic_);
    up = up.difference(excluded_);
    for (const auto &[rank, d] : drained_)
        up.erase(rank);
    return up;
}

json_t *Resource::drain_json() const
{
    json_t *o = json_object();
    for (const auto &[rank, d] : drained_)
        json_object_set_new(o, std::to_string(rank).c_str(),
                            json_pack("{s:f s:s}", "timestamp", d.timestamp, "reason",
                                      d.reason.c_str()));
    return o;
}

void Resource::list(const flux_msg_t *msg)
{
    if (!ready()) {
        waiting_.push_back(flux::msg_ref(msg));
        return;
    }
    broker_.respond(msg, json_pack("{s:O s:s s:s s:o s:s}", "R", R_.encode_json().get(),
                                   "online", broker_.online_ranks().encode().c_str(), "up",
                                   up().encode().c_str(), "drained", drain_json(), "excluded",
                                   excluded_.encode().c_str()));
}

flux::Result<IdSet> Resource::parse_targets(const std::string &targets) const
{
    IdSet ids;
    if (auto p = IdSet::parse(targets)) {
        ids = *p;
    }
    else {
        std::string err;
        auto hl = flux::Hostlist::parse(targets, &err);
        if (!hl)
            return flux::make_error(EINVAL, "'" + targets
                                                + "' is neither an idset of ranks nor a hostlist");
        ids = R_.ranks_of(*hl);
        if (ids.count() == 0)
            return flux::make_error(ENOENT, "no rank has a host in '" + targets + "'");
    }
    if (auto last = ids.last();
        last && *last >= broker_.size() && !ids.difference(synthetic_).difference(IdSet::range(0, broker_.size() - 1)).empty())
        return flux::make_error(EINVAL, "rank " + std::to_string(*last) + " is not in the instance (size "
                                            + std::to_string(broker_.size()) + ")");
    if (ids.empty())
        return flux::make_error(EINVAL, "no targets given");
    return ids;
}

void Resource::save_drain()
{
    Kvs *kvs = broker_.kvs();
    if (!kvs)
        return;
    json_t *o = drain_json();
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    KvsOp op;
    op.key = "resource.drain";
    op.value = s ? s : "{}";
    free(s);
    kvs->commit("primary", {op}, [this](const flux::Result<uint64_t> &r) {
        if (!r)
            broker_.log(LOG_ERR, "resource: saving drain state: %s", r.error().text.c_str());
    });
}

void Resource::drain(const flux_msg_t *msg)
{
    const char *targets, *reason = "";
    int force = 0;
    if (flux_msg_unpack(msg, "{s:s s?s s?b}", "targets", &targets, "reason", &reason, "force",
                        &force)
        < 0) {
        broker_.respond_error(msg, EPROTO, "resource.drain: expected {\"targets\": string}");
        return;
    }
    auto ids = parse_targets(targets);
    if (!ids) {
        broker_.respond_error(msg, ids.error().errnum, ids.error().text);
        return;
    }
    if (!force) {
        IdSet already;
        ids->for_each([&](uint32_t r) {
            if (drained_.count(r))
                already.insert(r);
        });
        if (!already.empty()) {
            broker_.respond_error(msg, EEXIST, "rank " + already.encode()
                                                   + " is already drained (use --force to update the reason)");
            return;
        }
    }
    double now = broker_.now();
    ids->for_each([&](uint32_t r) { drained_[r] = Drain{now, reason}; });
    broker_.log(LOG_INFO, "resource: drained %s%s%s", ids->encode().c_str(), *reason ? ": " : "",
                reason);
    save_drain();
    send_acquire_update();
    broker_.respond(msg, nullptr);
}

void Resource::undrain(const flux_msg_t *msg)
{
    const char *targets;
    if (flux_msg_unpack(msg, "{s:s}", "targets", &targets) < 0) {
        broker_.respond_error(msg, EPROTO, "resource.undrain: expected {\"targets\": string}");
        return;
    }
    auto ids = parse_targets(targets);
    if (!ids) {
        broker_.respond_error(msg, ids.error().errnum, ids.error().text);
        return;
    }
    IdSet not_drained;
    ids->for_each([&](uint32_t r) {
        if (!drained_.count(r))
            not_drained.insert(r);
    });
    if (!not_drained.empty()) {
        broker_.respond_error(msg, EINVAL, "rank " + not_drained.encode() + " is not drained");
        return;
    }
    ids->for_each([&](uint32_t r) { drained_.erase(r); });
    broker_.log(LOG_INFO, "resource: undrained %s", ids->encode().c_str());
    save_drain();
    send_acquire_update();
    broker_.respond(msg, nullptr);
}

void Resource::acquire(const flux_msg_t *msg)
{
    if (!(msg::streaming(msg))) {
        broker_.respond_error(msg, EPROTO, "resource.acquire requires a streaming request");
        return;
    }
    if (!ready()) {
        waiting_.push_back(flux::msg_ref(msg));
        return;
    }
    flux::Rv1 avail = R_.remove_ranks(excluded_);
    /* A graph scheduler reads the JGF (scheduling key) given with R. */
    avail.set_scheduling(const_cast<json_t *>(R_.scheduling()));
    IdSet u = up();
    /* Per-rank hwloc detail (sockets with their cores and memory) for a
     * graph scheduler building its graph from R_lite. */
    json_t *topology = json_object();
    for (const auto &[rank, sk] : sockets_) {
        if (!excluded_.contains(rank))
            json_object_set_new(topology, std::to_string(rank).c_str(),
                                json_pack("{s:O}", "sockets", sk.get()));
    }
    broker_.respond(msg, json_pack("{s:O s:s s:o}", "resources", avail.encode_json().get(), "up",
                                   u.encode().c_str(), "topology", topology));
    acquirers_.push_back(flux::msg_ref(msg));
    last_up_ = u;
}

void Resource::send_acquire_update()
{
    if (acquirers_.empty())
        return;
    IdSet u = up();
    if (u == last_up_)
        return;
    IdSet came = u.difference(last_up_), went = last_up_.difference(u);
    last_up_ = u;
    for (const auto &req : acquirers_)
        broker_.respond(req.get(), json_pack("{s:s s:s}", "up", came.encode().c_str(), "down",
                                             went.encode().c_str()));
}

void Resource::disconnect(const flux_msg_t *msg)
{
    std::erase_if(acquirers_, [&](const flux::ConstMsgPtr &a) { return msg::same_sender(a.get(), msg); });
    std::erase_if(waiting_, [&](const flux::ConstMsgPtr &a) { return msg::same_sender(a.get(), msg); });
}

} // namespace fluxd
