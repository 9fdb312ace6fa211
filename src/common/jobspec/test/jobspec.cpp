/* jobspec/test/jobspec.cpp - Criterion unit tests for the jobspec library
 * (RFC 14 canonical jobspec, RFC 25 jobspec V1).
 *
 * Table-driven: valid jobspecs (YAML and JSON, the RFC 25 use cases and
 * RFC 14 canonical use cases) with their V1 verdict and derived shape;
 * invalid jobspecs with the exact error text; encode/parse round trips;
 * jobspec_from_request() as `flux submit` would build it; bad requests.
 */
#include <criterion/criterion.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "jobspec/jobspec.h"

using flux::Jobspec;
using flux::JobspecRequest;

/* Criterion's string assertions keep the raw pointer past the end of the
 * full expression, so a std::string temporary must be held in a local.
 */
#define expect_str(actual, expected, ...)                                                          \
    do {                                                                                           \
        const std::string got_ = (actual);                                                         \
        cr_expect_str_eq(got_.c_str(), (expected)__VA_OPT__(, ) __VA_ARGS__);                      \
    } while (0)

/* JSON building blocks for the compact invalid cases. */
#define SLOT_CORE                                                                                  \
    "\"resources\": [{\"type\": \"slot\", \"count\": 1, \"label\": \"task\", "                     \
    "\"with\": [{\"type\": \"core\", \"count\": 1}]}]"
#define TASKS                                                                                      \
    "\"tasks\": [{\"command\": [\"hostname\"], \"slot\": \"task\", \"count\": {\"per_slot\": 1}}]"
#define ATTRS "\"attributes\": {\"system\": {\"duration\": 0}}"
/* A jobspec whose resources are given (R), with TASKS and ATTRS. */
#define WITH_RESOURCES(R) "{\"version\": 1, \"resources\": [" R "], " TASKS ", " ATTRS "}"
/* A jobspec with SLOT_CORE, the given tasks list (T) and ATTRS. */
#define WITH_TASKS(T) "{\"version\": 1, " SLOT_CORE ", \"tasks\": [" T "], " ATTRS "}"
/* A jobspec with SLOT_CORE, TASKS and the given attributes.system (S). */
#define WITH_SYSTEM(S)                                                                             \
    "{\"version\": 1, " SLOT_CORE ", " TASKS ", \"attributes\": {\"system\": " S "}}"

