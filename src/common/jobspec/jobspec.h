/* jobspec/jobspec.h - parse, validate and encode Flux jobspec.
 *
 * Implements the canonical job specification of RFC 14 and the simplified
 * "version 1" jobspec of RFC 25 (dependencies per RFC 26, constraints per
 * RFC 31 are checked only for their outer shape).
 *
 * Every parser validates the RFC 14 structure: a jobspec that fails is
 * rejected with an EINVAL error whose text names the offending path, e.g.
 * "resources[0].with[1].count: must be >= 1" or "resources[0]: unknown key
 * 'colour'".  Resource type names are free in RFC 14 (a graph scheduler may
 * use any of them), so RFC 25 conformance is recorded rather than enforced:
 * Jobspec::v1 says whether the jobspec is also a valid V1 jobspec and
 * Jobspec::v1_error says why not.  For V1 jobspecs the node/slot/core/gpu
 * counts are derived into Jobspec fields for simple schedulers.
 *
 * Input is JSON or YAML (YAML 1.2 core schema; a single document).  YAML
 * and JSON syntax errors are reported as "line L, column C: message".
 *
 * Nothing here throws: yaml-cpp exceptions are caught inside and every
 * failure is returned as a flux::Error.
 */
#ifndef FLUX_COMMON_JOBSPEC_JOBSPEC_H
#define FLUX_COMMON_JOBSPEC_JOBSPEC_H

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <jansson.h>

#include "libflux/ptr.h"
#include "result/result.h"

namespace flux {

/* Count::max of a range without an upper bound. */
inline constexpr uint64_t count_unlimited = UINT64_MAX;

/* A resource count (RFC 14): a fixed integer, a range object
 * {min, max, operator, operand}, or an RFC 22 idset string of acceptable
 * counts.  A fixed count has min == max and is_range false.  A range with
 * no max has max == count_unlimited; operator defaults to '+' and operand
 * to 1.  An idset count keeps its text in idset with min/max its bounds.
 */
struct Count {
    uint64_t min = 1;
    uint64_t max = 1;
    char op = '+'; // '+', '*' or '^'
    uint64_t operand = 1;
    bool is_range = false;
    std::string idset;
};

/* A resource vertex.  Type "slot" is reserved: it must carry a label and
 * contain at least one resource.  Empty unit/label/id mean "not given".
 */
struct Resource {
    std::string type;
    Count count;
    std::string unit;
    bool exclusive = false;
    bool exclusive_set = false; // "exclusive" appeared in the jobspec
    std::string label;
    std::string id;
    std::vector<Resource> with;
};

struct TaskCount {
    enum Kind { per_slot, per_resource, total };
    Kind kind = per_slot;
    uint64_t count = 1;
    std::string resource_type; // per_resource only
};

struct Task {
    std::vector<std::string> command;
    std::string slot; // label of a slot resource
    TaskCount count;
    std::string distribution; // empty: not given
    JsonPtr attributes;       // task attributes object, or null if absent
};

struct Jobspec {
    int version = 1;
    std::vector<Resource> resources;
    std::vector<Task> tasks;

    /* The whole attributes object (system and user), as given; never null
     * after parsing.  jobspec_encode_json() writes this object verbatim.
     */
    JsonPtr attributes;

    /* Read-only views of common system attributes, extracted on parsing.
     * The JSON ones share references with `attributes` (null if absent).
     */
    double duration = 0; // seconds, 0 = unlimited
    std::string cwd;
    std::string queue;
    std::string job_name;  // attributes.system.job.name
    JsonPtr environment;   // object
    JsonPtr shell_options; // attributes.system.shell.options, object
    JsonPtr dependencies;  // array (RFC 26)
    JsonPtr constraints;   // object (RFC 31)
    JsonPtr files;         // object (RFC 37)

    /* Total number of tasks over all task entries when every count it
     * depends on is fixed; 0 when it cannot be computed.
     */
    uint64_t ntasks = 0;

    /* RFC 25 conformance and, for V1 only, the derived shape. */
    bool v1 = false;
    std::string v1_error; // why not V1 (empty when v1)
    uint64_t nnodes = 0;  // 0: no node level
    uint64_t nslots = 0;  // total slots (nnodes * slots per node)
    uint64_t cores_per_slot = 0;
    uint64_t gpus_per_slot = 0;
    bool exclusive = false; // node-level exclusive
};

/* Parse a jobspec from JSON (first non-space character '{') or YAML text,
 * validate it against RFC 14 and record RFC 25 conformance.
 */
Result<Jobspec> jobspec_parse(std::string_view text);

/* The checks every jobspec text passes before it is parsed, with their
 * errors: "jobspec is empty", "jobspec is not text: NUL byte at offset N",
 * "jobspec is not valid UTF-8: byte 0xNN at offset N", "jobspec nesting
 * too deep (limit 256)" ([ and { outside strings; YAML block nesting is
 * held to the same limit while parsing).
 */
Result<void> jobspec_check_text(std::string_view text);

/* Same, forcing YAML (JSON is YAML too, but numbers follow YAML rules). */
Result<Jobspec> jobspec_parse_yaml(std::string_view text);

/* Same, from a decoded JSON object (borrowed; copied where kept). */
Result<Jobspec> jobspec_parse_json(json_t *o);

/* RFC 25 conformance of a (canonically valid) jobspec; the error text is
 * what jobspec_parse() stores in v1_error.
 */
Result<void> jobspec_validate_v1(const Jobspec &js);

/* Canonical JSON encoding (compact, keys sorted) of a jobspec. */
Result<std::string> jobspec_encode_json(const Jobspec &js);

/* The JSON object jobspec_encode_json() would print. */
Result<JsonPtr> jobspec_to_json(const Jobspec &js);

/* Re-validate a jobspec built or modified in code: encode and parse it
 * again.  Returns the parsed copy (with views and derived fields filled).
 */
Result<Jobspec> jobspec_revalidate(const Jobspec &js);

/* The options of `flux submit` / `flux run` that shape a V1 jobspec. */
struct JobspecRequest {
    std::vector<std::string> command;
    uint64_t ntasks = 1;         // -n
    uint64_t nodes = 0;          // -N, 0 = not given
    uint64_t cores_per_task = 1; // -c
    uint64_t gpus_per_task = 0;  // -g
    double duration = 0;         // -t, seconds, 0 = unlimited
    bool exclusive = false;      // --exclusive (needs -N)
    std::string cwd;
    std::string job_name;
    std::string queue;
    std::map<std::string, std::string> env;
};

/* Build a V1 jobspec the way Flux's JobspecV1.from_command() does:
 * without nodes, slot[ntasks] > core[c] (+ gpu[g]) with one task per slot;
 * with nodes, node[N] > slot[ceil(n/N)] > core[c] (+ gpu[g]), one task per
 * slot when N divides n, otherwise a total task count of n (the extra
 * slots stay idle).  attributes.system gets duration, environment, and
 * cwd, queue and job.name when set.
 */
Result<Jobspec> jobspec_from_request(const JobspecRequest &req);
/* K for a single task entry counted {"per_resource": {"type": "node",
 * "count": K}} (its task count follows the nodes of R), else 0. */
uint32_t jobspec_tasks_per_node(const Jobspec &js);

} // namespace flux

#endif // FLUX_COMMON_JOBSPEC_JOBSPEC_H
