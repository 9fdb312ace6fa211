/* manager.h - the job manager (rank 0): drives each job through the RFC 21
 * state machine (job.h), appends every event to job.<id>.eventlog in the
 * KVS, asks the scheduler for resources and the executor to run jobs, and
 * answers list/raise/urgency requests. */
#pragma once

#include <cstring>
#include <functional>
#include <deque>
#include <map>
#include <memory>
#include <memory_resource>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "fluxd/job-ingest/ingest.h"
#include "job.h"
#include "jobtap.h"
#include "libflux/ptr.h"
#include "result/result.h"
#include "rv1/rv1.h"

namespace fluxd {

class ServiceHost;

class JobManager : private JobtapHost {
  public:
    static flux::Result<std::unique_ptr<JobManager>> create(ServiceHost &broker);
    ~JobManager();
    /* A job committed by job-ingest. */
    void submit(NewJob &&nj);
    /* A submission about to be committed: the jobtap plugins' job.validate
     * (nothing to do when none is loaded).  The error is the submitter's. */
    flux::Result<void> validate(uint64_t id, uint32_t userid, int urgency, int flags,
                                const std::string &jobspec_text);
    /* Whether QUEUE (a submission's attributes.system.queue, "" if none)
     * takes submissions now; the error is the submitter's. */
    flux::Result<void> submit_check(const std::string &queue) const;
    /* Called when a scheduler becomes ready or goes away (job-ingest's
     * feasibility answers are then out of date). */
    std::function<void()> on_sched_change;
    /* A scheduler said hello and sched-ready (RFC 27). */
    bool sched_is_ready() const { return sched_ready_; }

  private:
    /* A queue (RFC 33): "" is the anonymous queue of an instance without
     * [queues]; otherwise one per [queues.NAME].  Enabled: takes
     * submissions; started: its jobs are sent to the scheduler. */
    struct QueueState {
        std::string name; /* "" for the anonymous queue */
        bool configured = false;
        bool enabled = true, started = true;
        std::string disable_reason, stop_reason;
        /* Jobs of a stopped queue taken off queue_ by send_allocs: put back
         * when it starts. */
        std::set<std::pair<int64_t, uint64_t>> held;
    };
    struct Entry {
        Job job;
        std::string name;
        uint64_t ntasks = 1, nnodes = 0; /* nnodes: requested, then allocated */
        uint32_t tasks_per_node = 0;      /* per_resource node: ntasks from R */
        std::string ranks;                /* allocated ranks (kept after free) */
        uint32_t ncores = 0;              /* allocated cores (kept after free) */
        std::string nodelist;             /* allocated hosts (kept after free) */
        double expiration = 0;            /* R's expiration, 0: none */
        double duration = 0;
        double test_run_duration = -1; /* exec test mode if >= 0 */
        std::unique_ptr<flux::Rv1> R;
        /* The jobspec is read from the KVS when the job starts; a jobspec
         * changed by flux update is kept here until it is. */
        std::shared_ptr<const std::string> jobspec_text;
        std::shared_ptr<const std::string> sched_text;   /* what sched.alloc sends */
        std::string R_text;     /* R as stored, while the job holds it */
        bool exec_running = false; /* job-exec.start sent, final release not yet heard */
        flux::EventPtr timer;   /* exec test mode */
        std::vector<flux::ConstMsgPtr> waiters; /* job-manager.wait */
        bool zombie = false; /* waitable, inactive, not yet waited (in zombies_) */
        bool reap_pending = false; /* waitable, inactive: its waiters are to hear it */
        bool alloc_sent = false;  /* sched.alloc outstanding */
        bool free_sent = false;   /* sched.free outstanding */
        flux::JsonPtr annotations; /* RFC 27 annotations while pending */
        QueueState *queue = nullptr; /* its queue (queues_ nodes are stable) */
        std::string queue_name;      /* attributes.system.queue, as plugins see it */
        /* attributes.system.{cwd,project,bank} for listings, interned
         * (intern()): jobs share a few distinct values; null if unset. */
        const std::string *cwd = nullptr, *project = nullptr, *bank = nullptr;
        std::shared_ptr<const std::string> dependencies; /* RFC 26, JSON text */
        struct Aux {
            flux_plugin *p; /* its owner: keys are per plugin */
            std::string key;
            void *val;
            void (*destroy)(void *);
        };
        std::vector<Aux> aux; /* jobtap plugins' data (flux_jobtap_job_aux_set) */
    };

