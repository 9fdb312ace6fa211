/* jobspec/jobspec.cpp - parse, validate and encode Flux jobspec.
 *
 * RFC 14 (canonical jobspec) structure validation, RFC 25 (jobspec V1)
 * conformance and shape derivation, RFC 26 dependency and RFC 31
 * constraint outer shape, canonical JSON encoding, and construction of a V1
 * jobspec from `flux submit`-style options.
 *
 * The validator works on jansson objects.  Text input (JSON or YAML,
 * jobspec_parse) lives in jobspec_yaml.cpp, the only file that uses
 * yaml-cpp: a program that gets its jobspec as a JSON object (the job
 * shell) links this file without yaml-cpp.  Validation errors name the
 * offending path, e.g. "resources[0].with[1].count: must be >= 1".
 * std::bad_alloc is caught at the API boundary.
 */
#include "jobspec/jobspec.h"
#include "jobspec/jobspec_internal.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <initializer_list>
#include <new>
#include <set>
#include <utility>

namespace flux {

namespace {

using jobspec_internal::guard;
using jobspec_internal::max_yaml_depth;
constexpr int max_resource_depth = 64;

/* ---------------------------------------------------------------- errors */

Error invalid(const std::string &path, const std::string &msg)
{
    if (path.empty())
        return make_error(EINVAL, msg);
    return make_error(EINVAL, path + ": " + msg);
}

Error too_deep()
{
    return make_error(EINVAL, "jobspec nesting too deep (limit " + std::to_string(max_yaml_depth) +
                                  ")");
}

Error nomem()
{
    return make_error(ENOMEM, "out of memory");
}

std::string key_path(const std::string &path, std::string_view key)
{
    if (path.empty())
        return std::string(key);
    std::string s = path;
    s += '.';
    s += key;
    return s;
}

std::string index_path(const std::string &path, size_t i)
{
    return path + "[" + std::to_string(i) + "]";
}

/* ---------------------------------------------------------- char classes */

bool all_of_class(std::string_view s, bool (*pred)(char))
{
    return !s.empty() && std::all_of(s.begin(), s.end(), pred);
}

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ------------------------------------------------------------ idset count */

bool parse_decimal(std::string_view s, uint64_t &out)
{
    if (!all_of_class(s, is_digit))
        return false;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && ptr == s.data() + s.size();
}

/* RFC 22 idset ("2,4,8-16", optionally bracketed): lowest and highest id. */
bool parse_idset(std::string_view s, uint64_t &lo, uint64_t &hi)
{
    if (s.size() >= 2 && s.front() == '[' && s.back() == ']')
        s = s.substr(1, s.size() - 2);
    if (s.empty())
        return false;
    lo = UINT64_MAX;
    hi = 0;
    for (;;) {
        size_t comma = s.find(',');
        std::string_view elem = s.substr(0, comma);
        size_t dash = elem.find('-');
        uint64_t a = 0, b = 0;
        if (dash == std::string_view::npos) {
            if (!parse_decimal(elem, a))
                return false;
            b = a;
        }
        else if (!parse_decimal(elem.substr(0, dash), a) ||
                 !parse_decimal(elem.substr(dash + 1), b) || a > b) {
            return false;
        }
        lo = std::min(lo, a);
        hi = std::max(hi, b);
        if (comma == std::string_view::npos)
            break;
        s.remove_prefix(comma + 1);
    }
    return true;
}

/* ------------------------------------------------------ canonical (RFC 14) */

Result<void>
check_keys(json_t *o, const std::string &path, std::initializer_list<std::string_view> allowed)
{
    for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
        std::string_view key = json_object_iter_key(it);
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
            return invalid(path, "unknown key '" + std::string(key) + "'");
    }
    return {};
}

bool is_nonempty_string(json_t *v)
{
    return json_is_string(v) && json_string_length(v) > 0;
}

std::string string_of(json_t *v)
{
    return std::string(json_string_value(v), json_string_length(v));
}

/* An integer >= 1: "must be an integer" / "must be >= 1". */
Result<void> get_positive(json_t *v, const std::string &path, uint64_t &out)
{
    if (!json_is_integer(v))
        return invalid(path, "must be an integer");
    if (json_integer_value(v) < 1)
        return invalid(path, "must be >= 1");
    out = uint64_t(json_integer_value(v));
    return {};
}

Result<void> check_string(json_t *parent, const char *key, const std::string &path)
{
    json_t *v = json_object_get(parent, key);
    if (v && !json_is_string(v))
        return invalid(key_path(path, key), "must be a string");
    return {};
}

Result<void> check_object(json_t *parent, const char *key, const std::string &path)
{
    json_t *v = json_object_get(parent, key);
    if (v && !json_is_object(v))
        return invalid(key_path(path, key), "must be an object");
    return {};
}

Result<void> check_nonneg_number(json_t *parent, const char *key, const std::string &path)
{
    json_t *v = json_object_get(parent, key);
    if (v && (!json_is_number(v) || !(json_number_value(v) >= 0) ||
              !std::isfinite(json_number_value(v))))
        return invalid(key_path(path, key), "must be a number >= 0");
    return {};
}

/* Environment dictionary: values are strings, or null to unset (RFC 14). */
Result<void> check_environment(json_t *parent, const std::string &path)
{
    json_t *env = json_object_get(parent, "environment");
    if (!env)
        return {};
    std::string env_path = key_path(path, "environment");
    if (!json_is_object(env))
        return invalid(env_path, "must be an object");
    for (void *it = json_object_iter(env); it; it = json_object_iter_next(env, it)) {
        json_t *value = json_object_iter_value(it);
        if (!json_is_string(value) && !json_is_null(value))
            return invalid(key_path(env_path, json_object_iter_key(it)),
                           "must be a string or null");
    }
    return {};
}

/* A fixed count of 0 asks for none of that resource (e.g. gpu: 0), as in
 * flux-core; node, slot and core counts, and every range or idset, start
 * at 1. */
Result<void> parse_count(json_t *v, const std::string &path, bool allow_zero, Count &out)
{
    out = Count{};
    if (json_is_integer(v)) {
        if (allow_zero && json_integer_value(v) < 0)
            return invalid(path, "must be >= 0");
        if (!allow_zero && json_integer_value(v) < 1)
            return invalid(path, "must be >= 1");
        out.min = out.max = uint64_t(json_integer_value(v));
        return {};
    }
    if (json_is_string(v)) {
        std::string text = string_of(v);
        uint64_t lo = 0, hi = 0;
        if (!parse_idset(text, lo, hi))
            return invalid(path, "invalid idset '" + text + "'");
        if (lo < 1)
            return invalid(path, "must be >= 1");
        out.min = lo;
        out.max = hi;
        out.is_range = true;
        out.idset = text;
        return {};
    }
    if (!json_is_object(v))
        return invalid(path, "must be an integer, an idset string or a range object");
    if (auto r = check_keys(v, path, {"min", "max", "operator", "operand"}); !r)
        return r;
    out.is_range = true;
    json_t *min = json_object_get(v, "min");
    if (!min)
        return invalid(path, "missing required key 'min'");
    if (auto r = get_positive(min, key_path(path, "min"), out.min); !r)
        return r;
    out.max = count_unlimited;
    if (json_t *max = json_object_get(v, "max")) {
        if (!json_is_integer(max))
            return invalid(key_path(path, "max"), "must be an integer");
        if (json_integer_value(max) < 0 || uint64_t(json_integer_value(max)) < out.min)
            return invalid(key_path(path, "max"), "must be >= min");
        out.max = uint64_t(json_integer_value(max));
    }
    if (json_t *op = json_object_get(v, "operator")) {
        std::string s = json_is_string(op) ? string_of(op) : std::string();
        if (s != "+" && s != "*" && s != "^")
            return invalid(key_path(path, "operator"), "must be one of '+', '*', '^'");
        out.op = s[0];
    }
    json_t *operand = json_object_get(v, "operand");
    if (operand) {
        if (auto r = get_positive(operand, key_path(path, "operand"), out.operand); !r)
            return r;
    }
    if (out.op != '+') {
        std::string op(1, out.op);
        if (!operand)
            return invalid(path, "operator '" + op + "' requires an operand");
        if (out.operand < 2)
            return invalid(key_path(path, "operand"), "must be >= 2 with operator '" + op + "'");
        if (out.op == '^' && out.min < 2)
            return invalid(key_path(path, "min"), "must be >= 2 with operator '^'");
    }
    return {};
}

const Resource *find_slot(const std::vector<Resource> &resources, const std::string &label)
{
    for (const auto &r : resources) {
        if (r.type == "slot" && r.label == label)
            return &r;
        if (const Resource *found = find_slot(r.with, label))
            return found;
    }
    return nullptr;
}

bool contains_type(const std::vector<Resource> &resources, const std::string &type)
{
    for (const auto &r : resources) {
        if (r.type == type || contains_type(r.with, type))
            return true;
    }
    return false;
}

class CanonicalParser {
  public:
    Result<Jobspec> parse(json_t *root)
    {
        if (!json_is_object(root))
            return make_error(EINVAL, "jobspec must be an object");
        if (auto r = check_keys(root, "", {"version", "resources", "tasks", "attributes"}); !r)
            return r.error();
        Jobspec js;

        json_t *version = json_object_get(root, "version");
        if (!version)
            return invalid("", "missing required key 'version'");
        if (!json_is_integer(version) || json_integer_value(version) != 1)
            return invalid("version", "must be 1");
        js.version = 1;

        json_t *resources = json_object_get(root, "resources");
        if (!resources)
            return invalid("", "missing required key 'resources'");
        if (!json_is_array(resources) || json_array_size(resources) == 0)
            return invalid("resources", "must be a non-empty list");
        for (size_t i = 0; i < json_array_size(resources); i++) {
            auto r = parse_resource(json_array_get(resources, i), index_path("resources", i), 0,
                                    js.resources.emplace_back());
            if (!r)
                return r.error();
        }

        json_t *tasks = json_object_get(root, "tasks");
        if (!tasks)
            return invalid("", "missing required key 'tasks'");
        if (!json_is_array(tasks) || json_array_size(tasks) == 0)
            return invalid("tasks", "must be a non-empty list");
        for (size_t i = 0; i < json_array_size(tasks); i++) {
            auto r = parse_task(json_array_get(tasks, i), index_path("tasks", i), js.resources,
                                js.tasks.emplace_back());
            if (!r)
                return r.error();
        }

        json_t *attributes = json_object_get(root, "attributes");
        if (!attributes)
            return invalid("", "missing required key 'attributes'");
        if (auto r = parse_attributes(attributes, js); !r)
            return r.error();
        return js;
    }

