/* jobspec/jobspec_yaml.cpp - jobspec from text: JSON or YAML.
 *
 * jobspec_parse() and jobspec_parse_yaml(): the only code that uses
 * yaml-cpp, kept apart from the validator (jobspec.cpp) so that a program
 * that receives its jobspec as a decoded JSON object (flux-shell, from
 * job-exec) links without yaml-cpp.
 *
 * YAML input is first converted to JSON (YAML 1.2 core schema for plain
 * scalars; syntax errors carry the line and column), so a single validator
 * works on jansson objects for both input formats.  yaml-cpp exceptions and
 * std::bad_alloc are caught at the API boundary.
 */
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "jobspec/jobspec.h"
#include "jobspec/jobspec_internal.h"

namespace flux {

namespace {

using jobspec_internal::guard;
using jobspec_internal::max_yaml_depth;

constexpr size_t max_yaml_nodes = 1000000;

Error too_deep()
{
    return jobspec_internal::error_too_deep();
}

Error nomem()
{
    return make_error(ENOMEM, "out of memory");
}

Error yaml_error(const YAML::Mark &mark, const std::string &msg)
{
    if (mark.is_null())
        return make_error(EINVAL, msg);
    return make_error(EINVAL, "line " + std::to_string(mark.line + 1) + ", column " +
                                  std::to_string(mark.column + 1) + ": " + msg);
}

bool all_of_class(std::string_view s, bool (*pred)(char))
{
    return !s.empty() && std::all_of(s.begin(), s.end(), pred);
}

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool is_octal(char c)
{
    return c >= '0' && c <= '7';
}

bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* YAML 1.2 core schema float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
bool is_yaml_float(std::string_view s)
{
    size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-'))
        i++;
    size_t int_digits = 0, frac_digits = 0;
    while (i < s.size() && is_digit(s[i])) {
        i++;
        int_digits++;
    }
    if (i < s.size() && s[i] == '.') {
        i++;
        while (i < s.size() && is_digit(s[i])) {
            i++;
            frac_digits++;
        }
    }
    if (int_digits == 0 && frac_digits == 0)
        return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < s.size() && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t exp_digits = 0;
        while (i < s.size() && is_digit(s[i])) {
            i++;
            exp_digits++;
        }
        if (exp_digits == 0)
            return false;
    }
    return i == s.size();
}

bool is_yaml_special_float(std::string_view s)
{
    if (!s.empty() && (s[0] == '+' || s[0] == '-'))
        s.remove_prefix(1);
    return s == ".inf" || s == ".Inf" || s == ".INF" || s == ".nan" || s == ".NaN" || s == ".NAN";
}

Result<JsonPtr> make_json_string(const std::string &s, const YAML::Mark &mark)
{
    JsonPtr v(json_stringn(s.data(), s.size()));
    if (!v)
        return yaml_error(mark, "string is not valid UTF-8");
    return v;
}

/* Resolve a plain (unquoted, untagged) scalar by the YAML 1.2 core schema. */
Result<JsonPtr> resolve_plain(const std::string &s, const YAML::Mark &mark)
{
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL")
        return JsonPtr(json_null());
    if (s == "true" || s == "True" || s == "TRUE")
        return JsonPtr(json_true());
    if (s == "false" || s == "False" || s == "FALSE")
        return JsonPtr(json_false());

    std::string_view t = s;
    int base = 0;
    bool negative = false;
    if (t.size() > 2 && t.substr(0, 2) == "0x" && all_of_class(t.substr(2), is_hex)) {
        base = 16;
        t.remove_prefix(2);
    }
    else if (t.size() > 2 && t.substr(0, 2) == "0o" && all_of_class(t.substr(2), is_octal)) {
        base = 8;
        t.remove_prefix(2);
    }
    else {
        std::string_view digits = t;
        if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
            negative = digits[0] == '-';
            digits.remove_prefix(1);
        }
        if (all_of_class(digits, is_digit)) {
            base = 10;
            t = digits;
        }
    }
    if (base != 0) {
        uint64_t magnitude = 0;
        auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), magnitude, base);
        const uint64_t limit = negative ? uint64_t(INT64_MAX) + 1 : uint64_t(INT64_MAX);
        if (ec != std::errc() || ptr != t.data() + t.size() || magnitude > limit)
            return yaml_error(mark, "integer '" + s + "' is out of range");
        json_int_t value = negative ? json_int_t(0 - magnitude) : json_int_t(magnitude);
        return JsonPtr(json_integer(value));
    }
    if (is_yaml_special_float(s))
        return yaml_error(mark, "'" + s + "' is not a finite number");
    if (is_yaml_float(s)) {
        std::string_view f = s;
        if (!f.empty() && f[0] == '+')
            f.remove_prefix(1);
        double value = 0;
        auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), value);
        if (ec != std::errc() || ptr != f.data() + f.size() || !std::isfinite(value))
            return yaml_error(mark, "number '" + s + "' is out of range");
        return JsonPtr(json_real(value));
    }
    return make_json_string(s, mark);
}

