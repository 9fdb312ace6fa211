/* match.cpp - planner, request compiler, constraints, policies, matcher.
 * See match.h. */
#include "match.h"

#include <algorithm>
#include <deque>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>

#include "hostlist/hostlist.h"

namespace flux::graph {

namespace {

Error bad(const std::string &s)
{
    return make_error(EINVAL, s);
}

} // namespace

/* Constraints --------------------------------------------------------------*/

bool Constraint::eval(const Graph &g, int32_t host) const
{
    switch (kind) {
    case all:
        for (const auto &c : sub)
            if (!c.eval(g, host))
                return false;
        return true;
    case any:
        for (const auto &c : sub)
            if (c.eval(g, host))
                return true;
        return false;
    case none:
        for (const auto &c : sub)
            if (c.eval(g, host))
                return false;
        return true;
    case properties:
        for (const auto &p : props) {
            bool neg = p[0] == '^';
            bool has = g.has_property(host, neg ? std::string_view(p).substr(1) : p);
            if (has == neg)
                return false;
        }
        return true;
    case hostlist:
        return hosts.count(g.name(host)) > 0;
    case ranks:
        return g[host].rank >= 0 && rankset.contains((uint32_t)g[host].rank);
    }
    return false;
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
    switch (kind) {
    case properties:
        return join(props, ",");
    case hostlist:
        return "host:" + join(texts, ",");
    case ranks:
        return "rank:" + join(texts, ",");
    case all:
    case any:
    case none:
        for (const auto &c : sub)
            parts.push_back(c.describe());
        if (kind == none)
            return parts.size() == 1 && sub[0].sub.empty() ? "-" + parts[0]
                                                           : "not (" + join(parts, " & ") + ")";
        return parts.size() == 1 ? parts[0]
                                 : "(" + join(parts, kind == all ? " & " : " | ") + ")";
    }
    return "";
}

std::string constraint_culprit(const Constraint &c, const Graph &g)
{
    auto none = [&](const Constraint &t) {
        for (int32_t h : g.hosts()) {
            if (h >= 0 && t.eval(g, h))
                return false;
        }
        return true;
    };
    if (!none(c))
        return "";
    if (c.kind == Constraint::all) {
        for (const auto &a : c.sub) {
            if (none(a))
                return constraint_culprit(a, g);
        }
    }
    if (c.kind == Constraint::properties && c.props.size() > 1) {
        for (const auto &p : c.props) {
            Constraint one;
            one.kind = Constraint::properties;
            one.props = {p};
            if (none(one))
                return p;
        }
    }
    return c.describe();
}

Result<Constraint> constraint_parse(const json_t *o)
{
    if (!json_is_object(o))
        return bad("constraints: expected an object");
    Constraint c;
    c.kind = Constraint::all;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)o, key, val)
    {
        std::string k = key;
        if (!json_is_array(val))
            return bad("constraints: " + k + ": expected an array");
        Constraint s;
        size_t i;
        json_t *e;
        if (k == "and" || k == "or" || k == "not") {
            s.kind = k == "and" ? Constraint::all : k == "or" ? Constraint::any : Constraint::none;
            json_array_foreach(val, i, e)
            {
                auto sub = constraint_parse(e);
                if (!sub)
                    return sub.error();
                s.sub.push_back(std::move(*sub));
            }
        }
        else if (k == "properties") {
            s.kind = Constraint::properties;
            json_array_foreach(val, i, e)
            {
                if (!json_is_string(e) || !*json_string_value(e)
                    || !strcmp(json_string_value(e), "^"))
                    return bad("constraints: properties: expected property names");
                s.props.push_back(json_string_value(e));
            }
        }
        else if (k == "hostlist") {
            s.kind = Constraint::hostlist;
            json_array_foreach(val, i, e)
            {
                std::string err;
                auto hl = json_is_string(e) ? Hostlist::parse(json_string_value(e), &err)
                                            : std::nullopt;
                if (!hl)
                    return bad("constraints: hostlist: '"
                               + std::string(json_is_string(e) ? json_string_value(e) : "?")
                               + "': " + (err.empty() ? "expected a hostlist" : err));
                for (size_t j = 0; j < hl->count(); j++)
                    s.hosts.insert(hl->at(j));
                s.texts.push_back(json_string_value(e));
            }
        }
        else if (k == "ranks") {
            s.kind = Constraint::ranks;
            json_array_foreach(val, i, e)
            {
                std::string err;
                auto ids = json_is_string(e) ? IdSet::parse(json_string_value(e), &err)
                                             : std::nullopt;
                if (!ids)
                    return bad("constraints: ranks: expected idsets of ranks");
                s.rankset.insert(*ids);
                s.texts.push_back(json_string_value(e));
            }
        }
        else
            return bad("constraints: unknown operator '" + k + "'");
        c.sub.push_back(std::move(s));
    }
    if (c.sub.size() == 1)
        return std::move(c.sub[0]);
    return c;
}

/* Requests -----------------------------------------------------------------*/