    /* What a listing shows of a job.  An inactive job that nothing waits
     * on any more (no waiter, not a zombie, no housekeeping, no plugin
     * data) is kept as only this, about a third of an Entry
     * (doc/design/inactive-jobs.md); a request that needs its Entry gets
     * one back (find_entry()). */
    struct Summary {
        uint32_t userid = 0;
        JobState state = JobState::INACTIVE;
        int8_t urgency = 0;
        bool exception = false;
        bool success = false;
        int8_t exception_severity = -1;
        char phase = 0; /* 'p' prolog, 'e' epilog, 0 none */
        int flags = 0;
        int wait_status = -1;
        int64_t priority = -1;
        double t_submit = 0, t_depend = 0, t_run = 0, t_cleanup = 0, t_inactive = 0;
        double expiration = 0, duration = 0;
        uint32_t ntasks = 1, nnodes = 0, ncores = 0;
        /* "NAME\0RANKS\0NODELIST": one string, most often short enough
         * to need no allocation of its own. */
        std::string text;
        const char *name() const { return text.c_str(); }
        const char *ranks() const { return name() + strlen(name()) + 1; }
        const char *nodelist() const { return ranks() + strlen(ranks()) + 1; }
        QueueState *queue = nullptr;
        const std::string *queue_name = nullptr, *cwd = nullptr, *project = nullptr,
                          *bank = nullptr; /* interned */
        /* What few jobs have, allocated only for them. */
        struct Rare {
            std::vector<std::string> dependencies;
            std::string alloc_annotations, exception_type, exception_note;
            int64_t exception_userid = -1;
            flux::JsonPtr annotations;
        };
        std::unique_ptr<Rare> rare;
    };
    void summarize(const Entry &e, Summary &s);
    /* Summaries come from a pool of their own: packed together, they leave
     * the pages of the Entries they replace wholly free, for malloc_trim
     * to give back. */
    std::pmr::unsynchronized_pool_resource done_pool_;
    std::pmr::map<uint64_t, Summary> done_{&done_pool_};
    /* Inactive jobs to summarize on the next loop turn (an Entry must
     * outlive the call-outs of the event that made it inactive). */
    std::vector<uint64_t> compact_ids_;
    flux::EventPtr compact_ev_;
    void compact_later(uint64_t id);
    void compact_now();
    /* The job's Entry, brought back from done_ if need be; null if unknown. */
    Entry *find_entry(uint64_t id);
    bool known_job(uint64_t id) const { return jobs_.contains(id) || done_.contains(id); }

    explicit JobManager(ServiceHost &b) : broker_(b) {}
    void register_methods();
    void restart();
    /* Keep what job listings show of an allocation (it outlives R). */
    static void note_alloc(Entry &e, const flux::Rv1 &R);
    void post(Entry &e, const char *name, json_t *context /* stolen, may be NULL */,
              bool then_advance = true);
    void advance(Entry &e);
    /* RFC 27: the scheduler module. */
    void send_allocs();
    void schedule_later();
    void send_alloc(Entry &e);
    bool alloc_response(uint64_t id, uint64_t gen, const flux_msg_t *rsp);
    void send_free(Entry &e);
    void sched_cancel(Entry &e);
    void sched_lost(const std::string &why);
    void sched_hello(const flux_msg_t *msg);
    void sched_ready(const flux_msg_t *msg);
    void exec_start(Entry &e);
    void exec_finish(Entry &e, int status);
    void exec_start_job(Entry &e);
    bool exec_event(uint64_t id, const flux_msg_t *rsp);
    void exec_kill(Entry &e, int signal, bool escalate);
    void post_timeout(Entry &e);
    void arm_timer(Entry &e, double seconds, std::function<void(Entry &)> fn);
    void release(Entry &e);
    /* Housekeeping ([job-manager.housekeeping]): R held after the job is
     * inactive, given back node by node. */
    struct Housekept {
        uint32_t userid = 0;
        int64_t priority = 0;
        double t_submit = 0;
        flux::Rv1 R; /* what is still held */
        double t_start = 0;
    };
    bool housekeeping_ = false;
    bool guest_list_all_ = false; /* [access] allow-guest-list-all */
    std::map<uint64_t, Housekept> housekeeping_jobs_;
    /* Housekeeping that a previous life of the instance left running
     * (job.<id>.housekeeping in the KVS): its nodes stay held and it runs
     * again once a scheduler is ready. */
    std::vector<uint64_t> housekeeping_rerun_;
    void start_housekeeping(Entry &e);
    void run_housekeeping(uint64_t id, uint32_t userid, const std::string &R_text);
    void housekeeping_store(uint64_t id, const flux::Rv1 *left);
    void housekeeping_list(const flux_msg_t *msg);
    void send_partial_free(uint64_t id, const flux::Rv1 &part, bool final);
    void notify_waiters(Entry &e);
    /* Waitable jobs (FLUX_JOB_WAITABLE, flux_job_wait(3)): an inactive one
     * no one waited for by id is a zombie, kept (not purged) until a wait
     * takes it; a wait for FLUX_JOBID_ANY takes the oldest zombie or the
     * next waitable job to end that has no waiter by id, and fails with
     * ECHILD once the waiters outnumber the waitable jobs left. */
    void waitable_inactive(Entry &e);
    void hand_over_or_zombie(Entry &e, bool oldest);
    void wait_any(const flux_msg_t *msg);
    void wait_any_overflow();
    void wait_claim(Entry &e, int delta); /* its waiters by id went 0 <-> 1+ */
    std::deque<uint64_t> zombies_;                 /* oldest first */
    std::vector<flux::ConstMsgPtr> any_waiters_;   /* wait(FLUX_JOBID_ANY), oldest first */
    uint64_t waitables_ = 0; /* active waitable jobs */
    uint64_t claimed_ = 0;   /* active waitable jobs with a waiter by id */
    Entry *lookup(const flux_msg_t *msg, const char *idkey, uint64_t *id);
    bool may_modify(const flux_msg_t *msg, const Entry &e);

