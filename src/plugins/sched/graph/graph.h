/* graph.h - the resource graph of sched-graph.
 *
 * Vertices (type, basename, name, id, rank, size, unit, properties,
 * status) held in one compact array in depth-first preorder of the
 * containment tree: the subtree of vertex v is the index range
 * [v, vertex(v).end), children are found by hopping from v + 1 to each
 * child's end.  No pointers, no per-vertex maps: a 16,384-node cluster of
 * 2 sockets x 18 cores + 4 gpus + memory is ~720k vertices, ~40 bytes each.
 *
 * Edges other than containment (network, power, storage subsystems) are
 * kept as a plain list (Edge) so that other subsystems can be added later
 * without touching the containment layout the matcher walks.
 *
 * Built from:
 *   - a generator spec (synthetic systems, tests and benchmarks):
 *       cluster[1]->rack[4]->node[64]->socket[2]->core[18],gpu[2],memory[256G]
 *     levels nest with "->"; the items of one level (comma separated) are
 *     all children of every vertex of the previous level's first item.
 *     "memory[256G]" is one pool vertex of size 256, unit GB.  Vertices of
 *     type node get ranks 0.. in order and are named basename+rank; every
 *     vertex below a node carries its rank and an id local to that rank
 *     (core 0-35 over both sockets), as R (RFC 20) needs.
 *   - R version 1 (RFC 20): cluster0 -> one node per rank (its hostname)
 *     -> its R_lite children (core, gpu, any other type), properties kept.
 *   - JGF (JSON Graph Format, as Fluxion writes it), alone or in R's
 *     "scheduling" key: any hierarchy and any site type.
 * Every builder reports bad input as EINVAL naming the problem.
 */
#ifndef FLUX_SCHED_GRAPH_GRAPH_H
#define FLUX_SCHED_GRAPH_GRAPH_H

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <jansson.h>

#include "libflux/ptr.h"
#include "result/result.h"
#include "rv1/rv1.h"

namespace flux::graph {

enum class Status : uint8_t { up = 0, down = 1, drained = 2, excluded = 3 };

struct Vertex {
    int32_t parent = -1; // -1: the root
    int32_t end = 0;     // one past the last vertex of the subtree
    int32_t rank = -1;   // execution target, -1: none (above the nodes)
    uint16_t type = 0;   // index into Graph::type_names()
    Status status = Status::up;
    uint8_t depth = 0;
    int64_t id = 0;
    int64_t size = 1;  // 1 for discrete resources; a pool (memory) more
    uint32_t basename = 0; // string table indices (0 is "")
    uint32_t name = 0; // 0: basename + id
    uint32_t unit = 0;
    uint32_t props = 0; // index into the property sets (0: none)
};

/* An edge of a subsystem other than containment (kept, not walked yet). */
struct Edge {
    int32_t source, target;
    uint32_t subsystem, relation; // string table indices
};

class Graph {
  public:
    static Result<Graph> generate(std::string_view spec);
    /* TOPOLOGY (optional, resource.acquire's): {"RANK": {"sockets": [{cores:
     * IDSET, memory: BYTES}, ...]}} puts a rank's cores under socket
     * vertices, each with a memory pool (MB); other children stay under
     * the node. */
    static Result<Graph> from_rv1(const Rv1 &R, const json_t *topology = nullptr);
    /* JGF object ({"graph": {"nodes": [...], "edges": [...]}}). */
    static Result<Graph> from_jgf(const json_t *jgf);
    /* R with a JGF "scheduling" key, R alone, or a bare JGF object. */
    static Result<Graph> from_json(const json_t *o, const json_t *topology = nullptr);
    static Result<Graph> load_file(const std::string &path);

    size_t size() const { return v_.size(); }
    const Vertex &operator[](int32_t i) const { return v_[i]; }
    Vertex &at(int32_t i) { return v_[i]; }
    const std::vector<Vertex> &vertices() const { return v_; }

    size_t ntypes() const { return types_.size(); }
    const std::string &type_name(uint16_t t) const { return types_[t]; }
    int type_index(std::string_view name) const; // -1 if absent
    const std::string &str(uint32_t i) const { return strings_[i]; }
    /* basename + id unless the vertex has a name of its own. */
    std::string name(int32_t v) const
    {
        return v_[v].name ? strings_[v_[v].name]
                          : strings_[v_[v].basename] + std::to_string(v_[v].id);
    }
    const std::vector<uint32_t> &props(int32_t v) const { return prop_sets_[v_[v].props]; }
    bool has_property(int32_t v, std::string_view p) const;
    uint32_t intern(std::string_view s);

