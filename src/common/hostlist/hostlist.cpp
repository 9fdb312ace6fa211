/* hostlist/hostlist.cpp - ordered lists of host names (RFC 29).
 *
 * parse() validates every term before expanding anything, so a bad or
 * oversized list is rejected without building a partial result.  encode()
 * splits each host around its last group of digits and folds list-adjacent
 * hosts with the same prefix and suffix into one bracketed term.
 */
#include "hostlist/hostlist.h"

#include <algorithm>
#include <cassert>
#include <cstdint>

namespace flux {

namespace {

/* Numbers longer than this are not treated as numbers (they could
 * overflow uint64_t); parse() rejects them, encode() emits such hosts
 * verbatim.
 */
constexpr size_t max_digits = 18;

/* Quote text for an error message, eliding the middle of very long input. */
std::string quoted(std::string_view s)
{
    constexpr size_t limit = 100;
    std::string q = "'";
    if (s.size() <= limit)
        q += s;
    else {
        q += s.substr(0, limit / 2);
        q += "...";
        q += s.substr(s.size() - limit / 2);
    }
    q += '\'';
    return q;
}

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool all_digits(std::string_view s)
{
    if (s.empty())
        return false;
    for (char c : s) {
        if (!is_digit(c))
            return false;
    }
    return true;
}

uint64_t to_number(std::string_view digits)
{
    uint64_t v = 0;
    for (char c : digits)
        v = v * 10 + static_cast<uint64_t>(c - '0');
    return v;
}

/* Decimal value, zero padded to at least width digits. */
std::string pad(uint64_t value, size_t width)
{
    std::string s = std::to_string(value);
    if (s.size() < width)
        s.insert(0, width - s.size(), '0');
    return s;
}

struct bracket_range {
    uint64_t lo;
    uint64_t hi;
    size_t width;
};

/* One term of a hostlist: a plain name, or prefix[ranges]suffix. */
struct term_spec {
    std::string_view prefix; // the whole name when ranges is empty
    std::string_view suffix;
    std::vector<bracket_range> ranges;
};

/* Parse the body of one bracket ("0-3,7") into spec->ranges, adding the
 * number of hosts it expands to into *total.
 */
bool parse_ranges(
    std::string_view body, std::string_view term, term_spec &spec, size_t &total, std::string &msg)
{
    size_t pos = 0;
    for (;;) {
        size_t comma = body.find(',', pos);
        std::string_view elem = body.substr(
            pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        if (elem.empty()) {
            msg = "hostlist: empty range in " + quoted(term);
            return false;
        }
        size_t dash = elem.find('-');
        std::string_view lo_str = elem.substr(0, dash);
        std::string_view hi_str = dash == std::string_view::npos ? lo_str : elem.substr(dash + 1);
        if (!all_digits(lo_str) || !all_digits(hi_str)) {
            msg = "hostlist: invalid range " + quoted(elem) + " in " + quoted(term);
            return false;
        }
        if (lo_str.size() > max_digits || hi_str.size() > max_digits) {
            msg = "hostlist: number too large " + quoted(elem) + " in " + quoted(term);
            return false;
        }
        uint64_t lo = to_number(lo_str);
        uint64_t hi = to_number(hi_str);
        if (lo > hi) {
            msg = "hostlist: invalid range " + quoted(elem) + " in " + quoted(term);
            return false;
        }
        uint64_t n = hi - lo + 1;
        if (n > Hostlist::max_hosts || total + n > Hostlist::max_hosts) {
            total = Hostlist::max_hosts + 1; // caller reports the overflow
            return true;
        }
        total += static_cast<size_t>(n);
        spec.ranges.push_back(bracket_range{lo, hi, lo_str.size()});

        if (comma == std::string_view::npos)
            return true;
        pos = comma + 1;
    }
}

/* Validate one top-level term and describe it in spec. */
bool parse_term(std::string_view term, term_spec &spec, size_t &total, std::string &msg)
{
    for (char c : term) {
        if (is_space(c)) {
            msg = "hostlist: whitespace in " + quoted(term);
            return false;
        }
    }
    size_t open = term.find('[');
    size_t first_close = term.find(']');
    if (first_close != std::string_view::npos &&
        (open == std::string_view::npos || first_close < open)) {
        msg = "hostlist: unbalanced ']' in " + quoted(term);
        return false;
    }
    if (open == std::string_view::npos) {
        spec.prefix = term;
        total++;
        return true;
    }
    size_t close = std::string_view::npos;
    for (size_t i = open + 1; i < term.size(); i++) {
        if (term[i] == '[') {
            msg = "hostlist: nested '[' in " + quoted(term);
            return false;
        }
        if (term[i] == ']') {
            close = i;
            break;
        }
    }
    if (close == std::string_view::npos) {
        msg = "hostlist: unbalanced '[' in " + quoted(term);
        return false;
    }
    std::string_view suffix = term.substr(close + 1);
    size_t suffix_open = suffix.find('[');
    size_t suffix_close = suffix.find(']');
    if (suffix_close != std::string_view::npos &&
        (suffix_open == std::string_view::npos || suffix_close < suffix_open)) {
        msg = "hostlist: unbalanced ']' in " + quoted(term);
        return false;
    }
    if (suffix_open != std::string_view::npos) {
        if (suffix_close == std::string_view::npos)
            msg = "hostlist: unbalanced '[' in " + quoted(term);
        else
            msg = "hostlist: multiple brackets in " + quoted(term);
        return false;
    }
    spec.prefix = term.substr(0, open);
    spec.suffix = suffix;
    std::string_view body = term.substr(open + 1, close - open - 1);
    return parse_ranges(body, term, spec, total, msg);
}

/* A host name split around its last group of digits. */
struct host_parts {
    std::string_view prefix;
    std::string_view digits;
    std::string_view suffix;
    uint64_t value = 0;
    bool numeric = false;
};

host_parts split_host(std::string_view host)
{
    host_parts p;
    size_t end = host.size();
    while (end > 0 && !is_digit(host[end - 1]))
        end--;
    size_t begin = end;
    while (begin > 0 && is_digit(host[begin - 1]))
        begin--;
    if (end == 0 || end - begin > max_digits) {
        p.prefix = host;
        return p;
    }
    p.prefix = host.substr(0, begin);
    p.digits = host.substr(begin, end - begin);
    p.suffix = host.substr(end);
    p.value = to_number(p.digits);
    p.numeric = true;
    return p;
}

/* A run of consecutive numbers printed with one zero-pad width. */
struct run {
    uint64_t lo;
    uint64_t hi;
    size_t width;
};

/* Width that reproduces digits exactly: its length when zero padded,
 * otherwise 1 (no padding).
 */
size_t width_of(std::string_view digits)
{
    return digits.size() > 1 && digits[0] == '0' ? digits.size() : 1;
}

/* True if pad(value, width) == digits, where digits spells value. */
bool fits_width(std::string_view digits, size_t width)
{
    size_t zeros = 0;
    while (zeros < digits.size() && digits[zeros] == '0')
        zeros++;
    size_t natural = zeros == digits.size() ? 1 : digits.size() - zeros;
    return digits.size() == std::max(width, natural);
}

} // namespace

std::optional<Hostlist> Hostlist::parse(std::string_view s, std::string *err)
{
    auto fail = [err](std::string msg) -> std::optional<Hostlist> {
        if (err)
            *err = std::move(msg);
        return std::nullopt;
    };

    Hostlist hl;
    if (s.empty())
        return hl;

    /* Split on commas outside brackets.  Bracket errors are diagnosed per
     * term; an unclosed '[' swallows the rest of the input into its term.
     */
    std::vector<std::string_view> terms;
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '[')
            depth++;
        else if (s[i] == ']') {
            if (depth > 0)
                depth--;
        }
        else if (s[i] == ',' && depth == 0) {
            terms.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    }
    terms.push_back(s.substr(start));

