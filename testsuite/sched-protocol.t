#!/bin/bash
# The job manager's side of RFC 27 with a scheduler other than sched-simple:
# sched-onecore (testsuite/modules), a C module on the public API that uses
# mode single, commits R itself and answers without it, annotates waiting
# jobs and denies what needs more than its one core.  It is loaded first
# without feasibility.check, so that a request it cannot fit reaches
# sched.alloc (sched-feasibility.t covers the check at submission).
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 1

T="-S exec.test.run_duration"

# waiting_for_core ID: wait until the scheduler has ID's alloc request and
# has annotated it as waiting (it answered: no alloc now).
waiting_for_core() {
    local dec
    dec=$(flux job id "$1") &&
    wait_for 10 sh -c "flux jobs --json | jq -e \".[] | select(.id == $dec) | .annotations.sched.reason_pending == \\\"waiting for core 0\\\"\""
}

test_expect_success 'replace sched-simple with sched-onecore' '
    flux module remove sched-simple &&
    flux module load sched-onecore feasibility=none &&
    flux dmesg | grep -q "scheduler ready (mode single)"
'
test_expect_success 'a job runs on the R the scheduler committed itself' '
    id=$(flux submit $T=0s true) &&
    flux job wait $id &&
    flux job eventlog $id | grep -q "alloc annotations={\"sched\":{\"resource_summary\":\"rank0/core0\"}}" &&
    flux kvs get $(flux job id --to=kvs $id).R | jq -e ".execution.R_lite[0].children.core == \"0\"" &&
    flux kvs get $(flux job id --to=kvs $id).R | jq -e ".execution.starttime > 0"
'
test_expect_success 'jobs take turns on the one core; waiting ones are annotated' '
    a=$(flux submit $T=300s true) &&
    flux job wait-event -t 10 $a start &&
    b=$(flux submit $T=0s true) &&
    flux job wait-event -t 10 $b priority &&
    bdec=$(flux job id $b) &&
    waiting_for_core $b &&
    flux cancel $a &&
    flux job wait-event -t 10 $a clean &&
    flux job wait $b &&
    flux jobs -a --json | jq -e ".[] | select(.id == $bdec) | .annotations.sched.resource_summary == \"rank0/core0\"" &&
    ta=$(flux job eventlog $a | awk "\$2 == \"free\" {print \$1}") &&
    tb=$(flux job eventlog $b | awk "\$2 == \"alloc\" {print \$1}") &&
    awk -v a=$ta -v b=$tb "BEGIN { exit !(a <= b) }"
'
test_expect_success 'a denied request ends the job with an alloc exception and the note' '
    id=$(flux submit $T=0s -n2 true) &&
    test_must_fail flux job wait $id 2>err &&
    flux job eventlog $id | grep exception | grep -q "sched-onecore has one core" &&
    flux job eventlog $id | grep -q "exception type=\"alloc\""
'
test_expect_success 'cancel of the job waiting in the scheduler: CANCEL response, job ends' '
    a=$(flux submit $T=300s true) &&
    flux job wait-event -t 10 $a start &&
    b=$(flux submit $T=0s true) &&
    flux job wait-event -t 10 $b priority &&
    waiting_for_core $b &&
    flux cancel $b &&
    flux job wait-event -t 10 $b exception >exc &&
    grep -q "exception type=\"cancel\"" exc &&
    flux job wait-event -t 10 $b clean &&
    ! flux job eventlog $b | grep -q " alloc" &&
    flux cancel $a && flux job wait-event -t 10 $a clean
'
test_expect_success 'scheduler reload while a job holds the core: it is freed through the new one' '
    a=$(flux submit $T=300s true) &&
    flux job wait-event -t 10 $a start &&
    flux module remove sched-onecore &&
    flux module load sched-onecore &&
    b=$(flux submit $T=0s true) &&
    flux job wait-event -t 10 $b priority &&
    waiting_for_core $b &&
    ! flux job eventlog $b | grep -q " alloc" &&
    flux cancel $a &&
    flux job wait-event -t 10 $b clean
'
test_expect_success 'a scheduler built for another schedutil ABI is refused at load' '
    flux module remove sched-onecore &&
    test_must_fail flux module load sched-onecore api=2.0 2>err &&
    grep -q "schedutil API version 2.0 is not supported (this is 1.2)" err &&
    flux module load sched-onecore
'
test_expect_success 'FLUX_SCHEDUTIL_FREE_BY_ID: a final free comes without R; a 1.1 table never sees the flag' '
    for arg in free-by-id api=1.1 ""; do
        flux module remove sched-onecore &&
        flux module load sched-onecore $arg &&
        id=$(flux submit $T=0s true) &&
        flux job wait-event -t 10 $id clean &&
        id=$(flux submit $T=0s true) &&
        flux job wait-event -t 10 $id clean || return 1
    done &&
    flux dmesg >log &&
    test_must_fail grep "sched-onecore: final free" log
'
# A response that is not JSON (here deep in R's scheduling key, which the
# job manager checks without decoding it) drops the scheduler, as in
# flux-core; the job waits, and runs under the next one.
test_expect_success 'R as text: kept as sent; a scheduling key that is not JSON drops the scheduler, not the job' '
    flux module remove sched-onecore &&
    flux module load sched-onecore R-text=bad &&
    id=$(flux submit $T=0s true) &&
    wait_for 10 sh -c "flux dmesg | grep -q \"scheduler lost (sched.alloc: malformed response (\"" &&
    test "$(flux jobs -n -o {state} $id)" = SCHED &&
    flux module remove sched-onecore &&
    flux module load sched-onecore R-text=good &&
    flux job wait-event -t 10 $id clean &&
    flux job info $id R | jq -e ".scheduling.graph.nodes[0].metadata.type == \"core\"" &&
    test "$(flux job info $id R | jq -r ".execution.R_lite[0].children.core")" = 0
'
test_expect_success 'back to sched-simple' '
    flux module remove sched-onecore &&
    flux module load sched-simple &&
    flux run true
'
test_done
