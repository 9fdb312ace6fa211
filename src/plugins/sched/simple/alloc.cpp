/* sched/simple/alloc.cpp - FCFS first-fit allocation of cores and gpus.
 *
 * Each rank keeps, per child type (core, gpu), its ids in ascending order
 * and a bitmap of which are free, so that "the n lowest free ids" is a
 * count-trailing-zeros walk and freeing an id is a bit set.  A two-level
 * bitmap index of the up ranks with free cores lets first fit jump over
 * full and down ranks.  Allocation first chooses (rank, slot count) picks
 * without touching anything, then commits them; free() validates the
 * whole allocation before changing anything.
 */
#include "alloc.h"

#include "hostlist/hostlist.h"

#include <algorithm>
#include <cerrno>
#include <map>
#include <utility>

namespace flux::sched {

namespace {

Error invalid(const std::string &text)
{
    return make_error(EINVAL, "invalid request: " + text);
}

Error unsatisfiable(const std::string &text)
{
    return make_error(EOVERFLOW, "unsatisfiable request: " + text);
}

/* "1 core", "2 cores" */
std::string count_of(uint64_t n, const char *noun)
{
    return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

/* "2 cores", "2 cores and 1 gpu" */
std::string slot_shape(const Request &r)
{
    std::string s = count_of(r.cores_per_slot, "core");
    if (r.gpus_per_slot > 0)
        s += " and " + count_of(r.gpus_per_slot, "gpu");
    return s;
}

Result<void> validate(const Request &r)
{
    if (r.nslots == 0)
        return invalid("slot count must be >= 1");
    if (r.cores_per_slot == 0)
        return invalid("cores per slot must be >= 1");
    if (r.nnodes > r.nslots) {
        return invalid("node count (" + std::to_string(r.nnodes) +
                       ") must not exceed slot count (" + std::to_string(r.nslots) + ")");
    }
    uint64_t total;
    if (__builtin_mul_overflow(r.nslots, r.cores_per_slot, &total) ||
        __builtin_mul_overflow(r.nslots, r.gpus_per_slot, &total))
        return invalid("resource count is too large");
    return {};
}

/* How many slots of r fit in ncores cores and ngpus gpus. */
uint64_t slots_in(uint64_t ncores, uint64_t ngpus, const Request &r)
{
    uint64_t n = ncores / r.cores_per_slot;
    if (r.gpus_per_slot > 0)
        n = std::min(n, ngpus / r.gpus_per_slot);
    return n;
}

} // namespace

/* ------------------------------------------------------------- requests */

Result<Request> request_from_jobspec(const Jobspec &js)
{
    if (!js.v1) {
        return make_error(EINVAL, "unsupported jobspec: " + (js.v1_error.empty()
                                                                 ? std::string("not a V1 jobspec")
                                                                 : js.v1_error));
    }
    Request r;
    r.nnodes = js.nnodes;
    r.nslots = js.nslots;
    r.cores_per_slot = js.cores_per_slot;
    r.gpus_per_slot = js.gpus_per_slot;
    r.exclusive = js.exclusive;
    r.duration = js.duration;
    if (js.constraints && !(json_is_object(js.constraints.get())
                            && json_object_size(js.constraints.get()) == 0)) {
        auto c = Constraint::parse(js.constraints.get());
        if (!c)
            return c.error();
        r.constraint = std::make_shared<const Constraint>(std::move(*c));
    }
    return r;
}

/* ---------------------------------------------------------- constraints */

Result<Constraint> Constraint::parse(const json_t *o)
{
    auto bad = [](const std::string &why) {
        return make_error(EINVAL, "invalid constraints: " + why);
    };
    if (!json_is_object(o))
        return bad("expected an object");
    Constraint all;
    all.op = Op::and_;
    const char *key;
    json_t *val;
    json_object_foreach(const_cast<json_t *>(o), key, val)
    {
        std::string k = key;
        if (!json_is_array(val))
            return bad("'" + k + "': expected an array");
        Constraint c;
        size_t i;
        json_t *v;
        if (k == "properties" || k == "hostlist" || k == "ranks") {
            c.op = k == "properties" ? Op::properties : k == "hostlist" ? Op::hostlist : Op::ranks;
            json_array_foreach(val, i, v)
            {
                if (!json_is_string(v) || json_string_length(v) == 0)
                    return bad("'" + k + "': expected non-empty strings");
                std::string text = json_string_value(v);
                if (c.op == Op::properties)
                    c.names.push_back(text);
                else if (c.op == Op::hostlist) {
                    auto hl = Hostlist::parse(text);
                    if (!hl)
                        return bad("hostlist: invalid '" + text + "'");
                    for (size_t h = 0; h < hl->count(); h++)
                        c.hosts.push_back(hl->at(h));
                    c.texts.push_back(text);
                }
                else {
                    std::string err;
                    auto ids = IdSet::parse(text, &err);
                    if (!ids)
                        return bad("ranks: invalid '" + text + "'");
                    c.ranks.insert(*ids);
                    c.texts.push_back(text);
                }
            }
        }
        else if (k == "and" || k == "or" || k == "not") {
            c.op = k == "and" ? Op::and_ : k == "or" ? Op::or_ : Op::not_;
            json_array_foreach(val, i, v)
            {
                auto sub = parse(v);
                if (!sub)
                    return sub.error();
                c.args.push_back(std::move(*sub));
            }
        }
        else
            return bad("unknown operator '" + k + "'");
        all.args.push_back(std::move(c));
    }
    if (all.args.size() == 1)
        return std::move(all.args[0]);
    return all;
}

std::string Constraint::describe() const
{
    auto join = [](const std::vector<std::string> &v, const char *sep) {
        std::string out;
        for (const auto &x : v)
            out += (out.empty() ? "" : sep) + x;
        return out;
    };
    std::vector<std::string> parts;
    switch (op) {
        case Op::properties:
            return join(names, ",");
        case Op::hostlist:
            return "host:" + join(texts, ",");
        case Op::ranks:
            return "rank:" + join(texts, ",");
        case Op::not_:
        case Op::and_:
        case Op::or_:
            for (const auto &a : args)
                parts.push_back(a.describe());
            if (op == Op::not_)
                return parts.size() == 1 && args[0].args.empty() ? "-" + parts[0]
                                                                 : "not (" + join(parts, " & ") + ")";
            return parts.size() == 1 ? parts[0]
                                     : "(" + join(parts, op == Op::and_ ? " & " : " | ") + ")";
    }
    return "";
}

bool Constraint::matches(uint32_t rank, const std::string &hostname,
                         const std::vector<std::string> &properties) const
{
    auto has = [&](const std::string &p) {
        return std::find(properties.begin(), properties.end(), p) != properties.end();
    };
    switch (op) {
        case Op::properties:
            for (const auto &n : names) {
                if (n[0] == '^' ? has(n.substr(1)) : !has(n))
                    return false;
            }
            return true;
        case Op::hostlist:
            return std::find(hosts.begin(), hosts.end(), hostname) != hosts.end();
        case Op::ranks:
            return ranks.contains(rank);
        case Op::and_:
            for (const auto &a : args) {
                if (!a.matches(rank, hostname, properties))
                    return false;
            }
            return true;
        case Op::or_:
            for (const auto &a : args) {
                if (a.matches(rank, hostname, properties))
                    return true;
            }
            return false;
        case Op::not_:
            for (const auto &a : args) {
                if (a.matches(rank, hostname, properties))
                    return false;
            }
            return true;
    }
    return false;
}

std::string describe(const Request &r)
{
    std::string s = count_of(r.nslots, "slot") + " of " + slot_shape(r);
    if (r.nnodes > 0)
        s += " on " + count_of(r.nnodes, "node");
    if (r.exclusive)
        s += ", exclusive";
    return s;
}

/* ------------------------------------------------------------------ Ids */

void Pool::Ids::init(const IdSet &set)
{
    ids = set.to_vector();
    base = ids.empty() ? 0 : ids.front();
    dense = ids.empty() || ids.back() - ids.front() + 1 == ids.size();
    free_bits.assign((ids.size() + 63) / 64, ~uint64_t(0));
    if (ids.size() % 64 != 0)
        free_bits.back() = (uint64_t(1) << (ids.size() % 64)) - 1;
    nfree = ids.size();
}

long Pool::Ids::index_of(uint32_t id) const
{
    if (dense) {
        if (id < base || id - base >= ids.size())
            return -1;
        return static_cast<long>(id - base);
    }
    auto it = std::lower_bound(ids.begin(), ids.end(), id);
    if (it == ids.end() || *it != id)
        return -1;
    return static_cast<long>(it - ids.begin());
}

void Pool::Ids::take(size_t n, IdSet &out)
{
    nfree -= n;
    for (size_t w = 0; n > 0 && w < free_bits.size(); w++) {
        uint64_t bits = free_bits[w];
        while (bits != 0 && n > 0) {
            out.insert(ids[w * 64 + static_cast<size_t>(__builtin_ctzll(bits))]);
            bits &= bits - 1; // clear the lowest set bit
            n--;
        }
        free_bits[w] = bits;
    }
}

void Pool::Ids::take_at(size_t i)
{
    free_bits[i / 64] &= ~(uint64_t(1) << (i % 64));
    nfree--;
}

void Pool::Ids::give(size_t i)
{
    free_bits[i / 64] |= uint64_t(1) << (i % 64);
    nfree++;
}

IdSet Pool::Ids::select(bool free) const
{
    IdSet out;
    for (size_t i = 0; i < ids.size(); i++) {
        if (is_free(i) == free)
            out.insert(ids[i]);
    }
    return out;
}

/* ---------------------------------------------------------------- Index */

void Pool::Index::resize(size_t n)
{
    bits_.assign((n + 63) / 64, 0);
    summary_.assign((bits_.size() + 63) / 64, 0);
}

void Pool::Index::set(size_t i)
{
    size_t w = i / 64;
    bits_[w] |= uint64_t(1) << (i % 64);
    summary_[w / 64] |= uint64_t(1) << (w % 64);
}

void Pool::Index::clear(size_t i)
{
    size_t w = i / 64;
    bits_[w] &= ~(uint64_t(1) << (i % 64));
    if (bits_[w] == 0)
        summary_[w / 64] &= ~(uint64_t(1) << (w % 64));
}

size_t Pool::Index::next(size_t i) const
{
    size_t w = i / 64;
    if (w >= bits_.size())
        return npos;
    uint64_t m = bits_[w] & (~uint64_t(0) << (i % 64));
    if (m != 0)
        return w * 64 + static_cast<size_t>(__builtin_ctzll(m));
    w++; // first word after the current one with a member
    size_t s = w / 64;
    if (s >= summary_.size())
        return npos;
    uint64_t sm = summary_[s] & (~uint64_t(0) << (w % 64));
    while (sm == 0) {
        if (++s >= summary_.size())
            return npos;
        sm = summary_[s];
    }
    w = s * 64 + static_cast<size_t>(__builtin_ctzll(sm));
    return w * 64 + static_cast<size_t>(__builtin_ctzll(bits_[w]));
}

/* ----------------------------------------------------------------- Pool */

Pool::Pool(Rv1 all) : all_(std::move(all))
{
    nodes_.reserve(all_.nnodes());
    for (const auto &[rank, res] : all_.by_rank()) {
        Node n;
        n.rank = rank;
        n.hostname = res.hostname;
        n.properties.assign(res.properties.begin(), res.properties.end());
        n.cores.init(res.cores());
        n.gpus.init(res.gpus());
        if (n.rank != nodes_.size())
            dense_ranks_ = false;
        free_cores_ += n.cores.size();
        free_gpus_ += n.gpus.size();
        nodes_.push_back(std::move(n));
    }
    candidates_.resize(nodes_.size());
    for (size_t i = 0; i < nodes_.size(); i++)
        update_index(i);
}

long Pool::node_of(uint32_t rank) const
{
    if (dense_ranks_)
        return rank < nodes_.size() ? static_cast<long>(rank) : -1;
    auto it = std::lower_bound(nodes_.begin(), nodes_.end(), rank,
                               [](const Node &n, uint32_t r) { return n.rank < r; });
    if (it == nodes_.end() || it->rank != rank)
        return -1;
    return static_cast<long>(it - nodes_.begin());
}

void Pool::update_index(size_t i)
{
    const Node &n = nodes_[i];
    if (n.up && n.cores.nfree > 0)
        candidates_.set(i);
    else
        candidates_.clear(i);
}

void Pool::set_node_up(size_t i, bool up)
{
    Node &n = nodes_[i];
    if (n.up == up)
        return;
    n.up = up;
    if (up) {
        free_cores_ += n.cores.nfree;
        free_gpus_ += n.gpus.nfree;
    }
    else {
        free_cores_ -= n.cores.nfree;
        free_gpus_ -= n.gpus.nfree;
    }
    update_index(i);
}

void Pool::set_up(const IdSet &ranks)
{
    for (size_t i = 0; i < nodes_.size(); i++)
        set_node_up(i, ranks.contains(nodes_[i].rank));
}

void Pool::mark_down(const IdSet &ranks)
{
    for (size_t i = 0; i < nodes_.size(); i++) {
        if (ranks.contains(nodes_[i].rank))
            set_node_up(i, false);
    }
}

void Pool::mark_up(const IdSet &ranks)
{
    for (size_t i = 0; i < nodes_.size(); i++) {
        if (ranks.contains(nodes_[i].rank))
            set_node_up(i, true);
    }
}

IdSet Pool::up() const
{
    IdSet out;
    for (const Node &n : nodes_) {
        if (n.up)
            out.insert(n.rank);
    }
    return out;
}

/* The part of C that no node satisfies, to name it: the first such term
 * of an AND (or a single property of a properties term), else C. */
std::string Pool::culprit(const Constraint &c) const
{
    auto none = [&](const Constraint &t) {
        for (const Node &n : nodes_) {
            if (t.matches(n.rank, n.hostname, n.properties))
                return false;
        }
        return true;
    };
    if (c.op == Constraint::Op::and_) {
        for (const auto &a : c.args) {
            if (none(a))
                return culprit(a);
        }
    }
    if (c.op == Constraint::Op::properties && c.names.size() > 1) {
        for (const auto &name : c.names) {
            Constraint one;
            one.op = Constraint::Op::properties;
            one.names = {name};
            if (none(one))
                return name;
        }
    }
    return c.describe();
}

Result<void> Pool::feasible(const Request &r) const
{
    if (auto v = validate(r); !v)
        return v;
    size_t neligible = nodes_.size();
    if (r.constraint) {
        neligible = 0;
        for (const Node &n : nodes_)
            neligible += eligible(n, r);
        if (neligible == 0)
            return unsatisfiable("no node satisfies the constraint '" + culprit(*r.constraint)
                                 + "'");
    }
    if (r.nnodes > neligible) {
        return unsatisfiable(count_of(r.nnodes, "node") + " requested, " +
                             std::to_string(neligible) + " available" +
                             (r.constraint ? " with the constraint '" + r.constraint->describe()
                                                 + "'"
                                           : ""));
    }
    uint64_t total_cores = 0, total_gpus = 0, max_cores = 0, max_gpus = 0;
    bool slot_fits = false;
    for (const Node &n : nodes_) {
        if (!eligible(n, r))
            continue;
        total_cores += n.cores.size();
        total_gpus += n.gpus.size();
        max_cores = std::max<uint64_t>(max_cores, n.cores.size());
        max_gpus = std::max<uint64_t>(max_gpus, n.gpus.size());
        if (slots_in(n.cores.size(), n.gpus.size(), r) > 0)
            slot_fits = true;
    }
    uint64_t cores = r.nslots * r.cores_per_slot; // validate(): no overflow
    uint64_t gpus = r.nslots * r.gpus_per_slot;
    if (cores > total_cores) {
        return unsatisfiable(count_of(cores, "core") + " requested, " +
                             std::to_string(total_cores) + " available");
    }
    if (gpus > total_gpus) {
        return unsatisfiable(count_of(gpus, "gpu") + " requested, " + std::to_string(total_gpus) +
                             " available");
    }
    if (!slot_fits) {
        std::string what = "a slot of " + slot_shape(r) + " does not fit on any node";
        if (r.cores_per_slot > max_cores)
            what += " (largest has " + std::to_string(max_cores) + ")";
        else if (r.gpus_per_slot > max_gpus)
            what += " (largest has " + std::to_string(max_gpus) + ")";
        return unsatisfiable(what);
    }
    if (r.nnodes == 0) {
        uint64_t fit = 0;
        for (const Node &n : nodes_) {
            if (!eligible(n, r))
                continue;
            fit += slots_in(n.cores.size(), n.gpus.size(), r);
            if (fit >= r.nslots)
                return {};
        }
        return unsatisfiable(count_of(r.nslots, "slot") + " of " + slot_shape(r) +
                             " requested, at most " + std::to_string(fit) + " fit");
    }
    uint64_t per_node = r.nslots / r.nnodes;
    uint64_t extra = r.nslots % r.nnodes; // nodes that take per_node + 1
    uint64_t fit_base = 0, fit_extra = 0;
    for (const Node &n : nodes_) {
        if (!eligible(n, r))
            continue;
        uint64_t cap = slots_in(n.cores.size(), n.gpus.size(), r);
        if (cap >= per_node)
            fit_base++;
        if (cap >= per_node + 1)
            fit_extra++;
    }
    if (fit_base < r.nnodes) {
        return unsatisfiable(count_of(r.nnodes, "node") + " with " + count_of(per_node, "slot") +
                             " of " + slot_shape(r) + " requested, " + std::to_string(fit_base) +
                             " available");
    }
    if (fit_extra < extra) {
        return unsatisfiable(count_of(extra, "node") + " with " + count_of(per_node + 1, "slot") +
                             " of " + slot_shape(r) + " requested, " + std::to_string(fit_extra) +
                             " available");
    }
    return {};
}

/* Slots of r that node n can take now. */
uint64_t Pool::capacity(const Node &n, const Request &r) const
{
    if (!n.up || !eligible(n, r))
        return 0;
    if (r.exclusive) {
        if (!n.cores.all_free() || !n.gpus.all_free())
            return 0;
        return slots_in(n.cores.size(), n.gpus.size(), r);
    }
    return slots_in(n.cores.nfree, n.gpus.nfree, r);
}

/* nnodes == 0: pack slots onto ranks in ascending order. */
bool Pool::select_slots(const Request &r)
{
    uint64_t left = r.nslots;
    for (size_t i = candidates_.next(0); i != Index::npos && left > 0;
         i = candidates_.next(i + 1)) {
        uint64_t cap = capacity(nodes_[i], r);
        if (cap == 0)
            continue;
        uint64_t n = std::min(cap, left);
        picks_.push_back(Pick{i, n});
        left -= n;
    }
    return left == 0;
}

/* nnodes > 0: the lowest nnodes ranks that can take their share.  Ranks
 * able to take per_node + 1 slots take them while some remain to place;
 * any rank able to take per_node takes per_node while base shares remain.
 * This finds a choice whenever one exists among the free ranks.
 */
bool Pool::select_nodes(const Request &r)
{
    uint64_t per_node = r.nslots / r.nnodes;
    uint64_t need_extra = r.nslots % r.nnodes;
    uint64_t need_base = r.nnodes - need_extra;
    for (size_t i = candidates_.next(0); i != Index::npos && (need_extra > 0 || need_base > 0);
         i = candidates_.next(i + 1)) {
        uint64_t cap = capacity(nodes_[i], r);
        if (need_extra > 0 && cap >= per_node + 1) {
            picks_.push_back(Pick{i, per_node + 1});
            need_extra--;
        }
        else if (need_base > 0 && cap >= per_node) {
            picks_.push_back(Pick{i, per_node});
            need_base--;
        }
    }
    return need_extra == 0 && need_base == 0;
}

Rv1 Pool::commit(const Request &r)
{
    Rv1 out;
    std::map<std::string, IdSet> props;
    for (const Pick &p : picks_) {
        Node &n = nodes_[p.node];
        size_t ncores = r.exclusive ? n.cores.nfree : p.slots * r.cores_per_slot;
        size_t ngpus = r.exclusive ? n.gpus.nfree : p.slots * r.gpus_per_slot;
        IdSet cores, gpus;
        n.cores.take(ncores, cores);
        n.gpus.take(ngpus, gpus);
        free_cores_ -= ncores;
        free_gpus_ -= ngpus;
        allocated_cores_ += ncores;
        allocated_gpus_ += ngpus;
        update_index(p.node);
        out.add_rank(n.rank, n.hostname, cores, gpus);
        for (const std::string &name : n.properties)
            props[name].insert(n.rank);
    }
    for (const auto &[name, ranks] : props) {
        /* names and ranks come from all_, which validated them */
        (void)out.add_property(name, ranks);
    }
    return out;
}

Result<Rv1> Pool::alloc(const Request &r)
{
    if (auto v = validate(r); !v)
        return v.error();
    picks_.clear();
    bool ok = r.nnodes > 0 ? select_nodes(r) : select_slots(r);
    if (!ok) {
        picks_.clear();
        if (auto f = feasible(r); !f)
            return f.error();
        return make_error(ENOSPC, "not enough free resources now for " + describe(r));
    }
    Rv1 out = commit(r);
    picks_.clear();
    return out;
}

/* Every core and gpu of ALLOC is in the pool and allocated (or, with
 * WANT_FREE, free); the error names the first that is not. */
Result<void> Pool::check(const Rv1 &alloc, bool want_free, const char *what) const
{
    const std::string op = what;
    for (const auto &[rank, res] : alloc.by_rank()) {
        long i = node_of(rank);
        if (i < 0)
            return make_error(EINVAL, op + ": rank " + std::to_string(rank) + " is not in the pool");
        const Node &n = nodes_[static_cast<size_t>(i)];
        for (const auto &[type, ids] : res.children) {
            const Ids *have = type == "core" ? &n.cores : type == "gpu" ? &n.gpus : nullptr;
            if (!have) {
                return make_error(EINVAL, op + ": rank " + std::to_string(rank) + ": " + type +
                                              " resources are not allocated by this pool");
            }
            std::string where = " of rank " + std::to_string(rank);
            if (ids.count() > have->size()) {
                return make_error(EINVAL, op + ": " + std::to_string(ids.count()) + " " + type +
                                              "s" + where + " given, the pool has " +
                                              std::to_string(have->size()));
            }
            std::string error;
            ids.for_each([&](uint32_t id) {
                if (!error.empty())
                    return;
                long k = have->index_of(id);
                if (k < 0)
                    error = type + " " + std::to_string(id) + where + " is not in the pool";
                else if (have->is_free(static_cast<size_t>(k)) != want_free)
                    error = type + " " + std::to_string(id) + where
                            + (want_free ? " is already allocated" : " is not allocated");
            });
            if (!error.empty())
                return make_error(EINVAL, op + ": " + error);
        }
    }
    return {};
}

/* Mark every core and gpu of ALLOC allocated (TAKE) or free (checked). */
void Pool::mark(const Rv1 &alloc, bool take)
{
    for (const auto &[rank, res] : alloc.by_rank()) {
        size_t i = static_cast<size_t>(node_of(rank));
        Node &n = nodes_[i];
        size_t ncores = 0, ngpus = 0;
        auto flip = [take](Ids &ids, uint32_t id) {
            size_t k = static_cast<size_t>(ids.index_of(id));
            if (take)
                ids.take_at(k);
            else
                ids.give(k);
        };
        res.cores().for_each([&](uint32_t id) {
            flip(n.cores, id);
            ncores++;
        });
        res.gpus().for_each([&](uint32_t id) {
            flip(n.gpus, id);
            ngpus++;
        });
        long dc = take ? (long)ncores : -(long)ncores, dg = take ? (long)ngpus : -(long)ngpus;
        allocated_cores_ = (size_t)((long)allocated_cores_ + dc);
        allocated_gpus_ = (size_t)((long)allocated_gpus_ + dg);
        if (n.up) {
            free_cores_ = (size_t)((long)free_cores_ - dc);
            free_gpus_ = (size_t)((long)free_gpus_ - dg);
        }
        update_index(i);
    }
}

Result<void> Pool::claim(const Rv1 &alloc)
{
    if (auto r = check(alloc, true, "claim"); !r)
        return r;
    mark(alloc, true);
    return {};
}

Result<void> Pool::free(const Rv1 &alloc)
{
    /* Validate everything first: no partial change on error. */
    if (auto r = check(alloc, false, "free"); !r)
        return r;
    mark(alloc, false);
    return {};
}

template <typename Pred> Rv1 Pool::build(Pred pred, bool free) const
{
    Rv1 out;
    std::map<std::string, IdSet> props;
    for (const Node &n : nodes_) {
        if (!pred(n))
            continue;
        IdSet cores = n.cores.select(free);
        IdSet gpus = n.gpus.select(free);
        if (cores.empty() && gpus.empty())
            continue;
        out.add_rank(n.rank, n.hostname, cores, gpus);
        for (const std::string &name : n.properties)
            props[name].insert(n.rank);
    }
    for (const auto &[name, ranks] : props)
        (void)out.add_property(name, ranks);
    return out;
}

Rv1 Pool::available() const
{
    return build([](const Node &n) { return n.up; }, true);
}

Rv1 Pool::allocated() const
{
    return build([](const Node &) { return true; }, false);
}

} // namespace flux::sched
