/* kvs.cpp - the KVS service.
 *
 * Topics (all at rank 0; other ranks reach it through FLUX_NODEID_ANY):
 *   kvs.lookup {namespace?, key}              -> {key, value}
 *   kvs.dir {namespace?, key}                 -> {key, entries: {name: "dir"|"val"}}
 *   kvs.commit {namespace?, ops: [{key, value[, append]} | {key, unlink: true}]}
 *        -> {version}; append adds to a string value (eventlogs)
 *   kvs.watch {namespace?, key, waitcreate?, append?}  (streaming)
 *   kvs.watch-cancel {matchtag}, kvs.disconnect
 *   kvs.namespace-create {namespace, owner?}, kvs.namespace-remove, kvs.namespace-list
 * The default namespace is "primary", owned by the instance owner.  A
 * namespace's owner (a user id) may read and write it; the instance owner
 * may use every namespace.
 */
#include <sys/eventfd.h>
#include <unistd.h>
#include <cstring>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <syslog.h>
#include <unistd.h>

#include "fluxd/service.h"
#include "kvs.h"

#include "flux/kvs.h"
#include "guest_access.h"
#include "fluid/fluid.h"

namespace fluxd {

namespace {

const char *default_ns = "primary";

/* JSON text of a value (any JSON type). */
std::string dump(json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    std::string out = s ? s : "null";
    free(s);
    return out;
}

json_t *load(const std::string &text)
{
    json_error_t jerr;
    return json_loadb(text.data(), text.size(), JSON_DECODE_ANY, &jerr);
}

bool key_affects(const std::string &changed, const std::string &watched)
{
    if (changed == watched || changed == ".")
        return true;
    /* A change at a parent path or below the watched key. */
    auto under = [](const std::string &a, const std::string &b) {
        return a.size() > b.size() && a.compare(0, b.size(), b) == 0 && a[b.size()] == '.';
    };
    return under(watched, changed) || under(changed, watched);
}

double monotime()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

} // namespace

flux::Result<std::unique_ptr<Kvs>> Kvs::create(ServiceHost &broker, const std::string &path)
{
    auto store = KvsStore::open(path);
    if (!store)
        return store.error();
    if (!(*store)->ns_get(default_ns)) {
        if (auto r = (*store)->ns_create(default_ns, getuid()); !r)
            return r.error();
    }
    auto reader = KvsStore::open(path);
    if (!reader)
        return reader.error();
    std::unique_ptr<Kvs> kvs(new Kvs(broker, std::move(*store), std::move(*reader)));
    kvs->flush_ev_.reset(event_new(
        broker.base(), -1, 0, [](evutil_socket_t, short, void *arg) { ((Kvs *)arg)->flush(); },
        kvs.get()));
    kvs->pace_ev_.reset(event_new(
        broker.base(), -1, 0, [](evutil_socket_t, short, void *arg) { ((Kvs *)arg)->flush(); },
        kvs.get()));
    kvs->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (kvs->wake_fd_ < 0)
        return flux::make_error(errno, std::string("kvs: eventfd: ") + strerror(errno));
    kvs->wake_ev_.reset(event_new(
        broker.base(), kvs->wake_fd_, EV_READ | EV_PERSIST,
        [](evutil_socket_t fd, short, void *arg) {
            uint64_t n;
            if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
                return;
            ((Kvs *)arg)->complete_batch();
        },
        kvs.get()));
    event_add(kvs->wake_ev_.get(), nullptr);
    Kvs *k = kvs.get();
    kvs->writer_ = std::thread([k]() { k->writer_main(); });
    kvs->register_methods();
    return kvs;
}

Kvs::~Kvs()
{
    sync();
    {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable())
        writer_.join();
    if (wake_fd_ >= 0)
        close(wake_fd_);
}

void Kvs::writer_main()
{
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
        cv_.wait(lock, [this]() { return work_ || stop_; });
        if (stop_)
            return;
        Batch *b = inflight_.get();
        lock.unlock();
        apply_batch(*b);
        lock.lock();
        work_ = false;
        done_ = true;
        cv_.notify_all();
        uint64_t one = 1;
        if (::write(wake_fd_, &one, sizeof(one)) < 0) {
            /* the loop also finds it done when it next waits */
        }
    }
}

