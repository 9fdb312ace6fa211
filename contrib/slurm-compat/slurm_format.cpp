/* slurm_format.cpp - Slurm output formats (slurm_format.h). */
#include "slurm_format.h"

#include <cctype>
#include <cstdio>

namespace slurm {

std::string parse_percent_format(const std::string &fmt, const std::string &known,
                                 std::vector<FormatItem> &out)
{
    out.clear();
    FormatItem cur;
    for (size_t i = 0; i < fmt.size(); i++) {
        if (fmt[i] != '%') {
            cur.literal += fmt[i];
            continue;
        }
        size_t j = i + 1;
        FormatItem it;
        it.literal = cur.literal;
        cur.literal.clear();
        if (j < fmt.size() && fmt[j] == '%') {
            it.literal += '%';
            cur = it;
            i = j;
            continue;
        }
        while (j < fmt.size() && (fmt[j] == '.' || fmt[j] == '#' || fmt[j] == '-')) {
            if (fmt[j] == '.')
                it.right = true;
            if (fmt[j] == '#')
                it.autowidth = true;
            j++;
        }
        while (j < fmt.size() && isdigit((unsigned char)fmt[j]))
            it.width = it.width * 10 + (fmt[j++] - '0');
        if (j >= fmt.size())
            return "Invalid format specification: " + fmt;
        if (known.find(fmt[j]) == std::string::npos)
            return std::string("Invalid job format specification: ") + fmt[j];
        it.field = fmt[j];
        out.push_back(it);
        i = j;
    }
    if (!cur.literal.empty())
        out.push_back(cur);
    return "";
}

std::string parse_field_format(const std::string &fmt, const std::map<std::string, char> &names,
                               int defwidth, std::vector<FormatItem> &out)
{
    out.clear();
    size_t start = 0;
    while (start <= fmt.size()) {
        size_t comma = fmt.find(',', start);
        std::string item = fmt.substr(start, comma == std::string::npos ? std::string::npos
                                                                        : comma - start);
        if (!item.empty()) {
            FormatItem it;
            std::string name = item, w;
            size_t colon = item.find(':');
            if (colon != std::string::npos) {
                name = item.substr(0, colon);
                w = item.substr(colon + 1);
            }
            std::string lname;
            for (char c : name)
                lname += (char)tolower((unsigned char)c);
            auto f = names.find(lname);
            if (f == names.end())
                return "Invalid job format specification: " + name;
            it.field = f->second;
            it.width = defwidth;
            if (!w.empty() && w[0] == '.') {
                it.right = true;
                w = w.substr(1);
            }
            if (!w.empty()) {
                if (w.find_first_not_of("0123456789") != std::string::npos)
                    return "Invalid field width: " + item;
                it.width = std::stoi(w);
            }
            if (!out.empty())
                it.literal = " ";
            out.push_back(it);
        }
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    if (out.empty())
        return "Invalid job format specification: " + fmt;
    return "";
}

void print_table(const std::vector<FormatItem> &items, bool header_on,
                 const std::map<char, std::string> &headers, size_t nrows,
                 const std::function<std::string(size_t, char)> &value)
{
    std::vector<std::vector<std::string>> cells(nrows, std::vector<std::string>(items.size()));
    std::vector<int> widths(items.size());
    for (size_t k = 0; k < items.size(); k++) {
        const FormatItem &it = items[k];
        if (!it.field)
            continue;
        auto h = headers.find(it.field);
        std::string head = h != headers.end() ? h->second : "";
        widths[k] = it.width;
        if (it.autowidth) {
            int w = (int)head.size();
            for (size_t r = 0; r < nrows; r++) {
                cells[r][k] = value(r, it.field);
                w = std::max(w, (int)cells[r][k].size());
            }
            widths[k] = std::max(w, it.width);
        }
        else
            for (size_t r = 0; r < nrows; r++)
                cells[r][k] = value(r, it.field);
    }
    auto emit = [&](const std::function<std::string(size_t)> &cell) {
        std::string line;
        for (size_t k = 0; k < items.size(); k++) {
            line += items[k].literal;
            if (!items[k].field)
                continue;
            std::string v = cell(k);
            int w = widths[k];
            if (w > 0 && (int)v.size() > w)
                v = v.substr(0, w);
            if (w > 0 && (int)v.size() < w)
                v = items[k].right ? std::string(w - v.size(), ' ') + v
                                   : v + std::string(w - v.size(), ' ');
            line += v;
        }
        /* Slurm keeps trailing blanks of a left-justified last column. */
        puts(line.c_str());
    };
    if (header_on)
        emit([&](size_t k) {
            auto h = headers.find(items[k].field);
            return h != headers.end() ? h->second : std::string();
        });
    for (size_t r = 0; r < nrows; r++)
        emit([&](size_t k) { return cells[r][k]; });
}

} // namespace slurm
