/* rv1/rv1.h - resource sets in the R version 1 format (RFC 20).
 *
 * An Rv1 is a concrete set of resources, "cores 2-5 and gpu 0 of rank 9",
 * held per execution target (broker rank).  Each rank carries its hostname
 * (from execution.nodelist, RFC 29), its children (resource type -> RFC 22
 * idset: "core", "gpu" and any other type found in R_lite, kept so that it
 * survives a round trip) and the names of the properties that apply to it
 * (execution.properties).
 *
 * decode() validates an R document and reports the first problem with the
 * JSON path where it was found, e.g.
 * "execution.R_lite[2].rank: idset: invalid range '5-3'".  encode() writes
 * the canonical compact form: R_lite entries group all ranks with identical
 * children under one rank idset, nodelist is one compressed hostlist and
 * properties map each name to the idset of its ranks.
 *
 * The set operations (intersect, diff, union_with, contains) work rank by
 * rank and, within a rank, child type by child type; they are what a
 * scheduler needs to carve allocations out of a pool and return them.
 * Nothing here throws (beyond std::bad_alloc from the standard library).
 */
#ifndef FLUX_COMMON_RV1_RV1_H
#define FLUX_COMMON_RV1_RV1_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <jansson.h>

#include "hostlist/hostlist.h"
#include "idset/idset.h"
#include "libflux/ptr.h"
#include "result/result.h"

namespace flux {

/* The resources R holds on one execution target. */
struct RankResources {
    uint32_t rank = 0;
    std::string hostname; // "" when R has no nodelist
    /* child type ("core", "gpu", ...) -> ids; empty sets are never stored */
    std::map<std::string, IdSet> children;
    std::set<std::string> properties;

    const IdSet &cores() const { return child("core"); }
    const IdSet &gpus() const { return child("gpu"); }
    /* The ids of one child type; an empty set if the rank has none. */
    const IdSet &child(const std::string &type) const;
    /* Replace the ids of one child type (an empty set removes the type). */
    void set_child(const std::string &type, const IdSet &ids);
    /* True if the rank holds no child resources at all. */
    bool no_children() const { return children.empty(); }

    bool operator==(const RankResources &) const = default;
};

class Rv1 {
  public:
    /* decode() refuses R documents that would hold more ranks than this. */
    static constexpr size_t max_ranks = 1000000;

    Rv1() = default; // the empty resource set
    Rv1(const Rv1 &other);
    Rv1 &operator=(const Rv1 &other);
    Rv1(Rv1 &&) noexcept = default;
    Rv1 &operator=(Rv1 &&) noexcept = default;
    ~Rv1() = default;

    /* Parse and validate an R version 1 document.  The json_t form borrows
     * its argument (no reference is taken over).  Unknown keys in the top
     * level and in execution are ignored; "scheduling" is kept as opaque
     * JSON.  Errors are EINVAL with text naming the JSON path.
     */
    static Result<Rv1> decode(std::string_view json);
    static Result<Rv1> decode(const json_t *o);

    /* Canonical compact JSON text / object.  Fails (EINVAL) when only some
     * ranks have a hostname (no valid nodelist can be written), a hostname
     * holds a character a hostlist cannot carry ("[],", whitespace), a time
     * is negative or not finite, or expiration <= starttime with both set;
     * ENOMEM if jansson refuses a value.  encode_json() then returns a null
     * pointer.  Without any hostname, nodelist is left out.
     */
    Result<std::string> encode() const;
    JsonPtr encode_json() const;

    /* Building.  add_rank() adds the rank, or replaces its hostname, cores
     * and gpus if it is already present (its other child types and its
     * properties are kept).
     */
    void
    add_rank(uint32_t rank, const std::string &hostname, const IdSet &cores, const IdSet &gpus);
    /* Set the ids of one child type of a rank already present; false if
     * the rank is absent.
     */
    bool set_child(uint32_t rank, const std::string &type, const IdSet &ids);
    /* Add a property to the given ranks.  Fails if the name is empty or
     * holds a character RFC 20 forbids (! & ' " ^ ` | ( )), or if some rank
     * is not in the set.
     */
    Result<void> add_property(const std::string &name, const IdSet &ranks);
    /* Keep a new reference to opaque scheduler data (NULL clears it). */
    void set_scheduling(json_t *o);

    /* Queries. */
    IdSet ranks() const;
    size_t nnodes() const { return ranks_.size(); }
    size_t ncores() const { return count("core"); }
    size_t ngpus() const { return count("gpu"); }
    size_t count(const std::string &type) const; // ids of one child type, all ranks
    bool empty() const { return ranks_.empty(); }
    const RankResources *find(uint32_t rank) const; // nullptr if absent
    const std::map<uint32_t, RankResources> &by_rank() const { return ranks_; }
    /* One hostname per rank, in ascending rank order ("" where unknown). */
    std::vector<std::string> hostnames() const;
    Hostlist nodelist() const;
    /* The ranks whose hostname is in hosts. */
    IdSet ranks_of(const Hostlist &hosts) const;
    /* property name -> ranks */
    std::map<std::string, IdSet> properties() const;
    IdSet ranks_with_property(const std::string &name) const;
    const json_t *scheduling() const { return scheduling_.get(); }

    /* Set algebra, per rank and per child type.  The results carry this
     * set's starttime and expiration (union_with: other's where this one's
     * is 0) and no scheduling data; a rank takes its hostname and
     * properties from this set (union_with: from both).
     *
     * intersect: the ranks in both, with the ids in both.  A rank whose ids
     *   all vanish is dropped (a rank kept bare only if bare in both).
     * diff: this minus other.  A rank that other also holds is dropped once
     *   no ids are left on it.
     * union_with: fails if a rank has different hostnames in the two sets.
     * contains: every rank of other is here, with a superset of its ids,
     *   and the same hostname where both name one.
     */
    Rv1 intersect(const Rv1 &other) const;
    Rv1 diff(const Rv1 &other) const;
    Result<Rv1> union_with(const Rv1 &other) const;
    bool contains(const Rv1 &other) const;

    /* Subsets by rank; hostnames, properties and times are kept. */
    Rv1 copy_ranks(const IdSet &ranks) const;
    Rv1 remove_ranks(const IdSet &ranks) const;

    /* Times in seconds since the Epoch; 0 means unset. */
    double starttime = 0.0;
    double expiration = 0.0;

    bool operator==(const Rv1 &other) const;

  private:
    Rv1 derived() const; // empty set with this one's times
    Result<JsonPtr> build_json() const;
    std::map<uint32_t, RankResources> ranks_;
    JsonPtr scheduling_;
};

} // namespace flux

#endif // FLUX_COMMON_RV1_RV1_H