  private:
    std::set<std::string> labels_;

    Result<void> parse_resource(json_t *o, const std::string &path, int depth, Resource &res)
    {
        if (depth > max_resource_depth)
            return invalid(path, "resources nested too deeply");
        if (!json_is_object(o))
            return invalid(path, "must be an object");
        if (auto r =
                check_keys(o, path, {"type", "count", "unit", "exclusive", "with", "label", "id"});
            !r)
            return r;

        json_t *type = json_object_get(o, "type");
        if (!type)
            return invalid(path, "missing required key 'type'");
        if (!is_nonempty_string(type))
            return invalid(key_path(path, "type"), "must be a non-empty string");
        res.type = string_of(type);

        json_t *count = json_object_get(o, "count");
        if (!count)
            return invalid(path, "missing required key 'count'");
        bool allow_zero = res.type != "node" && res.type != "slot" && res.type != "core";
        if (auto r = parse_count(count, key_path(path, "count"), allow_zero, res.count); !r)
            return r;

        if (json_t *unit = json_object_get(o, "unit")) {
            if (!json_is_string(unit))
                return invalid(key_path(path, "unit"), "must be a string");
            res.unit = string_of(unit);
        }
        if (json_t *exclusive = json_object_get(o, "exclusive")) {
            if (!json_is_boolean(exclusive))
                return invalid(key_path(path, "exclusive"), "must be a boolean");
            res.exclusive = json_is_true(exclusive);
            res.exclusive_set = true;
        }
        if (json_t *label = json_object_get(o, "label")) {
            if (!is_nonempty_string(label))
                return invalid(key_path(path, "label"), "must be a non-empty string");
            res.label = string_of(label);
            if (!labels_.insert(res.label).second)
                return invalid(key_path(path, "label"), "duplicate label '" + res.label + "'");
        }
        if (res.type == "slot" && res.label.empty())
            return invalid(path, "slot must have a label");
        if (json_t *id = json_object_get(o, "id")) {
            if (!json_is_string(id))
                return invalid(key_path(path, "id"), "must be a string");
            res.id = string_of(id);
        }
        std::string with_path = key_path(path, "with");
        if (json_t *with = json_object_get(o, "with")) {
            if (!json_is_array(with))
                return invalid(with_path, "must be a list");
            for (size_t i = 0; i < json_array_size(with); i++) {
                auto r = parse_resource(json_array_get(with, i), index_path(with_path, i),
                                        depth + 1, res.with.emplace_back());
                if (!r)
                    return r;
            }
        }
        if (res.type == "slot" && res.with.empty())
            return invalid(with_path, "slot must contain at least one resource");
        return {};
    }

