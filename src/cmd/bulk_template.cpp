/* bulk_template.cpp - flux bulksubmit's replacement fields (see
 * bulk_template.h).  The syntax follows Python's str.format(), which Flux's
 * bulksubmit uses, restricted to what a template needs. */
#include <cctype>
#include <cstdlib>

#include "bulk_template.h"

namespace fluxcmd {

namespace {

using flux::Error;
using flux::make_error;
using flux::Result;

/* The path without its extension: ".bashrc" and "a.d/b" have none. */
std::string drop_extension(const std::string &p)
{
    size_t slash = p.rfind('/');
    size_t start = slash == std::string::npos ? 0 : slash + 1;
    size_t dot = p.rfind('.');
    if (dot == std::string::npos || dot < start)
        return p;
    /* Leading dots of the last component do not start an extension. */
    for (size_t i = start; i < dot; i++) {
        if (p[i] != '.')
            return p.substr(0, dot);
    }
    return p;
}

std::string basename_of(const std::string &p)
{
    size_t slash = p.rfind('/');
    return slash == std::string::npos ? p : p.substr(slash + 1);
}

/* Everything before the last slash, its trailing slashes removed unless it
 * is only slashes ("/b" -> "/", "b" -> ""). */
std::string dirname_of(const std::string &p)
{
    size_t slash = p.rfind('/');
    if (slash == std::string::npos)
        return "";
    std::string head = p.substr(0, slash + 1);
    if (head.find_first_not_of('/') == std::string::npos)
        return head;
    while (!head.empty() && head.back() == '/')
        head.pop_back();
    return head;
}

Error field_error(const std::string &field, const std::string &tmpl, const std::string &why)
{
    return make_error(EINVAL, "replacement field '{" + field + "}' in '" + tmpl + "': " + why);
}

/* Apply SPEC ([[FILL]ALIGN][0][WIDTH][.PRECISION][s|d]) to VALUE. */
Result<std::string> apply_spec(std::string value, bool number, const std::string &spec,
                               const std::string &field, const std::string &tmpl)
{
    size_t i = 0;
    char fill = ' ', align = number ? '>' : '<';
    bool explicit_fill = false;
    auto is_align = [](char c) { return c == '<' || c == '>' || c == '^'; };
    if (spec.size() >= 2 && is_align(spec[1])) {
        fill = spec[0];
        align = spec[1];
        explicit_fill = true;
        i = 2;
    }
    else if (!spec.empty() && is_align(spec[0])) {
        align = spec[0];
        i = 1;
    }
    if (i < spec.size() && spec[i] == '0') {
        if (!explicit_fill)
            fill = '0';
        i++;
    }
    size_t width = 0, precision = std::string::npos;
    while (i < spec.size() && isdigit((unsigned char)spec[i]))
        width = width * 10 + (spec[i++] - '0');
    if (i < spec.size() && spec[i] == '.') {
        size_t start = ++i;
        precision = 0;
        while (i < spec.size() && isdigit((unsigned char)spec[i]))
            precision = precision * 10 + (spec[i++] - '0');
        if (i == start)
            return field_error(field, tmpl, "expected digits after '.' in the format spec");
        if (number)
            return field_error(field, tmpl, "a precision is not allowed with a number");
    }
    if (i < spec.size() && (spec[i] == 's' || spec[i] == 'd')) {
        if (spec[i] == 'd' && !number)
            return field_error(field, tmpl, "format 'd' needs a number ({seq} or {seq1})");
        i++;
    }
    if (i != spec.size() || width > 4096)
        return field_error(field, tmpl,
                           "invalid format spec '" + spec
                               + "' (expected [[FILL]ALIGN][0][WIDTH][.PRECISION][s|d])");
    if (precision != std::string::npos && value.size() > precision)
        value.resize(precision);
    if (value.size() >= width)
        return value;
    size_t pad = width - value.size();
    if (align == '<')
        return value + std::string(pad, fill);
    if (align == '>')
        return std::string(pad, fill) + value;
    return std::string(pad / 2, fill) + value + std::string(pad - pad / 2, fill);
}

Result<std::string> expand_field(const std::string &field, const BulkFields &f,
                                 const std::string &tmpl)
{
    size_t colon = field.find(':');
    std::string ref = field.substr(0, colon);
    std::string spec = colon == std::string::npos ? "" : field.substr(colon + 1);
    if (ref.find('!') != std::string::npos || ref.find('[') != std::string::npos)
        return field_error(field, tmpl, "conversions (!) and indexing ([]) are not supported");
    size_t dot = ref.find('.');
    std::string name = ref.substr(0, dot);
    std::string attr = dot == std::string::npos ? "" : ref.substr(dot + 1);
    if (name == "seq" || name == "seq1" || name == "cc") {
        if (dot != std::string::npos)
            return field_error(field, tmpl, "{" + name + "} takes no attribute");
        if (name == "cc")
            return apply_spec(f.cc, !f.cc.empty(), spec, field, tmpl);
        uint64_t n = f.seq + (name == "seq1" ? 1 : 0);
        return apply_spec(std::to_string(n), true, spec, field, tmpl);
    }
    std::string value;
    if (name.empty()) {
        for (size_t i = 0; i < f.inputs.size(); i++)
            value += (i ? " " : "") + f.inputs[i];
    }
    else if (name.find_first_not_of("0123456789") == std::string::npos && name.size() < 10) {
        size_t index = strtoul(name.c_str(), nullptr, 10);
        if (index >= f.inputs.size())
            return field_error(field, tmpl,
                               "there " + std::string(f.inputs.size() == 1 ? "is" : "are")
                                   + " only " + std::to_string(f.inputs.size()) + " input list"
                                   + (f.inputs.size() == 1 ? "" : "s") + " ({0}"
                                   + (f.inputs.size() > 1
                                          ? "..{" + std::to_string(f.inputs.size() - 1) + "}"
                                          : "")
                                   + ")");
        value = f.inputs[index];
    }
    else
        return field_error(field, tmpl,
                           "unknown name '" + name
                               + "' (expected {}, {N}, {seq}, {seq1} or {cc}; --define is not "
                                 "supported)");
    if (dot != std::string::npos) {
        if (attr == "%")
            value = drop_extension(value);
        else if (attr == "/")
            value = basename_of(value);
        else if (attr == "//")
            value = dirname_of(value);
        else if (attr == "/%")
            value = drop_extension(basename_of(value));
        else
            return field_error(field, tmpl,
                               "unknown attribute '." + attr
                                   + "' (expected .%, ./, .// or ./%; --define is not supported)");
    }
    return apply_spec(value, false, spec, field, tmpl);
}

} // namespace

Result<std::string> bulk_template_expand(const std::string &tmpl, const BulkFields &fields)
{
    std::string out;
    size_t i = 0;
    while (i < tmpl.size()) {
        char c = tmpl[i];
        if (c == '}') {
            if (i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
                out += '}';
                i += 2;
                continue;
            }
            return make_error(EINVAL,
                              "single '}' in '" + tmpl + "' (write }} for a literal brace)");
        }
        if (c != '{') {
            out += c;
            i++;
            continue;
        }
        if (i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
            out += '{';
            i += 2;
            continue;
        }
        size_t close = tmpl.find_first_of("{}", i + 1);
        if (close == std::string::npos || tmpl[close] != '}')
            return make_error(EINVAL,
                              "unmatched '{' in '" + tmpl + "' (write {{ for a literal brace)");
        auto value = expand_field(tmpl.substr(i + 1, close - i - 1), fields, tmpl);
        if (!value)
            return value.error();
        out += *value;
        i = close + 1;
    }
    return out;
}

bool bulk_template_has_fields(const std::string &tmpl)
{
    return tmpl.find_first_of("{}") != std::string::npos;
}

} // namespace fluxcmd