    /* The host of each rank: the top-most vertex carrying it (a node). */
    int32_t host_of(uint32_t rank) const
    {
        return rank < hosts_.size() ? hosts_[rank] : -1;
    }
    bool is_host(int32_t v) const
    {
        return v_[v].rank >= 0 && (v_[v].parent < 0 || v_[v].rank != v_[v_[v].parent].rank);
    }
    const std::vector<int32_t> &hosts() const { return hosts_; }
    /* A hash of the host's subtree as built (types, sizes, units,
     * properties, excluded vertices, shape): hosts with the same one are
     * interchangeable for a request on an empty graph. */
    uint64_t host_shape(int32_t host) const { return host_shape_[(size_t)v_[host].rank]; }
    /* The unit the pool vertices of type T are counted in ("" for none). */
    const std::string &type_unit(uint16_t t) const { return type_units_[t]; }
    /* Types that host vertices have (usually just node). */
    bool is_host_type(uint16_t t) const { return t < host_type_.size() && host_type_[t]; }
    const std::vector<Edge> &edges() const { return edges_; }

    /* RFC 20 R version 1 of the whole graph (core and gpu children per
     * rank, node names as hostnames, properties of the hosts) with this
     * graph's JGF in "scheduling".  With SUBSET, only the marked vertices
     * (and their ancestors) are written; POOL_AMOUNT gives the size written
     * for a marked pool vertex (NULL: its size). */
    Result<JsonPtr> to_R(const std::vector<int32_t> *subset = nullptr,
                         const std::vector<int64_t> *pool_amount = nullptr,
                         double starttime = 0, double expiration = 0) const;
    JsonPtr to_jgf(const std::vector<int32_t> *subset = nullptr,
                   const std::vector<int64_t> *pool_amount = nullptr) const;
    /* to_R() as compact JSON text, with the given starttime and expiration
     * (0: none).  Written directly (names, paths and properties quoted by
     * jansson), for the scheduler's per-job path; to_R() parses it. */
    Result<std::string> R_text(const std::vector<int32_t> *subset = nullptr,
                               const std::vector<int64_t> *pool_amount = nullptr,
                               double starttime = 0, double expiration = 0) const;
    /* Append the JGF object's text to OUT. */
    void append_jgf(std::string &out, const std::vector<int32_t> *subset = nullptr,
                    const std::vector<int64_t> *pool_amount = nullptr) const;

    /* Find the vertex of type T with id ID under the host of RANK. */
    int32_t find_in_host(uint32_t rank, uint16_t type, int64_t id) const;
    /* The containment path "/cluster0/rack1/node5". */
    std::string path(int32_t v) const;
    size_t memory_bytes() const;

  private:
    struct Builder;
    Result<void> finish(); // ends, depth, hosts, per-type units
    std::vector<Vertex> v_;
    std::vector<std::string> types_;
    std::vector<std::string> type_units_;
    std::vector<uint8_t> host_type_;
    std::vector<std::string> strings_{""};
    std::unordered_map<std::string, uint32_t> string_index_;
    std::vector<std::vector<uint32_t>> prop_sets_{{}};
    std::vector<int32_t> hosts_;
    std::vector<uint64_t> host_shape_; // by rank
    std::vector<Edge> edges_;
    /* Each allocated vertex's JGF text, less size, exclusive and status
     * (see jgf_fragment()); at most jgf_cache_max vertices. */
    static constexpr size_t jgf_cache_max = 65536;
    mutable std::unordered_map<int32_t, std::pair<std::string, std::string>> jgf_cache_;
    void jgf_fragment(int32_t v, std::string &head, std::string &tail) const;
    uint16_t add_type(std::string_view t);
    uint32_t add_props(std::vector<uint32_t> p);
};

/* Bytes in one unit of a memory-like size: "" 1, B 1, KB/K/KiB 2^10,
 * MB/M/MiB 2^20, GB/G/GiB 2^30, TB/T/TiB 2^40; 0 if unknown. */
int64_t unit_bytes(std::string_view unit);

} // namespace flux::graph

#endif