    Result<void>
    parse_task_count(json_t *count, const std::string &path, const Resource &slot, TaskCount &out)
    {
        if (!json_is_object(count))
            return invalid(path, "must be an object");
        if (auto r = check_keys(count, path, {"per_slot", "per_resource", "total"}); !r)
            return r;
        if (json_object_size(count) != 1)
            return invalid(path, "must contain exactly one of per_slot, per_resource, total");
        if (json_t *v = json_object_get(count, "per_slot")) {
            out.kind = TaskCount::per_slot;
            return get_positive(v, key_path(path, "per_slot"), out.count);
        }
        if (json_t *v = json_object_get(count, "total")) {
            out.kind = TaskCount::total;
            return get_positive(v, key_path(path, "total"), out.count);
        }
        json_t *pr = json_object_get(count, "per_resource");
        std::string pr_path = key_path(path, "per_resource");
        out.kind = TaskCount::per_resource;
        if (!json_is_object(pr))
            return invalid(pr_path, "must be an object");
        if (auto r = check_keys(pr, pr_path, {"type", "count"}); !r)
            return r;
        json_t *type = json_object_get(pr, "type");
        if (!type)
            return invalid(pr_path, "missing required key 'type'");
        if (!is_nonempty_string(type))
            return invalid(key_path(pr_path, "type"), "must be a non-empty string");
        out.resource_type = string_of(type);
        json_t *n = json_object_get(pr, "count");
        if (!n)
            return invalid(pr_path, "missing required key 'count'");
        if (auto r = get_positive(n, key_path(pr_path, "count"), out.count); !r)
            return r;
        /* "node" counts the nodes of the allocation (R), whether or not
         * the jobspec names them: flux batch/alloc -n N start one broker
         * per node their slots land on (as flux-core's do). */
        if (out.resource_type != "node" && !contains_type(slot.with, out.resource_type))
            return invalid(key_path(pr_path, "type"), "no resource of type '" + out.resource_type +
                                                          "' in slot '" + slot.label + "'");
        return {};
    }

    Result<void> parse_task(json_t *o,
                            const std::string &path,
                            const std::vector<Resource> &resources,
                            Task &task)
    {
        if (!json_is_object(o))
            return invalid(path, "must be an object");
        if (auto r =
                check_keys(o, path, {"command", "slot", "count", "attributes", "distribution"});
            !r)
            return r;

        json_t *command = json_object_get(o, "command");
        if (!command)
            return invalid(path, "missing required key 'command'");
        std::string command_path = key_path(path, "command");
        if (!json_is_array(command) || json_array_size(command) == 0)
            return invalid(command_path, "must be a non-empty list of strings");
        for (size_t i = 0; i < json_array_size(command); i++) {
            json_t *arg = json_array_get(command, i);
            if (!json_is_string(arg))
                return invalid(command_path, "must be a non-empty list of strings");
            task.command.push_back(string_of(arg));
        }

        json_t *slot = json_object_get(o, "slot");
        if (!slot)
            return invalid(path, "missing required key 'slot'");
        if (!is_nonempty_string(slot))
            return invalid(key_path(path, "slot"), "must be a non-empty string");
        task.slot = string_of(slot);
        const Resource *slot_res = find_slot(resources, task.slot);
        if (!slot_res)
            return invalid(key_path(path, "slot"), "no slot labeled '" + task.slot + "'");

        json_t *count = json_object_get(o, "count");
        if (!count)
            return invalid(path, "missing required key 'count'");
        if (auto r = parse_task_count(count, key_path(path, "count"), *slot_res, task.count); !r)
            return r;

        if (json_t *dist = json_object_get(o, "distribution")) {
            if (!json_is_string(dist))
                return invalid(key_path(path, "distribution"), "must be a string");
            task.distribution = string_of(dist);
        }
        if (json_t *attrs = json_object_get(o, "attributes")) {
            std::string attrs_path = key_path(path, "attributes");
            if (!json_is_object(attrs))
                return invalid(attrs_path, "must be an object");
            if (auto r = check_environment(attrs, attrs_path); !r)
                return r;
            task.attributes.reset(json_deep_copy(attrs));
            if (!task.attributes)
                return nomem();
        }
        return {};
    }