/* Wait for the batch in flight, if any, and finish it on the loop. */
void Kvs::wait_idle()
{
    if (!inflight_)
        return;
    {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this]() { return done_; });
    }
    complete_batch();
}

void Kvs::sync()
{
    wait_idle();
    if (!pending_.empty() || !after_.empty()) {
        flush(true);
        wait_idle();
    }
}

/* Commit at the end of this loop iteration; while the writer thread is busy
 * with a batch, the next one gathers and goes when it is done. */
void Kvs::schedule_flush()
{
    if (flush_scheduled_)
        return;
    flush_scheduled_ = true;
    event_active(flush_ev_.get(), 0, 0);
}

void Kvs::register_methods()
{
    const uint32_t user = FLUX_ROLE_USER;
    auto reg = [this](const char *topic, uint32_t roles, void (Kvs::*fn)(const flux_msg_t *)) {
        broker_.add_method(topic, roles, [this, fn](const flux_msg_t *m) { (this->*fn)(m); });
    };
    reg("kvs.lookup", user, &Kvs::lookup);
    reg("kvs.dir", user, &Kvs::dir);
    reg("kvs.commit", user, &Kvs::commit);
    reg("kvs.watch", user, &Kvs::watch);
    reg("kvs.watch-cancel", user, &Kvs::watch_cancel);
    reg("kvs.disconnect", user, &Kvs::disconnect);
    reg("kvs.namespace-create", 0, &Kvs::ns_create);
    reg("kvs.namespace-remove", 0, &Kvs::ns_remove);
    reg("kvs.namespace-list", 0, &Kvs::ns_list);
    broker_.add_method("kvs.ping", user,
                        [this](const flux_msg_t *m) { broker_.respond(m, json_object()); });
}

bool Kvs::is_guest_primary(const flux_msg_t *msg, const std::string &ns) const
{
    return !(msg::rolemask(msg) & FLUX_ROLE_OWNER) && ns == default_ns;
}

bool Kvs::allowed(const flux_msg_t *msg, const std::string &ns)
{
    if (msg::rolemask(msg) & FLUX_ROLE_OWNER)
        return true;
    auto info = reader_->ns_get(ns);
    if (info && info->owner == msg::userid(msg))
        return true;
    broker_.respond_error(msg, EPERM, "namespace '" + ns + "' belongs to another user");
    return false;
}

/* The submitter of job ID (cached: it never changes), or nullopt when the
 * job has no eventlog. */
std::optional<uint32_t> Kvs::job_owner(uint64_t id)
{
    if (auto it = job_owner_.find(id); it != job_owner_.end())
        return it->second;
    auto log = reader_->get(default_ns,
                            "job." + flux::fluid_encode(id, flux::FluidFormat::dothex) + ".eventlog");
    if (!log)
        return std::nullopt;
    auto uid = eventlog_submitter(*log);
    if (!uid)
        return std::nullopt;
    job_owner_[id] = *uid;
    return *uid;
}

/* A guest in the primary namespace: only inside its own jobs' directories,
 * writes only below job.<id>.guest (guest_access.h).  On refusal the
 * request is answered. */
bool Kvs::guest_allowed(const flux_msg_t *msg, const std::string &key, bool write)
{
    auto g = guest_key(key);
    if (!g) {
        broker_.respond_error(msg, EPERM,
                              "key '" + key + "': guests may reach only their own jobs' "
                              "directories (job.<id>) in the primary namespace");
        return false;
    }
    std::string f58 = flux::fluid_encode(g->id, flux::FluidFormat::f58);
    auto owner = job_owner(g->id);
    if (!owner) {
        broker_.respond_error(msg, ENOENT, "unknown job id " + f58);
        return false;
    }
    if (*owner != msg::userid(msg)) {
        broker_.respond_error(msg, EPERM, "job " + f58 + " belongs to another user");
        return false;
    }
    if (write && !g->writable) {
        broker_.respond_error(msg, EPERM,
                              "key '" + key + "': guests may write only below job.<id>.guest");
        return false;
    }
    return true;
}

