#!/bin/bash
# flux sched-query: sched-graph's matcher without an instance.  Graphs from
# a generator spec, R with JGF and bare JGF; match allocate /
# allocate_orelse_reserve / satisfiability, cancel, info, find, stat; one
# JSON line per answer; clear errors for bad specs, files and commands.
. "$(dirname "$0")/lib/test-lib.sh"

SPEC='cluster[1]->rack[2]->node[2]->socket[2]->core[2],gpu[1]'

# js FILE NODES [DURATION]: NODES exclusive nodes with one core in a slot.
js() {
    cat >"$1" <<-EOT
	version: 1
	resources:
	  - type: node
	    count: $2
	    exclusive: true
	    with:
	      - type: slot
	        count: 1
	        label: s
	        with: [{type: core, count: 1}]
	tasks: [{command: ["true"], slot: s, count: {per_slot: 1}}]
	attributes: {system: {duration: ${3:-0}}}
	EOT
}

test_expect_success 'stat counts the generated graph' '
    echo stat | flux sched-query --generate="$SPEC" >out &&
    jq -e ".vertices == 39 and .hosts == 4 and .types.core == 16 and .types.gpu == 8" out
'
test_expect_success 'match allocate prints R with the matched subgraph; info and cancel' '
    js two.yaml 2 100 &&
    printf "match allocate two.yaml\ninfo 1\ncancel 1\ninfo 1\nquit\nstat\n" |
        flux sched-query --generate="$SPEC" >out &&
    test "$(wc -l <out)" = 4 &&
    sed -n 1p out | jq -e ".id == 1 and .status == \"ALLOCATED\" and .R.execution.expiration == 100" &&
    sed -n 1p out | jq -e ".R.execution.R_lite[0].rank == \"0-1\"" &&
    sed -n 1p out | jq -e "[.R.scheduling.graph.nodes[].metadata.type] | index(\"rack\") != null" &&
    sed -n 2p out | jq -e ".status == \"ALLOCATED\"" &&
    sed -n 3p out | jq -e ".status == \"CANCELED\"" &&
    sed -n 4p out | jq -e ".error == \"info: job 1 not found\""
'
test_expect_success 'allocate_orelse_reserve plans in time; allocate says ENOSPC' '
    js four.yaml 4 10 &&
    printf "match allocate two.yaml\nmatch allocate four.yaml\nmatch allocate_orelse_reserve four.yaml\nmatch allocate_orelse_reserve two.yaml\n" |
        flux sched-query --generate="$SPEC" --no-R >out &&
    sed -n 2p out | jq -e ".errno == \"ENOSPC\"" &&
    sed -n 3p out | jq -e ".status == \"RESERVED\" and .at == 100" &&
    sed -n 4p out | jq -e ".status == \"ALLOCATED\" and .at == 0"
'
test_expect_success 'satisfiability names what is short' '
    js five.yaml 5 &&
    printf "match satisfiability two.yaml\nmatch satisfiability five.yaml\n" |
        flux sched-query --generate="$SPEC" >out &&
    sed -n 1p out | jq -e ".status == \"SATISFIABLE\"" &&
    sed -n 2p out | jq -e ".errno == \"EOVERFLOW\" and (.error | startswith(\"unsatisfiable request: 5 nodes requested, 4 in the graph\"))"
'
test_expect_success 'match policies choose different nodes' '
    js one.yaml 1 &&
    for p in first low lonode; do
        echo "match allocate one.yaml" | flux sched-query -P $p --generate="$SPEC" |
            jq -r .R.execution.R_lite[0].rank || return 1
    done >low &&
    for p in high hinode; do
        echo "match allocate one.yaml" | flux sched-query --match-policy=$p --generate="$SPEC" |
            jq -r .R.execution.R_lite[0].rank || return 1
    done >high &&
    test "$(sort -u low)" = 0 && test "$(sort -u high)" = 3
'
test_expect_success 'find selects vertices by type, rank, allocation' '
    printf "match allocate one.yaml\nfind type=node and sched-now=allocated\nfind type=core and rank=2-3\nfind colour=red\n" |
        flux sched-query --generate="$SPEC" >out &&
    sed -n 2p out | jq -e ".count == 1" &&
    sed -n 3p out | jq -e ".count == 8 and .R.execution.R_lite[0].rank == \"2-3\"" &&
    sed -n 4p out | jq -e ".error | test(\"^find: unknown key .colour.\")"
'
test_expect_success 'a dumped R (with JGF) and a bare JGF load as the same graph' '
    flux sched-query --generate="$SPEC" --dump-R >R.json &&
    jq .scheduling R.json >jgf.json &&
    echo stat | flux sched-query --graph=R.json | jq -c "{vertices, hosts, types}" >a &&
    echo stat | flux sched-query --graph jgf.json | jq -c "{vertices, hosts, types}" >b &&
    echo stat | flux sched-query --generate="$SPEC" | jq -c "{vertices, hosts, types}" >c &&
    cmp a b && cmp a c
'
test_expect_success 'bad specs, files, jobspecs and commands give clear errors' '
    test_must_fail flux sched-query --generate="node[0]" 2>err &&
    grep -q "flux-sched-query: generator spec: .node\[0\].: count must be a positive integer" err &&
    test_must_fail flux sched-query --graph=nonexistent.json 2>err &&
    grep -q "nonexistent.json: No such file or directory" err &&
    echo "{\"graph\": {\"nodes\": [{\"id\": \"0\"}]}}" >bad.json &&
    test_must_fail flux sched-query --graph=bad.json 2>err &&
    grep -q "JGF: graph.nodes\[0\].metadata: expected an object" err &&
    test_must_fail flux sched-query --generate="$SPEC" -P sideways 2>err &&
    grep -q "match policy .sideways.: expected one of" err &&
    test_must_fail flux sched-query 2>err &&
    grep -q "give one of --graph=FILE or --generate=SPEC" err &&
    echo "version: 9" >bad.yaml &&
    printf "match allocate bad.yaml\nmatch allocate none.yaml\nmatch sideways one.yaml\nfrobnicate\ncancel x\n" |
        flux sched-query --generate="$SPEC" >out &&
    test "$(wc -l <out)" = 5 &&
    sed -n 1p out | jq -e ".error | startswith(\"bad.yaml: \")" &&
    sed -n 2p out | jq -e ".error == \"none.yaml: No such file or directory\"" &&
    sed -n 3p out | jq -e ".error | test(\"^unknown match operation .sideways.\")" &&
    sed -n 4p out | jq -e ".error | startswith(\"unknown command\")" &&
    sed -n 5p out | jq -e ".error == \"cancel: expected a job id\""
'
test_done