    Result<void> parse_system(json_t *sys)
    {
        const std::string path = "attributes.system";
        for (const char *key : {"duration", "preemptible-after"}) {
            if (auto r = check_nonneg_number(sys, key, path); !r)
                return r;
        }
        for (const char *key : {"cwd", "queue", "bank", "project"}) {
            if (auto r = check_string(sys, key, path); !r)
                return r;
        }
        for (const char *key : {"constraints", "files", "job", "shell"}) {
            if (auto r = check_object(sys, key, path); !r)
                return r;
        }
        if (auto r = check_environment(sys, path); !r)
            return r;
        if (json_t *job = json_object_get(sys, "job")) {
            for (void *it = json_object_iter(job); it; it = json_object_iter_next(job, it)) {
                if (!json_is_string(json_object_iter_value(it)))
                    return invalid(key_path(key_path(path, "job"), json_object_iter_key(it)),
                                   "must be a string");
            }
        }
        if (json_t *shell = json_object_get(sys, "shell")) {
            if (auto r = check_object(shell, "options", key_path(path, "shell")); !r)
                return r;
        }
        if (json_t *deps = json_object_get(sys, "dependencies")) {
            std::string deps_path = key_path(path, "dependencies");
            if (!json_is_array(deps))
                return invalid(deps_path, "must be a list");
            for (size_t i = 0; i < json_array_size(deps); i++) {
                json_t *dep = json_array_get(deps, i);
                std::string dep_path = index_path(deps_path, i);
                if (!json_is_object(dep))
                    return invalid(dep_path, "must be an object");
                for (const char *key : {"scheme", "value"}) {
                    if (!json_object_get(dep, key))
                        return invalid(dep_path, std::string("missing required key '") + key + "'");
                    if (auto r = check_string(dep, key, dep_path); !r)
                        return r;
                }
            }
        }
        return {};
    }