/* The normalized KEY of a request the sender may read in NS; on failure
 * the request is answered and nullopt returned. */
std::optional<std::string> Kvs::readable_key(const flux_msg_t *msg, const char *key,
                                             const char *ns)
{
    auto k = KvsStore::normalize_key(key);
    if (!k) {
        broker_.respond_error(msg, EINVAL, std::string("invalid key '") + key + "'");
        return std::nullopt;
    }
    if (is_guest_primary(msg, ns) ? !guest_allowed(msg, *k, false) : !allowed(msg, ns))
        return std::nullopt;
    return k;
}

void Kvs::lookup(const flux_msg_t *msg)
{
    const char *key, *ns = default_ns;
    if (flux_msg_unpack(msg, "{s:s s?s}", "key", &key, "namespace", &ns) < 0) {
        broker_.respond_error(msg, EPROTO, "kvs.lookup: expected {\"key\": string}");
        return;
    }
    auto k = readable_key(msg, key, ns);
    if (!k)
        return;
    auto v = reader_->get(ns, *k);
    if (!v) {
        broker_.respond_error(msg, v.error().errnum, v.error().text);
        return;
    }
    broker_.respond(msg, json_pack("{s:s s:o}", "key", k->c_str(), "value", load(*v)));
}

void Kvs::dir(const flux_msg_t *msg)
{
    const char *key = ".", *ns = default_ns;
    if (flux_msg_unpack(msg, "{s?s s?s}", "key", &key, "namespace", &ns) < 0) {
        broker_.respond_error(msg, EPROTO, "kvs.dir: expected {\"key\": string}");
        return;
    }
    auto k = readable_key(msg, key, ns);
    if (!k)
        return;
    auto entries = reader_->dir(ns, *k);
    if (!entries) {
        broker_.respond_error(msg, entries.error().errnum, entries.error().text);
        return;
    }
    json_t *o = json_object();
    for (const auto &e : *entries)
        json_object_set_new(o, e.name.c_str(), json_string(e.is_dir ? "dir" : "val"));
    broker_.respond(msg, json_pack("{s:s s:o}", "key", k->c_str(), "entries", o));
}

void Kvs::commit(const flux_msg_t *msg)
{
    const char *ns = default_ns;
    json_t *ops;
    int flags = 0;
    if (flux_msg_unpack(msg, "{s:o s?s s?i}", "ops", &ops, "namespace", &ns, "flags", &flags) < 0
        || !json_is_array(ops)) {
        broker_.respond_error(msg, EPROTO,
                              "kvs.commit: expected {\"ops\": [{\"key\": string, \"value\": any}]}");
        return;
    }
    if (flags & ~FLUX_KVS_ORDERED) {
        broker_.respond_error(msg, EPROTO, "kvs.commit: unknown flags " + std::to_string(flags));
        return;
    }
    bool guest = is_guest_primary(msg, ns);
    if (!guest && !allowed(msg, ns))
        return;
    Pending p{flux::msg_ref(msg), ns, {}, nullptr, false, {}};
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op)
    {
        const char *key;
        json_t *value = nullptr;
        int append = 0, unlink = 0;
        std::string where = "ops[" + std::to_string(i) + "]";
        if (json_unpack(op, "{s:s s?o s?b s?b}", "key", &key, "value", &value, "append", &append,
                        "unlink", &unlink)
                < 0
            || (!value && !unlink)) {
            broker_.respond_error(msg, EPROTO,
                                  where + ": expected {\"key\": string, \"value\": any} or "
                                          "{\"key\": string, \"unlink\": true}");
            return;
        }
        auto k = KvsStore::normalize_key(key);
        if (!k) {
            broker_.respond_error(msg, EINVAL, where + ": invalid key '" + key + "'");
            return;
        }
        if (guest && !guest_allowed(msg, *k, true))
            return;
        KvsOp kop;
        kop.key = *k;
        if (unlink)
            kop.kind = KvsOp::Kind::unlink;
        else {
            kop.kind = append ? KvsOp::Kind::append : KvsOp::Kind::put;
            if (append && !json_is_string(value)) {
                broker_.respond_error(msg, EINVAL, where + ": append needs a string value");
                return;
            }
            kop.value = dump(value);
        }
        p.ops.push_back(std::move(kop));
    }
    /* Ordered: it is in the commit order now; answered at once, stored
     * with its batch (a failure is logged there). */
    if (flags & FLUX_KVS_ORDERED) {
        broker_.respond(msg, json_object());
        p.req.reset();
    }
    pending_.push_back(std::move(p));
    /* Everything committed during this loop iteration shares one transaction. */
    schedule_flush();
}

