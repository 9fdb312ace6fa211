/* broker.h - the fluxd broker: one libevent loop that owns every link
 * (local clients, modules, TBON parent and children), routes requests,
 * responses and events between them, and hosts the built-in services.
 *
 * Routing (DESIGN.md, "Overlay"): a request is addressed to a service
 * ("svc.method") and a nodeid.  FLUX_NODEID_ANY goes to the nearest broker on
 * the path to rank 0 that has the service; a rank goes down the tree if the
 * target is in this broker's subtree, else up.  Each hop pushes the id of the
 * link the request came in on; a response pops it to find its way back.
 * Events are sequenced by rank 0 and flow down every edge of the tree.
 */
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>

#include "attrs.h"
#include "flux/core.h"
#include "flux/module.h"
#include "idset/idset.h"
#include "libflux/plugin_internal.h"
#include "libflux/ptr.h"
#include "libflux/stream.h"
#include "log_ring.h"
#include "result/result.h"
#include "service.h"
#include "statedir_lock.h"

namespace fluxd {
using flux::IdSet;

struct Module;
class Kvs;
class Resource;
class Ingest;
class JobManager;
class JobExec;

struct Link {
    enum class Kind { client, module, pending_child, child, parent };
    Kind kind;
    std::string id;             /* route id: "c<N>" clients, "m<N>" modules, rank for peers */
    uint32_t rank = UINT32_MAX; /* peers */
    uint32_t userid = FLUX_USERID_UNKNOWN;
    uint32_t rolemask = FLUX_ROLE_NONE;
    std::unique_ptr<flux::Stream> stream;
    std::vector<std::string> subscriptions;
    std::vector<std::string> services;
    Module *module = nullptr;
    /* Requests forwarded on this (peer) link and not yet answered, by
     * route + matchtag; failed with EHOSTUNREACH if the link is lost. */
    std::unordered_map<std::string, flux::ConstMsgPtr> inflight;
    /* Services (and nodeids) this client sent streaming requests to; each
     * gets SERVICE.disconnect when the client goes away. */
    std::set<std::pair<std::string, uint32_t>> streaming;
    bool closed = false;
    double last_seen = 0;
};

struct Module {
    std::string name;
    std::string path;
    std::vector<std::string> args;
    flux::Dso dso; /* closed when the Module is destroyed */
    const struct flux_module_info *info = nullptr;
    std::thread thread;
    /* Set by the thread as its last act: it may be joined without blocking. */
    std::shared_ptr<std::atomic<bool>> thread_done = std::make_shared<std::atomic<bool>>(false);
    Link *link = nullptr;
    enum class State { loading, running, exiting } state = State::loading;
    flux::ConstMsgPtr load_request;
    std::vector<flux::ConstMsgPtr> remove_requests;
    int exit_code = 0;
    std::string last_error;
    double loaded_at = 0;
};

struct ChildState {
    enum class State { offline, online, lost } state = State::offline;
    IdSet online; /* ranks of its subtree that are up, as it last reported */
    IdSet lost;   /* ranks of its subtree that were up and were lost */
    std::string hostname;
    double since = 0;
};

/* How this broker finds its place in the instance. */
struct BootInfo {
    std::string method; /* "test", "config", "pmi" or "single" */
    uint32_t rank = 0;
    uint32_t size = 1;
    std::string bind_uri;                 /* where children connect: tcp://... or ipc://... */
    std::vector<std::string> connect_uri; /* per rank: how to reach its TBON endpoint */
    std::vector<std::string> hostnames;   /* per rank, may be empty */
    int listen_fd = -1; /* pmi: bound and listening on bind_uri already */
};

/* TCP keepalive and timeouts for an overlay socket (no-op for unix sockets). */
void tbon_tune_socket(int fd);

class Broker : public ServiceHost {
  public:
    using Handler = std::function<void(const flux_msg_t *msg, Link *from)>;