uint64_t count_fit(const ReqNode &r, uint64_t got)
{
    uint64_t hi = std::min(got, r.max);
    if (hi < r.min)
        return 0;
    if (r.min == r.max)
        return r.min;
    uint64_t v = r.min;
    switch (r.op) {
    case '+':
        return r.min + ((hi - r.min) / std::max<uint64_t>(r.operand, 1)) * r.operand;
    case '*':
        if (r.operand < 2)
            return hi;
        while (v <= hi / r.operand)
            v *= r.operand;
        return v;
    case '^': {
        if (r.operand < 2 || v < 2)
            return v;
        while (true) {
            long double next = powl((long double)v, (long double)r.operand);
            if (next > (long double)hi)
                return v;
            v = (uint64_t)next;
        }
    }
    }
    return r.min;
}

namespace {

std::string describe(const std::vector<ReqNode> &list)
{
    std::string s;
    for (size_t i = 0; i < list.size(); i++) {
        const ReqNode &r = list[i];
        if (i)
            s += ",";
        s += r.type + "[" + std::to_string(r.min);
        if (r.max != r.min)
            s += r.max == count_unlimited ? "+" : "-" + std::to_string(r.max);
        s += "]";
        if (!r.with.empty()) {
            std::string w = describe(r.with);
            s += "->" + (r.with.size() > 1 ? "(" + w + ")" : w);
        }
    }
    return s;
}

void add_need(std::vector<std::pair<uint16_t, int64_t>> &need, uint16_t t, int64_t n)
{
    for (auto &[tt, nn] : need) {
        if (tt == t) {
            nn = nn + n < nn ? INT64_MAX : nn + n;
            return;
        }
    }
    need.push_back({t, n});
}

int64_t mul_sat(int64_t a, uint64_t b)
{
    if (b && (uint64_t)a > (uint64_t)INT64_MAX / b)
        return INT64_MAX;
    return (int64_t)(a * (int64_t)b);
}

Result<ReqNode> compile_node(const Resource &res, const Graph &g, bool in_slot,
                             const std::string &where)
{
    ReqNode r;
    r.type = res.type;
    r.slot = res.type == "slot";
    r.min = res.count.min;
    r.max = res.count.max;
    r.op = res.count.op;
    r.operand = res.count.operand;
    r.exclusive = res.exclusive;
    r.exclusive_set = res.exclusive_set;
    if (!res.count.idset.empty()) { /* an idset of acceptable counts: take its bounds */
        r.op = '+';
        r.operand = 1;
    }
    if (!r.slot) {
        r.type_idx = g.type_index(res.type);
        if (r.type_idx >= 0) {
            const std::string &gu = g.type_unit((uint16_t)r.type_idx);
            r.pool = !gu.empty();
            if (!res.unit.empty() || r.pool) {
                int64_t ru = unit_bytes(res.unit), gb = unit_bytes(gu);
                if (ru == 0)
                    return bad(where + ".unit: unknown unit '" + res.unit + "'");
                if (!gu.empty() && gb == 0)
                    return bad(where + ": the graph counts " + res.type + " in '" + gu
                               + "', which cannot be converted");
                /* Counts given without a unit are in the graph's unit. */
                if (!res.unit.empty() && gb > 0 && ru != gb) {
                    auto conv = [&](uint64_t c) -> uint64_t {
                        if (c == count_unlimited)
                            return c;
                        long double x = (long double)c * (long double)ru / (long double)gb;
                        return (uint64_t)std::ceil(x);
                    };
                    r.min = conv(r.min);
                    r.max = conv(r.max);
                }
                r.pool = true;
            }
        }
    }
    bool slot_here = in_slot || r.slot;
    for (size_t i = 0; i < res.with.size(); i++) {
        auto c = compile_node(res.with[i], g, slot_here, where + ".with[" + std::to_string(i) + "]");
        if (!c)
            return c.error();
        r.with.push_back(std::move(*c));
    }
    /* What one instance of r needs at least (itself and its contents). */
    if (!r.slot && r.type_idx >= 0 && !r.pool)
        add_need(r.need, (uint16_t)r.type_idx, 1);
    for (const ReqNode &c : r.with) {
        for (auto [t, n] : c.need)
            add_need(r.need, t, c.pool ? n : mul_sat(n, c.min));
        if (c.pool && c.type_idx >= 0)
            add_need(r.need, (uint16_t)c.type_idx, (int64_t)std::min<uint64_t>(c.min, INT64_MAX));
        if (c.holds_hosts || (c.type_idx >= 0 && g.is_host_type((uint16_t)c.type_idx)))
            r.holds_hosts = true;
        for (const ReqNode &cc : c.with)
            if (cc.type_idx >= 0 && g.is_host_type((uint16_t)cc.type_idx))
                r.holds_hosts = true;
    }
    return r;
}

} // namespace

Result<Request> request_compile(const Jobspec &js, const Graph &g, const json_t *extra)
{
    Request q;
    q.duration = js.duration;
    for (size_t i = 0; i < js.resources.size(); i++) {
        auto r = compile_node(js.resources[i], g, false, "resources[" + std::to_string(i) + "]");
        if (!r)
            return r.error();
        q.top.push_back(std::move(*r));
    }
    for (const ReqNode &r : q.top) {
        for (auto [t, n] : r.need)
            add_need(q.need, t, r.pool ? n : mul_sat(n, r.min));
        if (r.pool && r.type_idx >= 0)
            add_need(q.need, (uint16_t)r.type_idx, (int64_t)r.min);
    }
    q.text = describe(q.top);
    const json_t *cons = js.constraints.get();
    if (cons && json_object_size(cons) > 0) {
        auto c = constraint_parse(cons);
        if (!c)
            return c.error();
        q.constraint = std::move(*c);
    }
    if (extra) {
        auto c = constraint_parse(extra);
        if (!c)
            return c.error();
        if (q.constraint) {
            Constraint both;
            both.kind = Constraint::all;
            both.sub.push_back(std::move(*q.constraint));
            both.sub.push_back(std::move(*c));
            q.constraint = std::move(both);
        }
        else
            q.constraint = std::move(*c);
    }
    return q;
}