flux::Result<std::string> Kvs::lookup(const std::string &ns, const std::string &key)
{
    auto k = KvsStore::normalize_key(key);
    if (!k)
        return flux::make_error(EINVAL, "invalid key '" + key + "'");
    return reader_->get(ns, *k);
}

void Kvs::commit(const std::string &ns, std::vector<KvsOp> ops, CommitCb done)
{
    pending_.push_back(Pending{nullptr, ns, std::move(ops), std::move(done), false, {}});
    schedule_flush();
}

void Kvs::write(const std::string &ns, KvsOp op)
{
    if (pending_.empty() || !pending_.back().writes || pending_.back().ns != ns) {
        Pending p;
        p.ns = ns;
        p.writes = true;
        pending_.push_back(std::move(p));
    }
    Pending &d = pending_.back();
    const std::string &key = op.key;
    bool is_string = op.value.size() >= 2 && op.value.front() == '"' && op.value.back() == '"';
    if (op.kind == KvsOp::Kind::append && is_string) {
        auto it = d.last.find(key);
        if (it != d.last.end()) {
            KvsOp &prev = d.ops[it->second];
            if (prev.kind != KvsOp::Kind::unlink && prev.value.size() >= 2
                && prev.value.front() == '"' && prev.value.back() == '"') {
                prev.value.pop_back();
                prev.value.append(op.value, 1, std::string::npos);
                return; /* the flush is already scheduled */
            }
        }
    }
    /* This op changes what stands at its parents and below it: later
     * appends there must not be joined into earlier ops. */
    for (size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', dot + 1))
        d.last.erase(key.substr(0, dot));
    d.last.erase(d.last.lower_bound(key + "."), d.last.lower_bound(key + "/"));
    if (op.kind == KvsOp::Kind::unlink)
        d.last.erase(key);
    else
        d.last[key] = d.ops.size();
    d.ops.push_back(std::move(op));
    schedule_flush();
}

void Kvs::after_flush(std::function<void()> fn)
{
    after_.push_back(std::move(fn));
    schedule_flush();
}

void Kvs::flush(bool force)
{
    flush_scheduled_ = false;
    if (inflight_)
        return; /* complete_batch() schedules the next one */
    if (pending_.empty()) {
        auto after = std::move(after_);
        after_.clear();
        for (auto &fn : after)
            fn();
        return;
    }
    double now = monotime();
    /* Watchers wait on writes too (flux run follows its job's eventlog). */
    bool waited_on = !after_.empty() || force || !watchers_.empty()
                     || std::any_of(pending_.begin(), pending_.end(),
                                    [](const Pending &p) { return !p.writes; });
    /* Only a steady stream of batches is paced (four within 4 ms): the
     * few commits of one job (flux run) go at once. */
    double last_batch = batch_times_[(batch_next_ + batch_times_.size() - 1) % batch_times_.size()];
    bool busy = now - batch_times_[batch_next_] < batch_times_.size() * pace_;
    if (!waited_on && busy && now - last_batch < pace_) {
        if (!event_pending(pace_ev_.get(), EV_TIMEOUT, nullptr)) {
            double wait = last_batch + pace_ - now;
            struct timeval tv = {0, (suseconds_t)(wait * 1e6) + 1};
            event_add(pace_ev_.get(), &tv);
        }
        return;
    }
    event_del(pace_ev_.get());
    batch_times_[batch_next_] = now;
    batch_next_ = (batch_next_ + 1) % batch_times_.size();
    auto b = std::make_unique<Batch>();
    b->pending = std::move(pending_);
    pending_.clear();
    b->after = std::move(after_);
    after_.clear();
    {
        std::lock_guard<std::mutex> lock(mu_);
        inflight_ = std::move(b);
        work_ = true;
        done_ = false;
    }
    cv_.notify_all();
}

/* The writer thread: one SQLite transaction for the whole batch. */
void Kvs::apply_batch(Batch &b)
{
    auto began = store_->begin();
    if (!began)
        b.errors.push_back(began.error().text);
    b.results.reserve(b.pending.size());
    for (auto &p : b.pending) {
        if (!began) {
            b.results.push_back(began.error());
            continue;
        }
        auto res = store_->commit(p.ns, p.ops);
        if (!res && p.writes) {
            /* One bad write must not take the others with it. */
            for (const auto &op : p.ops) {
                if (auto r = store_->commit(p.ns, {op}); !r)
                    b.errors.push_back("write " + op.key + ": " + r.error().text);
                else
                    res = r;
            }
        }
        b.results.push_back(std::move(res));
    }
    if (auto r = store_->end(); !r) {
        b.errors.push_back("commit failed: " + r.error().text);
        for (auto &res : b.results)
            res = flux::make_error(EIO, "kvs: " + r.error().text);
    }
}

void Kvs::complete_batch()
{
    if (!inflight_)
        return;
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (!done_)
            return; /* a stale wakeup: still running */
        done_ = false;
    }
    std::unique_ptr<Batch> b = std::move(inflight_);
    for (const auto &e : b->errors)
        broker_.log(LOG_ERR, "kvs: %s", e.c_str());
    /* Answer only once the transaction is on disk. */
    for (size_t i = 0; i < b->pending.size(); i++) {
        Pending &p = b->pending[i];
        const auto &res = b->results[i];
        if (p.done)
            p.done(res);
        else if (p.req && !res)
            broker_.respond_error(p.req.get(), res.error().errnum, res.error().text);
        else if (p.req)
            broker_.respond(p.req.get(), json_pack("{s:I}", "version", (json_int_t)*res));
        else if (!res && !p.writes) /* an ordered commit: answered already */
            broker_.log(LOG_ERR, "kvs: ordered commit to %s: %s", p.ns.c_str(),
                        res.error().text.c_str());
        if (res || p.writes)
            notify(p.ns, p.ops);
    }
    for (auto &fn : b->after)
        fn();
    if (!pending_.empty() || !after_.empty())
        schedule_flush();
}