    void list(const flux_msg_t *msg);
    void raise(const flux_msg_t *msg);
    void urgency(const flux_msg_t *msg);
    void wait(const flux_msg_t *msg);
    void disconnect(const flux_msg_t *msg);
    void queue_ctl(const flux_msg_t *msg);
    void kill(const flux_msg_t *msg);
    void killall(const flux_msg_t *msg);
    void update(const flux_msg_t *msg);
    void update_expiration(Entry &e, double expiration);
    void journal(const flux_msg_t *msg);
    void journal_send(const Entry &e, const std::string &line);
    void journal_flush();
    void journal_cancel(const flux_msg_t *msg);
    std::vector<flux::ConstMsgPtr> journals_; /* job-manager.events-journal */
    /* Live journal events of this loop turn, a run of one job's events per
     * item (entries comma-joined), sent at the turn's end: a job's events
     * posted together go in one response, in order. */
    struct JournalRun {
        uint64_t id;
        uint32_t userid;
        std::string events;
    };
    std::vector<JournalRun> journal_runs_;
    flux::EventPtr journal_ev_;

    ServiceHost &broker_;
    std::map<uint64_t, std::unique_ptr<Entry>> jobs_;
    /* Jobs asking for resources, in scheduling order: priority (highest
     * first), then id (oldest first). */
    std::set<std::pair<int64_t, uint64_t>> queue_;
    flux::EventPtr sched_ev_;
    flux::EventPtr trim_ev_;
    void trim_later();
    /* Purge (flux job purge, [job-manager] inactive-age-limit and
     * inactive-num-limit, as Flux): the oldest inactive jobs leave the job
     * manager and the KVS; job.inactive-remove is called for each. */
    void purge_rpc(const flux_msg_t *msg);
    json_t *list_entry(uint64_t id, const Summary &s);
    /* The inactive jobs a purge with these limits (< 0: none) would take,
     * oldest first, at most BATCH. */
    std::vector<uint64_t> purge_candidates(double age_limit, int64_t num_limit, size_t batch);
    void purge_job(uint64_t id);
    void purge_auto();
    double inactive_age_limit_ = -1;  /* [job-manager] inactive-age-limit, seconds */
    int64_t inactive_num_limit_ = -1; /* [job-manager] inactive-num-limit */
    flux::EventPtr purge_timer_;
    /* Jobs as they became inactive (replayed ones by t_inactive first): purge
     * takes the oldest; ids of purged jobs are skipped. */
    std::deque<uint64_t> inactive_order_;
    size_t inactive_live_ = 0; /* inactive jobs not purged */
    bool sched_ready_ = false;      /* a scheduler said sched-ready */
    int sched_limit_ = 0;           /* outstanding allocs allowed (0: unlimited) */
    int allocs_out_ = 0;
    uint64_t sched_gen_ = 0;        /* bumped when the scheduler goes away */
    flux::ConstMsgPtr sched_hello_; /* the ready scheduler's hello: who it is */
    /* Queues: [queues] from conf.queues, the default from
     * conf.policy.jobspec.defaults.system.queue; their state is kept in the
     * KVS (job-manager.queues) across restarts. */
    std::map<std::string, QueueState> queues_;
    bool named_queues_ = false;
    std::string default_queue_;
    void queues_configure();
    void queues_save();
    QueueState &queue_for(const std::string &name);
    void unqueue(Entry &e); /* off queue_ and its queue's held set */
    bool in_advance_ = false;
    uint64_t active_ = 0;
    uint64_t running_ = 0; /* jobs in RUN or CLEANUP */
    /* flux queue drain (no active job) and idle (none in RUN or CLEANUP):
     * answered when that holds and what led to it is stored. */
    void drain(const flux_msg_t *msg);
    void check_quiet();
    std::vector<flux::ConstMsgPtr> drain_waiters_, idle_waiters_;
    /* Jobs in RUN by user, (userid, id): job-manager.running-on, the
     * question pam_fluxd asks at each login (running_on.cpp). */
    std::set<std::pair<uint32_t, uint64_t>> running_by_user_;
    void running_index(const Entry &e, JobState prev);
    void running_on(const flux_msg_t *msg);

