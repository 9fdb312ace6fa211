/* graph.cpp - the resource graph: builders (generator spec, R, JGF) and
 * writers (R with JGF).  See graph.h. */
#include "graph.h"

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <unistd.h>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace flux::graph {

namespace {

Error bad(const std::string &what)
{
    return make_error(EINVAL, what);
}

} // namespace

int64_t unit_bytes(std::string_view u)
{
    if (u.empty() || u == "B")
        return 1;
    if (u == "KB" || u == "K" || u == "KiB" || u == "kB")
        return 1LL << 10;
    if (u == "MB" || u == "M" || u == "MiB")
        return 1LL << 20;
    if (u == "GB" || u == "G" || u == "GiB")
        return 1LL << 30;
    if (u == "TB" || u == "T" || u == "TiB")
        return 1LL << 40;
    return 0;
}

uint32_t Graph::intern(std::string_view s)
{
    auto it = string_index_.find(std::string(s));
    if (it != string_index_.end())
        return it->second;
    strings_.emplace_back(s);
    string_index_.emplace(std::string(s), (uint32_t)(strings_.size() - 1));
    return (uint32_t)(strings_.size() - 1);
}

uint16_t Graph::add_type(std::string_view t)
{
    for (size_t i = 0; i < types_.size(); i++)
        if (types_[i] == t)
            return (uint16_t)i;
    types_.emplace_back(t);
    return (uint16_t)(types_.size() - 1);
}

int Graph::type_index(std::string_view name) const
{
    for (size_t i = 0; i < types_.size(); i++)
        if (types_[i] == name)
            return (int)i;
    return -1;
}

uint32_t Graph::add_props(std::vector<uint32_t> p)
{
    if (p.empty())
        return 0;
    std::sort(p.begin(), p.end());
    p.erase(std::unique(p.begin(), p.end()), p.end());
    for (size_t i = 1; i < prop_sets_.size(); i++)
        if (prop_sets_[i] == p)
            return (uint32_t)i;
    prop_sets_.push_back(std::move(p));
    return (uint32_t)(prop_sets_.size() - 1);
}

bool Graph::has_property(int32_t v, std::string_view p) const
{
    for (uint32_t s : prop_sets_[v_[v].props])
        if (strings_[s] == p)
            return true;
    return false;
}

Result<void> Graph::finish()
{
    if (v_.empty())
        return bad("the graph has no vertices");
    if (v_.size() > (size_t)INT32_MAX / 2)
        return bad("the graph is too large");
    for (size_t i = 0; i < v_.size(); i++)
        v_[i].end = (int32_t)i + 1;
    for (size_t i = v_.size(); i-- > 1;) {
        Vertex &p = v_[v_[i].parent];
        p.end = std::max(p.end, v_[i].end);
    }
    int32_t maxrank = -1;
    for (size_t i = 0; i < v_.size(); i++) {
        Vertex &x = v_[i];
        if (x.parent >= 0) {
            if (v_[x.parent].depth == 255)
                return bad("the graph is deeper than 255 levels");
            x.depth = (uint8_t)(v_[x.parent].depth + 1);
            /* Everything below a rank belongs to it. */
            if (v_[x.parent].rank >= 0)
                x.rank = v_[x.parent].rank;
        }
        maxrank = std::max(maxrank, x.rank);
    }
    if (maxrank >= (int32_t)Rv1::max_ranks)
        return bad("rank " + std::to_string(maxrank) + " is too large");
    hosts_.assign((size_t)(maxrank + 1), -1);
    host_type_.assign(types_.size(), 0);
    type_units_.assign(types_.size(), "");
    for (size_t i = 0; i < v_.size(); i++) {
        int32_t v = (int32_t)i;
        if (is_host(v)) {
            if (hosts_[v_[v].rank] >= 0)
                return bad("rank " + std::to_string(v_[v].rank) + " is held by two vertices ("
                           + path(hosts_[v_[v].rank]) + " and " + path(v) + ")");
            hosts_[v_[v].rank] = v;
            host_type_[v_[v].type] = 1;
        }
        if (v_[v].unit && type_units_[v_[v].type].empty())
            type_units_[v_[v].type] = strings_[v_[v].unit];
    }
    host_shape_.assign(hosts_.size(), 0);
    for (int32_t h : hosts_) {
        if (h < 0)
            continue;
        uint64_t x = 14695981039346656037ull; /* FNV-1a over the subtree */
        auto mix = [&x](uint64_t w) {
            for (int b = 0; b < 64; b += 8) {
                x ^= (w >> b) & 0xff;
                x *= 1099511628211ull;
            }
        };
        for (int32_t i = h; i < v_[h].end; i++) {
            const Vertex &y = v_[i];
            mix((uint64_t)(i - h) | (uint64_t)(uint32_t)(i == h ? 0 : y.parent - h) << 32);
            mix((uint64_t)y.type | (uint64_t)y.unit << 16 | (uint64_t)y.props << 40);
            mix((uint64_t)y.size);
            mix((uint64_t)(i == h ? 0 : (y.status == Status::excluded)) | (uint64_t)(y.end - h) << 8);
        }
        host_shape_[(size_t)v_[h].rank] = x;
    }
    return {};
}

std::string Graph::path(int32_t v) const
{
    std::string p;
    for (int32_t x = v; x >= 0; x = v_[x].parent)
        p = "/" + name(x) + p;
    return p;
}

int32_t Graph::find_in_host(uint32_t rank, uint16_t type, int64_t id) const
{
    int32_t h = host_of(rank);
    if (h < 0)
        return -1;
    for (int32_t x = h; x < v_[h].end; x++)
        if (v_[x].type == type && v_[x].id == id)
            return x;
    return -1;
}

size_t Graph::memory_bytes() const
{
    size_t n = v_.capacity() * sizeof(Vertex) + hosts_.capacity() * sizeof(int32_t);
    for (const auto &s : strings_)
        n += sizeof(std::string) + s.capacity() + 32;
    for (const auto &p : prop_sets_)
        n += sizeof(p) + p.capacity() * 4;
    return n + edges_.capacity() * sizeof(Edge);
}

/* Generator ----------------------------------------------------------------*/

namespace {

struct SpecItem {
    std::string type;
    int64_t count = 1;
    int64_t size = 1; // memory[256G]: one pool vertex of size 256
    std::string unit;
};

Result<std::vector<std::vector<SpecItem>>> parse_spec(std::string_view spec)
{
    std::vector<std::vector<SpecItem>> levels;
    std::string s(spec);
    size_t pos = 0;
    while (true) {
        size_t arrow = s.find("->", pos);
        std::string level = s.substr(pos, arrow == std::string::npos ? std::string::npos
                                                                     : arrow - pos);
        std::vector<SpecItem> items;
        size_t p = 0;
        while (true) {
            size_t comma = level.find(',', p);
            std::string it = level.substr(p, comma == std::string::npos ? std::string::npos
                                                                        : comma - p);
            size_t lb = it.find('['), rb = it.find(']');
            if (it.empty() || lb == std::string::npos || rb != it.size() - 1 || lb == 0
                || rb <= lb + 1)
                return bad("generator spec: '" + it + "': expected TYPE[COUNT]");
            SpecItem item;
            item.type = it.substr(0, lb);
            for (char c : item.type)
                if (!(isalnum((unsigned char)c) || c == '_' || c == '-'))
                    return bad("generator spec: '" + it + "': bad type name");
            std::string cnt = it.substr(lb + 1, rb - lb - 1);
            size_t digits = 0;
            while (digits < cnt.size() && isdigit((unsigned char)cnt[digits]))
                digits++;
            if (digits == 0 || digits > 12)
                return bad("generator spec: '" + it + "': count must be a positive integer");
            int64_t n = std::stoll(cnt.substr(0, digits));
            std::string unit = cnt.substr(digits);
            if (n < 1)
                return bad("generator spec: '" + it + "': count must be a positive integer");
            if (!unit.empty()) {
                if (unit_bytes(unit) == 0)
                    return bad("generator spec: '" + it + "': unknown unit '" + unit + "'");
                item.size = n;
                item.unit = unit.size() == 1 ? unit + "B" : unit;
            }
            else
                item.count = n;
            items.push_back(item);
            if (comma == std::string::npos)
                break;
            p = comma + 1;
        }
        levels.push_back(items);
        if (arrow == std::string::npos)
            break;
        pos = arrow + 2;
    }
    return levels;
}

} // namespace

Result<Graph> Graph::generate(std::string_view spec)
{
    auto levels = parse_spec(spec);
    if (!levels)
        return levels.error();
    /* Count before building: refuse absurd sizes instead of exhausting memory. */
    double total = 0, mult = 1;
    for (const auto &lvl : *levels) {
        for (const auto &it : lvl)
            total += mult * (double)it.count;
        mult *= (double)lvl[0].count;
    }
    if (total > 50e6)
        return bad("generator spec: " + std::to_string((long long)total)
                   + " vertices is more than 50 million");
    Graph g;
    g.v_.reserve((size_t)total);
    std::vector<uint16_t> types;
    int32_t next_rank = 0;
    std::vector<int64_t> global_ids; // per type, above the nodes
    std::vector<int64_t> local_ids;  // per type, within the current rank
    struct Frame {
        size_t level;
    };
    /* Recursive lambda over levels. */
    auto build = [&](auto &&self, int32_t parent, size_t level) -> void {
        if (level >= levels->size())
            return;
        const auto &lvl = (*levels)[level];
        for (size_t k = 0; k < lvl.size(); k++) {
            const SpecItem &it = lvl[k];
            uint16_t t = g.add_type(it.type);
            if (global_ids.size() < g.types_.size()) {
                global_ids.resize(g.types_.size(), 0);
                local_ids.resize(g.types_.size(), 0);
            }
            uint32_t base = g.intern(it.type);
            for (int64_t c = 0; c < it.count; c++) {
                Vertex x;
                x.parent = parent;
                x.type = t;
                x.basename = base;
                x.size = it.size;
                x.unit = it.unit.empty() ? 0 : g.intern(it.unit);
                int32_t prank = parent >= 0 ? g.v_[parent].rank : -1;
                if (prank >= 0) {
                    x.rank = prank;
                    x.id = local_ids[t]++;
                }
                else if (it.type == "node") {
                    x.rank = next_rank++;
                    x.id = x.rank;
                    std::fill(local_ids.begin(), local_ids.end(), 0);
                }
                else
                    x.id = global_ids[t]++;
                int32_t idx = (int32_t)g.v_.size();
                g.v_.push_back(x);
                if (k == 0)
                    self(self, idx, level + 1);
            }
        }
    };
    /* The first level may hold several roots: wrap them in a cluster. */
    const auto &top = (*levels)[0];
    if (top.size() == 1 && top[0].count == 1)
        build(build, -1, 0);
    else {
        Vertex root;
        root.type = g.add_type("cluster");
        root.basename = g.intern("cluster");
        root.name = g.intern("cluster0");
        g.v_.push_back(root);
        global_ids.assign(g.types_.size(), 0);
        local_ids.assign(g.types_.size(), 0);
        build(build, 0, 0);
    }
    if (auto r = g.finish(); !r)
        return r.error();
    return g;
}

/* From R -------------------------------------------------------------------*/

Result<Graph> Graph::from_rv1(const Rv1 &R, const json_t *topology)
{
    if (R.empty())
        return bad("R has no execution targets");
    Graph g;
    Vertex root;
    root.type = g.add_type("cluster");
    root.basename = g.intern("cluster");
    root.name = g.intern("cluster0");
    g.v_.push_back(root);
    uint16_t node_t = g.add_type("node");
    uint32_t node_base = g.intern("node");
    for (const auto &[rank, rr] : R.by_rank()) {
        Vertex n;
        n.parent = 0;
        n.type = node_t;
        n.basename = node_base;
        n.rank = (int32_t)rank;
        n.id = rank;
        n.name = g.intern(rr.hostname.empty() ? "node" + std::to_string(rank) : rr.hostname);
        std::vector<uint32_t> p;
        for (const auto &prop : rr.properties)
            p.push_back(g.intern(prop));
        n.props = g.add_props(std::move(p));
        int32_t ni = (int32_t)g.v_.size();
        g.v_.push_back(n);
        /* hwloc sockets of this rank: each with its cores and memory. */
        IdSet in_sockets;
        json_t *sockets = json_object_get(
            json_object_get(topology, std::to_string(rank).c_str()), "sockets");
        auto cores = rr.children.find("core");
        size_t i;
        json_t *sk;
        json_array_foreach(sockets, i, sk)
        {
            const char *ids = nullptr;
            json_int_t mem = 0;
            std::string err;
            std::optional<IdSet> set;
            if (json_unpack(sk, "{s:s s?I}", "cores", &ids, "memory", &mem) < 0
                || !(set = IdSet::parse(ids, &err)))
                return bad("topology: rank " + std::to_string(rank)
                           + ": expected sockets [{cores: IDSET, memory: BYTES}]");
            Vertex so;
            so.parent = ni;
            so.type = g.add_type("socket");
            so.basename = g.intern("socket");
            so.rank = (int32_t)rank;
            so.id = (int64_t)i;
            int32_t si = (int32_t)g.v_.size();
            g.v_.push_back(so);
            if (cores != rr.children.end()) {
                uint16_t t = g.add_type("core");
                uint32_t base = g.intern("core");
                cores->second.for_each([&](uint32_t id) {
                    if (!set->contains(id) || in_sockets.contains(id))
                        return;
                    in_sockets.insert(id);
                    Vertex c;
                    c.parent = si;
                    c.type = t;
                    c.basename = base;
                    c.rank = (int32_t)rank;
                    c.id = id;
                    g.v_.push_back(c);
                });
            }
            if (mem >= (json_int_t)1 << 20) {
                Vertex m;
                m.parent = si;
                m.type = g.add_type("memory");
                m.basename = g.intern("memory");
                m.rank = (int32_t)rank;
                m.id = (int64_t)i;
                m.size = mem >> 20;
                m.unit = g.intern("MB");
                g.v_.push_back(m);
            }
        }
        for (const auto &[type, ids] : rr.children) {
            uint16_t t = g.add_type(type);
            uint32_t base = g.intern(type);
            ids.for_each([&](uint32_t id) {
                if (type == "core" && in_sockets.contains(id))
                    return;
                Vertex c;
                c.parent = ni;
                c.type = t;
                c.basename = base;
                c.rank = (int32_t)rank;
                c.id = id;
                g.v_.push_back(c);
            });
        }
    }
    if (auto r = g.finish(); !r)
        return r.error();
    return g;
}

/* From JGF -----------------------------------------------------------------*/

Result<Graph> Graph::from_jgf(const json_t *jgf)
{
    const json_t *graph = json_object_get(jgf, "graph");
    if (!json_is_object(graph))
        return bad("JGF: expected an object with a \"graph\" object");
    const json_t *nodes = json_object_get(graph, "nodes");
    const json_t *edges = json_object_get(graph, "edges");
    if (!json_is_array(nodes) || json_array_size(nodes) == 0)
        return bad("JGF: graph.nodes: expected a non-empty array");
    if (edges && !json_is_array(edges))
        return bad("JGF: graph.edges: expected an array");
    size_t n = json_array_size(nodes);
    struct In {
        Vertex v;
        std::string type, name;
        std::vector<uint32_t> props;
        bool has_parent = false;
        int32_t parent = -1;
    };
    Graph g;
    std::vector<In> in(n);
    std::unordered_map<std::string, int32_t> by_id;
    for (size_t i = 0; i < n; i++) {
        const json_t *node = json_array_get(nodes, i);
        std::string where = "JGF: graph.nodes[" + std::to_string(i) + "]";
        const json_t *jid = json_object_get(node, "id");
        const json_t *md = json_object_get(node, "metadata");
        if (!json_is_string(jid) && !json_is_integer(jid))
            return bad(where + ".id: expected a string");
        std::string id = json_is_string(jid) ? json_string_value(jid)
                                             : std::to_string(json_integer_value(jid));
        if (!json_is_object(md))
            return bad(where + ".metadata: expected an object");
        const char *type = nullptr, *basename = nullptr, *name = nullptr, *unit = nullptr,
                   *status = nullptr;
        json_int_t vid = -1, rank = -1, size = 1;
        json_t *props = nullptr;
        json_error_t jerr;
        if (json_unpack_ex((json_t *)md, &jerr, 0, "{s:s s?s s?s s?I s?I s?I s?s s?o s?s}", "type",
                           &type, "basename", &basename, "name", &name, "id", &vid, "rank",
                           &rank, "size", &size, "unit", &unit, "properties", &props, "status",
                           &status)
            < 0)
            return bad(where + ".metadata: " + jerr.text);
        if (!*type)
            return bad(where + ".metadata.type: empty");
        if (size < 1)
            return bad(where + ".metadata.size: must be >= 1");
        if (rank < -1 || rank >= (json_int_t)Rv1::max_ranks)
            return bad(where + ".metadata.rank: out of range");
        if (by_id.count(id))
            return bad(where + ".id: '" + id + "' appears twice");
        by_id[id] = (int32_t)i;
        In &x = in[i];
        x.type = type;
        x.v.type = g.add_type(type);
        x.v.basename = g.intern(basename ? basename : type);
        if (vid < 0)
            vid = (json_int_t)i;
        x.v.id = vid;
        x.v.rank = (int32_t)rank;
        x.v.size = size;
        x.v.unit = unit && *unit ? g.intern(unit) : 0;
        x.name = name ? name : std::string(basename ? basename : type) + std::to_string(vid);
        if (status && strcmp(status, "up") != 0)
            x.v.status = Status::down;
        if (props) {
            if (json_is_object(props)) {
                const char *k;
                json_t *val;
                json_object_foreach(props, k, val) x.props.push_back(g.intern(k));
            }
            else if (json_is_array(props)) {
                size_t j;
                json_t *val;
                json_array_foreach(props, j, val)
                {
                    if (!json_is_string(val))
                        return bad(where + ".metadata.properties: expected names");
                    x.props.push_back(g.intern(json_string_value(val)));
                }
            }
            else
                return bad(where + ".metadata.properties: expected an object or array");
        }
    }
    std::vector<std::vector<int32_t>> children(n);
    size_t ne = edges ? json_array_size(edges) : 0;
    std::vector<Edge> other;
    for (size_t i = 0; i < ne; i++) {
        const json_t *e = json_array_get(edges, i);
        std::string where = "JGF: graph.edges[" + std::to_string(i) + "]";
        const json_t *s = json_object_get(e, "source"), *t = json_object_get(e, "target");
        if (!json_is_string(s) || !json_is_string(t))
            return bad(where + ": expected string source and target");
        auto si = by_id.find(json_string_value(s)), ti = by_id.find(json_string_value(t));
        if (si == by_id.end())
            return bad(where + ".source: no vertex '" + json_string_value(s) + "'");
        if (ti == by_id.end())
            return bad(where + ".target: no vertex '" + json_string_value(t) + "'");
        /* Subsystem: metadata.subsystem, or the key of metadata.name
         * (Fluxion's {"name": {"containment": "contains"}}); none: containment. */
        std::string subsystem = "containment", relation = "contains";
        const json_t *md = json_object_get(e, "metadata");
        if (const json_t *ss = json_object_get(md, "subsystem"); json_is_string(ss))
            subsystem = json_string_value(ss);
        else if (const json_t *nm = json_object_get(md, "name"); json_is_object(nm)) {
            const char *k;
            json_t *val;
            json_object_foreach((json_t *)nm, k, val)
            {
                subsystem = k;
                if (json_is_string(val))
                    relation = json_string_value(val);
            }
        }
        if (const json_t *rel = json_object_get(md, "relation"); json_is_string(rel))
            relation = json_string_value(rel);
        if (subsystem != "containment") {
            other.push_back(Edge{si->second, ti->second, g.intern(subsystem), g.intern(relation)});
            continue;
        }
        if (relation != "contains")
            continue; /* "in" edges mirror "contains" */
        In &child = in[ti->second];
        if (child.has_parent && child.parent != si->second)
            return bad(where + ": vertex '" + json_string_value(t) + "' has two parents");
        if (ti->second == si->second)
            return bad(where + ": a vertex cannot contain itself");
        if (!child.has_parent)
            children[si->second].push_back(ti->second);
        child.has_parent = true;
        child.parent = si->second;
    }
    int32_t root = -1;
    for (size_t i = 0; i < n; i++) {
        if (!in[i].has_parent) {
            if (root >= 0)
                return bad("JGF: two roots ('" + in[root].name + "' and '" + in[i].name
                           + "'): the containment graph must be one tree");
            root = (int32_t)i;
        }
    }
    if (root < 0)
        return bad("JGF: no root: the containment edges form a cycle");
    /* Preorder, iteratively (deep graphs must not blow the stack). */
    std::vector<int32_t> remap(n, -1);
    std::vector<std::pair<int32_t, int32_t>> stack{{root, -1}};
    g.v_.reserve(n);
    while (!stack.empty()) {
        auto [i, parent] = stack.back();
        stack.pop_back();
        if (remap[i] >= 0)
            return bad("JGF: a cycle through '" + in[i].name + "'");
        Vertex x = in[i].v;
        x.parent = parent;
        if (in[i].name != g.strings_[x.basename] + std::to_string(x.id))
            x.name = g.intern(in[i].name);
        x.props = g.add_props(in[i].props);
        remap[i] = (int32_t)g.v_.size();
        g.v_.push_back(x);
        /* Children in id order, pushed reversed so the lowest comes first. */
        auto &ch = children[i];
        std::stable_sort(ch.begin(), ch.end(), [&](int32_t a, int32_t b) {
            return in[a].v.type != in[b].v.type ? in[a].v.type < in[b].v.type
                                                : in[a].v.id < in[b].v.id;
        });
        for (size_t k = ch.size(); k-- > 0;)
            stack.push_back({ch[k], remap[i]});
    }
    if (g.v_.size() != n)
        return bad("JGF: " + std::to_string(n - g.v_.size())
                   + " vertices are not reachable from the root '" + in[root].name + "'");
    for (auto &e : other) {
        e.source = remap[e.source];
        e.target = remap[e.target];
        g.edges_.push_back(e);
    }
    /* A vertex below a ranked one must not claim another rank. */
    for (size_t i = 1; i < g.v_.size(); i++) {
        const Vertex &x = g.v_[i];
        int32_t pr = g.v_[x.parent].rank;
        if (pr >= 0 && x.rank >= 0 && x.rank != pr)
            return bad("JGF: vertex '" + g.name((int32_t)i) + "' has rank "
                       + std::to_string(x.rank) + " but its parent has rank "
                       + std::to_string(pr));
    }
    if (auto r = g.finish(); !r)
        return r.error();
    return g;
}

Result<Graph> Graph::from_json(const json_t *o, const json_t *topology)
{
    if (!json_is_object(o))
        return bad("expected a JSON object (R or JGF)");
    if (json_object_get(o, "graph"))
        return from_jgf(o);
    const json_t *sched = json_object_get(o, "scheduling");
    if (sched && !json_is_null(sched)) {
        auto g = from_jgf(sched);
        if (!g)
            return bad("R: scheduling: " + g.error().text.substr(5));
        return g;
    }
    auto R = Rv1::decode(o);
    if (!R)
        return bad("R: " + R.error().text);
    return from_rv1(*R, topology);
}

Result<Graph> Graph::load_file(const std::string &path)
{
    json_error_t jerr;
    json_t *o = json_load_file(path.c_str(), 0, &jerr);
    if (!o) {
        if (jerr.line < 0 || access(path.c_str(), R_OK) < 0)
            return make_error(ENOENT, path + ": " + strerror(errno));
        return bad(path + ": line " + std::to_string(jerr.line) + ": " + jerr.text);
    }
    auto g = from_json(o);
    json_decref(o);
    if (!g)
        return bad(path + ": " + g.error().text);
    return g;
}

/* Writers ------------------------------------------------------------------*/

namespace {

/* S as a JSON string: jansson does the quoting and escaping. */
void append_quoted(std::string &out, std::string_view s)
{
    JsonPtr j(json_stringn(s.data(), s.size()));
    char *t = j ? json_dumps(j.get(), JSON_ENCODE_ANY | JSON_COMPACT) : nullptr;
    out += t ? t : "\"\""; /* not UTF-8: jansson refused it at load already */
    free(t);
}

void append_int(std::string &out, long long n)
{
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof(buf), n);
    out.append(buf, r.ptr);
}

} // namespace