/* Planner ------------------------------------------------------------------*/

Planner::Planner(Graph &g) : g_(g), T_(std::max<size_t>(g.ntypes(), 1))
{
    size_t n = g.size();
    total_.assign(n * T_, 0);
    tent_.assign(n, 0);
    spans_.resize(n);
    for (size_t i = n; i-- > 0;) {
        const Vertex &x = g[(int32_t)i];
        total_[i * T_ + x.type] += x.size;
        if (x.parent >= 0)
            for (size_t t = 0; t < T_; t++)
                total_[(size_t)x.parent * T_ + t] += total_[i * T_ + t];
    }
    free_ = total_;
    delta_.resize(T_);
    /* Down vertices from the graph (JGF status): ancestors do not count them. */
    for (size_t i = 0; i < n; i++) {
        const Vertex &x = g[(int32_t)i];
        if (x.status != Status::up && x.parent >= 0)
            for (size_t t = 0; t < T_; t++)
                if (int64_t d = free_[i * T_ + t])
                    adjust(x.parent, (uint16_t)t, -d);
    }
}

void Planner::adjust(int32_t v, uint16_t t, int64_t delta)
{
    for (int32_t x = v; x >= 0; x = g_[x].parent) {
        free_[(size_t)x * T_ + t] += delta;
        if (g_[x].status != Status::up)
            break;
    }
}

bool Planner::set_status(uint32_t rank, Status s)
{
    int32_t h = g_.host_of(rank);
    if (h < 0)
        return false;
    Vertex &x = g_.at(h);
    bool was_up = x.status == Status::up, now_up = s == Status::up;
    x.status = s;
    if (was_up != now_up && x.parent >= 0) {
        for (size_t t = 0; t < T_; t++)
            if (int64_t d = free_[(size_t)h * T_ + t])
                adjust(x.parent, (uint16_t)t, now_up ? d : -d);
    }
    return true;
}

Result<void> Planner::add(uint64_t job, Alloc a)
{
    if (jobs_.count(job))
        return make_error(EEXIST, "job " + std::to_string(job) + " already holds resources");
    if (a.running) {
        for (auto [v, amt] : a.items) {
            int64_t used = 0;
            for (const Span &s : spans_[v])
                if (s.running)
                    used += s.amount;
            if (used + amt > g_[v].size)
                return make_error(EBUSY, g_.path(v) + " is already allocated");
        }
    }
    for (auto [v, amt] : a.items) {
        spans_[v].push_back(Span{a.start, a.end, amt, job, a.running});
        if (a.running)
            adjust(v, g_[v].type, -amt);
    }
    note_use(a, 1);
    jobs_.emplace(job, std::move(a));
    return {};
}

void Planner::note_use(const Alloc &a, int sign)
{
    for (auto [v, amt] : a.items) {
        auto &d = delta_[g_[v].type];
        for (auto [at, by] : {std::pair{a.start, amt}, std::pair{a.end, -amt}}) {
            if (at >= forever)
                continue;
            auto it = d.emplace(at, 0).first;
            if ((it->second += sign * by) == 0)
                d.erase(it);
        }
    }
}

std::vector<std::pair<double, int64_t>> Planner::usage(uint16_t t) const
{
    std::vector<std::pair<double, int64_t>> out;
    if (t >= delta_.size())
        return out;
    out.reserve(delta_[t].size());
    int64_t level = 0;
    for (auto [at, by] : delta_[t]) {
        level += by;
        out.emplace_back(at, level);
    }
    return out;
}

Result<void> Planner::release_ranks(uint64_t job, const IdSet &ranks)
{
    auto it = jobs_.find(job);
    if (it == jobs_.end())
        return make_error(ENOENT, "job " + std::to_string(job) + " holds nothing");
    Alloc rest = it->second;
    std::erase_if(rest.items, [&](const std::pair<int32_t, int64_t> &item) {
        int64_t r = g_[item.first].rank;
        return r >= 0 && r <= (int64_t)UINT32_MAX && ranks.contains((uint32_t)r);
    });
    if (rest.items.size() == it->second.items.size())
        return {};
    (void)remove(job);
    return add(job, std::move(rest)); /* a subset of what it held: cannot fail */
}

Result<void> Planner::remove(uint64_t job)
{
    auto it = jobs_.find(job);
    if (it == jobs_.end())
        return make_error(ENOENT, "job " + std::to_string(job) + " holds nothing");
    for (auto [v, amt] : it->second.items) {
        auto &sp = spans_[v];
        for (size_t i = 0; i < sp.size(); i++) {
            if (sp[i].job == job) {
                sp[i] = sp.back();
                sp.pop_back();
                break;
            }
        }
        if (it->second.running)
            adjust(v, g_[v].type, amt);
    }
    note_use(it->second, -1);
    jobs_.erase(it);
    return {};
}

const Alloc *Planner::find(uint64_t job) const
{
    auto it = jobs_.find(job);
    return it == jobs_.end() ? nullptr : &it->second;
}