    Result<void> parse_attributes(json_t *attrs, Jobspec &js)
    {
        if (json_is_null(attrs)) {
            js.attributes.reset(json_object());
            return js.attributes ? Result<void>() : Result<void>(nomem());
        }
        if (!json_is_object(attrs))
            return invalid("attributes", "must be an object");
        if (auto r = check_keys(attrs, "attributes", {"system", "user"}); !r)
            return r;
        if (auto r = check_object(attrs, "user", "attributes"); !r)
            return r;
        if (auto r = check_object(attrs, "system", "attributes"); !r)
            return r;
        if (json_t *sys = json_object_get(attrs, "system")) {
            if (auto r = parse_system(sys); !r)
                return r;
        }
        js.attributes.reset(json_deep_copy(attrs));
        if (!js.attributes)
            return nomem();

        json_t *sys = json_object_get(js.attributes.get(), "system");
        if (!sys)
            return {};
        auto view = [](json_t *v) { return JsonPtr(v ? json_incref(v) : nullptr); };
        if (json_t *d = json_object_get(sys, "duration"))
            js.duration = json_number_value(d);
        if (json_t *s = json_object_get(sys, "cwd"))
            js.cwd = string_of(s);
        if (json_t *s = json_object_get(sys, "queue"))
            js.queue = string_of(s);
        if (json_t *s = json_object_get(json_object_get(sys, "job"), "name"))
            js.job_name = string_of(s);
        js.environment = view(json_object_get(sys, "environment"));
        js.shell_options = view(json_object_get(json_object_get(sys, "shell"), "options"));
        js.dependencies = view(json_object_get(sys, "dependencies"));
        js.constraints = view(json_object_get(sys, "constraints"));
        js.files = view(json_object_get(sys, "files"));
        return {};
    }
};

/* ------------------------------------------------------------- task count */

bool checked_mul(uint64_t a, uint64_t b, uint64_t &out)
{
    return !__builtin_mul_overflow(a, b, &out);
}

bool checked_add(uint64_t a, uint64_t b, uint64_t &out)
{
    return !__builtin_add_overflow(a, b, &out);
}

/* Locate the slot labeled `label`; `instances` is the product of the
 * counts from the top of the graph down to and including the slot, and
 * `fixed` says whether all of them are fixed (and did not overflow).
 */
struct SlotPath {
    const Resource *slot = nullptr;
    uint64_t instances = 0;
    bool fixed = false;
};

void find_slot_path(const std::vector<Resource> &resources,
                    const std::string &label,
                    uint64_t mult,
                    bool fixed,
                    SlotPath &out)
{
    for (const auto &r : resources) {
        if (out.slot)
            return;
        uint64_t m = 0;
        bool fx = fixed && !r.count.is_range && checked_mul(mult, r.count.min, m);
        if (r.type == "slot" && r.label == label) {
            out = SlotPath{&r, m, fx};
            return;
        }
        find_slot_path(r.with, label, m, fx, out);
    }
}

/* Sum over the vertices of `type` below a slot of the product of the counts
 * from the slot's children down to them (not descending below a match).
 * Returns false when a needed count is a range or the sum overflows.
 */
bool count_in_slot(const std::vector<Resource> &resources,
                   const std::string &type,
                   uint64_t mult,
                   bool fixed,
                   uint64_t &sum)
{
    for (const auto &r : resources) {
        uint64_t m = 0;
        bool fx = fixed && !r.count.is_range && checked_mul(mult, r.count.min, m);
        if (r.type == type) {
            if (!fx || !checked_add(sum, m, sum))
                return false;
            continue;
        }
        if (!count_in_slot(r.with, type, m, fx, sum))
            return false;
    }
    return true;
}

/* The fixed count of nodes above the slot labeled LABEL (the product of
 * the node counts on its path); false if no node is above it or a count
 * is a range. */
bool nodes_above(const std::vector<Resource> &resources, const std::string &label, uint64_t &n,
                 uint64_t mult = 1, bool seen = false)
{
    for (const auto &r : resources) {
        uint64_t m = mult;
        bool s = seen;
        if (r.type == "node") {
            if (r.count.is_range || !checked_mul(mult, r.count.min, m))
                return false;
            s = true;
        }
        if (r.type == "slot" && r.label == label) {
            n = m;
            return s;
        }
        if (nodes_above(r.with, label, n, m, s))
            return true;
    }
    return false;
}

/* Total tasks, or 0 if not computable. */
uint64_t compute_ntasks(const Jobspec &js)
{
    uint64_t total = 0;
    for (const auto &task : js.tasks) {
        uint64_t n = 0;
        if (task.count.kind == TaskCount::total) {
            n = task.count.count;
        }
        else {
            SlotPath sp;
            find_slot_path(js.resources, task.slot, 1, true, sp);
            if (!sp.slot || !sp.fixed)
                return 0;
            uint64_t per_slot = task.count.count;
            if (task.count.kind == TaskCount::per_resource && task.count.resource_type == "node") {
                /* Per node of R: known here only when the nodes are. */
                uint64_t nnodes = 0;
                if (!nodes_above(js.resources, task.slot, nnodes))
                    nnodes = 1; /* at least one node: R says how many */
                if (!checked_mul(nnodes, task.count.count, n))
                    return 0;
                if (!checked_add(total, n, total))
                    return 0;
                continue;
            }
            if (task.count.kind == TaskCount::per_resource) {
                uint64_t nres = 0;
                if (!count_in_slot(sp.slot->with, task.count.resource_type, 1, true, nres) ||
                    !checked_mul(nres, task.count.count, per_slot))
                    return 0;
            }
            if (!checked_mul(sp.instances, per_slot, n))
                return 0;
        }
        if (!checked_add(total, n, total))
            return 0;
    }
    return total;
}

/* -------------------------------------------------------------- V1 (RFC 25) */

struct V1Shape {
    uint64_t nnodes = 0;
    uint64_t nslots = 0;
    uint64_t cores_per_slot = 0;
    uint64_t gpus_per_slot = 0;
    bool exclusive = false;
};

Result<void> v1_vertex(const Resource &r, const std::string &path)
{
    if (r.count.is_range)
        return invalid(key_path(path, "count"), "must be a fixed integer in jobspec V1");
    if (!r.id.empty())
        return invalid(key_path(path, "id"), "not allowed in jobspec V1");
    if (r.exclusive_set && r.type != "node")
        return invalid(key_path(path, "exclusive"), "only allowed on node in jobspec V1");
    return {};
}

Result<void> v1_slot(const Resource &slot, const std::string &path, V1Shape &shape)
{
    if (auto r = v1_vertex(slot, path); !r)
        return r;
    bool have_core = false, have_gpu = false, have_memory = false;
    std::string with_path = key_path(path, "with");
    for (size_t i = 0; i < slot.with.size(); i++) {
        const Resource &child = slot.with[i];
        std::string child_path = index_path(with_path, i);
        bool *seen = nullptr;
        if (child.type == "core")
            seen = &have_core;
        else if (child.type == "gpu")
            seen = &have_gpu;
        else if (child.type == "memory")
            seen = &have_memory;
        else
            return invalid(key_path(child_path, "type"),
                           "'" + child.type + "' is not allowed in a slot in jobspec V1");
        if (auto r = v1_vertex(child, child_path); !r)
            return r;
        if (*seen)
            return invalid(child_path, "duplicate " + child.type + " in slot in jobspec V1");
        *seen = true;
        if (!child.with.empty())
            return invalid(key_path(child_path, "with"),
                           child.type + " must not contain other resources in jobspec V1");
        if (child.type == "core")
            shape.cores_per_slot = child.count.min;
        else if (child.type == "gpu")
            shape.gpus_per_slot = child.count.min;
    }
    if (!have_core)
        return invalid(path, "slot must contain core in jobspec V1");
    return {};
}

Result<void> check_v1(const Jobspec &js, V1Shape &shape)
{
    if (js.version != 1)
        return invalid("version", "must be 1");
    if (js.resources.size() != 1)
        return invalid("resources", "must contain exactly one resource in jobspec V1");
    const Resource &top = js.resources[0];
    const Resource *slot = nullptr;
    std::string slot_path;
    if (top.type == "node") {
        if (auto r = v1_vertex(top, "resources[0]"); !r)
            return r;
        if (top.with.size() != 1 || top.with[0].type != "slot")
            return invalid("resources[0].with", "node must contain exactly one slot in jobspec V1");
        slot = &top.with[0];
        slot_path = "resources[0].with[0]";
        shape.nnodes = top.count.min;
        shape.exclusive = top.exclusive_set && top.exclusive;
    }
    else if (top.type == "slot") {
        slot = &top;
        slot_path = "resources[0]";
    }
    else {
        return invalid("resources[0].type", "must be node or slot in jobspec V1");
    }
    if (auto r = v1_slot(*slot, slot_path, shape); !r)
        return r;
    if (!checked_mul(shape.nnodes ? shape.nnodes : 1, slot->count.min, shape.nslots))
        return invalid(slot_path + ".count", "total slot count is too large");

    if (js.tasks.size() != 1)
        return invalid("tasks", "must contain exactly one task in jobspec V1");
    const Task &task = js.tasks[0];
    if (task.slot != slot->label)
        return invalid("tasks[0].slot", "no slot labeled '" + task.slot + "'");
    if (!task.distribution.empty())
        return invalid("tasks[0].distribution", "not allowed in jobspec V1");
    if (task.attributes)
        return invalid("tasks[0].attributes", "not allowed in jobspec V1");
    switch (task.count.kind) {
        case TaskCount::per_slot:
            if (task.count.count != 1)
                return invalid("tasks[0].count.per_slot", "must be 1 in jobspec V1");
            break;
        case TaskCount::per_resource:
            /* One broker (or other task) per node of the allocation, the
             * shape flux-core's flux batch and flux alloc submit. */
            if (task.count.resource_type != "node")
                return invalid("tasks[0].count.per_resource.type",
                               "must be 'node' in jobspec V1");
            break;
        case TaskCount::total:
            /* More tasks than slots is fine (they share the slots, as in
             * flux-core); fewer than nodes would leave a node without a
             * task, hence without a shell to run and release it. */
            if (task.count.count < shape.nnodes)
                return invalid("tasks[0].count.total", "must be >= the number of nodes (" +
                                                           std::to_string(shape.nnodes) +
                                                           ") in jobspec V1");
            break;
    }
    json_t *sys = js.attributes ? json_object_get(js.attributes.get(), "system") : nullptr;
    if (!json_object_get(sys, "duration"))
        return invalid("attributes.system.duration", "required by jobspec V1");
    return {};
}

Result<Jobspec> parse_root(json_t *root)
{
    CanonicalParser parser;
    auto js = parser.parse(root);
    if (!js)
        return js;
    js->ntasks = compute_ntasks(*js);
    V1Shape shape;
    if (auto r = check_v1(*js, shape); !r) {
        js->v1 = false;
        js->v1_error = r.error().text;
    }
    else {
        js->v1 = true;
        js->nnodes = shape.nnodes;
        js->nslots = shape.nslots;
        js->cores_per_slot = shape.cores_per_slot;
        js->gpus_per_slot = shape.gpus_per_slot;
        js->exclusive = shape.exclusive;
    }
    return js;
}

/* Offset of the first byte that is not part of well-formed UTF-8 (no
 * overlong forms, surrogates or code points past U+10FFFF), or npos. */
size_t invalid_utf8_at(std::string_view text)
{
    const auto *p = reinterpret_cast<const unsigned char *>(text.data());
    size_t n = text.size(), i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */
        if (c >= 0xc2 && c <= 0xdf)
            len = 2;
        else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0)
                lo = 0xa0;
            else if (c == 0xed)
                hi = 0x9f;
        }
        else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0)
                lo = 0x90;
            else if (c == 0xf4)
                hi = 0x8f;
        }
        else
            return i;
        if (i + len > n || p[i + 1] < lo || p[i + 1] > hi)
            return i;
        for (size_t k = 2; k < len; k++) {
            if (p[i + k] < 0x80 || p[i + k] > 0xbf)
                return i;
        }
        i += len;
    }
    return std::string_view::npos;
}

