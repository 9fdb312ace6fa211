#!/bin/bash
# Site match policies for sched-graph (flux-sched-policy(7)): the example
# policy (doc/examples) built out of tree with pkg-config, loaded by flux
# sched-query and by sched-graph in an instance ([sched-graph] match-policy
# = PATH, policy-conf), changes where jobs land; bad objects (missing, not
# a policy, a newer API version, no callbacks, a refusing init) give one
# error naming the file.
. "$(dirname "$0")/lib/test-lib.sh"

export PATH="$FLUX_BUILD_DIR/testsuite/helpers:$PATH"

SPEC='cluster[1]->rack[2]->node[4]->core[4]'
CFLAGS=$(PKG_CONFIG_PATH=$FLUX_BUILD_DIR/etc pkg-config \
    --define-variable=includedir="$FLUX_SOURCE_DIR/include" --cflags flux-core)
# build NAME SOURCE: a policy object from C source.
build() {
    cc -shared -fPIC -Wall -Werror $CFLAGS -o "$PWD/$1.so" "$2"
}
# ranks_of POLICY [CONF]: the rank each of three 1-node jobs gets.
ranks_of() {
    local conf=${2:-"{}"}
    printf "match allocate one.yaml\nmatch allocate one.yaml\nmatch allocate one.yaml\n" |
        flux sched-query --generate="$SPEC" --match-policy="$1" --policy-conf="$conf" |
        jq -r ".R.execution.R_lite[0].rank" | tr "\n" " "
}

test_expect_success 'the example policy builds out of tree (pkg-config, -Wall -Werror)' '
    build spread "$FLUX_SOURCE_DIR/doc/examples/sched-policy/spread-racks.c" &&
    cat >one.yaml <<-EOT &&
	version: 1
	resources: [{type: node, count: 1, exclusive: true, with: [{type: slot, count: 1, label: s, with: [{type: core, count: 1}]}]}]
	tasks: [{command: ["true"], slot: s, count: {per_slot: 1}}]
	attributes: {system: {duration: 0}}
	EOT
    test "$(ranks_of first)" = "0 1 2 "
'
test_expect_success 'flux sched-query: the site policy spreads over racks, hosts high first' '
    test "$(ranks_of $PWD/spread.so)" = "3 7 2 "
'
test_expect_success 'flux sched-query: policy-conf reaches its init (hosts low first)' '
    test "$(ranks_of $PWD/spread.so "{\"hosts\":\"low\"}")" = "0 4 1 "
'
test_expect_success 'compare() orders when score is NULL' '
    cat >cmp.c <<-EOF &&
	#include <flux/sched_policy.h>
	static int cmp(const struct flux_sched_vertex *a, const struct flux_sched_vertex *b, void *d)
	{
	    (void)d;
	    return a->id == b->id ? 0 : a->id > b->id ? -1 : 1;
	}
	FLUX_SCHED_POLICY(0, 0, cmp, 0, 0);
	EOF
    build cmp cmp.c &&
    test "$(ranks_of $PWD/cmp.so)" = "7 6 5 "
'
test_expect_success 'bad policy objects: one error naming the file' '
    test_must_fail flux sched-query --generate="$SPEC" --match-policy=/nonexistent/p.so 2>err &&
    grep -q "match policy /nonexistent/p.so: No such file or directory" err &&
    echo "int x;" >none.c && build none none.c &&
    test_must_fail flux sched-query --generate="$SPEC" --match-policy=$PWD/none.so 2>err &&
    grep -q "none.so is not a sched-graph match policy: it does not export flux_sched_policy_info" err &&
    cat >v2.c <<-EOF &&
	#include <flux/sched_policy.h>
	static double s(const struct flux_sched_vertex *v, void *d) { (void)d; return (double)v->id; }
	const struct flux_sched_policy flux_sched_policy_info = {2u << 16, "v2", s, 0, 0, 0};
	EOF
    build v2 v2.c &&
    test_must_fail flux sched-query --generate="$SPEC" --match-policy=$PWD/v2.so 2>err &&
    grep -q "v2.so: sched-graph match policy API version 2.0 is not supported (sched-graph has 1.0)" err &&
    cat >empty.c <<-EOF &&
	#include <flux/sched_policy.h>
	FLUX_SCHED_POLICY("empty", 0, 0, 0, 0);
	EOF
    build empty empty.c &&
    test_must_fail flux sched-query --generate="$SPEC" --match-policy=$PWD/empty.so 2>err &&
    grep -q "empty.so: policy empty sets neither score nor compare" err &&
    test_must_fail flux sched-query --generate="$SPEC" --match-policy=$PWD/spread.so \
        --policy-conf="{\"hosts\":\"sideways\"}" 2>err &&
    grep -q "spread.so: policy spread-racks: init failed" err
'
test_expect_success 'sched-graph in an instance: match-policy = PATH with policy-conf' '
    flux sched-query --generate="$SPEC" --dump-R >R.json &&
    cat >c.toml <<-EOT &&
	[resource]
	path = "$PWD/R.json"
	noverify = true
	[sched-graph]
	match-policy = "$PWD/spread.so"
	policy-conf = { hosts = "low" }
	EOT
    cat >job.json <<-EOT &&
	{"version": 1, "resources": [{"type": "node", "count": 1, "exclusive": true, "with": [{"type": "slot", "count": 1, "label": "s", "with": [{"type": "core", "count": 1}]}]}],
	 "tasks": [{"command": ["true"], "slot": "s", "count": {"per_slot": 1}}],
	 "attributes": {"system": {"duration": 60, "exec": {"test": {"run_duration": "30s"}}}}}
	EOT
    timeout 120 flux start -c c.toml -Ssched-module=sched-graph sh -c "
        A=\$(flux job submit $PWD/job.json) && flux job wait-event -t 30 \$A alloc >/dev/null &&
        B=\$(flux job submit $PWD/job.json) && flux job wait-event -t 30 \$B alloc >/dev/null &&
        flux jobs -n -o \"{ranks}\" \$A && flux jobs -n -o \"{ranks}\" \$B &&
        rpc sched-graph.status | jq -r .\\\"match-policy\\\" &&
        flux cancel \$A \$B" >out &&
    test "$(cat out | tr "\n" " ")" = "0 4 spread-racks "
'
test_expect_success 'sched-graph: a bad policy path stops it with an error naming the file' '
    cat >bad.toml <<-EOT &&
	[resource]
	path = "$PWD/R.json"
	noverify = true
	[sched-graph]
	match-policy = "$PWD/none.so"
	EOT
    { timeout 60 flux start -c bad.toml -Ssched-module=sched-graph sh -c "
        i=0; until flux dmesg | grep -q match-policy; do
            i=\$((i + 1)); test \$i -lt 100 || break; sleep 0.1
        done; flux dmesg" >out 2>&1 || :; } &&
    grep -q "sched-graph: match-policy $PWD/none.so is not a sched-graph match policy" out
'
test_done