void Planner::clear_reservations()
{
    std::vector<uint64_t> r;
    for (const auto &[id, a] : jobs_)
        if (!a.running)
            r.push_back(id);
    for (uint64_t id : r)
        (void)remove(id);
}

std::vector<double> Planner::ends_after(double t) const
{
    std::vector<double> v;
    for (const auto &[id, a] : jobs_)
        if (a.end > t && a.end < forever)
            v.push_back(a.end);
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}

size_t Planner::memory_bytes() const
{
    return (total_.capacity() + free_.capacity() + tent_.capacity()) * sizeof(int64_t)
           + spans_.capacity() * sizeof(std::vector<Span>);
}

/* Policies -----------------------------------------------------------------*/

namespace {

void children_of(const Graph &g, int32_t v, std::vector<int32_t> &out)
{
    out.clear();
    for (int32_t c = v + 1; c < g[v].end; c = g[c].end)
        out.push_back(c);
}

class FirstPolicy : public Policy {
  public:
    explicit FirstPolicy(const char *n) : n_(n) {}
    const char *name() const override { return n_; }
    bool order(const Planner &, int32_t, uint16_t, int64_t, std::vector<int32_t> &) const override
    {
        return false;
    }

  private:
    const char *n_;
};

class HighPolicy : public Policy {
  public:
    const char *name() const override { return "high"; }
    bool order(const Planner &p, int32_t v, uint16_t, int64_t, std::vector<int32_t> &out) const override
    {
        children_of(p.graph(), v, out);
        std::reverse(out.begin(), out.end());
        return true;
    }
};

/* lonode/hinode: hosts by rank (ascending/descending), low ids elsewhere. */
class NodePolicy : public Policy {
  public:
    explicit NodePolicy(bool high) : high_(high) {}
    const char *name() const override { return high_ ? "hinode" : "lonode"; }
    bool order(const Planner &p, int32_t v, uint16_t, int64_t, std::vector<int32_t> &out) const override
    {
        const Graph &g = p.graph();
        if (g[v].rank >= 0)
            return false;
        children_of(g, v, out);
        /* Subtrees above the hosts go by their lowest/highest rank. */
        auto key = [&](int32_t c) {
            if (g[c].rank >= 0)
                return (int64_t)g[c].rank;
            int64_t k = high_ ? -1 : INT64_MAX;
            for (int32_t x = c; x < g[c].end; x++) {
                if (g[x].rank >= 0) {
                    k = high_ ? std::max(k, (int64_t)g[x].rank) : std::min(k, (int64_t)g[x].rank);
                    x = g[x].end - 1;
                }
            }
            return k;
        };
        std::vector<std::pair<int64_t, int32_t>> keyed;
        for (int32_t c : out)
            keyed.push_back({key(c), c});
        if (high_)
            std::sort(keyed.begin(), keyed.end(), std::greater<>());
        else
            std::sort(keyed.begin(), keyed.end());
        for (size_t i = 0; i < out.size(); i++)
            out[i] = keyed[i].second;
        return true;
    }

  private:
    bool high_;
};

/* locality: pack into the smallest enclosing subtree.  Among the children
 * that can hold everything still needed, the one with the least free of the
 * type (best fit) first; then the others, fullest-first (fewest subtrees).
 * variation: spread, the child with the most free first. */
class LocalityPolicy : public Policy {
  public:
    explicit LocalityPolicy(bool spread) : spread_(spread) {}
    const char *name() const override { return spread_ ? "variation" : "locality"; }
    bool order(const Planner &p, int32_t v, uint16_t type, int64_t need,
               std::vector<int32_t> &out) const override
    {
        const Graph &g = p.graph();
        children_of(g, v, out);
        if (out.size() < 2)
            return true;
        std::vector<std::tuple<int, int64_t, int32_t>> keyed;
        keyed.reserve(out.size());
        std::vector<std::tuple<int64_t, double, int32_t>> spread;
        for (int32_t c : out) {
            int64_t f = p.free_now(c, type);
            if (spread_)
                spread.push_back({-f, -free_fraction(p, c), c});
            else if (f >= need)
                keyed.push_back({0, f, c});
            else
                keyed.push_back({1, -f, c});
        }
        if (spread_) {
            std::sort(spread.begin(), spread.end());
            for (size_t i = 0; i < out.size(); i++)
                out[i] = std::get<2>(spread[i]);
            return true;
        }
        std::sort(keyed.begin(), keyed.end());
        for (size_t i = 0; i < out.size(); i++)
            out[i] = std::get<2>(keyed[i]);
        return true;
    }

  private:
    bool spread_;

    /* How empty subtree C is: the mean free fraction of the types below
     * its top (cores, gpus, memory...).  It breaks ties of the asked type,
     * which for a node request is one free node each however loaded. */
    static double free_fraction(const Planner &p, int32_t c)
    {
        const Graph &g = p.graph();
        double sum = 0;
        int n = 0;
        for (uint16_t t = 0; t < g.ntypes(); t++) {
            int64_t tot = p.total(c, t);
            if (tot <= 0 || t == g[c].type)
                continue;
            sum += (double)p.free_now(c, t) / (double)tot;
            n++;
        }
        return n ? sum / n : 0;
    }
};

} // namespace