/* Send W what changed; false if the watch is over (and was answered). */
bool Kvs::watcher_update(Watcher &w)
{
    auto v = reader_->get(w.ns, w.key);
    if (!v) {
        if (v.error().errnum == ENOENT && !w.have_value)
            return true; /* still waiting for it to be created */
        broker_.respond_error(w.req.get(), v.error().errnum, v.error().text);
        return false;
    }
    if (w.have_value && *v == w.value)
        return true;
    if (w.append) {
        if (v->size() < 2 || v->front() != '"') {
            broker_.respond_error(w.req.get(), EINVAL, "'" + w.key + "' is not a string value");
            return false;
        }
        std::string prefix = w.have_value ? w.value.substr(0, w.value.size() - 1) : "\"";
        if (v->compare(0, prefix.size(), prefix) != 0) {
            broker_.respond_error(w.req.get(), EINVAL,
                                  "'" + w.key + "' was overwritten, not appended to");
            return false;
        }
        std::string added = "\"" + v->substr(prefix.size());
        broker_.respond(w.req.get(), json_pack("{s:s s:o}", "key", w.key.c_str(), "value", load(added)));
    }
    else
        broker_.respond(w.req.get(), json_pack("{s:s s:o}", "key", w.key.c_str(), "value", load(*v)));
    w.value = *v;
    w.have_value = true;
    return true;
}

void Kvs::notify(const std::string &ns, const std::vector<KvsOp> &ops)
{
    for (auto it = watchers_.begin(); it != watchers_.end();) {
        bool hit = it->ns == ns && std::any_of(ops.begin(), ops.end(), [&](const KvsOp &op) {
                       return key_affects(op.key, it->key);
                   });
        if (hit && !watcher_update(*it))
            it = watchers_.erase(it);
        else
            ++it;
    }
}