std::string hex_byte(unsigned char c)
{
    static const char digits[] = "0123456789abcdef";
    return std::string("0x") + digits[c >> 4] + digits[c & 15];
}

/* Deepest nesting of [ and { outside quoted strings: exact for JSON, and
 * for YAML flow collections (block nesting is bounded by the converter).
 * Stops counting once past LIMIT. */
int bracket_depth(std::string_view text, bool yaml, int limit)
{
    int depth = 0, deepest = 0;
    char quote = 0;
    char prev = ' ';
    for (size_t i = 0; i < text.size() && deepest <= limit; i++) {
        char c = text[i];
        if (quote) {
            if (c == '\\' && quote == '"')
                i++;
            else if (c == quote)
                quote = 0;
        }
        else if (c == '"')
            quote = c;
        else if (yaml && c == '\'' && strchr(" \t\n[{,:", prev))
            quote = c;
        else if (yaml && c == '#' && strchr(" \t\n", prev)) {
            while (i + 1 < text.size() && text[i + 1] != '\n')
                i++;
        }
        else if (c == '[' || c == '{')
            deepest = std::max(deepest, ++depth);
        else if ((c == ']' || c == '}') && depth > 0)
            depth--;
        prev = c;
    }
    return deepest;
}

/* What every text must pass before a parser sees it: not empty, text
 * (UTF-8, no NUL), not nested past the limit. */
Result<void> check_text(std::string_view text, bool yaml)
{
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
        return make_error(EINVAL, "jobspec is empty");
    if (size_t at = text.find('\0'); at != std::string_view::npos)
        return make_error(EINVAL, "jobspec is not text: NUL byte at offset " +
                                      std::to_string(at));
    if (size_t at = invalid_utf8_at(text); at != std::string_view::npos)
        return make_error(EINVAL, "jobspec is not valid UTF-8: byte " +
                                      hex_byte((unsigned char)text[at]) + " at offset " +
                                      std::to_string(at));
    if (bracket_depth(text, yaml, max_yaml_depth) > max_yaml_depth)
        return too_deep();
    return {};
}

Result<Jobspec> parse_json_text(std::string_view text)
{
    if (auto r = check_text(text, false); !r)
        return r.error();
    json_error_t err;
    JsonPtr o(json_loadb(text.data(), text.size(), JSON_REJECT_DUPLICATES, &err));
    if (!o)
        return make_error(EINVAL, "line " + std::to_string(err.line) + ", column " +
                                      std::to_string(err.column) + ": " + err.text);
    return parse_root(o.get());
}

/* --------------------------------------------------------------- encoding */

/* Add v (stolen) to object o; false on allocation failure. */
bool put(json_t *o, const char *key, json_t *v)
{
    return v && json_object_set_new(o, key, v) == 0;
}

bool append(json_t *a, json_t *v)
{
    return v && json_array_append_new(a, v) == 0;
}

json_t *json_uint(uint64_t n)
{
    if (n > uint64_t(INT64_MAX))
        return nullptr;
    return json_integer(json_int_t(n));
}