    Broker();
    ~Broker();
    Broker(const Broker &) = delete;
    Broker &operator=(const Broker &) = delete;

    Attrs &attrs() { return attrs_; }
    std::optional<std::string> attr(const std::string &name) const override
    {
        return attrs_.get(name);
    }
    /* The config this broker booted from (--config-path PATH, its files
     * merged as JSON, the attributes they set): config.get serves it,
     * config.reload rereads PATH (flux-config(1)). */
    void set_config(const std::string &path,
                    const std::string &json,
                    const std::map<std::string, std::string> &attrs);
    /* Set up rundir, listeners and services. */
    flux::Result<void> init(const BootInfo &boot, std::vector<std::string> initial_program);
    /* Run the loop; returns the broker's exit code. */
    int run();

    /* Logging into the ring (and stderr per log-stderr-level). */
    void log(int level, const char *fmt, ...) FLUX_PRINTF(3, 4);
    void vlog(int level, const char *fmt, va_list ap) override;

    uint32_t rank() const override { return rank_; }
    uint32_t size() const override { return size_; }
    struct event_base *base() override { return base_; }
    double now() const override;

    /* Responding from built-in services.  false if the response could not
     * be routed (the requester is gone). */
    bool respond(const flux_msg_t *req, json_t *payload) override; /* steals payload, may be NULL */
    bool respond_text(const flux_msg_t *req, const std::string &payload /* JSON text */) override;
    bool respond_error(const flux_msg_t *req, int errnum, const std::string &text) override;
    /* Register a built-in method ("svc.method"); rolemask beyond the owner. */
    void add_builtin(const std::string &topic, uint32_t rolemask, Handler fn);
    void add_method(const std::string &topic, uint32_t rolemask, Method fn) override
    {
        add_builtin(topic, rolemask, [fn = std::move(fn)](const flux_msg_t *m, Link *) { fn(m); });
    }

    /* A request from the broker itself to TOPIC at NODEID; CB gets the
     * response (or an error response, e.g. EHOSTUNREACH, ENOSYS). */
    /* An RPC that may get several responses (RFC 27 sched.alloc): CB
     * returns true on the last one; an error response is always the last. */
    void rpc_multi(const std::string &topic, const std::string &payload /* JSON text */,
                   uint32_t nodeid, MultiCb cb) override;
    void rpc(const std::string &topic, const std::string &payload /* JSON text */,
             uint32_t nodeid, ResponseCb cb) override;
    /* Send SERVICE.disconnect when the client that sent MSG goes away, as
     * for a streaming request. */
    void track_disconnect(const flux_msg_t *msg, const std::string &service) override;
    void rpc(const std::string &topic, json_t *payload /* stolen, may be NULL */,
             uint32_t nodeid, ResponseCb cb) override;
    /* Ranks currently online (rank 0 knows the whole instance). */
    IdSet online_ranks() const override { return subtree_online(); }
    void on_ranks_changed(std::function<void()> cb) override
    {
        ranks_changed_cbs_.push_back(std::move(cb));
    }
    const std::string &hostname() const { return hostname_; }
    bool shutting_down() const override { return state_ == State::shutdown; }
    Kvs *kvs() override { return kvs_.get(); }
    /* Call CB with the wait(2) status when child PID exits. */
    void watch_child(pid_t pid, std::function<void(int status)> cb) override
    {
        child_cbs_[pid] = std::move(cb);
    }
    const std::string &local_uri_path() const override { return local_path_; }
    /* OS CPU numbers ("0-3") of the cores with these logical indexes. */
    std::string cpus_of_cores(const IdSet &cores) override;
    Resource *resource() { return resource_.get(); }

