/* job-manager/job.h - the job state machine of RFC 21 "Job States and
 * Events", as a pure library: no I/O, no broker, no clock.
 *
 * A Job is the job manager's view of one job, built by applying the events of
 * its eventlog (RFC 18) in order with job_apply(), or all at once on restart
 * with job_replay().  job_next_action() says, from the job alone, what the
 * manager should do next (post an event, or send a request to the scheduler
 * or the exec service).
 *
 * States (bit values as in flux-core, so that sets of states are masks):
 *
 *   NEW --validate--> DEPEND --depend--> PRIORITY --priority--> SCHED
 *   SCHED --alloc--> RUN --finish--> CLEANUP --clean--> INACTIVE
 *   NEW --invalidate--> INACTIVE
 *   DEPEND|PRIORITY|SCHED|RUN --exception (severity 0)--> CLEANUP
 *
 * (see states.dot next to this file for the full diagram).
 *
 * Which event is valid where (any other combination is an error, see below):
 *
 *   submit             first event only; job stays NEW (RFC 21 version 1).
 *                      Context {userid, urgency, flags, version} all
 *                      required except version: a submit without "version"
 *                      is an unversioned (pre version 1) eventlog, in which
 *                      submit itself moves the job to DEPEND; a version other
 *                      than 1 is refused.
 *   validate           NEW -> DEPEND
 *   invalidate         NEW -> INACTIVE (the manager then removes the job)
 *   dependency-add     NEW, DEPEND {description}; adding an outstanding one
 *   dependency-remove  again is a no-op; removing one that is not
 *                      outstanding is an error
 *   depend             DEPEND -> PRIORITY, only with no dependency outstanding
 *   priority           PRIORITY -> SCHED, SCHED -> SCHED {priority 0..2^32-1}
 *   urgency            DEPEND, PRIORITY, SCHED {urgency 0..31, userid}
 *   alloc              SCHED -> RUN; also CLEANUP when the job never had an
 *                      allocation (the scheduler answered a request that was
 *                      outstanding when a fatal exception arrived); the job
 *                      then holds resources that must be freed
 *                      {annotations: object, optional}
 *   prolog-start       RUN {description}
 *   prolog-finish      RUN, CLEANUP {description, status}
 *   start              RUN, CLEANUP (after RUN), once
 *   finish             RUN -> CLEANUP, CLEANUP (after RUN), once {status}
 *   release            RUN (final=false only), CLEANUP (after RUN), while
 *                      resources are held and not yet finally released
 *                      {ranks: string, final: boolean}
 *   epilog-start       CLEANUP {description}
 *   epilog-finish      CLEANUP {description, status}
 *   free               CLEANUP, while resources are held
 *   clean              CLEANUP -> INACTIVE, once resources are freed
 *   exception          DEPEND, PRIORITY, SCHED, RUN, CLEANUP
 *                      {type: string, severity: 0..7, note: string
 *                      (optional, "" if absent), userid (optional)};
 *                      severity 0 moves the job to CLEANUP
 *   set-flags          any open state {flags: [names]}, names "debug",
 *                      "alloc-bypass", "immutable"
 *   jobspec-update     any open state; a non-empty object whose keys all
 *                      begin with "attributes."
 *   memo               any open state; an object, null values delete
 *   flux-restart, debug.*, and any event name not listed above
 *                      any open state; no effect (RFC 21: "Events beyond
 *                      those listed below MAY appear in a job eventlog")
 *
 * "Any open state" means NEW after submit through CLEANUP (RFC 21's ACTIVE
 * plus a submitted NEW).  No event at all is valid before submit (the first
 * event must be submit) or in INACTIVE (the eventlog of an inactive job is
 * read-only).
 *
 * Contexts: keys beyond those required are ignored, as RFC 21 allows.  For
 * start, free and clean, whose context RFC 21 says SHALL be empty, and for
 * validate, invalidate and depend, which define none, any context is
 * ignored.
 *
 * Errors (errnum EINVAL; the job is left exactly as it was):
 *   event 'alloc' is not valid in state DEPEND
 *   event 'depend' is not valid in state DEPEND: 1 outstanding dependency
 *   event 'submit': missing context
 *   event 'submit': missing 'urgency'
 *   event 'submit': 'urgency' is not an integer
 *   event 'submit': 'urgency' 32 is out of range 0-31
 *   event 'submit': unsupported eventlog version 2
 *   event 'dependency-remove': no outstanding dependency 'x'
 *   (the full list is in job.cpp and exercised in test/job.cpp)
 * job_replay() prefixes the error of an entry with "eventlog line N: ".
 */
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "eventlog/eventlog.h"
#include "flux/job.h"
#include "result/result.h"