std::unique_ptr<Policy> policy_create(const std::string &name)
{
    if (name == "first")
        return std::make_unique<FirstPolicy>("first");
    if (name == "low")
        return std::make_unique<FirstPolicy>("low");
    if (name == "high")
        return std::make_unique<HighPolicy>();
    if (name == "lonode")
        return std::make_unique<NodePolicy>(false);
    if (name == "hinode")
        return std::make_unique<NodePolicy>(true);
    if (name == "locality")
        return std::make_unique<LocalityPolicy>(false);
    if (name == "variation")
        return std::make_unique<LocalityPolicy>(true);
    return nullptr;
}

const char *policy_names()
{
    return "first, low, high, lonode, hinode, locality, variation";
}

Result<Op> op_parse(const std::string &s)
{
    if (s == "allocate")
        return Op::allocate;
    if (s == "allocate_orelse_reserve")
        return Op::allocate_orelse_reserve;
    if (s == "satisfiability")
        return Op::satisfiability;
    return bad("unknown match operation '" + s
               + "' (expected allocate, allocate_orelse_reserve or satisfiability)");
}

/* Matcher ------------------------------------------------------------------*/

namespace {

constexpr uint16_t no_type = UINT16_MAX;

class Matcher {
  public:
    Matcher(Planner &p, const Policy &pol, const Request &req, bool sat, double now, double t0)
        : P(p), G(p.graph()), pol(pol), req(req), sat(sat), now(now), t0(t0),
          t1(req.duration > 0 ? t0 + req.duration : forever), at_now(!sat && t0 <= now),
          tent(p.tent())
    {
    }

    bool run()
    {
        for (const ReqNode &r : req.top) {
            bool ok;
            if (r.slot)
                ok = match_slots(-1, r);
            else
                ok = match_req(-1, r, false);
            if (!ok)
                return false;
        }
        return true;
    }

    /* Undo everything (the planner records the result, see match()). */
    std::vector<std::pair<int32_t, int64_t>> take_journal()
    {
        std::map<int32_t, int64_t> merged;
        for (auto [v, a] : journal)
            merged[v] += a;
        rollback(0);
        return {merged.begin(), merged.end()};
    }
    void reset() { rollback(0); }

    /* For the error message: the outermost request that came up short. */
    const ReqNode *short_req = nullptr;
    uint64_t short_got = 0;
    std::string inner_type;
    uint64_t inner_need = 0, inner_got = 0;

  private:
    Planner &P;
    const Graph &G;
    const Policy &pol;
    const Request &req;
    bool sat;
    double now, t0, t1;
    bool at_now;
    std::vector<int64_t> &tent;
    std::vector<std::pair<int32_t, int64_t>> journal;
    std::vector<std::vector<int32_t>> scratch;
    /* Satisfiability on a big graph: a host that cannot hold a request
     * settles it for every host of the same shape (Graph::host_shape)
     * that nothing in this match has touched yet, so a request too big
     * for any node costs one host's walk per shape, not one per host. */
    std::vector<int32_t> touched; /* by rank, takes in the journal */
    std::vector<std::pair<const ReqNode *, uint64_t>> short_shapes;

    bool untouched(int32_t host) const
    {
        size_t r = (size_t)G[host].rank;
        return r >= touched.size() || touched[r] == 0;
    }
    bool known_short(const ReqNode *r, uint64_t shape) const
    {
        for (const auto &[q, s] : short_shapes)
            if (q == r && s == shape)
                return true;
        return false;
    }
    void remember_short(const ReqNode *r, uint64_t shape)
    {
        if (short_shapes.size() < 256)
            short_shapes.emplace_back(r, shape);
    }

    bool usable(int32_t v) const
    {
        Status s = G[v].status;
        return s == Status::up || (sat && s != Status::excluded);
    }

    int64_t avail(int32_t v) const
    {
        int64_t a = G[v].size - tent[v];
        if (sat)
            return a;
        for (const Span &s : P.spans(v)) {
            double end = s.running ? std::max(s.end, now + 1e-3) : s.end;
            if (s.start < t1 && end > t0)
                a -= s.amount;
        }
        return a;
    }

    /* Upper bound of what the subtree of v still holds of type t. */
    int64_t room(int32_t v, uint16_t t) const
    {
        return at_now ? P.free_now(v, t) : P.total(v, t);
    }

    bool prune_ok(int32_t v, const ReqNode &r)
    {
        for (auto [t, n] : r.need) {
            int64_t have = room(v, t);
            if (have < n) {
                note_inner(G.type_name(t), (uint64_t)n, (uint64_t)have);
                return false;
            }
        }
        return true;
    }

    void note_inner(const std::string &type, uint64_t need, uint64_t got)
    {
        if (inner_type.empty() || got > inner_got) {
            inner_type = type;
            inner_need = need;
            inner_got = got;
        }
    }

    bool constraint_ok(int32_t v) const
    {
        return !req.constraint || !G.is_host(v) || req.constraint->eval(G, v);
    }

    void take(int32_t v, int64_t a)
    {
        journal.push_back({v, a});
        tent[v] += a;
        if (at_now)
            P.adjust(v, G[v].type, -a);
        if (sat && G[v].rank >= 0) {
            if (touched.size() <= (size_t)G[v].rank)
                touched.resize(G.hosts().size(), 0);
            touched[(size_t)G[v].rank]++;
        }
    }

