/* resource.h - the resource service: the instance's resources as R
 * (RFC 20), which ranks are up, drained or excluded, and the stream a
 * scheduler acquires them through (RFC 28 in spirit). */
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "idset/idset.h"
#include "libflux/ptr.h"
#include "result/result.h"
#include "rv1/rv1.h"

namespace fluxd {

class ServiceHost;

class Resource {
  public:
    static flux::Result<std::unique_ptr<Resource>> create(ServiceHost &broker);
    /* Rank 0: the set of online ranks changed (or the instance came up). */
    void ranks_changed();
    /* Run CB once every online rank's resources are known (now if they are). */
    void when_ready(std::function<void()> cb);
    /* Resources offered to scheduling: R without excluded ranks. */
    flux::Rv1 schedulable() const { return R_.remove_ranks(excluded_); }
    /* Bumped whenever R changes (a rank discovered). */
    uint64_t generation() const { return generation_; }
    /* Ranks usable now: online, known, not drained or excluded. */
    flux::IdSet up() const;

  private:
    explicit Resource(ServiceHost &b) : broker_(b) {}
    void register_methods();
    void discover(uint32_t rank);
    bool ready() const;
    void on_ready();
    flux::Result<flux::IdSet> parse_targets(const std::string &targets) const;
    void send_acquire_update();
    void save_drain();
    json_t *drain_json() const;

    void list(const flux_msg_t *msg);
    void drain(const flux_msg_t *msg);
    void undrain(const flux_msg_t *msg);
    void acquire(const flux_msg_t *msg);
    void disconnect(const flux_msg_t *msg);

    struct Drain {
        double timestamp = 0;
        std::string reason;
    };

    ServiceHost &broker_;
    flux::Rv1 R_;                /* discovered (or configured) resources, all ranks */
    flux::IdSet known_;          /* ranks whose resources are in R_ */
    /* Discovered ranks' hwloc sockets ([{cores, memory}], hwloc.info),
     * given to a graph scheduler with resource.acquire ("topology"). */
    std::map<uint32_t, flux::JsonPtr> sockets_;
    flux::IdSet pending_;        /* ranks being discovered */
    flux::IdSet excluded_;       /* resource.exclude */
    bool configured_ = false;    /* R from resource.path, not discovery */
    flux::IdSet synthetic_;      /* noverify: R's ranks beyond the instance, always up */
    bool drain_loaded_ = false;
    std::map<uint32_t, Drain> drained_;
    std::vector<flux::ConstMsgPtr> waiting_; /* list/acquire before R is known */
    std::vector<flux::ConstMsgPtr> acquirers_;
    flux::IdSet last_up_;
    std::vector<std::function<void()>> ready_cbs_;
    uint64_t generation_ = 0;
};

} // namespace fluxd
