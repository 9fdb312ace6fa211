/* ingest.h - job-ingest: accepts job submissions, validates the jobspec,
 * assigns a FLUID job id and commits the job to the KVS (batched with
 * everything else committed in the same loop iteration). */
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fluid/fluid.h"
#include "idset/idset.h"
#include "jobspec/jobspec.h"
#include "libflux/ptr.h"
#include "result/result.h"
#include "sign/sign.h"
#include "fluxd/kvs/store.h"
#include "chain.h"

namespace fluxd {

class ServiceHost;
class Resource;

/* What the job manager learns of a new job. */
struct NewJob {
    uint64_t id = 0;
    uint32_t userid = 0;
    int urgency = 16;
    int flags = 0;
    double t_submit = 0;
    /* What the manager needs from the jobspec, parsed once here. */
    std::string name;
    uint64_t ntasks = 1, nnodes = 0;
    uint32_t tasks_per_node = 0; /* tasks per_resource node: ntasks follows R */
    double duration = 0;
    double test_run_duration = -1; /* exec test mode if >= 0 */
    std::shared_ptr<const std::string> sched_text;   /* its subset for the scheduler */
    std::string queue;                                /* attributes.system.queue */
    /* attributes.system.{cwd,project,bank}, for listings (flux jobs). */
    std::string cwd, project, bank;
    /* attributes.system.dependencies (RFC 26) as JSON text; null if none. */
    std::shared_ptr<const std::string> dependencies;
};

/* What flux jobs shows as NAME: attributes.system.job.name, else the
 * basename of the command. */
std::string job_name(json_t *jobspec);
/* attributes.system.KEY if a string, else "". */
std::string jobspec_system_string(json_t *jobspec, const char *key);
/* The parts of a jobspec a scheduler needs, as JSON text. */
std::string sched_subset(json_t *jobspec);
/* attributes.system.dependencies as compact JSON text, null if absent. */
std::shared_ptr<const std::string> job_dependencies(json_t *jobspec);
/* attributes.system.exec.test.run_duration in seconds, or -1 if absent. */
double test_run_duration(json_t *jobspec);

class Ingest {
  public:
    /* NOTIFY is called for each job once it is committed. */
    using Notify = std::function<void(NewJob &&job)>;
    /* RESOURCE (may be NULL): submissions wait until it has every rank's
     * resources, and feasibility answers are dropped when they change. */
    static flux::Result<std::unique_ptr<Ingest>> create(ServiceHost &broker, Resource *resource,
                                                        Notify notify);

    /* KVS directory of a job: "job.0000.0004.2200.0000". */
    static std::string job_key(uint64_t id);
    /* A scheduler became ready or went away: feasibility answers are
     * asked again. */
    void sched_changed() { sched_epoch_++; }

    /* Called for each submission (once per job array, with its first id
     * and copy) after the checks here and before the commit; an error
     * refuses it with that errnum and text (the job manager's jobtap
     * job.validate). */
    using Validator = std::function<flux::Result<void>(uint64_t id, uint32_t userid, int urgency,
                                                       int flags, const std::string &jobspec)>;
    void set_validator(Validator v) { validator_ = std::move(v); }
    /* Called for each submission (once per job array) with its queue ("" if
     * it names none) before anything else is spent on it: an error refuses
     * it (the job manager's queue enabled/disabled state). */
    using QueueCheck = std::function<flux::Result<void>(const std::string &queue)>;
    void set_queue_check(QueueCheck q) { queue_check_ = std::move(q); }

  private:
    Ingest(ServiceHost &b, Resource *r, Notify n) : broker_(b), resource_(r), notify_(std::move(n)) {}
    void submit(const flux_msg_t *msg);
    void submit_ready(const flux_msg_t *msg);
    /* The instance's scheduler (sched-module) is sched-graph, which matches
     * RFC 14 jobspecs that are not V1. */
    bool scheduler_takes_general_jobspec() const
    {
        return broker_.attr("sched-module").value_or("") == "sched-graph";
    }
    void commit_batch();

