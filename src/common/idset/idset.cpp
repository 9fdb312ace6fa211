/* idset/idset.cpp - sets of non-negative integer ids (RFC 22).
 *
 * Parsing, canonical encoding and set algebra over a sorted vector of
 * merged inclusive intervals.  Set operations are linear merges over the
 * interval lists; point operations use binary search.
 */
#include "idset/idset.h"

#include <algorithm>
#include <iterator>

namespace flux {

namespace {

enum class num_status { ok, invalid, too_large };

/* Parse a run of decimal digits into an id no larger than IdSet::max_id. */
num_status parse_id(std::string_view str, uint32_t &out)
{
    if (str.empty())
        return num_status::invalid;
    for (char c : str) {
        if (c < '0' || c > '9')
            return num_status::invalid;
    }
    uint64_t value = 0;
    for (char c : str) {
        value = value * 10 + static_cast<uint64_t>(c - '0');
        if (value > IdSet::max_id)
            return num_status::too_large;
    }
    out = static_cast<uint32_t>(value);
    return num_status::ok;
}

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

/* Merge overlapping/adjacent intervals of an already sorted vector. */
void coalesce(std::vector<std::pair<uint32_t, uint32_t>> &v)
{
    if (v.empty())
        return;
    size_t out = 0;
    for (size_t i = 1; i < v.size(); i++) {
        /* 64-bit arithmetic so that a range ending at UINT32_MAX is safe */
        if (static_cast<uint64_t>(v[i].first) <= static_cast<uint64_t>(v[out].second) + 1) {
            v[out].second = std::max(v[out].second, v[i].second);
        }
        else
            v[++out] = v[i];
    }
    v.resize(out + 1);
}

} // namespace

void IdSet::normalize(std::vector<Range> &v)
{
    std::sort(v.begin(), v.end());
    coalesce(v);
}

std::optional<IdSet> IdSet::parse(std::string_view s, std::string *err)
{
    auto fail = [err](std::string msg) -> std::optional<IdSet> {
        if (err)
            *err = std::move(msg);
        return std::nullopt;
    };

    std::string_view body = s;
    bool open = !s.empty() && s.front() == '[';
    bool close = !s.empty() && s.back() == ']';
    if (open != close)
        return fail("idset: unbalanced bracket in " + quoted(s));
    if (open)
        body = s.substr(1, s.size() - 2);

    IdSet result;
    if (body.empty())
        return result;

    std::vector<Range> ranges;
    size_t pos = 0;
    for (;;) {
        size_t comma = body.find(',', pos);
        std::string_view elem = body.substr(
            pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        if (elem.empty())
            return fail("idset: empty element in " + quoted(s));
        if (elem.front() == '-')
            return fail("idset: negative id " + quoted(elem));

        size_t dash = elem.find('-');
        if (dash == std::string_view::npos) {
            uint32_t id = 0;
            switch (parse_id(elem, id)) {
                case num_status::invalid:
                    return fail("idset: invalid id " + quoted(elem));
                case num_status::too_large:
                    return fail("idset: id too large " + quoted(elem));
                case num_status::ok:
                    break;
            }
            ranges.emplace_back(id, id);
        }
        else {
            uint32_t lo = 0;
            uint32_t hi = 0;
            num_status lo_status = parse_id(elem.substr(0, dash), lo);
            num_status hi_status = parse_id(elem.substr(dash + 1), hi);
            if (lo_status == num_status::invalid || hi_status == num_status::invalid)
                return fail("idset: invalid range " + quoted(elem));
            if (lo_status == num_status::too_large || hi_status == num_status::too_large)
                return fail("idset: id too large " + quoted(elem));
            if (lo > hi)
                return fail("idset: invalid range " + quoted(elem));
            ranges.emplace_back(lo, hi);
        }

        if (comma == std::string_view::npos)
            break;
        pos = comma + 1;
    }
    normalize(ranges);
    result.ranges_ = std::move(ranges);
    return result;
}

IdSet IdSet::range(uint32_t lo, uint32_t hi)
{
    IdSet result;
    if (lo <= hi)
        result.ranges_.emplace_back(lo, hi);
    return result;
}

void IdSet::insert(uint32_t id)
{
    /* first range starting above id */
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), id,
                               [](uint32_t v, const Range &r) { return v < r.first; });