namespace {

struct valid_case {
    const char *name;
    const char *text;
    const char *v1_error; // "" when the jobspec is also valid V1
    uint64_t ntasks;
    /* V1 shape (checked only when v1_error is ""). */
    uint64_t nnodes;
    uint64_t nslots;
    uint64_t cores_per_slot;
    uint64_t gpus_per_slot;
};

const valid_case valid_cases[] = {
    /* RFC 25 example: 4 nodes, 1 slot of 2 cores each, one task per slot. */
    {"rfc25 example", R"(version: 1
resources:
  - type: node
    count: 4
    with:
      - type: slot
        count: 1
        label: default
        with:
          - type: core
            count: 2
tasks:
  - command: [ "app" ]
    slot: default
    count:
      per_slot: 1
attributes:
  system:
    duration: 3600.
    cwd: "/home/flux"
    environment:
      HOME: "/home/flux"
)",
     "", 4, 4, 4, 2, 0},
    /* RFC 25 use case 1.1: request 4 nodes, each with 1 slot. */
    {"rfc25 use case 1.1", R"(version: 1
resources:
  - type: node
    count: 4
    with:
      - type: slot
        count: 1
        label: default
        with:
          - type: core
            count: 1
tasks:
  - command: [ "flux", "start" ]
    slot: default
    count:
      per_slot: 1
attributes:
  system:
    duration: 3600.
)",
     "", 4, 4, 4, 1, 0},
    /* RFC 25 use case 2.1: 5 copies of hostname across 4 nodes. */
    {"rfc25 use case 2.1", R"(version: 1
resources:
  - type: node
    count: 4
    with:
      - type: slot
        count: 2
        label: default
        with:
          - type: core
            count: 1
tasks:
  - command: [ "hostname" ]
    slot: default
    count:
      total: 5
attributes:
  system:
    duration: 3600.
)",
     "", 5, 4, 8, 1, 0},
    /* RFC 25 use case 2.2: 10 copies of myapp, 2 cores per copy. */
    {"rfc25 use case 2.2", R"(version: 1
resources:
  - type: slot
    count: 10
    label: default
    with:
      - type: core
        count: 2
tasks:
  - command: [ "myapp" ]
    slot: default
    count:
      per_slot: 1
attributes:
  system:
    duration: 3600.
)",
     "", 10, 0, 10, 2, 0},
    /* RFC 25 use case 2.3: 10 copies, 2 cores and 1 gpu per copy. */
    {"rfc25 use case 2.3", R"(version: 1
resources:
  - type: slot
    count: 10
    label: default
    with:
      - type: core
        count: 2
      - type: gpu
        count: 1
tasks:
  - command: [ "myapp" ]
    slot: default
    count:
      per_slot: 1
attributes:
  system:
    duration: 3600.
)",
     "", 10, 0, 10, 2, 1},
    /* RFC 25 use case 2.4: 16 copies across 4 nodes, 1 core + 1 gpu each. */
    {"rfc25 use case 2.4", R"(version: 1
resources:
  - type: node
    count: 4
    with:
      - type: slot
        count: 4
        label: default
        with:
          - type: core
            count: 1
          - type: gpu
            count: 1
tasks:
  - command: [ "myapp" ]
    slot: default
    count:
      per_slot: 1
attributes:
  system:
    duration: 3600.
)",
     "", 16, 4, 16, 1, 1},
    {"v1 json", "{\"version\": 1, " SLOT_CORE ", " TASKS ", " ATTRS "}", "", 1, 0, 1, 1, 0},
    {"v1 json with leading whitespace",
     "\n\t  {\"version\": 1, " SLOT_CORE ", " TASKS ", " ATTRS "}", "", 1, 0, 1, 1, 0},
    {"v1 yaml flow style after a comment",
     "# a comment\n{version: 1, resources: [{type: slot, count: 3, label: task, with: [{type: "
     "core, count: 2}]}], tasks: [{command: [hostname], slot: task, count: {total: 3}}], "
     "attributes: {system: {duration: 60}}}",
     "", 3, 0, 3, 2, 0},
    {"v1 slot with memory", R"(version: 1
resources:
  - type: slot
    count: 2
    label: task
    with:
      - type: core
        count: 1
      - type: memory
        count: 4
        unit: GB
tasks:
  - command: [ "app" ]
    slot: task
    count: { per_slot: 1 }
attributes:
  system: { duration: 0 }
)",
     "", 2, 0, 2, 1, 0},
    {"v1 exclusive node", R"(version: 1
resources:
  - type: node
    count: 2
    exclusive: true
    with:
      - type: slot
        count: 1
        label: task
        with:
          - { type: core, count: 1 }
tasks:
  - command: [ "app" ]
    slot: task
    count: { per_slot: 1 }
attributes:
  system: { duration: 0 }
)",
     "", 2, 2, 2, 1, 0},
    {"v1 all common system attributes", R"(version: 1
resources:
  - type: slot
    count: 1
    label: task
    with:
      - { type: core, count: 1 }
tasks:
  - command: [ "sleep", "10" ]
    slot: task
    count: { per_slot: 1 }
attributes:
  user:
    anything: [ 1, { goes: here } ]
  system:
    duration: 60
    preemptible-after: 30.5
    cwd: /tmp
    queue: batch
    bank: physics
    project: p1
    job: { name: sleepy }
    shell: { options: { verbose: 1 } }
    environment: { PATH: /bin, UNSETME: null }
    dependencies:
      - { scheme: afterok, value: "f2oLkTLb" }
      - { scheme: string, value: foo, type: out }
    constraints: { properties: [ amd-mi50 ] }
    files: { script: { data: "#!/bin/sh\n" } }
    some-future-key: 42
)",
     "", 1, 0, 1, 1, 0},

    /* RFC 14 canonical use cases: valid canonical jobspec, not V1. */
    {"rfc14 use case 1.2 (range)", R"(version: 1
resources:
  - type: slot
    count:
      min: 3
      max: 30
      operator: "+"
      operand: 1
    label: default
    with:
      - type: node
        count: 1
tasks:
  - command: [ "flux", "start" ]
    slot: default
    count:
      per_slot: 1
attributes:
  system:
    duration: 3600.
)",
     "resources[0].count: must be a fixed integer in jobspec V1", 0, 0, 0, 0, 0},
    {"rfc14 use case 1.3 (sockets)", R"(version: 1
resources:
  - type: slot
    count: 4
    label: nodelevel
    with:
    - type: node
      count: 1
      with:
        - type: socket
          count:
            min: 2
          with:
            - type: core
              count:
                min: 4
tasks:
  - command: [ "flux", "start" ]
    slot: nodelevel
    count:
      per_slot: 1
attributes:
  system:
    duration: 3600
)",
     "resources[0].with[0].type: 'node' is not allowed in a slot in jobspec V1", 4, 0, 0, 0, 0},
    {"rfc14 use case 1.5 (two top-level resources)", R"(version: 1
resources:
  - type: cluster
    count: 1
    with:
      - type: slot
        count: 2
        label: ib
        with:
          - type: node
            count: 1
            with:
              - type: memory
                count: 4
                unit: GB
              - type: ib10g
                count: 1
  - type: switch
    count: 1
    with:
      - type: slot
        count: 2
        label: bicore
        with:
          - type: node
            count: 1
            with:
              - type: core
                count: 2
tasks:
  - command: [ "flux", "start" ]
    slot: ib
    count:
      per_slot: 1
  - command: [ "flux", "start" ]
    slot: bicore
    count:
      per_slot: 1
attributes:
  system:
    duration: 14400.
)",
     "resources: must contain exactly one resource in jobspec V1", 4, 0, 0, 0, 0},
    {"rfc14 use case 2.1 (per_slot 5)", R"(version: 1
resources:
  - type: slot
    label: default
    count: 4
    with:
      - type: node
        count: 1
tasks:
  - command: [ hostname ]
    slot: default
    count:
      per_slot: 5
attributes:
  system:
    duration: 3600.
)",
     "resources[0].with[0].type: 'node' is not allowed in a slot in jobspec V1", 20, 0, 0, 0, 0},
    {"rfc14 use case 2.4 (two slots in a node)", R"(version: 1
resources:
  - type: node
    count: 1
    with:
      - type: slot
        label: read-db
        count: 10
        with:
          - type: core
            count: 1
          - type: memory
            count: 4
            unit: GB
      - type: slot
        label: db
        count: 1
        with:
          - type: core
            count: 6
          - type: memory
            count: 24
            unit: GB
tasks:
  - command: [ read-db ]
    slot: read-db
    count:
      per_slot: 1
  - command: [ db ]
    slot: db
    count:
      per_slot: 1
attributes:
  system:
    duration: 3600.
)",
     "resources[0].with: node must contain exactly one slot in jobspec V1", 11, 0, 0, 0, 0},
    {"rfc14 use case 2.6 (memory per node, total)", R"(version: 1
resources:
  - type: slot
    label: 4GB-node
    count: 2
    with:
    - type: node
      count: 1
      with:
        - type: memory
          count:
            min: 4
          unit: GB
tasks:
  - command: [ app ]
    slot: 4GB-node
    count:
      total: 10
attributes:
  system:
    duration: 3600.
)",
     "resources[0].with[0].type: 'node' is not allowed in a slot in jobspec V1", 10, 0, 0, 0, 0},
    {"rfc14 use case 2.7 (task environment)", R"(version: 1
resources:
  - type: slot
    count: 1
    label: default
    with:
      - type: node
        count: 1
tasks:
  - command: [ "flux", "start" ]
    slot: default
    count:
      per_slot: 1
  - command: [ "flux", "start" ]
    slot: default
    count:
      per_slot: 1
    attributes:
      environment:
        FOO: null
        BAR: "2"
attributes:
  system:
    duration: 3600.
    cwd: "/home/flux"
    environment:
      FOO: "/tmp"
      BAR: "1"
)",
     "resources[0].with[0].type: 'node' is not allowed in a slot in jobspec V1", 2, 0, 0, 0, 0},
    {"custom type in slot", R"(version: 1
resources:
  - type: slot
    count: 2
    label: task
    with:
      - { type: core, count: 1 }
      - { type: fpga, count: 1 }
tasks:
  - { command: [ app ], slot: task, count: { per_slot: 1 } }
attributes: { system: { duration: 0 } }
)",
     "resources[0].with[1].type: 'fpga' is not allowed in a slot in jobspec V1", 2, 0, 0, 0, 0},
    {"custom top-level type",
     WITH_RESOURCES("{\"type\": \"rack\", \"count\": 1, \"with\": [{\"type\": \"slot\", "
                    "\"count\": 2, \"label\": \"task\", \"with\": [{\"type\": \"core\", "
                    "\"count\": 1}]}]}"),
     "resources[0].type: must be node or slot in jobspec V1", 2, 0, 0, 0, 0},
    {"per_resource core", R"(version: 1
resources:
  - type: slot
    count: 4
    label: task
    with:
      - { type: core, count: 2 }
tasks:
  - command: [ app ]
    slot: task
    count: { per_resource: { type: core, count: 1 } }
attributes: { system: { duration: 0 } }
)",
     "tasks[0].count.per_resource.type: must be 'node' in jobspec V1", 8, 0, 0, 0, 0},
    {"per_resource below a node", R"(version: 1
resources:
  - type: slot
    count: 2
    label: task
    with:
      - type: node
        count: 1
        with:
          - type: socket
            count: 2
            with:
              - { type: core, count: 4 }
tasks:
  - command: [ app ]
    slot: task
    count: { per_resource: { type: core, count: 1 } }
attributes: { system: { duration: 0 } }
)",
     "resources[0].with[0].type: 'node' is not allowed in a slot in jobspec V1", 16, 0, 0, 0, 0},
    {"per_slot 2",
     WITH_TASKS("{\"command\": [\"a\"], \"slot\": \"task\", \"count\": {\"per_slot\": 2}}"),
     "tasks[0].count.per_slot: must be 1 in jobspec V1", 2, 0, 0, 0, 0},
    /* More tasks than slots: they share the slots (as flux-core accepts). */
    {"total above slot count",
     WITH_TASKS("{\"command\": [\"a\"], \"slot\": \"task\", \"count\": {\"total\": 3}}"),
     "", 3, 0, 1, 1, 0},
    /* A gpu count of 0 asks for none. */
    {"gpu count 0", R"(version: 1
resources:
  - type: slot
    count: 2
    label: task
    with:
      - { type: core, count: 1 }
      - { type: gpu, count: 0 }
tasks:
  - { command: [ app ], slot: task, count: { per_slot: 1 } }
attributes: { system: { duration: 0 } }
)",
     "", 2, 0, 2, 1, 0},
    {"total below node count", R"(version: 1
resources:
  - type: node
    count: 4
    with:
      - type: slot
        count: 1
        label: task
        with:
          - { type: core, count: 1 }
tasks:
  - { command: [ app ], slot: task, count: { total: 2 } }
attributes: { system: { duration: 0 } }
)",
     "tasks[0].count.total: must be >= the number of nodes (4) in jobspec V1", 2, 0, 0, 0, 0},
    {"no duration", "{\"version\": 1, " SLOT_CORE ", " TASKS ", \"attributes\": {\"user\": {}}}",
     "attributes.system.duration: required by jobspec V1", 1, 0, 0, 0, 0},
    {"null attributes", "{\"version\": 1, " SLOT_CORE ", " TASKS ", \"attributes\": null}",
     "attributes.system.duration: required by jobspec V1", 1, 0, 0, 0, 0},
    {"idset count", R"(version: 1
resources:
  - type: node
    count: "2,4,8-16"
    with:
      - type: slot
        count: 1
        label: task
        with:
          - { type: core, count: 1 }
tasks:
  - { command: [ app ], slot: task, count: { per_slot: 1 } }
attributes: { system: { duration: 0 } }
)",
     "resources[0].count: must be a fixed integer in jobspec V1", 0, 0, 0, 0, 0},
    {"range with operator *",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": {\"min\": 2, \"max\": 16, \"operator\": "
                    "\"*\", \"operand\": 2}, \"label\": \"task\", \"with\": [{\"type\": "
                    "\"core\", \"count\": 1}]}"),
     "resources[0].count: must be a fixed integer in jobspec V1", 0, 0, 0, 0, 0},
    {"range with operator ^ and no max", R"(version: 1
resources:
  - type: slot
    count: { min: 2, operator: "^", operand: 2 }
    label: task
    with:
      - { type: core, count: 1 }
tasks:
  - { command: [ app ], slot: task, count: { per_slot: 1 } }
attributes: { system: { duration: 0 } }
)",
     "resources[0].count: must be a fixed integer in jobspec V1", 0, 0, 0, 0, 0},
    {"range in a slot child",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": 2, \"label\": \"task\", \"with\": "
                    "[{\"type\": \"core\", \"count\": {\"min\": 1}}]}"),
     "resources[0].with[0].count: must be a fixed integer in jobspec V1", 2, 0, 0, 0, 0},
    {"exclusive slot",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": 1, \"exclusive\": false, \"label\": "
                    "\"task\", \"with\": [{\"type\": \"core\", \"count\": 1}]}"),
     "resources[0].exclusive: only allowed on node in jobspec V1", 1, 0, 0, 0, 0},
    {"two tasks",
     WITH_TASKS("{\"command\": [\"a\"], \"slot\": \"task\", \"count\": {\"per_slot\": 1}}, "
                "{\"command\": [\"b\"], \"slot\": \"task\", \"count\": {\"total\": 5}}"),
     "tasks: must contain exactly one task in jobspec V1", 6, 0, 0, 0, 0},
    {"task distribution",
     WITH_TASKS("{\"command\": [\"a\"], \"slot\": \"task\", \"count\": {\"per_slot\": 1}, "
                "\"distribution\": \"cyclic\"}"),
     "tasks[0].distribution: not allowed in jobspec V1", 1, 0, 0, 0, 0},
    {"slot without core",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": 1, \"label\": \"task\", \"with\": "
                    "[{\"type\": \"gpu\", \"count\": 1}]}"),
     "resources[0]: slot must contain core in jobspec V1", 1, 0, 0, 0, 0},
    {"two cores in a slot",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": 1, \"label\": \"task\", \"with\": "
                    "[{\"type\": \"core\", \"count\": 1}, {\"type\": \"core\", \"count\": 2}]}"),
     "resources[0].with[1]: duplicate core in slot in jobspec V1", 1, 0, 0, 0, 0},
    {"core with children",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": 1, \"label\": \"task\", \"with\": "
                    "[{\"type\": \"core\", \"count\": 1, \"with\": [{\"type\": \"pu\", "
                    "\"count\": 2}]}]}"),
     "resources[0].with[0].with: core must not contain other resources in jobspec V1", 1, 0, 0, 0,
     0},
    {"node with id",
     WITH_RESOURCES("{\"type\": \"node\", \"count\": 1, \"id\": \"0\", \"with\": [{\"type\": "
                    "\"slot\", \"count\": 1, \"label\": \"task\", \"with\": [{\"type\": "
                    "\"core\", \"count\": 1}]}]}"),
     "resources[0].id: not allowed in jobspec V1", 1, 0, 0, 0, 0},
};