/* A vertex's JGF node, less what varies from one writing to the next:
 * HEAD is `{"id":"I","metadata":{...,"size":` and TAIL is `,"unit":...,
 * "paths":{...}[,"properties":{...}]` (the writer adds size, exclusive,
 * status and the closing braces, in the order jansson would). */
void Graph::jgf_fragment(int32_t i, std::string &head, std::string &tail) const
{
    const Vertex &x = v_[i];
    head = "{\"id\":\"";
    append_int(head, i);
    head += "\",\"metadata\":{\"type\":";
    append_quoted(head, types_[x.type]);
    head += ",\"basename\":";
    append_quoted(head, strings_[x.basename]);
    head += ",\"name\":";
    append_quoted(head, name(i));
    head += ",\"id\":";
    append_int(head, x.id);
    head += ",\"uniq_id\":";
    append_int(head, i);
    head += ",\"rank\":";
    append_int(head, x.rank);
    head += ",\"size\":";
    tail = ",\"unit\":";
    append_quoted(tail, strings_[x.unit]);
    tail += ",\"paths\":{\"containment\":";
    append_quoted(tail, path(i));
    tail += '}';
    if (x.props) {
        tail += ",\"properties\":{";
        bool first = true;
        for (uint32_t s : prop_sets_[x.props]) {
            if (!first)
                tail += ',';
            first = false;
            append_quoted(tail, strings_[s]);
            tail += ":\"\"";
        }
        tail += '}';
    }
}