class YamlConverter {
  public:
    Result<JsonPtr> convert(const YAML::Node &node, int depth)
    {
        if (depth > max_yaml_depth)
            return too_deep();
        if (++nodes_ > max_yaml_nodes)
            return yaml_error(node.Mark(), "document too large");
        switch (node.Type()) {
            case YAML::NodeType::Null:
                return JsonPtr(json_null());
            case YAML::NodeType::Scalar:
                if (node.Tag() == "?")
                    return resolve_plain(node.Scalar(), node.Mark());
                if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str")
                    return make_json_string(node.Scalar(), node.Mark());
                return resolve_plain(node.Scalar(), node.Mark());
            case YAML::NodeType::Sequence:
                return sequence(node, depth);
            case YAML::NodeType::Map:
                return mapping(node, depth);
            default:
                return yaml_error(node.Mark(), "undefined YAML node");
        }
    }

  private:
    size_t nodes_ = 0;

    Result<JsonPtr> sequence(const YAML::Node &node, int depth)
    {
        JsonPtr a(json_array());
        if (!a)
            return nomem();
        for (const auto &item : node) {
            auto v = convert(item, depth + 1);
            if (!v)
                return v.error();
            if (json_array_append_new(a.get(), v->release()) < 0)
                return nomem();
        }
        return a;
    }

    Result<JsonPtr> mapping(const YAML::Node &node, int depth)
    {
        JsonPtr o(json_object());
        if (!o)
            return nomem();
        for (const auto &kv : node) {
            const YAML::Node &k = kv.first;
            std::string key;
            if (k.IsScalar())
                key = k.Scalar();
            else if (!k.IsNull())
                return yaml_error(k.Mark(), "mapping keys must be scalars");
            if (key.find('\0') != std::string::npos)
                return yaml_error(k.Mark(), "mapping key contains a NUL character");
            if (json_object_get(o.get(), key.c_str()))
                return yaml_error(k.Mark(), "duplicate key '" + key + "'");
            auto v = convert(kv.second, depth + 1);
            if (!v)
                return v.error();
            if (json_object_set_new(o.get(), key.c_str(), v->release()) < 0)
                return yaml_error(k.Mark(), "mapping key is not valid UTF-8");
        }
        return o;
    }
};

Result<Jobspec> parse_yaml_text(std::string_view text)
{
    if (auto r = jobspec_internal::text_check(text, true); !r)
        return r.error();
    try {
        std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
        if (docs.empty())
            return make_error(EINVAL, "jobspec is empty");
        if (docs.size() > 1)
            return yaml_error(docs[1].Mark(), "jobspec must be a single YAML document");
        YamlConverter converter;
        auto o = converter.convert(docs[0], 0);
        if (!o)
            return o.error();
        return jobspec_internal::root_parse(o->get());
    } catch (const YAML::DeepRecursion &) {
        return too_deep();
    } catch (const YAML::Exception &e) {
        return yaml_error(e.mark, e.msg);
    }
}

} // namespace

Result<Jobspec> jobspec_parse(std::string_view text)
{
    return guard([&]() -> Result<Jobspec> {
        if (jobspec_internal::text_starts_like_json(text))
            return jobspec_internal::text_parse_json(text);
        return parse_yaml_text(text);
    });
}

Result<Jobspec> jobspec_parse_yaml(std::string_view text)
{
    return guard([&]() -> Result<Jobspec> { return parse_yaml_text(text); });
}

} // namespace flux