struct invalid_case {
    const char *name;
    const char *text;
    const char *error;
};

const invalid_case invalid_cases[] = {
    /* top level */
    {"version 2", "{\"version\": 2, " SLOT_CORE ", " TASKS ", " ATTRS "}", "version: must be 1"},
    {"version string", "{\"version\": \"1\", " SLOT_CORE ", " TASKS ", " ATTRS "}",
     "version: must be 1"},
    {"no version", "{" SLOT_CORE ", " TASKS ", " ATTRS "}", "missing required key 'version'"},
    {"no resources", "{\"version\": 1, " TASKS ", " ATTRS "}", "missing required key 'resources'"},
    {"no tasks", "{\"version\": 1, " SLOT_CORE ", " ATTRS "}", "missing required key 'tasks'"},
    {"no attributes", "{\"version\": 1, " SLOT_CORE ", " TASKS "}",
     "missing required key 'attributes'"},
    {"unknown top-level key", "{\"version\": 1, " SLOT_CORE ", " TASKS ", " ATTRS ", \"extra\": 1}",
     "unknown key 'extra'"},
    {"yaml scalar document", "hello", "jobspec must be an object"},
    {"yaml list document", "[1, 2]", "jobspec must be an object"},
    {"empty text", "", "jobspec is empty"},
    {"comment only", "# nothing here\n", "jobspec is empty"},

    /* resources */
    {"empty resources", "{\"version\": 1, \"resources\": [], " TASKS ", " ATTRS "}",
     "resources: must be a non-empty list"},
    {"resources object", "{\"version\": 1, \"resources\": {}, " TASKS ", " ATTRS "}",
     "resources: must be a non-empty list"},
    {"resource not an object", WITH_RESOURCES("\"node\""), "resources[0]: must be an object"},
    {"unknown resource key", R"(version: 1
resources:
  - type: slot
    count: 1
    label: task
    colour: blue
    with:
      - { type: core, count: 1 }
tasks:
  - { command: [ app ], slot: task, count: { per_slot: 1 } }
attributes: { system: { duration: 0 } }
)",
     "resources[0]: unknown key 'colour'"},
    {"nested count 0", R"(version: 1
resources:
  - type: slot
    count: 1
    label: task
    with:
      - { type: core, count: 0 }
      - { type: gpu, count: 1 }
tasks:
  - { command: [ app ], slot: task, count: { per_slot: 1 } }
attributes: { system: { duration: 0 } }
)",
     "resources[0].with[0].count: must be >= 1"},
    {"negative gpu count",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": 1, \"label\": \"task\", \"with\": "
                    "[{\"type\": \"core\", \"count\": 1}, {\"type\": \"gpu\", \"count\": -1}]}"),
     "resources[0].with[1].count: must be >= 0"},
    {"bad UTF-8", "version: \xc3\x28\n", "jobspec is not valid UTF-8: byte 0xc3 at offset 9"},
    {"overlong UTF-8", "{\"a\": \"\xc0\xaf\"}", "jobspec is not valid UTF-8: byte 0xc0 at offset 7"},
    {"surrogate UTF-8", "x: \xed\xa0\x80\n", "jobspec is not valid UTF-8: byte 0xed at offset 3"},
    {"blank text", " \n\t\n", "jobspec is empty"},
    {"negative count",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": -3, \"label\": \"task\", \"with\": "
                    "[{\"type\": \"core\", \"count\": 1}]}"),
     "resources[0].count: must be >= 1"},
    {"real count",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": 1.5, \"label\": \"task\", \"with\": "
                    "[{\"type\": \"core\", \"count\": 1}]}"),
     "resources[0].count: must be an integer, an idset string or a range object"},
    {"boolean count",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": true, \"label\": \"task\", \"with\": "
                    "[{\"type\": \"core\", \"count\": 1}]}"),
     "resources[0].count: must be an integer, an idset string or a range object"},
    {"no count",
     WITH_RESOURCES("{\"type\": \"slot\", \"label\": \"task\", \"with\": [{\"type\": \"core\", "
                    "\"count\": 1}]}"),
     "resources[0]: missing required key 'count'"},
    {"no type", WITH_RESOURCES("{\"count\": 1}"), "resources[0]: missing required key 'type'"},
    {"empty type", WITH_RESOURCES("{\"type\": \"\", \"count\": 1}"),
     "resources[0].type: must be a non-empty string"},
    {"range min 0",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": {\"min\": 0}, \"label\": \"task\", "
                    "\"with\": [{\"type\": \"core\", \"count\": 1}]}"),
     "resources[0].count.min: must be >= 1"},
    {"range without min",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": {\"max\": 4}, \"label\": \"task\", "
                    "\"with\": [{\"type\": \"core\", \"count\": 1}]}"),
     "resources[0].count: missing required key 'min'"},
    {"range max below min",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": {\"min\": 4, \"max\": 2}, \"label\": "
                    "\"task\", \"with\": [{\"type\": \"core\", \"count\": 1}]}"),
     "resources[0].count.max: must be >= min"},
    {"range bad operator",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": {\"min\": 1, \"max\": 4, \"operator\": "
                    "\"/\", \"operand\": 2}, \"label\": \"task\", \"with\": [{\"type\": "
                    "\"core\", \"count\": 1}]}"),
     "resources[0].count.operator: must be one of '+', '*', '^'"},
    {"range operand 0",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": {\"min\": 1, \"max\": 4, \"operator\": "
                    "\"+\", \"operand\": 0}, \"label\": \"task\", \"with\": [{\"type\": "
                    "\"core\", \"count\": 1}]}"),
     "resources[0].count.operand: must be >= 1"},
    {"range * operand 1",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": {\"min\": 1, \"max\": 4, \"operator\": "
                    "\"*\", \"operand\": 1}, \"label\": \"task\", \"with\": [{\"type\": "
                    "\"core\", \"count\": 1}]}"),
     "resources[0].count.operand: must be >= 2 with operator '*'"},
    {"range ^ without operand",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": {\"min\": 2, \"operator\": \"^\"}, "
                    "\"label\": \"task\", \"with\": [{\"type\": \"core\", \"count\": 1}]}"),
     "resources[0].count: operator '^' requires an operand"},
    {"range ^ from 1",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": {\"min\": 1, \"operator\": \"^\", "
                    "\"operand\": 2}, \"label\": \"task\", \"with\": [{\"type\": \"core\", "
                    "\"count\": 1}]}"),
     "resources[0].count.min: must be >= 2 with operator '^'"},
    {"range unknown key",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": {\"min\": 1, \"step\": 2}, \"label\": "
                    "\"task\", \"with\": [{\"type\": \"core\", \"count\": 1}]}"),
     "resources[0].count: unknown key 'step'"},
    {"bad idset count",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": \"3-1\", \"label\": \"task\", \"with\": "
                    "[{\"type\": \"core\", \"count\": 1}]}"),
     "resources[0].count: invalid idset '3-1'"},
    {"idset count with 0",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": \"0,2\", \"label\": \"task\", \"with\": "
                    "[{\"type\": \"core\", \"count\": 1}]}"),
     "resources[0].count: must be >= 1"},
    {"exclusive yes (YAML 1.2: a string)", R"(version: 1
resources:
  - type: node
    count: 1
    exclusive: yes
    with:
      - type: slot
        count: 1
        label: task
        with:
          - { type: core, count: 1 }
tasks:
  - { command: [ app ], slot: task, count: { per_slot: 1 } }
attributes: { system: { duration: 0 } }
)",
     "resources[0].exclusive: must be a boolean"},
    {"unit not a string",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": 1, \"unit\": 5, \"label\": \"task\", "
                    "\"with\": [{\"type\": \"core\", \"count\": 1}]}"),
     "resources[0].unit: must be a string"},
    {"slot without label",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": 1, \"with\": [{\"type\": \"core\", "
                    "\"count\": 1}]}"),
     "resources[0]: slot must have a label"},
    {"duplicate label",
     WITH_RESOURCES("{\"type\": \"node\", \"count\": 1, \"with\": [{\"type\": \"slot\", "
                    "\"count\": 1, \"label\": \"task\", \"with\": [{\"type\": \"core\", "
                    "\"count\": 1}]}, {\"type\": \"slot\", \"count\": 1, \"label\": \"task\", "
                    "\"with\": [{\"type\": \"core\", \"count\": 1}]}]}"),
     "resources[0].with[1].label: duplicate label 'task'"},
    {"slot without with", WITH_RESOURCES("{\"type\": \"slot\", \"count\": 1, \"label\": \"task\"}"),
     "resources[0].with: slot must contain at least one resource"},
    {"with not a list",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": 1, \"label\": \"task\", \"with\": "
                    "{\"type\": \"core\", \"count\": 1}}"),
     "resources[0].with: must be a list"},
    {"id not a string",
     WITH_RESOURCES("{\"type\": \"slot\", \"count\": 1, \"id\": 3, \"label\": \"task\", "
                    "\"with\": [{\"type\": \"core\", \"count\": 1}]}"),
     "resources[0].id: must be a string"},

    /* tasks */
    {"empty tasks", "{\"version\": 1, " SLOT_CORE ", \"tasks\": [], " ATTRS "}",
     "tasks: must be a non-empty list"},
    {"task not an object", WITH_TASKS("[\"hostname\"]"), "tasks[0]: must be an object"},
    {"unknown task key",
     WITH_TASKS("{\"cmd\": [\"a\"], \"slot\": \"task\", \"count\": {\"per_slot\": 1}}"),
     "tasks[0]: unknown key 'cmd'"},
    {"empty command",
     WITH_TASKS("{\"command\": [], \"slot\": \"task\", \"count\": {\"per_slot\": 1}}"),
     "tasks[0].command: must be a non-empty list of strings"},
    {"command string",
     WITH_TASKS("{\"command\": \"hostname\", \"slot\": \"task\", \"count\": {\"per_slot\": 1}}"),
     "tasks[0].command: must be a non-empty list of strings"},
    {"command with an integer (YAML)", R"(version: 1
resources:
  - type: slot
    count: 1
    label: task
    with:
      - { type: core, count: 1 }
tasks:
  - { command: [ sleep, 10 ], slot: task, count: { per_slot: 1 } }
attributes: { system: { duration: 0 } }
)",
     "tasks[0].command: must be a non-empty list of strings"},
    {"no command", WITH_TASKS("{\"slot\": \"task\", \"count\": {\"per_slot\": 1}}"),
     "tasks[0]: missing required key 'command'"},
    {"no slot", WITH_TASKS("{\"command\": [\"a\"], \"count\": {\"per_slot\": 1}}"),
     "tasks[0]: missing required key 'slot'"},
    {"unknown slot",
     WITH_TASKS("{\"command\": [\"a\"], \"slot\": \"default\", \"count\": {\"per_slot\": 1}}"),
     "tasks[0].slot: no slot labeled 'default'"},
    {"slot names a non-slot label",
     "{\"version\": 1, \"resources\": [{\"type\": \"slot\", \"count\": 1, \"label\": \"task\", "
     "\"with\": [{\"type\": \"core\", \"count\": 1, \"label\": \"c\"}]}], \"tasks\": "
     "[{\"command\": [\"a\"], \"slot\": \"c\", \"count\": {\"per_slot\": 1}}], " ATTRS "}",
     "tasks[0].slot: no slot labeled 'c'"},
    {"no task count", WITH_TASKS("{\"command\": [\"a\"], \"slot\": \"task\"}"),
     "tasks[0]: missing required key 'count'"},
    {"empty task count", WITH_TASKS("{\"command\": [\"a\"], \"slot\": \"task\", \"count\": {}}"),
     "tasks[0].count: must contain exactly one of per_slot, per_resource, total"},
    {"two task counts",
     WITH_TASKS("{\"command\": [\"a\"], \"slot\": \"task\", \"count\": {\"per_slot\": 1, "
                "\"total\": 2}}"),
     "tasks[0].count: must contain exactly one of per_slot, per_resource, total"},
    {"unknown task count",
     WITH_TASKS("{\"command\": [\"a\"], \"slot\": \"task\", \"count\": {\"per_node\": 1}}"),
     "tasks[0].count: unknown key 'per_node'"},
    {"per_slot 0",
     WITH_TASKS("{\"command\": [\"a\"], \"slot\": \"task\", \"count\": {\"per_slot\": 0}}"),
     "tasks[0].count.per_slot: must be >= 1"},
    {"per_slot string",
     WITH_TASKS("{\"command\": [\"a\"], \"slot\": \"task\", \"count\": {\"per_slot\": \"1\"}}"),
     "tasks[0].count.per_slot: must be an integer"},
    {"total 0", WITH_TASKS("{\"command\": [\"a\"], \"slot\": \"task\", \"count\": {\"total\": 0}}"),
     "tasks[0].count.total: must be >= 1"},
    {"per_resource type not in slot",
     WITH_TASKS("{\"command\": [\"a\"], \"slot\": \"task\", \"count\": {\"per_resource\": "
                "{\"type\": \"gpu\", \"count\": 1}}}"),
     "tasks[0].count.per_resource.type: no resource of type 'gpu' in slot 'task'"},
    {"per_resource count 0",
     WITH_TASKS("{\"command\": [\"a\"], \"slot\": \"task\", \"count\": {\"per_resource\": "
                "{\"type\": \"core\", \"count\": 0}}}"),
     "tasks[0].count.per_resource.count: must be >= 1"},
    {"per_resource without type",
     WITH_TASKS("{\"command\": [\"a\"], \"slot\": \"task\", \"count\": {\"per_resource\": "
                "{\"count\": 1}}}"),
     "tasks[0].count.per_resource: missing required key 'type'"},
    {"task environment value",
     WITH_TASKS("{\"command\": [\"a\"], \"slot\": \"task\", \"count\": {\"per_slot\": 1}, "
                "\"attributes\": {\"environment\": {\"FOO\": 1}}}"),
     "tasks[0].attributes.environment.FOO: must be a string or null"},
    {"distribution not a string",
     WITH_TASKS("{\"command\": [\"a\"], \"slot\": \"task\", \"count\": {\"per_slot\": 1}, "
                "\"distribution\": 5}"),
     "tasks[0].distribution: must be a string"},

    /* attributes */
    {"attributes list", "{\"version\": 1, " SLOT_CORE ", " TASKS ", \"attributes\": []}",
     "attributes: must be an object"},
    {"unknown attributes key",
     "{\"version\": 1, " SLOT_CORE ", " TASKS ", \"attributes\": {\"sys\": {}}}",
     "attributes: unknown key 'sys'"},
    {"system not an object", WITH_SYSTEM("null"), "attributes.system: must be an object"},
    {"user not an object",
     "{\"version\": 1, " SLOT_CORE ", " TASKS ", \"attributes\": {\"user\": 1}}",
     "attributes.user: must be an object"},
    {"negative duration", WITH_SYSTEM("{\"duration\": -1}"),
     "attributes.system.duration: must be a number >= 0"},
    {"duration with units (RFC 14 example)", R"(version: 1
resources:
  - type: slot
    count: 1
    label: task
    with:
      - { type: core, count: 1 }
tasks:
  - { command: [ app ], slot: task, count: { per_slot: 1 } }
attributes:
  system:
    duration: 1 hour
)",
     "attributes.system.duration: must be a number >= 0"},
    {"negative preemptible-after", WITH_SYSTEM("{\"duration\": 0, \"preemptible-after\": -2.5}"),
     "attributes.system.preemptible-after: must be a number >= 0"},
    {"cwd not a string", WITH_SYSTEM("{\"duration\": 0, \"cwd\": 5}"),
     "attributes.system.cwd: must be a string"},
    {"queue not a string", WITH_SYSTEM("{\"duration\": 0, \"queue\": [\"a\"]}"),
     "attributes.system.queue: must be a string"},
    {"environment list", WITH_SYSTEM("{\"duration\": 0, \"environment\": [\"A=1\"]}"),
     "attributes.system.environment: must be an object"},
    {"environment value", WITH_SYSTEM("{\"duration\": 0, \"environment\": {\"HOME\": 5}}"),
     "attributes.system.environment.HOME: must be a string or null"},
    {"shell options list", WITH_SYSTEM("{\"duration\": 0, \"shell\": {\"options\": []}}"),
     "attributes.system.shell.options: must be an object"},
    {"job name not a string", WITH_SYSTEM("{\"duration\": 0, \"job\": {\"name\": 5}}"),
     "attributes.system.job.name: must be a string"},
    {"dependencies object", WITH_SYSTEM("{\"duration\": 0, \"dependencies\": {}}"),
     "attributes.system.dependencies: must be a list"},
    {"dependency without scheme",
     WITH_SYSTEM("{\"duration\": 0, \"dependencies\": [{\"value\": \"f1\"}]}"),
     "attributes.system.dependencies[0]: missing required key 'scheme'"},
    {"dependency value not a string",
     WITH_SYSTEM("{\"duration\": 0, \"dependencies\": [{\"scheme\": \"afterok\", \"value\": "
                 "1}]}"),
     "attributes.system.dependencies[0].value: must be a string"},
    {"constraints list", WITH_SYSTEM("{\"duration\": 0, \"constraints\": []}"),
     "attributes.system.constraints: must be an object"},
    {"files string", WITH_SYSTEM("{\"duration\": 0, \"files\": \"script\"}"),
     "attributes.system.files: must be an object"},

    /* YAML and JSON syntax */
    {"yaml syntax error", "version: 1\nresources: [\n  {type: node\n",
     "line 4, column 1: end of map flow not found"},
    {"yaml duplicate key", "version: 1\nversion: 1\n", "line 2, column 1: duplicate key 'version'"},
    {"yaml two documents", "version: 1\n---\nversion: 1\n",
     "line 3, column 1: jobspec must be a single YAML document"},
    {"yaml infinite duration", R"(version: 1
resources:
  - type: slot
    count: 1
    label: task
    with:
      - { type: core, count: 1 }
tasks:
  - { command: [ app ], slot: task, count: { per_slot: 1 } }
attributes:
  system:
    duration: .inf
)",
     "line 12, column 15: '.inf' is not a finite number"},
    {"yaml integer overflow",
     "version: 1\nresources:\n  - type: node\n    count: 99999999999999999999\n",
     "line 4, column 12: integer '99999999999999999999' is out of range"},
    {"json syntax error", "{\"version\": 1,}",
     "line 1, column 15: string or '}' expected near '}'"},
    {"json duplicate key", "{\"version\": 1, \"version\": 1}",
     "line 1, column 24: duplicate object key near '\"version\"'"},
};