void Graph::append_jgf(std::string &out, const std::vector<int32_t> *subset,
                       const std::vector<int64_t> *pool_amount) const
{
    /* An allocation's subgraph: its vertices and their ancestors, in index
     * order, found without a pass over the whole graph (an allocation on
     * a 16k-node graph is a few hundred of its 700k vertices). */
    std::vector<int32_t> order;
    std::unordered_set<int32_t> kept;
    std::unordered_map<int32_t, int64_t> amount;
    if (subset) {
        for (size_t k = 0; k < subset->size(); k++) {
            int32_t v = (*subset)[k];
            if (pool_amount)
                amount[v] = (*pool_amount)[k];
            for (int32_t x = v; x >= 0 && kept.insert(x).second; x = v_[x].parent)
                order.push_back(x);
        }
        std::sort(order.begin(), order.end());
    }
    else {
        order.resize(v_.size());
        for (size_t i = 0; i < v_.size(); i++)
            order[i] = (int32_t)i;
    }
    std::string edges, head, tail;
    out += "{\"graph\":{\"nodes\":[";
    for (size_t k = 0; k < order.size(); k++) {
        int32_t i = order[k];
        const Vertex &x = v_[i];
        auto a = amount.find(i);
        int64_t size = a != amount.end() && a->second >= 0 ? a->second : x.size;
        /* Allocations come back to the same vertices: their fragments are
         * kept (up to a bound, so a huge graph's memory stays its own). */
        const std::string *h = &head, *t = &tail;
        if (subset) {
            auto c = jgf_cache_.find(i);
            if (c == jgf_cache_.end()) {
                jgf_fragment(i, head, tail);
                if (jgf_cache_.size() < jgf_cache_max)
                    c = jgf_cache_.emplace(i, std::make_pair(head, tail)).first;
            }
            if (c != jgf_cache_.end()) {
                h = &c->second.first;
                t = &c->second.second;
            }
        }
        else
            jgf_fragment(i, head, tail);
        if (k > 0)
            out += ',';
        out += *h;
        append_int(out, size);
        out += subset ? ",\"exclusive\":true" : ",\"exclusive\":false";
        out += *t;
        if (x.status == Status::down || x.status == Status::excluded)
            out += ",\"status\":\"down\"";
        out += "}}";
        if (x.parent >= 0) {
            if (!edges.empty())
                edges += ',';
            edges += "{\"source\":\"";
            append_int(edges, x.parent);
            edges += "\",\"target\":\"";
            append_int(edges, i);
            edges += "\",\"metadata\":{\"name\":{\"containment\":\"contains\"}}}";
        }
    }
    for (const Edge &e : edges_) {
        if (subset && (!kept.count(e.source) || !kept.count(e.target)))
            continue;
        if (!edges.empty())
            edges += ',';
        edges += "{\"source\":\"";
        append_int(edges, e.source);
        edges += "\",\"target\":\"";
        append_int(edges, e.target);
        edges += "\",\"metadata\":{\"subsystem\":";
        append_quoted(edges, strings_[e.subsystem]);
        edges += ",\"relation\":";
        append_quoted(edges, strings_[e.relation]);
        edges += "}}";
    }
    out += "],\"edges\":[";
    out += edges;
    out += "]}}";
}

