/* kvs.h - the KVS service (rank 0): lookups, directories, atomic commits
 * batched into one SQLite transaction per loop iteration, and watches. */
#pragma once

#include <array>
#include <condition_variable>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <optional>
#include <string>
#include <vector>

#include "libflux/ptr.h"
#include "result/result.h"
#include "store.h"

namespace fluxd {

class ServiceHost;

class Kvs {
  public:
    /* Open the store at PATH and register the kvs.* methods with BROKER. */
    static flux::Result<std::unique_ptr<Kvs>> create(ServiceHost &broker, const std::string &path);
    ~Kvs();

    /* For services inside the broker: the JSON text at KEY. */
    flux::Result<std::string> lookup(const std::string &ns, const std::string &key);
    /* Directory entries at KEY (for services inside the broker). */
    flux::Result<std::vector<KvsDirEntry>> dir(const std::string &ns, const std::string &key)
    {
        return reader_->dir(ns, key);
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
    /* Commit everything queued now and wait until it is durable (before
     * reading what was written). */
    void sync();
    /* Nothing queued or being written. */
    bool idle() const { return !inflight_ && pending_.empty() && after_.empty(); }

  private:
    Kvs(ServiceHost &b, std::unique_ptr<KvsStore> store, std::unique_ptr<KvsStore> reader)
        : broker_(b), store_(std::move(store)), reader_(std::move(reader))
    {
    }
    void register_methods();
    bool allowed(const flux_msg_t *msg, const std::string &ns);
    bool is_guest_primary(const flux_msg_t *msg, const std::string &ns) const;
    bool guest_allowed(const flux_msg_t *msg, const std::string &key, bool write);
    std::optional<uint32_t> job_owner(uint64_t id);
    std::unordered_map<uint64_t, uint32_t> job_owner_; /* job id -> submitter */
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
    void flush(bool force = false); /* force: no pacing (sync) */
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

    ServiceHost &broker_;
    /* Group commits run on a writer thread with their own connection
     * (store_), one batch at a time, while the broker's loop goes on;
     * lookups, directories and watches read through reader_ and see a
     * commit once it is durable, which is when it is answered. */
    std::unique_ptr<KvsStore> store_, reader_;
    std::vector<Pending> pending_;
    std::vector<std::function<void()>> after_;
    struct Batch {
        std::vector<Pending> pending;
        std::vector<std::function<void()>> after;
        std::vector<flux::Result<uint64_t>> results;
        std::vector<std::string> errors; /* logged by the loop */
    };
    void apply_batch(Batch &b); /* on the writer thread */
    void complete_batch();      /* back on the loop */
    void wait_idle();
    void writer_main();
    std::unique_ptr<Batch> inflight_;
    std::thread writer_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool work_ = false, done_ = false, stop_ = false;
    int wake_fd_ = -1;
    flux::EventPtr wake_ev_;
    flux::EventPtr flush_ev_;
    void schedule_flush();
    bool flush_scheduled_ = false;
    /* Group commit pacing: a batch of the broker's own writes alone (no
     * one waiting on it) goes at most once per pace_ seconds, so that a
     * steady trickle of events shares transactions instead of paying for
     * one each.  Commits someone waits for (or any write while a watch
     * is open) go at once. */
    static constexpr double pace_ = 0.001;
    /* Monotonic times the last batches were handed over (a ring; [next]
     * is the oldest). */
    std::array<double, 4> batch_times_ = {};
    size_t batch_next_ = 0;
    flux::EventPtr pace_ev_;
    std::list<Watcher> watchers_;
};

} // namespace fluxd