/* The text of the valid case called name. */
const char *valid_text(const char *name)
{
    for (const auto &c : valid_cases) {
        if (std::string(c.name) == name)
            return c.text;
    }
    cr_assert_fail("no valid case '%s'", name);
    return nullptr;
}

std::string encode(const Jobspec &js)
{
    auto s = flux::jobspec_encode_json(js);
    if (!s)
        return "ERROR: " + s.error().text;
    return *s;
}

} // namespace

Test(jobspec, valid_cases)
{
    cr_assert(sizeof(valid_cases) / sizeof(valid_cases[0]) >= 20);
    for (const auto &c : valid_cases) {
        auto js = flux::jobspec_parse(c.text);
        if (!js) {
            cr_expect(false, "%s: unexpected error: %s", c.name, js.error().text.c_str());
            continue;
        }
        bool want_v1 = c.v1_error[0] == '\0';
        cr_expect_eq(js->v1, want_v1, "%s: v1 = %d", c.name, js->v1);
        expect_str(js->v1_error, c.v1_error, "%s: v1_error", c.name);
        cr_expect_eq(js->ntasks, c.ntasks, "%s: ntasks %lu", c.name, (unsigned long)js->ntasks);
        cr_expect(js->attributes != nullptr, "%s: attributes", c.name);
        if (want_v1) {
            cr_expect_eq(js->nnodes, c.nnodes, "%s: nnodes", c.name);
            cr_expect_eq(js->nslots, c.nslots, "%s: nslots", c.name);
            cr_expect_eq(js->cores_per_slot, c.cores_per_slot, "%s: cores_per_slot", c.name);
            cr_expect_eq(js->gpus_per_slot, c.gpus_per_slot, "%s: gpus_per_slot", c.name);
            auto r = flux::jobspec_validate_v1(*js);
            cr_expect(r.has_value(), "%s: jobspec_validate_v1", c.name);
        }
        else {
            cr_expect_eq(js->nnodes + js->nslots + js->cores_per_slot + js->gpus_per_slot, 0u,
                         "%s: no V1 shape", c.name);
            auto r = flux::jobspec_validate_v1(*js);
            cr_expect(!r.has_value(), "%s: jobspec_validate_v1", c.name);
            if (!r.has_value())
                expect_str(r.error().text, c.v1_error, "%s: jobspec_validate_v1 text", c.name);
        }
    }
}

