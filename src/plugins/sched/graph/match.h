/* match.h - planner, requests, constraints, policies and the matcher of
 * sched-graph.
 *
 * Planner: per vertex, a list of spans (start, end, amount, job) in time
 * (running allocations and reservations), plus per-subtree aggregates:
 * total[v][type] and free_now[v][type], the amount of each type in the
 * subtree of v and the part of it no running allocation holds (down hosts
 * count 0 from above).  The matcher prunes every subtree whose aggregates
 * cannot hold what one instance of the request needs, so a 1-node match on
 * 16,384 nodes touches a few dozen vertices.
 *
 * Matching is a depth-first walk of the graph against the jobspec's
 * resource tree (RFC 14): any type, slot at any level, counts with ranges,
 * exclusive, units for pools (memory).  Resources inside a slot are
 * exclusive; a slot's contents are on one host unless the slot holds host
 * types (node) itself.  Every choice is journaled (vertex, amount) so that
 * a failed branch is undone in O(choices), with no copy of the graph.
 *
 * Nothing here does I/O; the module and flux sched-query drive it.
 */
#ifndef FLUX_SCHED_GRAPH_MATCH_H
#define FLUX_SCHED_GRAPH_MATCH_H

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "graph.h"
#include "idset/idset.h"
#include "jobspec/jobspec.h"

namespace flux::graph {

inline constexpr double forever = 1e300;

/* RFC 31 constraints: properties (with "^name" negation), hostlist, ranks,
 * and/or/not. */
struct Constraint {
    enum Kind { all, any, none, properties, hostlist, ranks } kind = all;
    std::vector<Constraint> sub;
    std::vector<std::string> props;
    std::unordered_set<std::string> hosts;
    IdSet rankset;
    std::vector<std::string> texts; // hostlist/ranks operands as written
    bool eval(const Graph &g, int32_t host) const;
    /* In the RFC 35 syntax of --requires: "gpu,^debug", "host:n[1-2]",
     * "rank:0-3", "-rank:1", "(a & b)", "(a | b)". */
    std::string describe() const;
};
/* The part of C that no host of G satisfies, to name it in an error (the
 * first such term of an AND, a single property), or "" if some host does. */
std::string constraint_culprit(const Constraint &c, const Graph &g);
/* Errors: EINVAL "constraints: unknown operator 'foo'" and the like. */
Result<Constraint> constraint_parse(const json_t *o);

struct ReqNode {
    std::string type;
    int type_idx = -1; // in the graph; -1: the graph has none
    bool slot = false;
    uint64_t min = 1, max = 1;
    char op = '+';
    uint64_t operand = 1;
    bool exclusive = false;
    bool exclusive_set = false;
    bool pool = false;         // counted in units of one pool vertex (memory)
    bool holds_hosts = false;  // a slot whose contents include host types
    std::vector<ReqNode> with;
    /* What one instance needs at least, per graph type: for pruning. */
    std::vector<std::pair<uint16_t, int64_t>> need;
};

struct Request {
    std::vector<ReqNode> top;
    double duration = 0; // 0: unlimited
    std::optional<Constraint> constraint;
    std::vector<std::pair<uint16_t, int64_t>> need; // whole request, at least
    std::string text;                               // "node[2]->slot[1]->core[4]"
};

/* Compile a parsed jobspec against a graph.  EINVAL for a request this
 * scheduler cannot read (unknown unit, bad constraints). */
Result<Request> request_compile(const Jobspec &js, const Graph &g,
                                const json_t *extra_constraint = nullptr);
/* The largest valid count <= got for a count spec; 0 if below min. */
uint64_t count_fit(const ReqNode &r, uint64_t got);

struct Span {
    double start, end;
    int64_t amount;
    uint64_t job;
    bool running;
};

struct Alloc {
    double start = 0, end = forever;
    bool running = false;
    std::vector<std::pair<int32_t, int64_t>> items; // vertex, amount
};

class Planner {
  public:
    explicit Planner(Graph &g);
    Graph &graph() { return g_; }
    const Graph &graph() const { return g_; }
    size_t T() const { return T_; }
    int64_t total(int32_t v, uint16_t t) const { return total_[(size_t)v * T_ + t]; }
    int64_t free_now(int32_t v, uint16_t t) const { return free_[(size_t)v * T_ + t]; }
    /* Add DELTA to v's free amount of type t and its ancestors' (up to a
     * host that is not up, which ancestors do not count). */
    void adjust(int32_t v, uint16_t t, int64_t delta);
    /* Up, down, drained, excluded, per rank; false if the rank has no host. */
    bool set_status(uint32_t rank, Status s);
    /* Record an allocation (running: held now, counted in free_now) or a
     * reservation.  EEXIST if the job has one; EBUSY naming the vertex if a
     * running one overlaps what is held now.  No side effect on failure. */
    Result<void> add(uint64_t job, Alloc a);
    /* Drop a job's allocation or reservation; ENOENT if none. */
    Result<void> remove(uint64_t job);
    /* RFC 27 partial release: the job's running allocation gives back
     * what it holds on RANKS (vertices above the hosts stay with it until
     * the final free); ENOENT if the job holds nothing. */
    Result<void> release_ranks(uint64_t job, const IdSet &ranks);
    const Alloc *find(uint64_t job) const;
    void clear_reservations();
    const std::unordered_map<uint64_t, Alloc> &jobs() const { return jobs_; }
    const std::vector<Span> &spans(int32_t v) const { return spans_[v]; }
    std::vector<int64_t> &tent() { return tent_; }
    /* Sorted distinct end times of allocations after T (finite ones). */
    std::vector<double> ends_after(double t) const;
    /* Whole-graph use of type t over time: breakpoints (time, amount in
     * use from then on), sorted; amount 0 before the first.  Every span
     * counted once, at its own type: an upper bound on what is free, for
     * skipping the times at which a request cannot fit without a walk. */
    std::vector<std::pair<double, int64_t>> usage(uint16_t t) const;
    size_t memory_bytes() const;