JsonPtr Graph::to_jgf(const std::vector<int32_t> *subset,
                      const std::vector<int64_t> *pool_amount) const
{
    std::string text;
    append_jgf(text, subset, pool_amount);
    return JsonPtr(json_loadb(text.data(), text.size(), 0, nullptr));
}

Result<std::string> Graph::R_text(const std::vector<int32_t> *subset,
                                  const std::vector<int64_t> *pool_amount, double starttime,
                                  double expiration) const
{
    Rv1 R;
    int core_t = type_index("core"), gpu_t = type_index("gpu");
    std::map<uint32_t, std::pair<IdSet, IdSet>> ids;
    auto add_leaf = [&](int32_t v) {
        const Vertex &x = v_[v];
        if (x.rank < 0 || x.id < 0 || x.id > (int64_t)IdSet::max_id)
            return;
        if (x.type == core_t)
            ids[(uint32_t)x.rank].first.insert((uint32_t)x.id);
        else if (x.type == gpu_t)
            ids[(uint32_t)x.rank].second.insert((uint32_t)x.id);
        else if (is_host(v))
            ids[(uint32_t)x.rank];
    };
    if (subset) {
        for (int32_t v : *subset)
            add_leaf(v);
    }
    else {
        for (size_t i = 0; i < v_.size(); i++)
            add_leaf((int32_t)i);
    }
    std::map<std::string, IdSet> props;
    for (auto &[rank, cg] : ids) {
        int32_t h = host_of(rank);
        R.add_rank(rank, h >= 0 ? name(h) : "", cg.first, cg.second);
        if (h >= 0)
            for (uint32_t s : prop_sets_[v_[h].props])
                props[strings_[s]].insert(rank);
    }
    for (auto &[name, ranks] : props)
        if (auto r = R.add_property(name, ranks); !r)
            return r.error();
    R.starttime = starttime;
    R.expiration = expiration;
    auto enc = R.encode();
    if (!enc || enc->empty() || enc->back() != '}')
        return bad("R: cannot encode (hostnames must be unique, set for every rank and free "
                   "of '[],' and spaces)");
    /* The JGF goes in as text: an allocation's R is written once per job,
     * and building it as a jansson tree to print it cost more than the
     * match. */
    std::string text = std::move(*enc);
    text.pop_back();
    text += ",\"scheduling\":";
    append_jgf(text, subset, pool_amount);
    text += '}';
    return text;
}

Result<JsonPtr> Graph::to_R(const std::vector<int32_t> *subset,
                            const std::vector<int64_t> *pool_amount, double starttime,
                            double expiration) const
{
    auto text = R_text(subset, pool_amount, starttime, expiration);
    if (!text)
        return text.error();
    json_error_t err;
    JsonPtr R(json_loadb(text->data(), text->size(), 0, &err));
    if (!R)
        return bad(std::string("R: ") + err.text);
    return R;
}

} // namespace flux::graph
