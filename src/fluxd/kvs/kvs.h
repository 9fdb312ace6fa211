/* kvs.h - the KVS service (rank 0): lookups, directories, atomic commits
 * batched into one SQLite transaction per loop iteration, and watches. */
#pragma once

#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libflux/ptr.h"
#include "result/result.h"
#include "store.h"

namespace fluxd {

class Broker;

class Kvs {
  public:
    /* Open the store at PATH and register the kvs.* methods with BROKER. */
    static flux::Result<std::unique_ptr<Kvs>> create(Broker &broker, const std::string &path);
    ~Kvs();

    /* For services inside the broker: the JSON text at KEY. */
    flux::Result<std::string> lookup(const std::string &ns, const std::string &key);
    /* Directory entries at KEY (for services inside the broker). */
    flux::Result<std::vector<KvsDirEntry>> dir(const std::string &ns, const std::string &key)
    {
        return store_->dir(ns, key);
    }
    /* Queue OPS for the next group commit; DONE runs once it is durable. */
    using CommitCb = std::function<void(const flux::Result<uint64_t> &)>;
    void commit(const std::string &ns, std::vector<KvsOp> ops, CommitCb done);
    /* Fire-and-forget writes from services inside the broker (job
     * eventlogs, R): consecutive writes share one commit (one version),
     * appends to the same key joined; their order with commits is kept.
     * Failures are logged. */
    void write(const std::string &ns, KvsOp op);
    /* Run FN once everything queued so far is durable. */
    void after_flush(std::function<void()> fn);
    /* Run the pending group commit now (before reading what was written). */
    void sync() { flush(); }

  private:
    Kvs(Broker &b, std::unique_ptr<KvsStore> store) : broker_(b), store_(std::move(store)) {}
    void register_methods();
    bool allowed(const flux_msg_t *msg, const std::string &ns);
    std::optional<std::string> readable_key(const flux_msg_t *msg, const char *key,
                                            const char *ns);
    void lookup(const flux_msg_t *msg);
    void dir(const flux_msg_t *msg);
    void commit(const flux_msg_t *msg);
    void watch(const flux_msg_t *msg);
    void watch_cancel(const flux_msg_t *msg);
    void disconnect(const flux_msg_t *msg);
    void ns_create(const flux_msg_t *msg);
    void ns_remove(const flux_msg_t *msg);
    void ns_list(const flux_msg_t *msg);
    void flush();
    void notify(const std::string &ns, const std::vector<KvsOp> &ops);

    struct Pending {
        flux::ConstMsgPtr req; /* or, from inside the broker, done */
        std::string ns;
        std::vector<KvsOp> ops;
        CommitCb done;
        /* Writes (neither req nor done): key -> its latest op, to join appends. */
        bool writes = false;
        std::map<std::string, size_t> last;
    };
    struct Watcher {
        flux::ConstMsgPtr req;
        std::string ns;
        std::string key;
        bool append = false;
        bool have_value = false;
        std::string value; /* last value sent (JSON text) */
    };
    bool watcher_update(Watcher &w); /* false: the watch ended */

    Broker &broker_;
    std::unique_ptr<KvsStore> store_;
    std::vector<Pending> pending_;
    std::vector<std::function<void()>> after_;
    flux::EventPtr flush_ev_;
    void schedule_flush();
    static constexpr double flush_interval = 0.001;
    bool flush_scheduled_ = false;
    double last_flush_ = 0;
    std::list<Watcher> watchers_;
};

} // namespace fluxd
