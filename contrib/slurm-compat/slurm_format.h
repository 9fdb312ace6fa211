/* slurm_format.h - squeue/sinfo/sacct output formats: "%.18i %.9P %j"
 * (-o: '.' right-justifies, a number is the width, values longer are cut,
 * '#' sizes the column to its longest value), "JobID,Name:30" (-O), and
 * printing rows under their header. */
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace slurm {

struct FormatItem {
    std::string literal; /* text before the field (or the whole item) */
    char field = 0;      /* 0: literal only */
    int width = 0;       /* 0: as wide as the value */
    bool right = false, autowidth = false;
};

/* Parse a %-format; "" or the error text. */
std::string parse_percent_format(const std::string &fmt, const std::string &known,
                                 std::vector<FormatItem> &out);

/* Parse a -O list "Name[:[.]width],..." with NAMES mapping lower-case field
 * names to letters; default width DEFWIDTH. */
std::string parse_field_format(const std::string &fmt, const std::map<std::string, char> &names,
                               int defwidth, std::vector<FormatItem> &out);

/* Print HEADER (if HEADER_ON) and ROWS: VALUE(row, letter) gives a cell. */
void print_table(const std::vector<FormatItem> &items, bool header_on,
                 const std::map<char, std::string> &headers, size_t nrows,
                 const std::function<std::string(size_t, char)> &value);

} // namespace slurm