  private:
    friend class BrokerTest;
    /* links */
    Link *add_link(Link::Kind kind, int fd, const std::string &id);
    void close_link(Link *link, const std::string &why);
    void link_readable(Link *link);
    void link_message(Link *link, const flux_msg_t *msg);
    bool send_to(Link *link, const flux_msg_t *msg);
    /* Send a request to a peer, remembering it until it is answered. */
    void forward_request(Link *peer, const flux_msg_t *msg);
    void peer_response_seen(Link *peer, const flux_msg_t *msg);
    void fail_inflight(Link *link, const std::string &why);
    Link *find_link(const std::string &id);
    void reap_links();

    /* routing */
    void route_request(flux_msg_t *msg, Link *from);
    bool route_response(flux_msg_t *msg);
    void deliver_local(flux_msg_t *msg, Link *from);
    void forward_to_parent(flux_msg_t *msg);
    void distribute_event(const flux_msg_t *msg);

    /* built-in services */
    void register_builtins();
    void svc_ping(const flux_msg_t *msg);
    void svc_attr_get(const flux_msg_t *msg);
    void svc_attr_set(const flux_msg_t *msg);
    void svc_attr_list(const flux_msg_t *msg);
    void svc_event_publish(const flux_msg_t *msg);
    void svc_event_sub(const flux_msg_t *msg, bool subscribe);
    void svc_service_add(const flux_msg_t *msg);
    void svc_service_remove(const flux_msg_t *msg);
    void svc_log_append(const flux_msg_t *msg);
    void svc_log_dmesg(const flux_msg_t *msg);
    void svc_log_clear(const flux_msg_t *msg);
    void svc_log_disconnect(const flux_msg_t *msg);
    void queue_disconnects(Link *link);
    void svc_overlay_status(const flux_msg_t *msg);
    void svc_broker_shutdown(const flux_msg_t *msg);
    void svc_module_load(const flux_msg_t *msg);
    void svc_module_remove(const flux_msg_t *msg);
    void svc_module_list(const flux_msg_t *msg);
    void svc_module_status(const flux_msg_t *msg, Link *from);
    void svc_hwloc_info(const flux_msg_t *msg);
    void svc_config_get(const flux_msg_t *msg);
    void svc_config_reload(const flux_msg_t *msg);
    Link *origin_link(const flux_msg_t *msg);
    void log_entry(LogEntry e);

    /* overlay */
    flux::Result<void> overlay_listen(const std::string &uri);
    /* A malformed parent URI is a configuration error, not worth retrying. */
    flux::Result<void> overlay_check_parent() const;
    void parent_connect();
    void parent_connect_done(int fd);
    void parent_schedule_reconnect();
    void parent_hello_response(const flux_msg_t *msg);
    void child_hello(Link *link, const flux_msg_t *msg);
    void child_update(Link *link, const flux_msg_t *msg);
    void child_lost(Link *link, const std::string &why);
    IdSet subtree_online() const;
    IdSet subtree_lost() const;
    IdSet subtree_ranks(uint32_t rank) const;
    void subtree_changed();
    std::string subtree_status() const;

    /* local connector */
    flux::Result<void> local_listen();
    void accept_local(int fd);

    /* modules */
    flux::Result<Module *> module_load(const std::string &path,
                                       const std::vector<std::string> &args);
    void module_exited(Module *m);
    void module_stop(Module *m);
    void modules_reap_at_exit();
    std::string module_find(const std::string &name) const;

    /* lifecycle */
    void enter_run_state();
    void start_initial_program();
    void reap_children();
    void begin_shutdown(const std::string &why);
    void boot_connect_watch(double timeout);
    double boot_timeout_ = 60;
    void maybe_finish_shutdown();
    void on_signal(int sig);

    static void accept_cb(struct evconnlistener *, evutil_socket_t, struct sockaddr *, int, void *);

    struct event_base *base_ = nullptr;
    Attrs attrs_;
    std::string config_path_;       /* "" when not config-booted */
    std::string config_json_ = "{}"; /* the config as served by config.get */
    std::map<std::string, std::string> config_attrs_;
    BootInfo boot_;
    uint32_t rank_ = 0;
    uint32_t size_ = 1;
    uint32_t fanout_ = 2;
    std::string hostname_;
    std::string rundir_;
    bool rundir_created_ = false;
    std::string statedir_;
    bool statedir_created_ = false;
    StatedirLock statedir_lock_;