Test(jobspec, invalid_cases)
{
    cr_assert(sizeof(invalid_cases) / sizeof(invalid_cases[0]) >= 45);
    for (const auto &c : invalid_cases) {
        auto js = flux::jobspec_parse(c.text);
        cr_expect(!js.has_value(), "%s: parsed but should fail", c.name);
        if (js.has_value())
            continue;
        cr_expect_eq(js.error().errnum, EINVAL, "%s: errnum", c.name);
        expect_str(js.error().text, c.error, "%s", c.name);
    }
}

/* Text checks that need an explicit length (NUL bytes) or a large input. */
Test(jobspec, text_checks)
{
    std::string nul("version: 1\n\0rest", 17);
    auto a = flux::jobspec_parse(nul);
    cr_assert(!a.has_value());
    expect_str(a.error().text, "jobspec is not text: NUL byte at offset 11");

    std::string deep_json, deep_yaml = "a: ";
    for (int i = 0; i < 3000; i++)
        deep_json += "{\"a\":";
    deep_json += "1" + std::string(3000, '}');
    deep_yaml += std::string(300, '[') + std::string(300, ']');
    for (const std::string &t : {deep_json, deep_yaml}) {
        auto r = flux::jobspec_parse(t);
        cr_assert(!r.has_value());
        expect_str(r.error().text, "jobspec nesting too deep (limit 256)");
    }
    /* Brackets in strings are not nesting. */
    std::string quoted = "{\"a\": \"" + std::string(300, '[') + "\"}";
    auto q = flux::jobspec_parse(quoted);
    cr_assert(!q.has_value());
    expect_str(q.error().text, "unknown key 'a'");
    cr_assert(flux::jobspec_check_text(quoted).has_value());
}