    /* A validated submission (everything but the id and time), remembered
     * by what validation depends on, the payload text and the submitting
     * user and role: copies of one jobspec (job arrays, --cc, a loop of
     * flux submit) are parsed and checked once. */
    struct Validated {
        std::string payload;
        uint32_t userid = 0;
        uint32_t rolemask = 0;
        std::string jobspec_text; /* what job.<id>.jobspec holds */
        /* What job.<id>.J holds (JSON string text): the signed jobspec as
         * submitted, or for a bare jobspec from a guest, one wrapped with
         * none; null for a job of the instance owner's uid signed with
         * mechanism none or bare (no J is stored: flux job info derives
         * it). */
        std::shared_ptr<const std::string> j;
        bool munge = false; /* J signed with munge: never reused (replay) */
        NewJob tmpl;
        /* A job array (cc or bcc in the request): one job per id, and with
         * cc the id's text replaces jobspec_text[cc_at, cc_at + cc_len),
         * the value of FLUX_JOB_CC in the environment. */
        std::optional<flux::IdSet> cc;
        size_t cc_at = 0, cc_len = 0;
        /* From the checked jobspec, for validators. */
        uint64_t nslots = 0, ncores = 0, ngpus = 0;
        std::string queue;
    };
    /* A request's fields, decoded and checked (all but the jobspec). */
    struct Decoded {
        flux::JsonPtr whole;
        json_t *js = nullptr; /* in whole: an object or a string */
        int urgency = 16, flags = 0;
        const char *cc = nullptr, *bcc = nullptr;
        std::optional<flux::IdSet> ccset;
        /* A signed request {J: ...}: the J, its mechanism, and d.js made
         * from its payload (held here). */
        const char *j = nullptr;
        flux::sign::Mechanism mech = flux::sign::Mechanism::none;
        flux::JsonPtr unwrapped;
        std::string jobspec_bytes; /* J's payload, as submitted */
    };
    /* J verified: the mechanism's rules, then its userid against the
     * connection's (doc/design/signed-jobspec.md). */
    flux::Result<void> unwrap(const flux_msg_t *msg, Decoded &d);
    bool allow_guest_none_ = false; /* [ingest] allow-guest-none */
    flux::Result<std::shared_ptr<const Validated>> validate(const flux_msg_t *msg);
    std::shared_ptr<const Validated> cached(const flux_msg_t *msg);
    flux::Result<Decoded> decode(const flux_msg_t *msg);
    /* The jobspec checks (the "jobspec" validator) and the Validated; with
     * FROBBED (the jobspec object after the frobnicators), that is the
     * jobspec, else D's. */
    flux::Result<std::shared_ptr<Validated>> finish(const flux_msg_t *msg, Decoded &d,
                                                    json_t *frobbed);
    void remember(std::shared_ptr<const Validated> v);
    /* A submission through the configured frobnicators and validators. */
    struct Feasibility;
    struct ChainRun {
        bool done = false;
        std::optional<flux::Result<std::shared_ptr<const Validated>>> val;
        std::shared_ptr<Feasibility> feas;
    };
    void submit_chain(const flux_msg_t *msg);
    void chain_done(const std::shared_ptr<ChainRun> &run,
                    flux::Result<std::shared_ptr<const Validated>> v);
    std::unique_ptr<IngestChain> chain_;
    QueueCheck queue_check_;
    flux::JsonPtr queues_; /* [queues], or null: only the default queue */
    std::vector<std::shared_ptr<const Validated>> recent_; /* most recent first */
    /* Submissions validated in this loop iteration: one commit for all. */
    struct Accepted {
        std::shared_ptr<const flux_msg_t> req;
        NewJob job;
        /* Job arrays: the ids of the whole request, answered with the
         * last of its jobs. */
        std::shared_ptr<std::vector<uint64_t>> array;
        bool last = true; /* the one that answers the request */
    };
    flux::Result<std::string> submit_event(const flux_msg_t *msg, const Validated &val, double t);
    void add_job(const flux_msg_t *msg, const Validated &val, uint64_t id, double t,
                 std::string jobspec_text, const std::string &line,
                 std::shared_ptr<std::vector<uint64_t>> array, bool last);
    void submit_array(const flux_msg_t *msg, const Validated &val);
    std::vector<Accepted> batch_;
    std::vector<KvsOp> batch_ops_;
    flux::EventPtr batch_ev_;

    /* Feasibility (doc/design/feasibility.md): the loaded scheduler's
     * feasibility.check, asked once per distinct scheduler request (the
     * jobspec's sched_subset text) while the resources and the scheduler
     * stay the same.  ENOSYS (no scheduler offers it) and no answer within
     * the timeout both mean feasible. */
    struct Feasibility {
        std::shared_ptr<const std::string> sched_text;
        bool known = false;
        int errnum = 0; /* 0: feasible */
        std::string error;
        std::unique_ptr<std::pair<Ingest *, std::weak_ptr<Feasibility>>> timer_ctx;
        flux::EventPtr timer; /* the timeout, while asking */
    };
    std::shared_ptr<Feasibility> feasibility(const std::shared_ptr<const std::string> &text);
    void feasibility_answer(Feasibility &f, const flux_msg_t *rsp);
    void feasibility_timeout(Feasibility &f);
    std::vector<std::shared_ptr<Feasibility>> feasible_; /* most recent first */
    uint64_t feasible_res_gen_ = 0, feasible_sched_epoch_ = 0;
    uint64_t sched_epoch_ = 0;
    /* Submissions after one whose feasibility is being asked wait here, so
     * that jobs get their ids and answers in the order they came. */
    struct Waiting {
        std::shared_ptr<const flux_msg_t> req;
        flux::Result<std::shared_ptr<const Validated>> val;
        std::shared_ptr<Feasibility> feas;
        std::shared_ptr<ChainRun> run; /* the chain's: val and feas come from it */
    };
    std::deque<Waiting> waiting_;
    void drain_waiting();
    void proceed(const flux_msg_t *msg, const flux::Result<std::shared_ptr<const Validated>> &v,
                 const Feasibility *f);

    ServiceHost &broker_;
    Resource *resource_; /* may be NULL */
    Notify notify_;
    Validator validator_;
    std::optional<flux::FluidGenerator> fluid_;
};

} // namespace fluxd