    std::vector<term_spec> specs(terms.size());
    size_t total = 0;
    std::string msg;
    for (size_t i = 0; i < terms.size(); i++) {
        if (terms[i].empty())
            return fail("hostlist: empty host in " + quoted(s));
        if (!parse_term(terms[i], specs[i], total, msg))
            return fail(std::move(msg));
        if (total > max_hosts) {
            return fail("hostlist: too many hosts (more than " + std::to_string(max_hosts) +
                        ") in " + quoted(s));
        }
    }

    hl.hosts_.reserve(total);
    for (const auto &spec : specs) {
        if (spec.ranges.empty()) {
            hl.hosts_.emplace_back(spec.prefix);
            continue;
        }
        for (const auto &r : spec.ranges) {
            for (uint64_t v = r.lo; v <= r.hi; v++) {
                std::string host(spec.prefix);
                host += pad(v, r.width);
                host += spec.suffix;
                hl.hosts_.push_back(std::move(host));
            }
        }
    }
    return hl;
}

void Hostlist::append(const std::string &host)
{
    hosts_.push_back(host);
}

size_t Hostlist::count() const
{
    return hosts_.size();
}

const std::string &Hostlist::at(size_t i) const
{
    assert(i < hosts_.size());
    return hosts_[i];
}

std::optional<size_t> Hostlist::find(std::string_view host) const
{
    for (size_t i = 0; i < hosts_.size(); i++) {
        if (hosts_[i] == host)
            return i;
    }
    return std::nullopt;
}

const std::vector<std::string> &Hostlist::hosts() const
{
    return hosts_;
}

std::string Hostlist::encode() const
{
    std::string out;
    std::string_view prefix;
    std::string_view suffix;
    std::vector<run> runs;

    auto emit = [&out](std::string_view text) {
        if (!out.empty())
            out += ',';
        out += text;
    };
    auto flush = [&]() {
        if (runs.empty())
            return;
        std::string term(prefix);
        bool many = runs.size() > 1 || runs[0].lo != runs[0].hi;
        if (many)
            term += '[';
        for (size_t i = 0; i < runs.size(); i++) {
            if (i > 0)
                term += ',';
            term += pad(runs[i].lo, runs[i].width);
            if (runs[i].hi != runs[i].lo) {
                term += '-';
                term += pad(runs[i].hi, runs[i].width);
            }
        }
        if (many)
            term += ']';
        term += suffix;
        emit(term);
        runs.clear();
    };

    for (const auto &host : hosts_) {
        host_parts p = split_host(host);
        if (!p.numeric) {
            flush();
            emit(host);
            continue;
        }
        if (!runs.empty() && p.prefix == prefix && p.suffix == suffix) {
            run &r = runs.back();
            if (p.value == r.hi + 1 && fits_width(p.digits, r.width))
                r.hi = p.value;
            else
                runs.push_back(run{p.value, p.value, width_of(p.digits)});
            continue;
        }
        flush();
        prefix = p.prefix;
        suffix = p.suffix;
        runs.push_back(run{p.value, p.value, width_of(p.digits)});
    }
    flush();
    return out;
}

} // namespace flux
