/* sched/simple/alloc.h - the allocation core of sched-simple: FCFS
 * first-fit placement of jobspec V1 requests on a pool of cores and gpus.
 *
 * A Pool holds every resource the scheduler manages (an Rv1), which ranks
 * are up, and which cores and gpus of each rank are allocated.  alloc()
 * carves a request out of the free, up resources, first fit: lowest rank
 * first, lowest core (gpu) ids first, a slot never split across ranks.
 * free() returns an allocation, all or nothing.  feasible() says whether a
 * request could ever fit, ignoring what is allocated or down, and if not
 * why, in words.
 *
 * Errors (flux::Error errnum):
 *   EINVAL     malformed request (no slots, no cores per slot, fewer slots
 *              than nodes, counts overflowing), non-V1 jobspec, or free()
 *              of resources that are not allocated from this pool;
 *   EOVERFLOW  unsatisfiable: the request can never fit (feasible() fails);
 *   ENOSPC     the request could fit, but not now (resources are busy or
 *              down).
 *
 * Per rank the free cores and gpus are bitmaps over the rank's sorted ids,
 * with free counts, and an index of the up ranks that have free cores lets
 * alloc() skip full and down ranks; no R text is encoded or decoded on the
 * alloc/free path.  See README.md for the policy and complexity.
 *
 * Nothing here throws (beyond std::bad_alloc from the standard library).
 */
#ifndef FLUX_PLUGINS_SCHED_SIMPLE_ALLOC_H
#define FLUX_PLUGINS_SCHED_SIMPLE_ALLOC_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <jansson.h>

#include "idset/idset.h"
#include "jobspec/jobspec.h"
#include "result/result.h"
#include "rv1/rv1.h"

namespace flux::sched {

/* RFC 31 constraints on the nodes of a job: {"properties": [NAME, "^NAME"
 * (must not have)]}, {"hostlist": [HOSTLIST...]}, {"ranks": [IDSET...]},
 * {"and"|"or"|"not": [CONSTRAINT...]} (not: none of them holds); an object
 * with several keys is their "and".  A named queue's `requires` reaches the
 * scheduler this way (added by job-ingest's constraints frobnicator). */
struct Constraint {
    enum class Op { properties, hostlist, ranks, and_, or_, not_ } op = Op::and_;
    std::vector<std::string> names; /* properties */
    std::vector<std::string> hosts; /* hostlist, expanded */
    IdSet ranks;
    std::vector<std::string> texts; /* hostlist/ranks operands as written */
    std::vector<Constraint> args;

    /* EINVAL "invalid constraints: <why>" for anything else. */
    static Result<Constraint> parse(const json_t *o);
    bool matches(uint32_t rank, const std::string &hostname,
                 const std::vector<std::string> &properties) const;
    /* In the RFC 35 syntax of --requires: "gpu,^debug", "host:n[1-2]",
     * "rank:0-3", "-(...)", "(a & b)", "(a | b)". */
    std::string describe() const;
};

/* What a V1 jobspec asks of the scheduler. */
struct Request {
    uint64_t nnodes = 0; // 0: any number of nodes
    uint64_t nslots = 1; // total slots (over all nodes)
    uint64_t cores_per_slot = 1;
    uint64_t gpus_per_slot = 0;
    bool exclusive = false; // whole nodes
    double duration = 0;    // seconds, 0 = unlimited (not used for placement)
    std::shared_ptr<const Constraint> constraint; // nodes it may use (null: any)

    bool operator==(const Request &) const = default;
};

/* The Request of a parsed jobspec; EINVAL "unsupported jobspec: <why>"
 * (js.v1_error) when it is not a V1 jobspec.
 */
Result<Request> request_from_jobspec(const Jobspec &js);

/* "4 slots of 2 cores and 1 gpu on 2 nodes, exclusive" (for log messages) */
std::string describe(const Request &r);

class Pool {
  public:
    /* Every resource the scheduler manages.  All ranks start up and free.
     * Only the "core" and "gpu" children are scheduled; other child types
     * stay in all() but are never allocated.
     */
    explicit Pool(Rv1 all);

    /* The ranks currently usable: these are up, every other rank is down.
     * Ranks not in the pool are ignored.  Allocations on a rank that goes
     * down stay allocated until freed; a down rank is never allocated.
     */
    void set_up(const IdSet &ranks);
    void mark_down(const IdSet &ranks);
    void mark_up(const IdSet &ranks);

    /* Can r ever fit in all(), ignoring allocations and down ranks?
     * EINVAL for a malformed request, EOVERFLOW with the reason otherwise,
     * e.g. "unsatisfiable request: 64 cores requested, 8 available".
     */
    Result<void> feasible(const Request &r) const;