    void rollback(size_t pos)
    {
        while (journal.size() > pos) {
            auto [v, a] = journal.back();
            journal.pop_back();
            tent[v] -= a;
            if (at_now)
                P.adjust(v, G[v].type, a);
            if (sat && G[v].rank >= 0)
                touched[(size_t)G[v].rank]--;
        }
    }

    std::vector<int32_t> &buffer(int32_t v)
    {
        size_t d = v < 0 ? 0 : G[v].depth + 1u;
        if (scratch.size() <= d)
            scratch.resize(d + 1);
        return scratch[d];
    }

    bool subtree_free(int32_t v) const
    {
        if (at_now) {
            for (size_t t = 0; t < P.T(); t++)
                if (P.free_now(v, (uint16_t)t) != P.total(v, (uint16_t)t))
                    return false;
        }
        for (int32_t x = v; x < G[v].end; x++)
            if (avail(x) != G[x].size)
                return false;
        return true;
    }

    /* Visit the candidates of r's type below U (the root itself for U -1),
     * calling TRY on each; stop when TRY returns true. */
    template <typename F> bool visit(int32_t u, uint16_t type, int64_t need, F &&fn, bool hosts)
    {
        if (u < 0) {
            if (!usable(0) || !constraint_ok(0))
                return false;
            if (hosts ? G.is_host(0) : G[0].type == type)
                return fn(0);
            return visit(0, type, need, fn, hosts);
        }
        std::vector<int32_t> &buf = buffer(u);
        bool ordered = pol.order(P, u, type, need, buf);
        size_t n = ordered ? buf.size() : 0;
        /* buf may be reused by a deeper level: copy the order we need. */
        std::vector<int32_t> mine;
        if (ordered)
            mine.assign(buf.begin(), buf.end());
        int32_t c = ordered ? -1 : u + 1;
        for (size_t i = 0;; i++) {
            if (ordered) {
                if (i >= n)
                    break;
                c = mine[i];
            }
            else if (i > 0)
                c = G[c].end;
            if (!ordered && c >= G[u].end)
                break;
            if (!usable(c) || !constraint_ok(c))
                continue;
            bool match = hosts ? G.is_host(c) : G[c].type == type;
            if (match) {
                if (fn(c))
                    return true;
            }
            else if (G[c].end > c + 1 && (hosts ? G[c].rank < 0 : true)
                     && (type == no_type || room(c, type) > 0)) {
                if (visit(c, type, need, fn, hosts))
                    return true;
            }
        }
        return false;
    }

    void note_short(const ReqNode &r, uint64_t got, bool outer)
    {
        if (outer) {
            if (!short_req || got > short_got || short_req != &r) {
                short_req = &r;
                short_got = std::max(got, short_req == &r ? short_got : 0);
            }
        }
        if (!outer && r.type_idx >= 0)
            note_inner(r.type, r.min, got);
    }

    /* Find r.min..r.max vertices of r's type below U. */
    bool match_req(int32_t u, const ReqNode &r, bool in_slot)
    {
        if (r.type_idx < 0)
            return false;
        uint16_t t = (uint16_t)r.type_idx;
        uint64_t want = r.max;
        uint64_t got = 0;
        size_t start = journal.size();
        if (r.pool) {
            int64_t room_here = u < 0 ? room(0, t) : room(u, t);
            if (want == count_unlimited)
                want = (uint64_t)std::max<int64_t>(room_here, 0);
            visit(u, t, (int64_t)want,
                  [&](int32_t c) {
                      int64_t a = std::min<int64_t>(avail(c), (int64_t)(want - got));
                      if (a > 0) {
                          take(c, a);
                          got += (uint64_t)a;
                      }
                      return got >= want;
                  },
                  false);
            if (got < r.min) {
                note_short(r, got, u < 0);
                rollback(start);
                return false;
            }
            return true;
        }
        std::vector<size_t> marks;
        bool excl = r.exclusive_set ? r.exclusive : (in_slot || r.with.empty());
        visit(u, t, (int64_t)std::min<uint64_t>(want, INT64_MAX),
              [&](int32_t c) {
                  const bool memo = sat && G.is_host(c) && untouched(c);
                  const uint64_t shape = memo ? G.host_shape(c) : 0;
                  if (memo && known_short(&r, shape))
                      return false;
                  if (!prune_ok(c, r)) {
                      if (memo)
                          remember_short(&r, shape);
                      return false;
                  }
                  if (excl && !subtree_free(c))
                      return false;
                  size_t cp = journal.size();
                  if (!r.with.empty() && !match_list(c, r.with, in_slot)) {
                      rollback(cp);
                      if (memo)
                          remember_short(&r, shape);
                      return false;
                  }
                  if (excl) {
                      for (int32_t x = c; x < G[c].end; x++)
                          if (int64_t a = avail(x); a > 0)
                              take(x, a);
                  }
                  marks.push_back(cp);
                  got++;
                  return got >= want;
              },
              false);
        uint64_t fit = count_fit(r, got);
        if (fit == 0 || got < r.min) {
            note_short(r, got, u < 0);
            rollback(start);
            return false;
        }
        if (fit < got)
            rollback(marks[fit]);
        return true;
    }

    bool match_list(int32_t u, const std::vector<ReqNode> &list, bool in_slot)
    {
        for (const ReqNode &r : list) {
            bool ok = r.slot ? match_slots(u, r) : match_req(u, r, in_slot);
            if (!ok)
                return false;
        }
        return true;
    }