namespace fluxd {

/* The public API's state bits (flux/job.h): one source for both. */
enum class JobState : uint8_t {
    NEW = FLUX_JOB_STATE_NEW,
    DEPEND = FLUX_JOB_STATE_DEPEND,
    PRIORITY = FLUX_JOB_STATE_PRIORITY,
    SCHED = FLUX_JOB_STATE_SCHED,
    RUN = FLUX_JOB_STATE_RUN,
    CLEANUP = FLUX_JOB_STATE_CLEANUP,
    INACTIVE = FLUX_JOB_STATE_INACTIVE,
};

/* Virtual states of RFC 21, as masks of JobState bits. */
inline constexpr int JOB_STATE_PENDING = 2 | 4 | 8;          // DEPEND PRIORITY SCHED
inline constexpr int JOB_STATE_RUNNING = 16 | 32;            // RUN CLEANUP
inline constexpr int JOB_STATE_ACTIVE = 2 | 4 | 8 | 16 | 32; // DEPEND..CLEANUP

inline bool job_state_in(JobState s, int mask)
{
    return (static_cast<int>(s) & mask) != 0;
}

/* "NEW", "DEPEND", "PRIORITY", "SCHED", "RUN", "CLEANUP", "INACTIVE";
 * "?" for a value that is not a state. */
const char *job_state_name(JobState s);
/* "N", "D", "P", "S", "R", "C", "I"; "?" for a value that is not a state. */
const char *job_state_short(JobState s);
/* A long or short name, in any case ("sched", "S", "Sched"). */
std::optional<JobState> job_state_parse(std::string_view s);

inline constexpr int JOB_URGENCY_MIN = 0;
inline constexpr int JOB_URGENCY_HOLD = 0;
inline constexpr int JOB_URGENCY_DEFAULT = 16;
inline constexpr int JOB_URGENCY_MAX = 31;
inline constexpr int JOB_URGENCY_EXPEDITE = 31;
inline constexpr int64_t JOB_PRIORITY_MIN = 0;
inline constexpr int64_t JOB_PRIORITY_MAX = 4294967295LL;

/* Submit flags (flux-core values; RFC 21's "1=debug" predates them). */
inline constexpr int JOB_FLAG_PRE_SIGNED = 1;
inline constexpr int JOB_FLAG_DEBUG = 2;
inline constexpr int JOB_FLAG_WAITABLE = 4;
inline constexpr int JOB_FLAG_NOVALIDATE = 8;

inline constexpr uint32_t JOB_USERID_UNKNOWN = 0xffffffffu;

struct Job {
    uint64_t id = 0;
    uint32_t userid = JOB_USERID_UNKNOWN;
    int urgency = JOB_URGENCY_DEFAULT; /* 0..31; 0 = hold, 31 = expedite */
    int64_t priority = -1;             /* -1 until the first priority event */
    int flags = 0;                     /* JOB_FLAG_* from submit, set-flags "debug" */
    int version = -1;                  /* submit "version"; -1 if unversioned */

    JobState state = JobState::NEW;
    int states_visited = 0; /* mask of the states the job has been in */
    bool submitted = false; /* submit applied */
    bool invalidated = false;

    /* Time the job entered each state (timestamp of the event that moved it
     * there; t_submit is the submit event's); 0 if not reached. */
    double t_submit = 0, t_depend = 0, t_priority = 0, t_sched = 0, t_run = 0, t_cleanup = 0,
           t_inactive = 0;

    /* Outstanding dependencies (dependency-add minus dependency-remove). */
    std::set<std::string> dependencies;

    /* Resources and execution. */
    bool allocated = false;        /* an alloc event was applied */
    bool has_resources = false;    /* allocated and not yet freed */
    std::string alloc_annotations; /* compact JSON of alloc "annotations", "" if none */
    bool started = false;          /* start event */
    bool finished = false;         /* finish event */
    int wait_status = -1;          /* finish "status", -1 if no finish */
    bool released = false;         /* release with final=true */
    int prolog_active = 0;         /* prolog-start minus prolog-finish */
    int epilog_active = 0;         /* epilog-start minus epilog-finish */
    int perilog_status = 0;        /* first non-zero prolog/epilog-finish status */
    bool alloc_bypass = false;     /* set-flags "alloc-bypass" */
    bool immutable = false;        /* set-flags "immutable" */