    /* Allocate r first fit from the free cores and gpus of up ranks:
     *  - nnodes == 0: slots are packed onto ranks in ascending order, as
     *    many as fit on a rank before moving to the next; a slot's cores
     *    and gpus are always on one rank.
     *  - nnodes > 0: exactly nnodes ranks, each holding nslots / nnodes
     *    slots; when nnodes does not divide nslots, the lowest chosen ranks
     *    able to take one more slot hold nslots / nnodes + 1 until the
     *    remainder is placed.
     *  - exclusive: only ranks with every core and gpu free (and up) are
     *    used, and all their cores and gpus are allocated.
     * Within a rank the lowest free ids are taken.  The result holds the
     * allocated cores and gpus per rank with hostnames and properties kept
     * (times unset).  ENOSPC when it does not fit now, EOVERFLOW when it
     * never can, EINVAL for a malformed request; the pool is then unchanged.
     */
    Result<Rv1> alloc(const Request &r);

    /* Return an allocation.  EINVAL, and nothing changes, if some rank,
     * core or gpu in it is not in the pool or is not allocated.
     */
    Result<void> free(const Rv1 &alloc);

    /* Mark ALLOC allocated: resources a job already holds when the
     * scheduler starts (RFC 27 hello).  EINVAL, and nothing changes, if
     * some rank, core or gpu in it is not in the pool or not free. */
    Result<void> claim(const Rv1 &alloc);

    const Rv1 &all() const { return all_; }
    Rv1 available() const; // free cores and gpus of up ranks
    Rv1 allocated() const; // allocated cores and gpus (up or down ranks)
    IdSet up() const;      // ranks of the pool that are up

    size_t free_cores() const { return free_cores_; } // == available().ncores()
    size_t free_gpus() const { return free_gpus_; }   // == available().ngpus()
    size_t allocated_cores() const { return allocated_cores_; }
    size_t allocated_gpus() const { return allocated_gpus_; }
    size_t nnodes() const { return nodes_.size(); }

  private:
    /* The ids of one child type on one rank and which of them are free. */
    struct Ids {
        std::vector<uint32_t> ids;       // ascending
        uint32_t base = 0;               // ids[0], used when dense
        bool dense = true;               // ids == base .. base + size - 1
        std::vector<uint64_t> free_bits; // bit i: ids[i] is free
        size_t nfree = 0;

        void init(const IdSet &set);
        size_t size() const { return ids.size(); }
        bool all_free() const { return nfree == ids.size(); }
        /* index of id, or -1 if the rank has no such id */
        long index_of(uint32_t id) const;
        bool is_free(size_t i) const { return (free_bits[i / 64] >> (i % 64)) & 1; }
        /* Take the n lowest free ids (n <= nfree), adding them to out. */
        void take(size_t n, IdSet &out);
        void give(size_t i);
        void take_at(size_t i);
        IdSet select(bool free) const; // the free (or allocated) ids
    };

    Result<void> check(const Rv1 &alloc, bool want_free, const char *what) const;
    void mark(const Rv1 &alloc, bool take);

    struct Node {
        uint32_t rank = 0;
        std::string hostname;
        std::vector<std::string> properties;
        Ids cores, gpus;
        bool up = true;
    };

    /* A set of node indexes with fast "next member at or after i". */
    class Index {
      public:
        void resize(size_t n);
        void set(size_t i);
        void clear(size_t i);
        size_t next(size_t i) const; // npos if none
        static constexpr size_t npos = SIZE_MAX;

      private:
        std::vector<uint64_t> bits_;
        std::vector<uint64_t> summary_; // bit w: bits_[w] != 0
    };

    struct Pick {
        size_t node;
        uint64_t slots;
    };

    long node_of(uint32_t rank) const; // index in nodes_, or -1
    std::string culprit(const Constraint &c) const;
    bool eligible(const Node &n, const Request &r) const
    {
        return !r.constraint || r.constraint->matches(n.rank, n.hostname, n.properties);
    }
    uint64_t capacity(const Node &n, const Request &r) const;
    bool select_slots(const Request &r);
    bool select_nodes(const Request &r);
    Rv1 commit(const Request &r);
    void update_index(size_t i);
    void set_node_up(size_t i, bool up);
    template <typename Pred> Rv1 build(Pred pred, bool free) const;

    Rv1 all_;
    std::vector<Node> nodes_; // ascending rank
    bool dense_ranks_ = true; // nodes_[i].rank == i
    Index candidates_;        // up nodes with at least one free core
    std::vector<Pick> picks_; // scratch space for alloc()
    size_t free_cores_ = 0;   // on up ranks
    size_t free_gpus_ = 0;    // on up ranks
    size_t allocated_cores_ = 0;
    size_t allocated_gpus_ = 0;
};

} // namespace flux::sched

#endif // FLUX_PLUGINS_SCHED_SIMPLE_ALLOC_H