void Kvs::watch(const flux_msg_t *msg)
{
    const char *key, *ns = default_ns;
    int waitcreate = 0, append = 0;
    if (flux_msg_unpack(msg, "{s:s s?s s?b s?b}", "key", &key, "namespace", &ns, "waitcreate",
                        &waitcreate, "append", &append)
        < 0) {
        broker_.respond_error(msg, EPROTO, "kvs.watch: expected {\"key\": string}");
        return;
    }
    if (!(msg::streaming(msg))) {
        broker_.respond_error(msg, EPROTO, "kvs.watch requires a streaming request");
        return;
    }
    auto k = readable_key(msg, key, ns);
    if (!k)
        return;
    Watcher w{flux::msg_ref(msg), ns, *k, append != 0, false, {}};
    auto v = reader_->get(ns, *k);
    if (!v && !(v.error().errnum == ENOENT && waitcreate)) {
        broker_.respond_error(msg, v.error().errnum, v.error().text);
        return;
    }
    if (v && !watcher_update(w))
        return;
    watchers_.push_back(std::move(w));
}

void Kvs::watch_cancel(const flux_msg_t *msg)
{
    int matchtag;
    if (flux_msg_unpack(msg, "{s:i}", "matchtag", &matchtag) < 0) {
        broker_.respond_error(msg, EPROTO, "kvs.watch-cancel: expected {\"matchtag\": int}");
        return;
    }
    for (auto it = watchers_.begin(); it != watchers_.end(); ++it) {
        const flux_msg_t *req = it->req.get();
        if (msg::matchtag(req) == (uint32_t)matchtag && msg::same_sender(req, msg)) {
            broker_.respond_error(req, ENODATA, "");
            watchers_.erase(it);
            break;
        }
    }
    broker_.respond(msg, nullptr);
}

void Kvs::disconnect(const flux_msg_t *msg)
{
    watchers_.remove_if([&](const Watcher &w) { return msg::same_sender(w.req.get(), msg); });
}

void Kvs::ns_create(const flux_msg_t *msg)
{
    const char *ns;
    int owner = (int)getuid();
    if (flux_msg_unpack(msg, "{s:s s?i}", "namespace", &ns, "owner", &owner) < 0) {
        broker_.respond_error(msg, EPROTO, "kvs.namespace-create: expected {\"namespace\": string}");
        return;
    }
    wait_idle();
    if (auto r = store_->ns_create(ns, (uint32_t)owner); !r) {
        broker_.respond_error(msg, r.error().errnum, r.error().text);
        return;
    }
    broker_.respond(msg, nullptr);
}

void Kvs::ns_remove(const flux_msg_t *msg)
{
    const char *ns;
    if (flux_msg_unpack(msg, "{s:s}", "namespace", &ns) < 0) {
        broker_.respond_error(msg, EPROTO, "kvs.namespace-remove: expected {\"namespace\": string}");
        return;
    }
    if (strcmp(ns, default_ns) == 0) {
        broker_.respond_error(msg, EINVAL, "the primary namespace cannot be removed");
        return;
    }
    wait_idle();
    if (auto r = store_->ns_remove(ns); !r) {
        broker_.respond_error(msg, r.error().errnum, r.error().text);
        return;
    }
    watchers_.remove_if([&](const Watcher &w) {
        if (w.ns != ns)
            return false;
        broker_.respond_error(w.req.get(), ENOTSUP, "namespace '" + w.ns + "' was removed");
        return true;
    });
    broker_.respond(msg, nullptr);
}

void Kvs::ns_list(const flux_msg_t *msg)
{
    json_t *a = json_array();
    for (const auto &n : reader_->ns_list())
        json_array_append_new(a, json_pack("{s:s s:i s:I}", "namespace", n.name.c_str(), "owner",
                                           (int)n.owner, "version", (json_int_t)n.version));
    broker_.respond(msg, json_pack("{s:o}", "namespaces", a));
}

} // namespace fluxd