json_t *json_str(const std::string &s)
{
    return json_stringn(s.data(), s.size());
}

Error encode_error()
{
    return make_error(EINVAL, "jobspec cannot be encoded (value out of range, invalid UTF-8 "
                              "or out of memory)");
}

json_t *count_to_json(const Count &c)
{
    if (!c.idset.empty())
        return json_str(c.idset);
    if (!c.is_range)
        return json_uint(c.min);
    JsonPtr o(json_object());
    if (!o || !put(o.get(), "min", json_uint(c.min)))
        return nullptr;
    if (c.max != count_unlimited || c.op != '+' || c.operand != 1) {
        if (c.max != count_unlimited && !put(o.get(), "max", json_uint(c.max)))
            return nullptr;
        if (!put(o.get(), "operator", json_stringn(&c.op, 1)) ||
            !put(o.get(), "operand", json_uint(c.operand)))
            return nullptr;
    }
    return o.release();
}

json_t *resource_to_json(const Resource &r)
{
    JsonPtr o(json_object());
    if (!o || !put(o.get(), "type", json_str(r.type)) ||
        !put(o.get(), "count", count_to_json(r.count)))
        return nullptr;
    if (!r.unit.empty() && !put(o.get(), "unit", json_str(r.unit)))
        return nullptr;
    if (r.exclusive_set && !put(o.get(), "exclusive", json_boolean(r.exclusive)))
        return nullptr;
    if (!r.label.empty() && !put(o.get(), "label", json_str(r.label)))
        return nullptr;
    if (!r.id.empty() && !put(o.get(), "id", json_str(r.id)))
        return nullptr;
    if (!r.with.empty()) {
        JsonPtr with(json_array());
        if (!with)
            return nullptr;
        for (const auto &child : r.with) {
            if (!append(with.get(), resource_to_json(child)))
                return nullptr;
        }
        if (!put(o.get(), "with", with.release()))
            return nullptr;
    }
    return o.release();
}

json_t *task_to_json(const Task &t)
{
    JsonPtr o(json_object());
    JsonPtr command(json_array());
    JsonPtr count(json_object());
    if (!o || !command || !count)
        return nullptr;
    for (const auto &arg : t.command) {
        if (!append(command.get(), json_str(arg)))
            return nullptr;
    }
    switch (t.count.kind) {
        case TaskCount::per_slot:
            if (!put(count.get(), "per_slot", json_uint(t.count.count)))
                return nullptr;
            break;
        case TaskCount::total:
            if (!put(count.get(), "total", json_uint(t.count.count)))
                return nullptr;
            break;
        case TaskCount::per_resource: {
            JsonPtr pr(json_object());
            if (!pr || !put(pr.get(), "type", json_str(t.count.resource_type)) ||
                !put(pr.get(), "count", json_uint(t.count.count)) ||
                !put(count.get(), "per_resource", pr.release()))
                return nullptr;
            break;
        }
    }
    if (!put(o.get(), "command", command.release()) || !put(o.get(), "slot", json_str(t.slot)) ||
        !put(o.get(), "count", count.release()))
        return nullptr;
    if (!t.distribution.empty() && !put(o.get(), "distribution", json_str(t.distribution)))
        return nullptr;
    if (t.attributes && !put(o.get(), "attributes", json_deep_copy(t.attributes.get())))
        return nullptr;
    return o.release();
}

Result<JsonPtr> to_json(const Jobspec &js)
{
    JsonPtr o(json_object());
    JsonPtr resources(json_array());
    JsonPtr tasks(json_array());
    if (!o || !resources || !tasks)
        return nomem();
    for (const auto &r : js.resources) {
        if (!append(resources.get(), resource_to_json(r)))
            return encode_error();
    }
    for (const auto &t : js.tasks) {
        if (!append(tasks.get(), task_to_json(t)))
            return encode_error();
    }
    JsonPtr attributes;
    if (js.attributes) {
        attributes.reset(json_deep_copy(js.attributes.get()));
    }
    else {
        /* Built in code without an attributes object: keep the duration. */
        if (!std::isfinite(js.duration) || js.duration < 0)
            return invalid("attributes.system.duration", "must be a number >= 0");
        JsonPtr sys(json_object());
        attributes.reset(json_object());
        if (!sys || !attributes || !put(sys.get(), "duration", json_real(js.duration)) ||
            !put(attributes.get(), "system", sys.release()))
            return nomem();
    }
    if (!attributes || !put(o.get(), "version", json_integer(js.version)) ||
        !put(o.get(), "resources", resources.release()) ||
        !put(o.get(), "tasks", tasks.release()) ||
        !put(o.get(), "attributes", attributes.release()))
        return encode_error();
    return o;
}

/* ---------------------------------------------------------- from request */