    std::unordered_map<std::string, std::unique_ptr<Link>> links_;
    std::vector<std::unique_ptr<Link>> dead_links_;
    /* SERVICE.disconnect requests, sent from the reap event so a service
     * never sees one while it is in the middle of responding. */
    std::vector<flux::MsgPtr> pending_disconnects_;
    flux::EventPtr reap_ev_;
    uint64_t next_link_id_ = 1;

    struct Builtin {
        uint32_t rolemask;
        Handler fn;
    };
    std::unordered_map<std::string, Builtin> builtins_; /* "svc.method" */
    std::set<std::string> builtin_services_;            /* "svc" */
    std::unordered_map<std::string, Link *> services_;  /* registered by links */
    std::unordered_map<uint32_t, ResponseCb> internal_rpcs_; /* matchtag -> callback */
    std::unordered_map<uint32_t, MultiCb> internal_multi_;
    void send_internal(const std::string &topic, const char *payload, uint32_t nodeid,
                       ResponseCb cb, MultiCb mcb);
    uint32_t next_internal_tag_ = 1;

    /* overlay */
    struct evconnlistener *tbon_listener_ = nullptr;
    struct evconnlistener *local_listener_ = nullptr;
    std::string local_path_;
    std::string tbon_ipc_path_;
    Link *parent_ = nullptr;
    bool parent_hello_done_ = false;
    flux::EventPtr reconnect_ev_;
    flux::EventPtr connect_ev_;
    int connect_fd_ = -1;
    double reconnect_delay_ = 0.005;
    bool parent_ever_connected_ = false;
    std::string parent_connect_error_; /* the last failed connect's */
    flux::EventPtr boot_connect_timer_; /* PMI boot: the parent must answer */
    std::map<uint32_t, ChildState> children_;
    std::map<uint32_t, Link *> child_links_;
    uint32_t event_seq_ = 0;

    /* lifecycle */
    enum class State { join, run, shutdown } state_ = State::join;
    uint32_t quorum_ = 1;
    double start_time_ = 0;
    double ready_time_ = 0;
    std::vector<std::string> initial_program_;
    pid_t initial_pid_ = -1;
    /* As Flux's rc1 loads the scheduler before rc2: the initial program
     * waits (at most initial_sched_wait) for the scheduler loaded at boot
     * to say it is ready, so its first command sees a scheduling instance. */
    bool initial_waits_for_sched_ = false;
    flux::EventPtr initial_wait_timer_;
    int exit_code_ = 0;
    flux::EventPtr sigchld_ev_;
    flux::EventPtr sigterm_ev_;
    flux::EventPtr sigint_ev_;
    flux::EventPtr sigusr1_ev_, sigusr2_ev_;
    flux::EventPtr shutdown_timer_;

    /* log */
    LogRing log_ring_;
    bool in_log_fanout_ = false; /* log_entry is sending to followers */
    std::vector<flux::ConstMsgPtr> dmesg_followers_;

    /* modules */
    std::map<std::string, std::unique_ptr<Module>> modules_;

    /* kvs and resource (rank 0) */
    std::unique_ptr<Kvs> kvs_;
    std::unique_ptr<Resource> resource_;
    std::unique_ptr<Ingest> ingest_;
    std::unique_ptr<JobManager> job_manager_;
    std::unique_ptr<JobExec> job_exec_;
    std::map<pid_t, std::function<void(int)>> child_cbs_;
    std::vector<std::function<void()>> ranks_changed_cbs_;

    /* hwloc (loaded on first request) */
    flux::JsonPtr hwloc_info_;
    std::vector<std::vector<unsigned>> core_pus_; /* core logical index -> OS CPUs */
};

} // namespace fluxd