    /* Slots: each instance of the slot's contents on one host, packed
     * first-fit onto the hosts in policy order; a slot holding hosts
     * (slot[2]->node[1]) is matched below U itself. */
    bool match_slots(int32_t u, const ReqNode &r)
    {
        uint64_t want = r.max, got = 0;
        size_t start = journal.size();
        std::vector<size_t> marks;
        auto fill = [&](int32_t h) {
            while (got < want) {
                if (!prune_ok(h, r))
                    break;
                size_t cp = journal.size();
                if (!match_list(h, r.with, true)) {
                    rollback(cp);
                    break;
                }
                marks.push_back(cp);
                got++;
            }
            return got >= want;
        };
        if (r.holds_hosts) {
            while (got < want) {
                size_t cp = journal.size();
                if (!match_list(u, r.with, true)) {
                    rollback(cp);
                    break;
                }
                marks.push_back(cp);
                got++;
            }
        }
        else if (u >= 0 && G[u].rank >= 0)
            fill(u);
        else {
            uint16_t t = r.need.empty() ? no_type : r.need[0].first;
            visit(u, t, 1, fill, true);
        }
        uint64_t fit = count_fit(r, got);
        if (fit == 0 || got < r.min) {
            note_short(r, got, u < 0);
            rollback(start);
            return false;
        }
        if (fit < got)
            rollback(marks[fit]);
        return true;
    }
};

std::string plural(const std::string &t, uint64_t n)
{
    return n == 1 ? t : t + "s";
}

std::string short_text(const Request &req, const Matcher &m, const Graph &g)
{
    std::function<const ReqNode *(const std::vector<ReqNode> &)> missing =
        [&](const std::vector<ReqNode> &l) -> const ReqNode * {
        for (const ReqNode &r : l) {
            if (!r.slot && r.type_idx < 0)
                return &r;
            if (const ReqNode *x = missing(r.with))
                return x;
        }
        return nullptr;
    };
    if (const ReqNode *x = missing(req.top))
        return "unsatisfiable request: the graph has no resource of type '" + x->type + "'";
    if (req.constraint) {
        std::string c = constraint_culprit(*req.constraint, g);
        if (!c.empty())
            return "unsatisfiable request: no node satisfies the constraint '" + c + "'";
    }
    std::string s = "unsatisfiable request";
    if (m.short_req) {
        const ReqNode &r = *m.short_req;
        s += ": " + std::to_string(r.min) + " " + plural(r.type, r.min) + " requested, at most "
             + std::to_string(m.short_got) + " can be found";
        if (!m.inner_type.empty() && m.inner_type != r.type)
            s += " (each needs " + std::to_string(m.inner_need) + " "
                 + plural(m.inner_type, m.inner_need) + ", at most "
                 + std::to_string(m.inner_got) + " found together)";
    }
    if (req.constraint)
        s += " with the constraint '" + req.constraint->describe() + "'";
    return s + " [" + req.text + "]";
}

} // namespace

Result<MatchResult> match(Planner &p, const Policy &pol, const Request &req, Op op, uint64_t job,
                          double now, bool check_sat)
{
    const Graph &g = p.graph();
    /* Whole-graph totals: the quick answer to "can never fit". */
    for (auto [t, n] : req.need) {
        if (p.total(0, t) >= n)
            continue;
        /* A pool in units: "102400 MB of memory requested, 24105 MB in
         * the graph"; else "5 nodes requested, 4 in the graph". */
        const std::string &unit = g.type_unit(t);
        if (!unit.empty())
            return make_error(EOVERFLOW, "unsatisfiable request: " + std::to_string(n) + " " + unit
                                             + " of " + g.type_name(t) + " requested, "
                                             + std::to_string(p.total(0, t)) + " " + unit
                                             + " in the graph");
        return make_error(EOVERFLOW, "unsatisfiable request: " + std::to_string(n) + " "
                                         + plural(g.type_name(t), (uint64_t)n) + " requested, "
                                         + std::to_string(p.total(0, t)) + " in the graph");
    }
    auto try_at = [&](double t, bool sat) -> std::optional<Alloc> {
        Matcher m(p, pol, req, sat, now, t);
        if (!m.run()) {
            m.reset();
            return std::nullopt;
        }
        Alloc a;
        a.items = m.take_journal();
        a.start = t;
        a.end = req.duration > 0 ? t + req.duration : forever;
        a.running = !sat && t <= now;
        return a;
    };
    if (op == Op::satisfiability) {
        Matcher m(p, pol, req, true, now, now);
        bool ok = m.run();
        std::string why = ok ? "" : short_text(req, m, g);
        m.reset();
        if (!ok)
            return make_error(EOVERFLOW, why);
        MatchResult r;
        r.at = now;
        return r;
    }
    if (auto a = try_at(now, false)) {
        MatchResult r;
        r.at = now;
        r.alloc = std::move(*a);
        if (auto ok = p.add(job, r.alloc); !ok)
            return ok.error();
        return r;
    }
    /* Not now: is it possible at all? */
    if (check_sat) {
        Matcher m(p, pol, req, true, now, now);
        bool ok = m.run();
        std::string why = ok ? "" : short_text(req, m, g);
        m.reset();
        if (!ok)
            return make_error(EOVERFLOW, why);
    }
    if (op == Op::allocate)
        return make_error(ENOSPC, "not enough free resources now for " + req.text);
    /* The earliest time it fits: when some allocation ends.  A time at
     * which the whole graph's use of a needed type, anywhere in the job's
     * window, leaves too little is skipped without a walk (both window
     * ends only move forward: one sweep per type). */
    struct Sweep {
        uint16_t type;
        int64_t room; /* total - need: the most the others may use */
        std::vector<std::pair<double, int64_t>> pts;
        size_t lo = 0, hi = 0; /* pts[lo] is the last point <= t; hi: next to take in */
        std::deque<size_t> best; /* indices, levels decreasing */
    };
    std::vector<Sweep> sweeps;
    for (auto [t, n] : req.need)
        sweeps.push_back(Sweep{t, p.total(0, t) - n, p.usage(t), 0, 0, {}});
    auto aggregate_ok = [&](double t0) {
        double t1 = req.duration > 0 ? t0 + req.duration : forever;
        for (Sweep &w : sweeps) {
            const auto &pts = w.pts;
            while (w.hi < pts.size() && pts[w.hi].first < t1) {
                while (!w.best.empty() && pts[w.best.back()].second <= pts[w.hi].second)
                    w.best.pop_back();
                w.best.push_back(w.hi++);
            }
            /* The level at t0 is that of the last point <= t0. */
            while (w.lo + 1 < pts.size() && pts[w.lo + 1].first <= t0)
                w.lo++;
            while (!w.best.empty() && w.best.front() < w.lo)
                w.best.pop_front();
            int64_t most = w.best.empty() ? 0 : pts[w.best.front()].second;
            if (!pts.empty() && pts[0].first > t0)
                most = std::max<int64_t>(most, 0);
            if (most > w.room)
                return false;
        }
        return true;
    };
    for (double t : p.ends_after(now)) {
        if (!aggregate_ok(t))
            continue;
        if (auto a = try_at(t, false)) {
            MatchResult r;
            r.reserved = true;
            r.at = t;
            r.alloc = std::move(*a);
            if (auto ok = p.add(job, r.alloc); !ok)
                return ok.error();
            return r;
        }
    }
    return make_error(EBUSY, "no time found at which " + req.text
                                 + " fits (jobs without a duration hold resources forever)");
}

