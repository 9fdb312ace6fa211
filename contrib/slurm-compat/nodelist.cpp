/* nodelist.cpp - Slurm hostlist expressions (see nodelist.h). */
#include "nodelist.h"

#include <cctype>
#include <map>
#include <set>

namespace slurm {

namespace {

/* Split at top-level commas (not inside brackets). */
bool split_top(const std::string &s, std::vector<std::string> &parts)
{
    int depth = 0;
    std::string cur;
    for (char c : s) {
        if (c == '[')
            depth++;
        else if (c == ']' && --depth < 0)
            return false;
        if (c == ',' && depth == 0) {
            parts.push_back(cur);
            cur.clear();
            continue;
        }
        cur += c;
    }
    if (depth != 0)
        return false;
    parts.push_back(cur);
    return true;
}

bool expand_one(const std::string &item, std::vector<std::string> &out)
{
    size_t lb = item.find('[');
    if (lb == std::string::npos) {
        if (item.empty() || item.find(']') != std::string::npos)
            return false;
        out.push_back(item);
        return true;
    }
    size_t rb = item.find(']', lb);
    if (rb == std::string::npos)
        return false;
    std::string prefix = item.substr(0, lb), inner = item.substr(lb + 1, rb - lb - 1),
                suffix = item.substr(rb + 1);
    std::vector<std::string> tails;
    if (!suffix.empty()) {
        if (!expand_one("x" + suffix, tails))
            return false;
        for (auto &t : tails)
            t.erase(0, 1);
    }
    else
        tails.push_back("");
    size_t start = 0;
    while (true) {
        size_t comma = inner.find(',', start);
        std::string r = inner.substr(start, comma == std::string::npos ? std::string::npos
                                                                       : comma - start);
        size_t dash = r.find('-');
        std::string lo = r.substr(0, dash), hi = dash == std::string::npos ? lo : r.substr(dash + 1);
        if (lo.empty() || hi.empty() || lo.size() > 9 || hi.size() > 9)
            return false;
        for (char c : lo + hi)
            if (!isdigit((unsigned char)c))
                return false;
        long a = std::stol(lo), b = std::stol(hi);
        if (b < a || b - a > 1000000)
            return false;
        size_t width = lo.size();
        for (long v = a; v <= b; v++) {
            std::string num = std::to_string(v);
            if (num.size() < width)
                num.insert(0, width - num.size(), '0');
            for (const auto &t : tails)
                out.push_back(prefix + num + t);
        }
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return true;
}

} // namespace

bool nodelist_expand(const std::string &expr, std::vector<std::string> &out)
{
    std::vector<std::string> parts, names;
    if (expr.empty())
        return false;
    if (!split_top(expr, parts))
        return false;
    for (const auto &p : parts)
        if (!expand_one(p, names))
            return false;
    out = std::move(names);
    return true;
}

std::string nodelist_compress(const std::vector<std::string> &names)
{
    /* Group by (prefix, width): a prefix followed by the trailing digits. */
    struct Group {
        std::string prefix;
        size_t width;
        std::vector<long> nums;
    };
    std::vector<Group> groups;
    std::vector<std::string> order; /* output items in first-seen order */
    std::set<std::string> seen;
    std::map<std::pair<std::string, size_t>, size_t> index;
    std::vector<std::pair<bool, size_t>> items; /* (is_group, index or plain position) */
    std::vector<std::string> plain;
    for (const auto &n : names) {
        if (!seen.insert(n).second)
            continue;
        size_t i = n.size();
        while (i > 0 && isdigit((unsigned char)n[i - 1]))
            i--;
        if (i == n.size() || n.size() - i > 9) {
            items.push_back({false, plain.size()});
            plain.push_back(n);
            continue;
        }
        std::string prefix = n.substr(0, i), digits = n.substr(i);
        /* Zero padded numbers keep their width; unpadded ones share width 0. */
        size_t width = digits.size() > 1 && digits[0] == '0' ? digits.size() : 0;
        auto key = std::make_pair(prefix, width);
        auto it = index.find(key);
        if (it == index.end()) {
            it = index.emplace(key, groups.size()).first;
            groups.push_back({prefix, width, {}});
            items.push_back({true, it->second});
        }
        groups[it->second].nums.push_back(std::stol(digits));
    }
    std::string out;
    for (auto [is_group, i] : items) {
        if (!out.empty())
            out += ',';
        if (!is_group) {
            out += plain[i];
            continue;
        }
        Group &g = groups[i];
        std::set<long> s(g.nums.begin(), g.nums.end());
        auto fmt = [&](long v) {
            std::string d = std::to_string(v);
            if (d.size() < g.width)
                d.insert(0, g.width - d.size(), '0');
            return d;
        };
        if (s.size() == 1) {
            out += g.prefix + fmt(*s.begin());
            continue;
        }
        std::string ranges;
        for (auto it = s.begin(); it != s.end();) {
            long a = *it, b = a;
            auto jt = std::next(it);
            while (jt != s.end() && *jt == b + 1)
                b = *jt++;
            if (!ranges.empty())
                ranges += ',';
            ranges += a == b ? fmt(a) : fmt(a) + "-" + fmt(b);
            it = jt;
        }
        out += g.prefix + "[" + ranges + "]";
    }
    return out;
}

std::string tasks_per_node_string(const std::vector<int> &counts)
{
    std::string out;
    for (size_t i = 0; i < counts.size();) {
        size_t j = i;
        while (j < counts.size() && counts[j] == counts[i])
            j++;
        if (!out.empty())
            out += ',';
        out += std::to_string(counts[i]);
        if (j - i > 1)
            out += "(x" + std::to_string(j - i) + ")";
        i = j;
    }
    return out;
}

} // namespace slurm