  private:
    Graph &g_;
    size_t T_;
    std::vector<int64_t> total_, free_, tent_;
    std::vector<std::vector<Span>> spans_;
    std::unordered_map<uint64_t, Alloc> jobs_;
    std::vector<std::map<double, int64_t>> delta_; /* per type: use +/- at a time */
    void note_use(const Alloc &a, int sign);
};

/* Match policies: which children to visit, in which order.  The fast path
 * (first/low) visits children in graph order without building a list. */
class Policy {
  public:
    virtual ~Policy() = default;
    virtual const char *name() const = 0;
    /* Fill OUT with the children of V to visit looking for TYPE (NEED of it
     * still wanted); false: visit them in graph order. */
    virtual bool order(const Planner &p, int32_t v, uint16_t type, int64_t need,
                       std::vector<int32_t> &out) const = 0;
};
/* first, low, high, lonode, hinode, locality, variation; nullptr if unknown. */
std::unique_ptr<Policy> policy_create(const std::string &name);
const char *policy_names(); // "first, low, ..." for error messages
/* A site policy from a shared object (flux/sched_policy.h), opened with the
 * one plugin loader.  CONF: JSON text given to its init ("{}").  Errors
 * (EINVAL, ENOENT) name the file: "PATH: No such file or directory", "PATH
 * is not a sched-graph match policy: it does not export
 * flux_sched_policy_info", "PATH: sched-graph match policy API version 2.0
 * is not supported (sched-graph has 1.0)", "PATH: policy NAME sets neither
 * score nor compare", "PATH: policy NAME: init failed". */
Result<std::unique_ptr<Policy>> policy_load(const std::string &path, const std::string &conf = "{}");
/* policy_create() for a name ("'NAME': expected one of first, ..."),
 * policy_load() for a value with a '/'. */
Result<std::unique_ptr<Policy>> policy_open(const std::string &name_or_path,
                                            const std::string &conf = "{}");

enum class Op { allocate, allocate_orelse_reserve, satisfiability };
Result<Op> op_parse(const std::string &s);

struct MatchResult {
    bool reserved = false; // allocate_orelse_reserve: placed in the future
    double at = 0;         // start time
    Alloc alloc;
};

/* Match REQ at NOW (CHECK_SAT false: the caller knows it is satisfiable,
 * so a failure is ENOSPC/EBUSY without the whole-graph check).  Success records the allocation (running at NOW) or the
 * reservation in the planner under JOB (satisfiability records nothing).
 * Errors: ENOSPC "not enough free resources now" (allocate),
 * EOVERFLOW "unsatisfiable request: ..." naming what is short, EBUSY
 * (orelse_reserve found no time within the horizon). */
Result<MatchResult> match(Planner &p, const Policy &pol, const Request &req, Op op,
                          uint64_t job, double now, bool check_sat = true);

/* R (RFC 20) for an allocation: core/gpu per rank, hostnames, properties,
 * starttime/expiration, and the matched subgraph as JGF in "scheduling". */
Result<JsonPtr> alloc_to_R(const Graph &g, const Alloc &a);
/* The same R as compact text (what the scheduler sends). */
Result<std::string> alloc_to_R_text(const Graph &g, const Alloc &a);
/* An allocation from R (for restart): R_lite cores and gpus per rank, and
 * pool amounts from JGF vertices in "scheduling" when present. */
Result<Alloc> alloc_from_R(const Graph &g, const json_t *R);

} // namespace flux::graph

#endif
