#!/bin/bash
# flux run/submit/batch/bulksubmit --requires (RFC 35 queries written as
# RFC 31 attributes.system.constraints, flux-submit(1)): the JSON of each
# form, errors naming the bad term, and, under sched-simple and sched-graph
# on four synthetic nodes with properties in R, each form places jobs on
# exactly the right ranks, and a constraint no node satisfies is refused at
# submission naming it.
. "$(dirname "$0")/lib/test-lib.sh"

T="-S exec.test.run_duration=0.1s"

# R.json: node[0-3]; gpu on 0-1, debug on 2-3, big on 1 and 3.
test_expect_success 'an R with properties on four nodes' '
    flux sched-query --generate="cluster[1]->node[4]->core[2]" --dump-R >R0.json &&
    jq "del(.scheduling) | .execution.properties = {\"gpu\": \"0-1\", \"debug\": \"2-3\", \"big\": \"1,3\"}" \
        R0.json >R.json &&
    printf "[resource]\npath = \"%s\"\nnoverify = true\n" "$PWD/R.json" >c.toml
'
# cons ARGS...: the constraints flux submit --dry-run writes.
cons() {
    flux submit --dry-run "$@" true | jq -c .attributes.system.constraints
}
test_expect_success '--requires writes RFC 31 constraints' '
    test "$(cons --requires=gpu)" = "{\"properties\":[\"gpu\"]}" &&
    test "$(cons --requires=a,^b)" = "{\"properties\":[\"a\",\"^b\"]}" &&
    test "$(cons --requires=-debug)" = "{\"not\":[{\"properties\":[\"debug\"]}]}" &&
    test "$(cons --requires=host:node[1-2])" = "{\"hostlist\":[\"node[1-2]\"]}" &&
    test "$(cons --requires=rank:0,3)" = "{\"ranks\":[\"0,3\"]}" &&
    test "$(cons --requires="gpu|big")" = \
        "{\"or\":[{\"properties\":[\"gpu\"]},{\"properties\":[\"big\"]}]}" &&
    test "$(cons --requires=big --requires=-gpu)" = \
        "{\"and\":[{\"properties\":[\"big\"]},{\"not\":[{\"properties\":[\"gpu\"]}]}]}"
'
test_expect_success '--requires is ANDed with constraints given by --setattr' '
    test "$(cons -S "constraints={\"ranks\":[\"1\"]}" --requires=gpu)" = \
        "{\"and\":[{\"ranks\":[\"1\"]},{\"properties\":[\"gpu\"]}]}"
'
test_expect_success 'flux run, batch, alloc and bulksubmit take --requires' '
    flux run --dry-run --requires=gpu true | jq -e ".attributes.system.constraints.properties == [\"gpu\"]" &&
    flux bulksubmit --dry-run --requires=rank:{} true ::: 1 2 >bulk.out &&
    grep -q "requires=rank:1" bulk.out &&
    for cmd in batch alloc; do
        test_must_fail flux $cmd -N1 --requires=colour:red true 2>err &&
        grep -q "unknown operator .colour." err || return 1
    done
'
test_expect_success 'bad --requires terms are refused naming the term' '
    test_must_fail flux submit --dry-run --requires=foo:bar true 2>err &&
    grep -q "flux: --requires: unknown operator .foo. (expected properties, host, hosts, hostlist, rank or ranks) in term .foo:bar." err &&
    test_must_fail flux submit --dry-run --requires=host:n[1- true 2>err &&
    grep -q "invalid hostlist .n\[1-." err &&
    test_must_fail flux submit --dry-run --requires=rank:x true 2>err &&
    grep -q "invalid idset of ranks .x. in term .rank:x." err &&
    test_must_fail flux submit --dry-run --requires="gpu |" true 2>err &&
    grep -q "expected a term at the end in .gpu |." err &&
    test_must_fail flux submit --dry-run --requires="-(a|b)" true 2>err &&
    grep -q "must be followed by a term" err
'
# placed SCHED: the rank of a -N1 job for each constraint, one per line.
placed() {
    timeout 120 flux start -c c.toml -Ssched-module=$1 sh -c '
        for c in gpu -gpu big,debug host:node[1-2] rank:3 "-host:node[0-2]" \
                 "gpu & -big" "debug|big" "not (gpu or big)"; do
            for i in 1 2 3; do
                id=$(flux submit -N1 '"$T"' --requires="$c" true) || exit 1
                echo "$id $c"
            done
        done >ids &&
        flux queue drain --timeout=60 &&
        while read id c; do
            echo "$c $(flux job info $id R | jq -r ".execution.R_lite[].rank")" || exit 1
        done <ids' | sort -u
}
cat >expected <<-'EOF'
	-gpu 2
	-gpu 3
	-host:node[0-2] 3
	big,debug 3
	debug|big 1
	debug|big 2
	debug|big 3
	gpu & -big 0
	gpu 0
	gpu 1
	host:node[1-2] 1
	host:node[1-2] 2
	not (gpu or big) 2
	rank:3 3
EOF
for sched in sched-simple sched-graph; do
    test_expect_success "$sched: each constraint form lands on the right ranks" "
        placed $sched >out.$sched &&
        sort expected >exp &&
        comm -23 out.$sched exp >wrong &&
        test_cmp /dev/null wrong &&
        test \$(sed 's/ [0-9]*\$//' out.$sched | sort -u | wc -l) = 9
    "
    test_expect_success "$sched: a constraint no node satisfies is refused naming it" "
        timeout 60 flux start -c c.toml -Ssched-module=$sched sh -c '
            flux submit --requires=\"gpu nosuch\" true; echo rc=\$?;
            flux submit --requires=\"rank:2 & gpu\" true; echo rc=\$?;
            flux submit --requires=host:node9 true; echo rc=\$?;
            flux submit -N3 --requires=-gpu true; echo rc=\$?' >out 2>&1 &&
        cat out &&
        test \$(grep -c rc=1 out) = 4 &&
        grep -q \"flux: submit: unsatisfiable request: no node satisfies the constraint .nosuch.\" out &&
        grep -q \"no node satisfies the constraint .(rank:2 & gpu).\" out &&
        grep -q \"no node satisfies the constraint .host:node9.\" out &&
        grep -q \"3 nodes requested, .* with the constraint .-gpu.\" out
    "
done

test_done
