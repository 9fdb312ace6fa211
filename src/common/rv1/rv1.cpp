/* rv1/rv1.cpp - resource sets in the R version 1 format (RFC 20).
 *
 * Decoding expands every R_lite entry into one RankResources per rank and
 * maps execution.nodelist onto the ranks in ascending order; encoding folds
 * ranks with identical children back into shared R_lite entries.  The set
 * operations walk the two rank maps in step.
 */
#include "rv1/rv1.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <utility>

namespace flux {

namespace {

Error fail(std::string text)
{
    return make_error(EINVAL, std::move(text));
}

std::string quoted(std::string_view s)
{
    return "'" + std::string(s) + "'";
}

/* "rank 3" or "ranks 3-4,7" */
std::string ranks_phrase(const IdSet &ids)
{
    return (ids.count() == 1 ? "rank " : "ranks ") + ids.encode();
}

/* RFC 20: property names MUST NOT contain ! & ' " ^ ` | ( ) */
bool valid_property_name(std::string_view name)
{
    if (name.empty())
        return false;
    return name.find_first_of("!&'\"^`|()") == std::string_view::npos;
}

/* A host name that Hostlist can write so that it parses back unchanged. */
bool plain_hostname(std::string_view name)
{
    return !name.empty() && name.find_first_of("[], \t\r\n\f\v") == std::string_view::npos;
}

const IdSet empty_idset;

/* Intersection / difference of two children maps, dropping empty types. */
std::map<std::string, IdSet> children_intersect(const std::map<std::string, IdSet> &a,
                                                const std::map<std::string, IdSet> &b)
{
    std::map<std::string, IdSet> out;
    for (const auto &[type, ids] : a) {
        auto it = b.find(type);
        if (it == b.end())
            continue;
        IdSet both = ids.intersect(it->second);
        if (!both.empty())
            out.emplace(type, std::move(both));
    }
    return out;
}

std::map<std::string, IdSet> children_diff(const std::map<std::string, IdSet> &a,
                                           const std::map<std::string, IdSet> &b)
{
    std::map<std::string, IdSet> out;
    for (const auto &[type, ids] : a) {
        auto it = b.find(type);
        IdSet left = it == b.end() ? ids : ids.difference(it->second);
        if (!left.empty())
            out.emplace(type, std::move(left));
    }
    return out;
}

/* Add v to an object / array, taking over the reference; false on failure. */
bool set_new(json_t *obj, const char *key, json_t *v)
{
    return v && json_object_set_new(obj, key, v) == 0;
}

bool append_new(json_t *array, json_t *v)
{
    return v && json_array_append_new(array, v) == 0;
}

/* jansson refused a value: out of memory, or a string not valid UTF-8 */
Error encode_failed()
{
    return make_error(ENOMEM, "R: JSON encoding failed");
}

/* Decode one "name": "idset" pair; the error names path. */
Result<IdSet> decode_idset(const json_t *value, const std::string &path)
{
    if (!json_is_string(value))
        return fail(path + ": expected an idset string");
    std::string err;
    auto ids =
        IdSet::parse(std::string_view(json_string_value(value), json_string_length(value)), &err);
    if (!ids)
        return fail(path + ": " + err);
    return std::move(*ids);
}

Result<double> decode_time(const json_t *execution, const char *key)
{
    const json_t *v = json_object_get(execution, key);
    if (!v)
        return 0.0;
    std::string path = std::string("execution.") + key;
    if (!json_is_number(v))
        return fail(path + ": expected a number");
    double t = json_number_value(v);
    if (!std::isfinite(t) || t < 0)
        return fail(path + ": must not be negative");
    return t;
}

/* jansson's iteration API takes non-const objects, though it reads only. */
json_t *mutable_json(const json_t *o)
{
    return const_cast<json_t *>(o);
}

} // namespace

const IdSet &RankResources::child(const std::string &type) const
{
    auto it = children.find(type);
    return it == children.end() ? empty_idset : it->second;
}

void RankResources::set_child(const std::string &type, const IdSet &ids)
{
    if (ids.empty())
        children.erase(type);
    else
        children[type] = ids;
}

Rv1::Rv1(const Rv1 &other)
    : starttime(other.starttime), expiration(other.expiration), ranks_(other.ranks_),
      scheduling_(json_incref(other.scheduling_.get()))
{
}

Rv1 &Rv1::operator=(const Rv1 &other)
{
    if (this != &other) {
        starttime = other.starttime;
        expiration = other.expiration;
        ranks_ = other.ranks_;
        scheduling_.reset(json_incref(other.scheduling_.get()));
    }
    return *this;
}

bool Rv1::operator==(const Rv1 &other) const
{
    if (starttime != other.starttime || expiration != other.expiration || ranks_ != other.ranks_)
        return false;
    if (!scheduling_ || !other.scheduling_)
        return !scheduling_ && !other.scheduling_;
    return json_equal(scheduling_.get(), other.scheduling_.get()) != 0;
}

Result<Rv1> Rv1::decode(std::string_view json)
{
    json_error_t error;
    JsonPtr o(json_loadb(json.data(), json.size(), 0, &error));
    if (!o)
        return fail(std::string("R: invalid JSON: ") + error.text);
    return decode(o.get());
}

Result<Rv1> Rv1::decode(const json_t *o)
{
    if (!json_is_object(o))
        return fail("R: expected a JSON object");

    const json_t *version = json_object_get(o, "version");
    if (!version)
        return fail("R: version is missing");
    if (!json_is_integer(version))
        return fail("R: version must be an integer");
    if (json_integer_value(version) != 1) {
        return fail("R: version " + std::to_string(json_integer_value(version)) +
                    " is not supported");
    }

    Rv1 r;
    const json_t *scheduling = json_object_get(o, "scheduling");
    if (scheduling && !json_is_null(scheduling))
        r.set_scheduling(mutable_json(scheduling));

    /* RFC 20: valid with execution, scheduling or both. */
    const json_t *execution = json_object_get(o, "execution");
    if (!execution) {
        if (!r.scheduling_)
            return fail("R: execution is missing");
        return r;
    }
    if (!json_is_object(execution))
        return fail("execution: expected an object");

    /* R_lite: one RankResources per rank. */
    const json_t *r_lite = json_object_get(execution, "R_lite");
    if (!r_lite)
        return fail("execution.R_lite is missing");
    if (!json_is_array(r_lite))
        return fail("execution.R_lite: expected an array");

    IdSet seen;
    size_t nranks = 0;
    for (size_t i = 0; i < json_array_size(r_lite); i++) {
        const json_t *entry = json_array_get(r_lite, i);
        std::string path = "execution.R_lite[" + std::to_string(i) + "]";
        if (!json_is_object(entry))
            return fail(path + ": expected an object");

        const json_t *rank = json_object_get(entry, "rank");
        if (!rank)
            return fail(path + ".rank is missing");
        auto ids = decode_idset(rank, path + ".rank");
        if (!ids)
            return ids.error();
        if (ids->empty())
            return fail(path + ".rank: empty idset");
        if (ids->count() > max_ranks - nranks)
            return fail(path + ".rank: R would hold more than " + std::to_string(max_ranks) +
                        " ranks");
        IdSet dup = seen.intersect(*ids);
        if (!dup.empty())
            return fail(path + ".rank: duplicate " + ranks_phrase(dup));
        seen.insert(*ids);
        nranks += ids->count();

        const json_t *children = json_object_get(entry, "children");
        if (!children)
            return fail(path + ".children is missing");
        if (!json_is_object(children))
            return fail(path + ".children: expected an object");
        if (!json_object_get(children, "core"))
            return fail(path + ".children.core is missing");
        std::map<std::string, IdSet> kids;
        const char *type;
        json_t *value;
        json_object_foreach(mutable_json(children), type, value)
        {
            if (*type == '\0')
                return fail(path + ".children: empty resource type name");
            auto child = decode_idset(value, path + ".children." + type);
            if (!child)
                return child.error();
            if (!child->empty())
                kids.emplace(type, std::move(*child));
        }

        ids->for_each([&](uint32_t id) {
            RankResources &res = r.ranks_[id];
            res.rank = id;
            res.children = kids;
        });
    }

    /* nodelist: hosts in ascending rank order. */
    const json_t *nodelist = json_object_get(execution, "nodelist");
    if (nodelist) {
        if (!json_is_array(nodelist))
            return fail("execution.nodelist: expected an array");
        Hostlist hosts;
        for (size_t i = 0; i < json_array_size(nodelist); i++) {
            const json_t *s = json_array_get(nodelist, i);
            std::string path = "execution.nodelist[" + std::to_string(i) + "]";
            if (!json_is_string(s))
                return fail(path + ": expected a hostlist string");
            std::string err;
            auto hl = Hostlist::parse(std::string_view(json_string_value(s), json_string_length(s)),
                                      &err);
            if (!hl)
                return fail(path + ": " + err);
            if (hosts.count() + hl->count() > max_ranks) {
                return fail("execution.nodelist: more than " + std::to_string(max_ranks) +
                            " hosts");
            }
            for (const auto &h : hl->hosts())
                hosts.append(h);
        }
        if (hosts.count() != r.ranks_.size()) {
            return fail("execution.nodelist: " + std::to_string(hosts.count()) + " hosts for " +
                        std::to_string(r.ranks_.size()) + " ranks");
        }
        size_t i = 0;
        for (auto &[id, res] : r.ranks_)
            res.hostname = hosts.at(i++);
    }

    /* properties: name -> ranks. */
    const json_t *properties = json_object_get(execution, "properties");
    if (properties) {
        if (!json_is_object(properties))
            return fail("execution.properties: expected an object");
        const char *name;
        json_t *value;
        json_object_foreach(mutable_json(properties), name, value)
        {
            if (!valid_property_name(name))
                return fail("execution.properties: invalid property name " + quoted(name));
            std::string path = std::string("execution.properties.") + name;
            auto ids = decode_idset(value, path);
            if (!ids)
                return ids.error();
            IdSet missing = ids->difference(seen);
            if (!missing.empty()) {
                return fail(path + ": " + ranks_phrase(missing) +
                            (missing.count() == 1 ? " is" : " are") + " not in R_lite");
            }
            ids->for_each([&](uint32_t id) { r.ranks_[id].properties.insert(name); });
        }
    }

    auto start = decode_time(execution, "starttime");
    if (!start)
        return start.error();
    auto end = decode_time(execution, "expiration");
    if (!end)
        return end.error();
    if (*start != 0 && *end != 0 && *end <= *start)
        return fail("execution.expiration: must be greater than starttime");
    r.starttime = *start;
    r.expiration = *end;
    return r;
}

Result<JsonPtr> Rv1::build_json() const
{
    if (!std::isfinite(starttime) || starttime < 0)
        return fail("R: starttime must not be negative");
    if (!std::isfinite(expiration) || expiration < 0)
        return fail("R: expiration must not be negative");
    if (starttime != 0 && expiration != 0 && expiration <= starttime)
        return fail("R: expiration must be greater than starttime");

    /* All ranks or none must have a hostname. */
    size_t named = 0;
    for (const auto &[id, res] : ranks_) {
        if (!res.hostname.empty()) {
            if (!plain_hostname(res.hostname)) {
                return fail("R: rank " + std::to_string(id) + " hostname " + quoted(res.hostname) +
                            " cannot be written in a hostlist");
            }
            named++;
        }
    }
    if (named != 0 && named != ranks_.size()) {
        for (const auto &[id, res] : ranks_) {
            if (res.hostname.empty())
                return fail("R: rank " + std::to_string(id) + " has no hostname");
        }
    }

    /* Group ranks with identical children, in order of their first rank. */
    struct Entry {
        IdSet ranks;
        const std::map<std::string, IdSet> *children;
    };
    std::vector<Entry> entries;
    std::map<std::string, size_t> index; // children signature -> entry
    for (const auto &[id, res] : ranks_) {
        std::string key;
        for (const auto &[type, ids] : res.children) {
            key += type;
            key += '\0';
            key += ids.encode();
            key += '\0';
        }
        auto [it, added] = index.try_emplace(key, entries.size());
        if (added)
            entries.push_back(Entry{IdSet{}, &res.children});
        entries[it->second].ranks.insert(id);
    }

    JsonPtr r_lite(json_array());
    if (!r_lite)
        return encode_failed();
    for (const auto &e : entries) {
        /* core is always written (RFC 20 requires it), other types if held */
        auto core = e.children->find("core");
        std::string core_ids = core == e.children->end() ? "" : core->second.encode();
        JsonPtr children(json_object());
        if (!children || !set_new(children.get(), "core", json_string(core_ids.c_str())))
            return encode_failed();
        for (const auto &[type, ids] : *e.children) {
            if (type != "core" &&
                !set_new(children.get(), type.c_str(), json_string(ids.encode().c_str())))
                return encode_failed();
        }
        JsonPtr entry(json_object());
        if (!entry || !set_new(entry.get(), "rank", json_string(e.ranks.encode().c_str())) ||
            !set_new(entry.get(), "children", children.release()) ||
            !append_new(r_lite.get(), entry.release()))
            return encode_failed();
    }

    JsonPtr execution(json_object());
    if (!execution || !set_new(execution.get(), "R_lite", r_lite.release()) ||
        !set_new(execution.get(), "starttime", json_real(starttime)) ||
        !set_new(execution.get(), "expiration", json_real(expiration)))
        return encode_failed();

    if (named == ranks_.size()) {
        JsonPtr nodes(json_array());
        if (!nodes)
            return encode_failed();
        if (!ranks_.empty()) {
            if (!append_new(nodes.get(), json_string(nodelist().encode().c_str())))
                return encode_failed();
        }
        if (!set_new(execution.get(), "nodelist", nodes.release()))
            return encode_failed();
    }

    auto props = properties();
    if (!props.empty()) {
        JsonPtr obj(json_object());
        if (!obj)
            return encode_failed();
        for (const auto &[name, ids] : props) {
            if (!set_new(obj.get(), name.c_str(), json_string(ids.encode().c_str())))
                return encode_failed();
        }
        if (!set_new(execution.get(), "properties", obj.release()))
            return encode_failed();
    }

    JsonPtr o(json_object());
    if (!o || !set_new(o.get(), "version", json_integer(1)) ||
        !set_new(o.get(), "execution", execution.release()))
        return encode_failed();
    if (scheduling_ && json_object_set(o.get(), "scheduling", scheduling_.get()) != 0)
        return encode_failed();
    return o;
}

Result<std::string> Rv1::encode() const
{
    auto o = build_json();
    if (!o)
        return o.error();
    char *s = json_dumps(o->get(), JSON_COMPACT);
    if (!s)
        return encode_failed();
    std::string out(s);
    free(s);
    return out;
}

JsonPtr Rv1::encode_json() const
{
    auto o = build_json();
    if (!o)
        return nullptr;
    return std::move(*o);
}

void Rv1::add_rank(uint32_t rank,
                   const std::string &hostname,
                   const IdSet &cores,
                   const IdSet &gpus)
{
    RankResources &res = ranks_[rank];
    res.rank = rank;
    res.hostname = hostname;
    res.set_child("core", cores);
    res.set_child("gpu", gpus);
}

bool Rv1::set_child(uint32_t rank, const std::string &type, const IdSet &ids)
{
    auto it = ranks_.find(rank);
    if (it == ranks_.end())
        return false;
    it->second.set_child(type, ids);
    return true;
}

Result<void> Rv1::add_property(const std::string &name, const IdSet &ranks)
{
    if (!valid_property_name(name))
        return fail("R: invalid property name " + quoted(name));
    IdSet missing = ranks.difference(this->ranks());
    if (!missing.empty()) {
        return fail("R: property " + quoted(name) + ": " + ranks_phrase(missing) +
                    (missing.count() == 1 ? " is" : " are") + " not in R");
    }
    ranks.for_each([&](uint32_t id) { ranks_[id].properties.insert(name); });
    return {};
}

void Rv1::set_scheduling(json_t *o)
{
    scheduling_.reset(json_incref(o));
}

IdSet Rv1::ranks() const
{
    IdSet ids;
    for (const auto &[id, res] : ranks_)
        ids.insert(id);
    return ids;
}

size_t Rv1::count(const std::string &type) const
{
    size_t n = 0;
    for (const auto &[id, res] : ranks_)
        n += res.child(type).count();
    return n;
}

const RankResources *Rv1::find(uint32_t rank) const
{
    auto it = ranks_.find(rank);
    return it == ranks_.end() ? nullptr : &it->second;
}

std::vector<std::string> Rv1::hostnames() const
{
    std::vector<std::string> out;
    out.reserve(ranks_.size());
    for (const auto &[id, res] : ranks_)
        out.push_back(res.hostname);
    return out;
}

Hostlist Rv1::nodelist() const
{
    Hostlist hl;
    for (const auto &[id, res] : ranks_)
        hl.append(res.hostname);
    return hl;
}

IdSet Rv1::ranks_of(const Hostlist &hosts) const
{
    std::set<std::string_view> wanted(hosts.hosts().begin(), hosts.hosts().end());
    IdSet ids;
    for (const auto &[id, res] : ranks_) {
        if (wanted.count(res.hostname))
            ids.insert(id);
    }
    return ids;
}

std::map<std::string, IdSet> Rv1::properties() const
{
    std::map<std::string, IdSet> out;
    for (const auto &[id, res] : ranks_) {
        for (const auto &name : res.properties)
            out[name].insert(id);
    }
    return out;
}

IdSet Rv1::ranks_with_property(const std::string &name) const
{
    IdSet ids;
    for (const auto &[id, res] : ranks_) {
        if (res.properties.count(name))
            ids.insert(id);
    }
    return ids;
}

Rv1 Rv1::derived() const
{
    Rv1 r;
    r.starttime = starttime;
    r.expiration = expiration;
    return r;
}

Rv1 Rv1::intersect(const Rv1 &other) const
{
    Rv1 r = derived();
    for (const auto &[id, res] : ranks_) {
        const RankResources *o = other.find(id);
        if (!o)
            continue;
        auto kids = children_intersect(res.children, o->children);
        if (kids.empty() && !(res.no_children() && o->no_children()))
            continue;
        RankResources out = res;
        out.children = std::move(kids);
        r.ranks_.emplace_hint(r.ranks_.end(), id, std::move(out));
    }
    return r;
}

Rv1 Rv1::diff(const Rv1 &other) const
{
    Rv1 r = derived();
    for (const auto &[id, res] : ranks_) {
        const RankResources *o = other.find(id);
        if (!o) {
            r.ranks_.emplace_hint(r.ranks_.end(), id, res);
            continue;
        }
        auto kids = children_diff(res.children, o->children);
        if (kids.empty())
            continue;
        RankResources out = res;
        out.children = std::move(kids);
        r.ranks_.emplace_hint(r.ranks_.end(), id, std::move(out));
    }
    return r;
}

Result<Rv1> Rv1::union_with(const Rv1 &other) const
{
    Rv1 r = derived();
    if (r.starttime == 0)
        r.starttime = other.starttime;
    if (r.expiration == 0)
        r.expiration = other.expiration;
    r.ranks_ = ranks_;
    for (const auto &[id, o] : other.ranks_) {
        auto [it, added] = r.ranks_.try_emplace(id, o);
        if (added)
            continue;
        RankResources &res = it->second;
        if (res.hostname.empty())
            res.hostname = o.hostname;
        else if (!o.hostname.empty() && o.hostname != res.hostname) {
            return fail("R: rank " + std::to_string(id) + " is " + quoted(res.hostname) +
                        " in one set and " + quoted(o.hostname) + " in the other");
        }
        for (const auto &[type, ids] : o.children)
            res.children[type].insert(ids);
        res.properties.insert(o.properties.begin(), o.properties.end());
    }
    return r;
}

bool Rv1::contains(const Rv1 &other) const
{
    for (const auto &[id, o] : other.ranks_) {
        const RankResources *res = find(id);
        if (!res)
            return false;
        if (!res->hostname.empty() && !o.hostname.empty() && res->hostname != o.hostname)
            return false;
        for (const auto &[type, ids] : o.children) {
            if (!ids.difference(res->child(type)).empty())
                return false;
        }
    }
    return true;
}

Rv1 Rv1::copy_ranks(const IdSet &ranks) const
{
    Rv1 r = derived();
    for (const auto &[id, res] : ranks_) {
        if (ranks.contains(id))
            r.ranks_.emplace_hint(r.ranks_.end(), id, res);
    }
    return r;
}

Rv1 Rv1::remove_ranks(const IdSet &ranks) const
{
    Rv1 r = derived();
    for (const auto &[id, res] : ranks_) {
        if (!ranks.contains(id))
            r.ranks_.emplace_hint(r.ranks_.end(), id, res);
    }
    return r;
}

} // namespace flux
