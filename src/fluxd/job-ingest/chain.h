/* chain.h - the site's frobnicators and validators, run by job-ingest on
 * each submission ([ingest.frobnicator] and [ingest.validator] plugins,
 * flux-ingest-plugins(7), doc/design/ingest-plugins.md).
 *
 * A plugins entry is one of:
 *   "jobspec", "feasibility"   validators the ingest itself runs (the RFC
 *                              14/25 checks, always first; the scheduler's
 *                              feasibility.check, always last)
 *   a built-in name            src/plugins/frobnicator/ (defaults,
 *                              constraints, setattr, require-instance,
 *                              limit-job-size, limit-duration)
 *   "/path/name.so"            a C plugin (flux/ingest.h), on the one loader
 *   "/path/program"            an executable, run as a worker pool
 *                              (workers.h)
 * Each plugin's conf is its table [ingest.ROLE.NAME] plus the instance's
 * [policy] and [queues] tables (keys "policy" and "queues"); an
 * executable's table may give args (added to its command line) and its
 * own timeout.
 */
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "libflux/ptr.h"
#include "result/result.h"
#include "workers.h"

struct flux_plugin;

namespace fluxd {

class ServiceHost;

/* A submission as the chain sees it. */
struct IngestJob {
    flux::JsonPtr jobspec; /* an object; frobnicators may change or replace it */
    uint32_t userid = 0, rolemask = 0;
    int urgency = 16, flags = 0;
    /* For validators, from the checked jobspec. */
    uint64_t nnodes = 0, nslots = 0, ncores = 0, ngpus = 0, ntasks = 0;
    double duration = 0;
    std::string queue;
};

class IngestChain {
  public:
    enum Role { frobnicator = 0, validator = 1 };

    /* CONF: the [ingest] table as JSON (may be NULL: the default chain,
     * validators jobspec and feasibility); POLICY and QUEUES (may be NULL)
     * the [policy] and [queues] tables.  Errors name the key and plugin. */
    static flux::Result<std::unique_ptr<IngestChain>> create(ServiceHost &host, json_t *conf,
                                                             json_t *policy, json_t *queues);
    ~IngestChain();

    /* Whether ROLE has plugins beyond jobspec/feasibility. */
    bool has(Role role) const { return !steps_[role].empty(); }
    /* Whether "feasibility" is among the validators. */
    bool feasibility() const { return feasibility_; }
    /* Whether every plugin is built in: their answer depends on the
     * submission and the config only, so it may be remembered. */
    bool cacheable() const { return cacheable_; }

    /* Run ROLE's plugins in order on JOB; DONE gets the first rejection
     * (its errnum and text, verbatim) or success.  DONE may be called
     * before run() returns (plugins in the loop) or later (workers). */
    using Done = std::function<void(flux::Result<void>)>;
    void run(Role role, std::shared_ptr<IngestJob> job, Done done);

  private:
    struct Step {
        std::string name;
        std::unique_ptr<flux_plugin> plugin; /* a C or built-in plugin, or */
        std::unique_ptr<WorkerPool> pool;    /* an executable's workers */
    };
    struct Run;
    explicit IngestChain(ServiceHost &h);
    flux::Result<void> add(Role role, const std::string &entry, json_t *rconf, json_t *policy,
                           json_t *queues, int workers, double timeout);
    static void advance(const std::shared_ptr<Run> &r);

    ServiceHost &host_;
    std::vector<Step> steps_[2];
    bool feasibility_ = true;
    bool cacheable_ = true;
};

} // namespace fluxd