/* encode -> parse -> encode is stable, and keeps the verdict and counts. */
Test(jobspec, round_trip)
{
    for (const auto &c : valid_cases) {
        auto js = flux::jobspec_parse(c.text);
        cr_assert(js.has_value(), "%s", c.name);
        std::string first = encode(*js);
        auto again = flux::jobspec_parse(first);
        if (!again) {
            cr_expect(false, "%s: reparse: %s (%s)", c.name, again.error().text.c_str(),
                      first.c_str());
            continue;
        }
        std::string second = encode(*again);
        cr_expect_str_eq(second.c_str(), first.c_str(), "%s: round trip", c.name);
        cr_expect_eq(again->v1, js->v1, "%s", c.name);
        expect_str(again->v1_error, js->v1_error.c_str(), "%s", c.name);
        cr_expect_eq(again->ntasks, js->ntasks, "%s", c.name);
        cr_expect_eq(again->nslots, js->nslots, "%s", c.name);

        auto revalidated = flux::jobspec_revalidate(*js);
        cr_expect(revalidated.has_value(), "%s: revalidate", c.name);
    }
}

Test(jobspec, canonical_encoding)
{
    auto js = flux::jobspec_parse(R"(
# comments and key order do not matter
attributes: { system: { duration: 30.5 } }
tasks:
  - { slot: task, count: { per_slot: 1 }, command: [ "hostname", "-s" ] }
version: 1
resources:
  - { with: [ { count: 2, type: core } ], label: task, count: 3, type: slot }
)");
    cr_assert(js.has_value(), "%s", js.has_value() ? "" : js.error().text.c_str());
    expect_str(encode(*js),
               "{\"attributes\":{\"system\":{\"duration\":30.5}},\"resources\":[{\"count\":3,"
               "\"label\":\"task\",\"type\":\"slot\",\"with\":[{\"count\":2,\"type\":\"core\"}]}],"
               "\"tasks\":[{\"command\":[\"hostname\",\"-s\"],\"count\":{\"per_slot\":1},"
               "\"slot\":\"task\"}],\"version\":1}");
    cr_expect(js->v1);
    cr_expect_eq(js->duration, 30.5);
}

