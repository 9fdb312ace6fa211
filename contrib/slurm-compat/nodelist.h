/* nodelist.h - Slurm hostlists: "node[1-3,7],login0" to and from the list
 * of names. */
#pragma once

#include <string>
#include <vector>

namespace slurm {

/* Expand a hostlist expression; false (and OUT unchanged) if malformed. */
bool nodelist_expand(const std::string &expr, std::vector<std::string> &out);

/* Compress NAMES (in order, duplicates dropped) to Slurm's form: names that
 * differ only in a trailing number join in brackets, keeping zero padding
 * ("n01,n02,n03" -> "n[01-03]").  "" for none. */
std::string nodelist_compress(const std::vector<std::string> &names);

/* Slurm's SLURM_TASKS_PER_NODE form of per-node counts: "2(x3),1". */
std::string tasks_per_node_string(const std::vector<int> &counts);

} // namespace slurm