    /* Outcome: the most severe exception (lowest severity; the first of
     * equal severity).  exception_userid is -1 if the context had none. */
    bool exception = false;
    std::string exception_type;
    int exception_severity = -1;
    std::string exception_note;
    int64_t exception_userid = -1;
    int exception_count = 0;
    std::string end_event; /* "finish" or "exception": what moved it to CLEANUP */

    std::map<std::string, std::string> memo;            /* key -> compact JSON */
    std::map<std::string, std::string> jobspec_updates; /* "attributes.x" -> compact JSON */

    unsigned event_count = 0; /* events applied */

    /* Requests in flight.  Never set from the eventlog (false after replay):
     * the manager sets them when it sends a request; the answering event
     * clears them (alloc -> alloc_pending, release final -> start_pending,
     * free -> free_pending).  A manager whose alloc request is cancelled,
     * or whose exec request fails without a final release, clears the flag
     * itself. */
    bool alloc_pending = false;
    bool start_pending = false;
    bool free_pending = false;

    /* RFC 21 outcome: the job shells exited 0 (finish status 0) and no
     * fatal (severity 0) exception occurred. */
    bool success() const;
    /* A severity 0 exception occurred. */
    bool fatal_exception() const { return exception && exception_severity == 0; }

    bool operator==(const Job &other) const = default;
};

/* Apply one event.  On success the job is updated and its new state
 * returned; on error (see the top of this file) the job is unchanged. */
flux::Result<JobState> job_apply(Job &job, const flux::EventlogEntry &e);

/* Rebuild a job from its whole eventlog (RFC 18 text), as on restart.  The
 * first event must be submit.  Errors: the eventlog decoder's
 * ("eventlog line 3: missing name"), "eventlog is empty",
 * "eventlog line 1: first event is 'alloc', not 'submit'", and
 * "eventlog line N: <job_apply error>". */
flux::Result<Job> job_replay(uint64_t id, std::string_view eventlog);

/* The simple priority policy: hold (0) -> 0, expedite (31) -> 4294967295,
 * otherwise the urgency itself. */
int64_t job_priority_from_urgency(int urgency);
int64_t job_priority_default(const Job &job);

enum class JobAction {
    NONE,          /* nothing to do now: waiting for an event or a response */
    POST_VALIDATE, /* NEW: post "validate" (job-ingest validated the jobspec) */
    POST_DEPEND,   /* DEPEND, no dependency outstanding: post "depend" */
    POST_PRIORITY, /* PRIORITY, or SCHED with a stale priority: post "priority" */
    REQUEST_ALLOC, /* SCHED, priority > 0, no alloc request out: ask the scheduler */
    REQUEST_START, /* RUN, no prolog active, no start request out: ask exec */
    REQUEST_FREE,  /* CLEANUP, resources held, exec done, no epilog: free them */
    POST_CLEAN,    /* CLEANUP, nothing held or pending: post "clean" */
};

/* "none", "post-validate", "post-depend", "post-priority", "request-alloc",
 * "request-start", "request-free", "post-clean". */
const char *job_action_name(JobAction a);

struct JobNext {
    JobAction action = JobAction::NONE;
    int64_t priority = -1; /* for POST_PRIORITY */
};

/* What to do next, from the job alone.  Level-triggered: the answer stays
 * the same until an event is applied or a *_pending flag changes, so the
 * manager sets alloc_pending / start_pending / free_pending when it sends
 * the request.  priority_fn is the priority policy (POST_PRIORITY in SCHED
 * is returned when job.priority differs from it).
 *
 * Not covered (edge-triggered, the manager's call): cancelling an alloc
 * request that is outstanding when the job gets a fatal exception or is
 * held (priority 0), and asking exec to kill a job with a fatal exception
 * in RUN/CLEANUP while start_pending. */
JobNext job_next_action(const Job &job, int64_t (*priority_fn)(const Job &) = job_priority_default);

/* The event that carries out a POST_* action ("validate", "depend",
 * "priority" {"priority": N}, "clean") stamped with timestamp (<= 0: the
 * current time, as eventlog_entry_create() does); nullopt for the other
 * actions. */
std::optional<flux::EventlogEntry> job_action_event(const JobNext &next, double timestamp);

} // namespace fluxd