Test(jobspec, counts)
{
    auto js = flux::jobspec_parse(R"(version: 1
resources:
  - type: cluster
    count: { min: 2, max: 16, operator: "*", operand: 2 }
    with:
      - type: rack
        count: { min: 3 }
        with:
          - type: node
            count: "[4-6,9]"
            with:
              - type: slot
                label: task
                count: 0x10
                with:
                  - { type: core, count: 0o10, unit: each }
tasks:
  - { command: [ app ], slot: task, count: { per_slot: 1 } }
attributes: { system: { duration: 0 } }
)");
    cr_assert(js.has_value(), "%s", js.has_value() ? "" : js.error().text.c_str());
    const flux::Resource &cluster = js->resources[0];
    cr_expect(cluster.count.is_range);
    cr_expect_eq(cluster.count.min, 2u);
    cr_expect_eq(cluster.count.max, 16u);
    cr_expect_eq(cluster.count.op, '*');
    cr_expect_eq(cluster.count.operand, 2u);
    const flux::Resource &rack = cluster.with[0];
    cr_expect(rack.count.is_range);
    cr_expect_eq(rack.count.min, 3u);
    cr_expect_eq(rack.count.max, flux::count_unlimited);
    cr_expect_eq(rack.count.op, '+');
    cr_expect_eq(rack.count.operand, 1u);
    const flux::Resource &node = rack.with[0];
    cr_expect(node.count.is_range);
    expect_str(node.count.idset, "[4-6,9]");
    cr_expect_eq(node.count.min, 4u);
    cr_expect_eq(node.count.max, 9u);
    const flux::Resource &slot = node.with[0];
    cr_expect(!slot.count.is_range);
    cr_expect_eq(slot.count.min, 16u);
    cr_expect_eq(slot.count.max, 16u);
    expect_str(slot.label, "task");
    cr_expect_eq(slot.with[0].count.min, 8u);
    expect_str(slot.with[0].unit, "each");
    cr_expect_eq(js->ntasks, 0u); // depends on ranges
    cr_expect(!js->v1);
    expect_str(js->v1_error, "resources[0].type: must be node or slot in jobspec V1");
}

Test(jobspec, exclusive_flags)
{
    auto js = flux::jobspec_parse(valid_text("v1 exclusive node"));
    cr_assert(js.has_value());
    cr_expect(js->v1);
    cr_expect(js->exclusive);
    cr_expect(js->resources[0].exclusive);
    cr_expect(js->resources[0].exclusive_set);
    cr_expect(!js->resources[0].with[0].exclusive_set);

    auto plain = flux::jobspec_parse(valid_text("rfc25 example"));
    cr_assert(plain.has_value());
    cr_expect(!plain->exclusive);
    cr_expect(!plain->resources[0].exclusive_set);
}

Test(jobspec, system_attributes)
{
    auto js = flux::jobspec_parse(valid_text("v1 all common system attributes"));
    cr_assert(js.has_value(), "%s", js.has_value() ? "" : js.error().text.c_str());
    cr_expect(js->v1);
    cr_expect_eq(js->duration, 60.0);
    expect_str(js->cwd, "/tmp");
    expect_str(js->queue, "batch");
    expect_str(js->job_name, "sleepy");
    cr_assert(json_is_object(js->environment.get()));
    expect_str(json_string_value(json_object_get(js->environment.get(), "PATH")), "/bin");
    cr_expect(json_is_null(json_object_get(js->environment.get(), "UNSETME")));
    cr_assert(json_is_object(js->shell_options.get()));
    cr_expect_eq(json_integer_value(json_object_get(js->shell_options.get(), "verbose")), 1);
    cr_assert(json_is_array(js->dependencies.get()));
    cr_expect_eq(json_array_size(js->dependencies.get()), 2u);
    cr_expect(json_is_object(js->constraints.get()));
    cr_expect(json_is_object(js->files.get()));
    json_t *user = json_object_get(js->attributes.get(), "user");
    cr_expect(json_is_array(json_object_get(user, "anything")));
    std::vector<std::string> want = {"sleep", "10"};
    cr_expect(js->tasks[0].command == want);

    /* Absent attributes leave the views empty. */
    auto bare = flux::jobspec_parse(valid_text("rfc25 use case 2.2"));
    cr_assert(bare.has_value());
    cr_expect(bare->environment == nullptr);
    cr_expect(bare->shell_options == nullptr);
    cr_expect(bare->dependencies == nullptr);
    cr_expect(bare->cwd.empty());
    cr_expect(bare->job_name.empty());
    cr_expect_eq(bare->duration, 3600.0);
}

Test(jobspec, task_counts)
{
    auto total = flux::jobspec_parse(valid_text("rfc25 use case 2.1"));
    cr_assert(total.has_value());
    cr_expect_eq(total->tasks[0].count.kind, flux::TaskCount::total);
    cr_expect_eq(total->tasks[0].count.count, 5u);

    auto per_resource = flux::jobspec_parse(valid_text("per_resource core"));
    cr_assert(per_resource.has_value());
    cr_expect_eq(per_resource->tasks[0].count.kind, flux::TaskCount::per_resource);
    expect_str(per_resource->tasks[0].count.resource_type, "core");
    cr_expect_eq(per_resource->tasks[0].count.count, 1u);

    auto env = flux::jobspec_parse(valid_text("rfc14 use case 2.7 (task environment)"));
    cr_assert(env.has_value());
    cr_expect(env->tasks[0].attributes == nullptr);
    json_t *task_env = json_object_get(env->tasks[1].attributes.get(), "environment");
    cr_expect(json_is_null(json_object_get(task_env, "FOO")));
    expect_str(json_string_value(json_object_get(task_env, "BAR")), "2");
}

Test(jobspec, yaml_scalars)
{
    /* Quoted scalars stay strings, plain ones follow the YAML 1.2 core schema. */
    auto js = flux::jobspec_parse(R"(version: 1
resources:
  - type: slot
    count: 2
    label: "007"
    with:
      - { type: core, count: 1 }
tasks:
  - command:
      - "true"
      - 'false'
      - "10"
      - "null"
      - |
        multi
        line
    slot: "007"
    count: { per_slot: 1 }
attributes:
  user: { a: true, b: ~, c: -7, d: 1e3, e: on }
  system: { duration: 0.5 }
)");
    cr_assert(js.has_value(), "%s", js.has_value() ? "" : js.error().text.c_str());
    cr_assert_eq(js->tasks[0].command.size(), 5u);
    expect_str(js->tasks[0].command[0], "true");
    expect_str(js->tasks[0].command[1], "false");
    expect_str(js->tasks[0].command[2], "10");
    expect_str(js->tasks[0].command[3], "null");
    expect_str(js->tasks[0].command[4], "multi\nline\n");
    json_t *user = json_object_get(js->attributes.get(), "user");
    cr_expect(json_is_true(json_object_get(user, "a")));
    cr_expect(json_is_null(json_object_get(user, "b")));
    cr_expect_eq(json_integer_value(json_object_get(user, "c")), -7);
    cr_expect_eq(json_real_value(json_object_get(user, "d")), 1000.0);
    expect_str(json_string_value(json_object_get(user, "e")), "on");
    cr_expect_eq(js->duration, 0.5);
    cr_expect(js->v1);
}

Test(jobspec, parse_json_object)
{
    json_error_t err;
    flux::JsonPtr o(json_loads("{\"version\": 1, " SLOT_CORE ", " TASKS ", " ATTRS "}", 0, &err));
    cr_assert(o != nullptr);
    auto js = flux::jobspec_parse_json(o.get());
    cr_assert(js.has_value());
    cr_expect(js->v1);
    /* The jobspec keeps its own copy of the attributes. */
    json_object_clear(o.get());
    cr_expect(json_is_object(json_object_get(js->attributes.get(), "system")));

    auto null_js = flux::jobspec_parse_json(nullptr);
    cr_assert(!null_js.has_value());
    expect_str(null_js.error().text, "jobspec must be an object");

    auto yaml = flux::jobspec_parse_yaml("{\"version\": 1, " SLOT_CORE ", " TASKS ", " ATTRS "}");
    cr_expect(yaml.has_value());
}

