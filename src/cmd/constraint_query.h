/* constraint_query.h - flux run/submit/batch/alloc --requires: a Flux RFC 35
 * constraint query ("gpu & -host:node[1-2]", "rank:0-3 | big") made into an
 * RFC 31 constraints object for attributes.system.constraints.
 *
 * Terms are OP:OPERAND or a bare OPERAND (properties).  Operators:
 * properties (comma-separated names, "^name" = must not have), hostlist /
 * host / hosts (RFC 29 hostlist), ranks / rank (RFC 22 idset).  Terms joined
 * by whitespace, "&", "&&" or "and" are ANDed; "|", "||" or "or" ORs them
 * (AND binds tighter); "not TERM", "-TERM" and "not (EXPR)" negate;
 * parentheses group; 'single' or "double" quotes keep blanks in an operand.
 */
#pragma once

#include <string>
#include <vector>

#include "result/result.h"
#include "jobspec/jobspec.h"

namespace fluxcmd {

/* The RFC 31 object (new reference) for QUERY, or EINVAL with a message
 * that names the offending term: "--requires: unknown operator 'foo' in
 * 'foo:bar' (expected properties, host, hosts, hostlist, rank, ranks)". */
flux::Result<flux::JsonPtr> constraint_query_parse(const std::string &query);

/* Several --requires options: each parsed alone, then ANDed. */
flux::Result<flux::JsonPtr> constraint_query_all(const std::vector<std::string> &queries);

} // namespace fluxcmd