Result<Jobspec> from_request(const JobspecRequest &req)
{
    if (req.command.empty())
        return make_error(EINVAL, "command must be a non-empty list");
    if (req.ntasks < 1)
        return make_error(EINVAL, "task count must be an integer >= 1");
    if (req.cores_per_task < 1)
        return make_error(EINVAL, "cores per task must be an integer >= 1");
    if (req.nodes > req.ntasks)
        return make_error(EINVAL, "node count must not be greater than task count");
    if (req.exclusive && req.nodes == 0)
        return make_error(EINVAL, "exclusive can only be set with a node count");
    if (!std::isfinite(req.duration) || req.duration < 0)
        return make_error(EINVAL, "duration must be a number >= 0");

    auto fail = [] {
        return make_error(EINVAL, "request cannot be encoded (count too large, "
                                  "invalid UTF-8 or out of memory)");
    };
    auto resource = [](const char *type, uint64_t count) {
        JsonPtr o(json_object());
        if (!o || !put(o.get(), "type", json_string(type)) ||
            !put(o.get(), "count", json_uint(count)))
            return JsonPtr();
        return o;
    };

    JsonPtr with(json_array());
    JsonPtr core = resource("core", req.cores_per_task);
    if (!with || !core || !append(with.get(), core.release()))
        return fail();
    if (req.gpus_per_task > 0) {
        JsonPtr gpu = resource("gpu", req.gpus_per_task);
        if (!gpu || !append(with.get(), gpu.release()))
            return fail();
    }
    uint64_t nslots = req.ntasks;
    bool uneven = false;
    if (req.nodes > 0) {
        nslots = req.ntasks / req.nodes + (req.ntasks % req.nodes ? 1 : 0);
        uneven = req.ntasks % req.nodes != 0;
    }
    JsonPtr slot = resource("slot", nslots);
    if (!slot || !put(slot.get(), "with", with.release()) ||
        !put(slot.get(), "label", json_string("task")))
        return fail();
    JsonPtr top;
    if (req.nodes > 0) {
        JsonPtr slots(json_array());
        top = resource("node", req.nodes);
        if (!top || !slots || !append(slots.get(), slot.release()) ||
            !put(top.get(), "with", slots.release()))
            return fail();
        if (req.exclusive && !put(top.get(), "exclusive", json_true()))
            return fail();
    }
    else {
        top = std::move(slot);
    }

    JsonPtr command(json_array());
    JsonPtr count(json_object());
    JsonPtr task(json_object());
    if (!command || !count || !task)
        return fail();
    for (const auto &arg : req.command) {
        if (!append(command.get(), json_str(arg)))
            return fail();
    }
    if (!(uneven ? put(count.get(), "total", json_uint(req.ntasks))
                 : put(count.get(), "per_slot", json_integer(1))))
        return fail();
    if (!put(task.get(), "command", command.release()) ||
        !put(task.get(), "slot", json_string("task")) || !put(task.get(), "count", count.release()))
        return fail();

    JsonPtr sys(json_object());
    JsonPtr env(json_object());
    if (!sys || !env || !put(sys.get(), "duration", json_real(req.duration)))
        return fail();
    for (const auto &[name, value] : req.env) {
        if (name.find('\0') != std::string::npos ||
            json_object_set_new(env.get(), name.c_str(), json_str(value)) < 0)
            return fail();
    }
    if (!put(sys.get(), "environment", env.release()))
        return fail();
    if (!req.cwd.empty() && !put(sys.get(), "cwd", json_str(req.cwd)))
        return fail();
    if (!req.queue.empty() && !put(sys.get(), "queue", json_str(req.queue)))
        return fail();
    if (!req.job_name.empty()) {
        JsonPtr job(json_object());
        if (!job || !put(job.get(), "name", json_str(req.job_name)) ||
            !put(sys.get(), "job", job.release()))
            return fail();
    }

    JsonPtr root(json_object());
    JsonPtr resources(json_array());
    JsonPtr tasks(json_array());
    JsonPtr attributes(json_object());
    if (!root || !resources || !tasks || !attributes || !append(resources.get(), top.release()) ||
        !append(tasks.get(), task.release()) || !put(attributes.get(), "system", sys.release()) ||
        !put(root.get(), "version", json_integer(1)) ||
        !put(root.get(), "resources", resources.release()) ||
        !put(root.get(), "tasks", tasks.release()) ||
        !put(root.get(), "attributes", attributes.release()))
        return fail();
    return parse_root(root.get());
}

bool starts_like_json(std::string_view text)
{
    for (char c : text) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        return c == '{';
    }
    return false;
}

} // namespace

namespace jobspec_internal {

Error error_too_deep()
{
    return too_deep();
}

Result<void> text_check(std::string_view text, bool yaml)
{
    return check_text(text, yaml);
}

Result<Jobspec> text_parse_json(std::string_view text)
{
    return parse_json_text(text);
}

Result<Jobspec> root_parse(json_t *root)
{
    return parse_root(root);
}

bool text_starts_like_json(std::string_view text)
{
    return starts_like_json(text);
}

} // namespace jobspec_internal

Result<void> jobspec_check_text(std::string_view text)
{
    return guard([&]() -> Result<void> { return check_text(text, !starts_like_json(text)); });
}

Result<Jobspec> jobspec_parse_json(json_t *o)
{
    return guard([&]() -> Result<Jobspec> { return parse_root(o); });
}

Result<void> jobspec_validate_v1(const Jobspec &js)
{
    return guard([&]() -> Result<void> {
        V1Shape shape;
        return check_v1(js, shape);
    });
}

Result<JsonPtr> jobspec_to_json(const Jobspec &js)
{
    return guard([&]() -> Result<JsonPtr> { return to_json(js); });
}

Result<std::string> jobspec_encode_json(const Jobspec &js)
{
    return guard([&]() -> Result<std::string> {
        auto o = to_json(js);
        if (!o)
            return o.error();
        char *s = json_dumps(o->get(), JSON_COMPACT | JSON_SORT_KEYS);
        if (!s)
            return encode_error();
        std::string out(s);
        free(s);
        return out;
    });
}

Result<Jobspec> jobspec_revalidate(const Jobspec &js)
{
    return guard([&]() -> Result<Jobspec> {
        auto o = to_json(js);
        if (!o)
            return o.error();
        return parse_root(o->get());
    });
}

uint32_t jobspec_tasks_per_node(const Jobspec &js)
{
    if (js.tasks.size() != 1 || js.tasks[0].count.kind != TaskCount::per_resource
        || js.tasks[0].count.resource_type != "node" || js.tasks[0].count.count > UINT32_MAX)
        return 0;
    return (uint32_t)js.tasks[0].count.count;
}

Result<Jobspec> jobspec_from_request(const JobspecRequest &req)
{
    return guard([&]() -> Result<Jobspec> { return from_request(req); });
}

} // namespace flux