    /* Jobtap plugins (jobtap.h, manager_jobtap.cpp): call-outs at each
     * event and state (a single empty() test when none is loaded), the
     * job-manager.jobtap RPC, and the host calls, whose exceptions and
     * events are posted from an event of their own once the call-out that
     * asked for them has returned. */
    Jobtap jobtap_{*this};
    flux::Result<void> jobtap_load_config();
    flux::Result<std::string> jobtap_load(const std::string &path, json_t *conf);
    void jobtap_rpc(const flux_msg_t *msg);
    void jobtap_job(Entry &e, const char *topic, const flux::EventlogEntry *ev, JobState prev);
    void jobtap_posted(Entry &e, const flux::EventlogEntry &ev, JobState prev);
    void post_exception(Entry &e, const char *type, int severity, const char *note,
                        int64_t userid);
    struct JobtapDeferred {
        uint64_t id;
        std::string name; /* event name, or the exception type */
        bool exception = false;
        int severity = 0;
        std::string note;
        flux::JsonPtr context;
        enum { EVENT, DEP_REMOVE, PRIORITY, REPRIORITIZE_ALL } kind = EVENT;
        int64_t priority = -1;
    };
    /* job.dependency.SCHEME for each of the job's dependencies (entering
     * DEPEND, and again on restart: re-adding one is a no-op). */
    void jobtap_dependencies(Entry &e);
    /* The priority plugins give (job.priority.get), hold and expedite
     * first; nullopt when no plugin gives one. */
    std::optional<int64_t> jobtap_priority(Entry &e);
    bool priority_plugin() { return !jobtap_.empty() && jobtap_.handles("job.priority.get"); }
    /* Move a job in SCHED to priority P (its queue place, the scheduler). */
    void set_priority(Entry &e, int64_t p);
    void jobtap_aux_clear(Entry &e);
    static json_t *jobtap_entry_info(const Entry &e);
    static json_t *jobtap_build_args(void *ctx);
    flux::Result<void> jobtap_update(Entry &e, json_t *updates, std::string &unhandled);
    flux::Result<void> jobtap_dependency(uint64_t id, const std::string &desc, bool add) override;
    flux::Result<void> jobtap_reprioritize(uint64_t id, int64_t priority) override;
    void jobtap_reprioritize_all() override;
    void jobtap_reprioritize_now(const Entry *skip);
    bool reprioritize_all_ = false; /* asked for, not yet done */
    /* Interned listing strings (Entry::cwd, ...): one copy per distinct
     * value, kept for the job manager's life (node pointers are stable). */
    std::unordered_set<std::string> interned_;
    const std::string *intern(const std::string &s)
    {
        return s.empty() ? nullptr : &*interned_.insert(s).first;
    }
    bool in_reprioritize_ = false;
    flux::Result<void> jobtap_aux_set(flux_plugin *p, uint64_t id, const std::string &key,
                                      void *val, void (*destroy)(void *)) override;
    void *jobtap_aux_get(flux_plugin *p, uint64_t id, const std::string &key) override;
    void jobtap_aux_drop(flux_plugin *p) override;
    json_t *jobtap_R(uint64_t id) override;
    struct event_base *jobtap_base() override;
    double jobtap_now() override;
    void jobtap_store_put(const std::string &key, const std::string &text) override;
    std::optional<std::string> jobtap_store_get(const std::string &key) override;
    int jobtap_foreach_active(const std::function<int(uint64_t)> &f) override;
    std::vector<JobtapDeferred> jobtap_deferred_;
    flux::EventPtr jobtap_ev_;
    void jobtap_defer(JobtapDeferred d);
    void jobtap_run_deferred();
    flux::Result<void> jobtap_raise(uint64_t id, const std::string &type, int severity,
                                    const std::string &note) override;
    flux::Result<void> jobtap_post(uint64_t id, const std::string &name,
                                   json_t *context) override;
    json_t *jobtap_job_info(uint64_t id) override;
    json_t *jobtap_jobspec(uint64_t id) override;
    void jobtap_log(int level, const std::string &text) override;
};

} // namespace fluxd