Test(jobspec, modified_in_code)
{
    auto js = flux::jobspec_parse(valid_text("rfc25 use case 2.2")); // slot[10] > core[2]
    cr_assert(js.has_value());
    js->resources[0].with.push_back(flux::Resource{"socket", {}, "", false, false, "", "", {}});
    auto v1 = flux::jobspec_validate_v1(*js);
    cr_assert(!v1.has_value());
    expect_str(v1.error().text,
               "resources[0].with[1].type: 'socket' is not allowed in a slot in jobspec V1");

    js->resources[0].with[0].count.min = 0; /* core */
    auto again = flux::jobspec_revalidate(*js);
    cr_assert(!again.has_value());
    expect_str(again.error().text, "resources[0].with[0].count: must be >= 1");
}

/* -------------------------------------------------- jobspec_from_request */

Test(jobspec, request_n4)
{
    JobspecRequest req;
    req.command = {"hostname"};
    req.ntasks = 4;
    auto js = flux::jobspec_from_request(req);
    cr_assert(js.has_value(), "%s", js.has_value() ? "" : js.error().text.c_str());
    cr_expect(js->v1);
    cr_expect_eq(js->nnodes, 0u);
    cr_expect_eq(js->nslots, 4u);
    cr_expect_eq(js->cores_per_slot, 1u);
    cr_expect_eq(js->gpus_per_slot, 0u);
    cr_expect_eq(js->ntasks, 4u);
    expect_str(encode(*js),
               "{\"attributes\":{\"system\":{\"duration\":0.0,\"environment\":{}}},\"resources\":"
               "[{\"count\":4,\"label\":\"task\",\"type\":\"slot\",\"with\":[{\"count\":1,"
               "\"type\":\"core\"}]}],\"tasks\":[{\"command\":[\"hostname\"],\"count\":"
               "{\"per_slot\":1},\"slot\":\"task\"}],\"version\":1}");
}

Test(jobspec, request_n4_c2)
{
    JobspecRequest req;
    req.command = {"app", "--flag"};
    req.ntasks = 4;
    req.cores_per_task = 2;
    auto js = flux::jobspec_from_request(req);
    cr_assert(js.has_value());
    cr_expect(js->v1);
    cr_expect_eq(js->nslots, 4u);
    cr_expect_eq(js->cores_per_slot, 2u);
    cr_expect_eq(js->ntasks, 4u);
    expect_str(js->resources[0].type, "slot");
    expect_str(js->resources[0].with[0].type, "core");
    cr_expect_eq(js->resources[0].with[0].count.min, 2u);
}

Test(jobspec, request_N2_n4)
{
    JobspecRequest req;
    req.command = {"app"};
    req.ntasks = 4;
    req.nodes = 2;
    auto js = flux::jobspec_from_request(req);
    cr_assert(js.has_value());
    cr_expect(js->v1);
    cr_expect_eq(js->nnodes, 2u);
    cr_expect_eq(js->nslots, 4u);
    cr_expect_eq(js->ntasks, 4u);
    cr_expect(!js->exclusive);
    expect_str(js->resources[0].type, "node");
    cr_expect_eq(js->resources[0].count.min, 2u);
    expect_str(js->resources[0].with[0].type, "slot");
    cr_expect_eq(js->resources[0].with[0].count.min, 2u);
    cr_expect_eq(js->tasks[0].count.kind, flux::TaskCount::per_slot);
    cr_expect_eq(js->tasks[0].count.count, 1u);
}

Test(jobspec, request_N4_n5_uneven)
{
    /* Flux: ceil(n/N) slots per node and a total task count. */
    JobspecRequest req;
    req.command = {"app"};
    req.ntasks = 5;
    req.nodes = 4;
    auto js = flux::jobspec_from_request(req);
    cr_assert(js.has_value());
    cr_expect(js->v1);
    cr_expect_eq(js->nnodes, 4u);
    cr_expect_eq(js->resources[0].with[0].count.min, 2u);
    cr_expect_eq(js->nslots, 8u);
    cr_expect_eq(js->tasks[0].count.kind, flux::TaskCount::total);
    cr_expect_eq(js->tasks[0].count.count, 5u);
    cr_expect_eq(js->ntasks, 5u);
}

Test(jobspec, request_n1_g1)
{
    JobspecRequest req;
    req.command = {"nvidia-smi"};
    req.gpus_per_task = 1;
    auto js = flux::jobspec_from_request(req);
    cr_assert(js.has_value());
    cr_expect(js->v1);
    cr_expect_eq(js->nslots, 1u);
    cr_expect_eq(js->cores_per_slot, 1u);
    cr_expect_eq(js->gpus_per_slot, 1u);
    cr_expect_eq(js->ntasks, 1u);
    cr_assert_eq(js->resources[0].with.size(), 2u);
    expect_str(js->resources[0].with[1].type, "gpu");
}

Test(jobspec, request_exclusive_and_attributes)
{
    JobspecRequest req;
    req.command = {"app"};
    req.ntasks = 2;
    req.nodes = 2;
    req.exclusive = true;
    req.duration = 90;
    req.cwd = "/work";
    req.job_name = "myjob";
    req.queue = "debug";
    req.env = {{"HOME", "/home/u"}, {"PATH", "/bin"}};
    auto js = flux::jobspec_from_request(req);
    cr_assert(js.has_value());
    cr_expect(js->v1);
    cr_expect(js->exclusive);
    cr_expect(js->resources[0].exclusive);
    cr_expect_eq(js->duration, 90.0);
    expect_str(js->cwd, "/work");
    expect_str(js->job_name, "myjob");
    expect_str(js->queue, "debug");
    expect_str(json_string_value(json_object_get(js->environment.get(), "HOME")), "/home/u");
    expect_str(json_string_value(json_object_get(js->environment.get(), "PATH")), "/bin");
    /* The encoded request parses back to the same jobspec. */
    std::string text = encode(*js);
    auto again = flux::jobspec_parse(text);
    cr_assert(again.has_value());
    expect_str(encode(*again), text.c_str());
}

namespace {

struct bad_request {
    const char *name;
    JobspecRequest req;
    const char *error;
};

JobspecRequest request(std::vector<std::string> command,
                       uint64_t ntasks,
                       uint64_t nodes,
                       uint64_t cores,
                       double duration = 0,
                       bool exclusive = false)
{
    JobspecRequest r;
    r.command = std::move(command);
    r.ntasks = ntasks;
    r.nodes = nodes;
    r.cores_per_task = cores;
    r.duration = duration;
    r.exclusive = exclusive;
    return r;
}

} // namespace

Test(jobspec, bad_requests)
{
    const bad_request cases[] = {
        {"ntasks 0", request({"app"}, 0, 0, 1), "task count must be an integer >= 1"},
        {"cores 0", request({"app"}, 1, 0, 0), "cores per task must be an integer >= 1"},
        {"-N greater than -n", request({"app"}, 2, 3, 1),
         "node count must not be greater than task count"},
        {"exclusive without -N", request({"app"}, 2, 0, 1, 0, true),
         "exclusive can only be set with a node count"},
        {"no command", request({}, 1, 0, 1), "command must be a non-empty list"},
        {"negative duration", request({"app"}, 1, 0, 1, -1), "duration must be a number >= 0"},
        {"NaN duration", request({"app"}, 1, 0, 1, std::nan("")), "duration must be a number >= 0"},
    };
    for (const auto &c : cases) {
        auto js = flux::jobspec_from_request(c.req);
        cr_expect(!js.has_value(), "%s: should fail", c.name);
        if (!js.has_value())
            expect_str(js.error().text, c.error, "%s", c.name);
    }
}