/* R ------------------------------------------------------------------------*/

namespace {

struct AllocParts {
    std::vector<int32_t> subset;
    std::vector<int64_t> amounts;
    double start, end;
    explicit AllocParts(const Alloc &a)
        : start(a.start > 0 ? a.start : 0), end(a.end < forever ? a.end : 0)
    {
        subset.reserve(a.items.size());
        amounts.reserve(a.items.size());
        for (auto [v, amt] : a.items) {
            subset.push_back(v);
            amounts.push_back(amt);
        }
    }
};

} // namespace

Result<std::string> alloc_to_R_text(const Graph &g, const Alloc &a)
{
    AllocParts p(a);
    return g.R_text(&p.subset, &p.amounts, p.start, p.end);
}

Result<JsonPtr> alloc_to_R(const Graph &g, const Alloc &a)
{
    AllocParts p(a);
    return g.to_R(&p.subset, &p.amounts, p.start, p.end);
}

Result<Alloc> alloc_from_R(const Graph &g, const json_t *Rj)
{
    auto R = Rv1::decode(Rj);
    if (!R)
        return bad("R: " + R.error().text);
    Alloc a;
    a.running = true;
    a.start = R->starttime;
    a.end = R->expiration > 0 ? R->expiration : forever;
    int core_t = g.type_index("core"), gpu_t = g.type_index("gpu");
    for (const auto &[rank, rr] : R->by_rank()) {
        if (g.host_of(rank) < 0)
            return bad("R: rank " + std::to_string(rank) + " is not in the graph");
        for (auto [tname, t] : {std::pair<const char *, int>{"core", core_t}, {"gpu", gpu_t}}) {
            const IdSet &ids = rr.child(tname);
            if (ids.empty())
                continue;
            if (t < 0)
                return bad(std::string("R: the graph has no ") + tname);
            std::string err;
            ids.for_each([&](uint32_t id) {
                int32_t v = g.find_in_host(rank, (uint16_t)t, id);
                if (v < 0 && err.empty())
                    err = std::string("R: ") + tname + " " + std::to_string(id) + " of rank "
                          + std::to_string(rank) + " is not in the graph";
                if (v >= 0)
                    a.items.push_back({v, 1});
            });
            if (!err.empty())
                return bad(err);
        }
    }
    /* Pool amounts (memory) are only in the JGF. */
    const json_t *nodes = json_object_get(json_object_get(R->scheduling(), "graph"), "nodes");
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        const char *type = nullptr;
        json_int_t id = -1, rank = -1, size = 0;
        if (json_unpack(json_object_get(n, "metadata"), "{s:s s:I s:I s:I}", "type", &type, "id",
                        &id, "rank", &rank, "size", &size)
            < 0)
            continue;
        int t = g.type_index(type);
        if (t < 0 || g.type_unit((uint16_t)t).empty() || rank < 0)
            continue;
        int32_t v = g.find_in_host((uint32_t)rank, (uint16_t)t, id);
        if (v >= 0 && size > 0)
            a.items.push_back({v, size});
    }
    return a;
}

} // namespace flux::graph