    if (it != ranges_.begin()) {
        auto prev = std::prev(it);
        if (prev->second >= id)
            return; // already present
        if (prev->second + 1 == id) {
            prev->second = id;
            /* it != end implies id < UINT32_MAX, so id + 1 cannot wrap */
            if (it != ranges_.end() && it->first == id + 1) {
                prev->second = it->second;
                ranges_.erase(it);
            }
            return;
        }
    }
    if (it != ranges_.end() && it->first == id + 1) {
        it->first = id;
        return;
    }
    ranges_.insert(it, Range{id, id});
}

void IdSet::erase(uint32_t id)
{
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), id,
                               [](uint32_t v, const Range &r) { return v < r.first; });
    if (it == ranges_.begin())
        return;
    --it;
    if (it->second < id)
        return; // not present
    if (it->first == it->second)
        ranges_.erase(it);
    else if (it->first == id)
        it->first++;
    else if (it->second == id)
        it->second--;
    else {
        Range upper{id + 1, it->second};
        it->second = id - 1;
        ranges_.insert(std::next(it), upper);
    }
}

bool IdSet::contains(uint32_t id) const
{
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), id,
                               [](uint32_t v, const Range &r) { return v < r.first; });
    if (it == ranges_.begin())
        return false;
    return std::prev(it)->second >= id;
}

void IdSet::insert(const IdSet &other)
{
    if (other.ranges_.empty())
        return;
    if (ranges_.empty()) {
        ranges_ = other.ranges_;
        return;
    }
    std::vector<Range> merged;
    merged.reserve(ranges_.size() + other.ranges_.size());
    std::merge(ranges_.begin(), ranges_.end(), other.ranges_.begin(), other.ranges_.end(),
               std::back_inserter(merged));
    coalesce(merged);
    ranges_ = std::move(merged);
}

IdSet IdSet::difference(const IdSet &other) const
{
    IdSet result;
    const auto &sub = other.ranges_;
    size_t j = 0;
    for (const auto &[lo, hi] : ranges_) {
        uint64_t cur = lo;
        while (j < sub.size() && sub[j].second < cur)
            j++;
        for (size_t k = j; k < sub.size() && sub[k].first <= hi && cur <= hi; k++) {
            if (sub[k].first > cur) {
                result.ranges_.emplace_back(static_cast<uint32_t>(cur), sub[k].first - 1);
            }
            cur = std::max(cur, static_cast<uint64_t>(sub[k].second) + 1);
        }
        if (cur <= hi)
            result.ranges_.emplace_back(static_cast<uint32_t>(cur), hi);
    }
    return result;
}

IdSet IdSet::intersect(const IdSet &other) const
{
    IdSet result;
    const auto &a = ranges_;
    const auto &b = other.ranges_;
    size_t i = 0;
    size_t j = 0;
    while (i < a.size() && j < b.size()) {
        uint32_t lo = std::max(a[i].first, b[j].first);
        uint32_t hi = std::min(a[i].second, b[j].second);
        if (lo <= hi)
            result.ranges_.emplace_back(lo, hi);
        if (a[i].second < b[j].second)
            i++;
        else
            j++;
    }
    return result;
}

size_t IdSet::count() const
{
    size_t n = 0;
    for (const auto &[lo, hi] : ranges_)
        n += static_cast<size_t>(hi - lo) + 1;
    return n;
}

bool IdSet::empty() const
{
    return ranges_.empty();
}

std::optional<uint32_t> IdSet::first() const
{
    if (ranges_.empty())
        return std::nullopt;
    return ranges_.front().first;
}

std::optional<uint32_t> IdSet::last() const
{
    if (ranges_.empty())
        return std::nullopt;
    return ranges_.back().second;
}

std::string IdSet::encode(bool brackets) const
{
    std::string out;
    for (const auto &[lo, hi] : ranges_) {
        if (!out.empty())
            out += ',';
        out += std::to_string(lo);
        if (hi != lo) {
            out += '-';
            out += std::to_string(hi);
        }
    }
    bool many =
        ranges_.size() > 1 || (ranges_.size() == 1 && ranges_[0].first != ranges_[0].second);
    if (brackets && many)
        out = "[" + out + "]";
    return out;
}

std::vector<uint32_t> IdSet::to_vector() const
{
    std::vector<uint32_t> v;
    v.reserve(count());
    for_each([&v](uint32_t id) { v.push_back(id); });
    return v;
}

} // namespace flux
