#!/bin/bash
# Feasibility at submission goes to the loaded scheduler: job-ingest sends
# feasibility.check once per distinct request and refuses the job with the
# scheduler's reason; no scheduler, or one that does not offer the check,
# means "accept"; a scheduler that never answers is waited for at most
# job-ingest.feasibility-timeout seconds, then the job is accepted; answers
# are forgotten when a scheduler becomes ready or goes away.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 1

T="-S exec.test.run_duration"
export PATH="$FLUX_BUILD_DIR/testsuite/helpers:$PATH"

test_expect_success 'sched-simple answers feasibility.check itself' '
    flux submit --dry-run -n1 true | jq -c "{jobspec: .}" >ok.json &&
    rpc feasibility.check "$(cat ok.json)" >out &&
    test "$(cat out)" = "{}" &&
    flux submit --dry-run -N 2 true | jq -c "{jobspec: .}" >big.json &&
    test_must_fail rpc feasibility.check "$(cat big.json)" 2>err &&
    grep -q "unsatisfiable request: 2 nodes requested, 1 available" err &&
    test_must_fail rpc feasibility.check "{\"jobspec\": 1}" 2>err &&
    grep -q "expected {\"jobspec\": {...}}" err
'
test_expect_success 'the scheduler loaded decides: sched-onecore refuses two cores at submit' '
    flux module remove sched-simple &&
    flux module load sched-onecore &&
    test_must_fail flux submit $T=0s -n2 true 2>err &&
    grep -q "sched-onecore: only one core can ever be allocated" err &&
    id=$(flux submit $T=0s -n1 true) && flux job wait $id
'
test_expect_success 'a new scheduler forgets the old answers (same jobspec now accepted)' '
    flux module remove sched-onecore &&
    flux module load sched-onecore feasibility=none &&
    id=$(flux submit $T=0s -n2 true) &&
    test_must_fail flux job wait $id &&
    flux job eventlog $id | grep exception | grep -q "sched-onecore has one core"
'
test_expect_success 'a scheduler without feasibility.check: jobs are accepted (ENOSYS)' '
    test_must_fail rpc feasibility.check "$(cat big.json)" 2>err &&
    grep -q "^Function not implemented" err
'
test_expect_success 'no scheduler at all: jobs are accepted and wait for one' '
    flux module remove sched-onecore &&
    id=$(flux submit $T=0s -n2 true) &&
    flux job wait-event -t 10 $id priority &&
    flux module load sched-simple &&
    flux job wait $id
'
test_expect_success 'a scheduler that never answers: accepted after the timeout, logged' '
    flux module remove sched-simple &&
    flux module load sched-onecore feasibility=silent &&
    flux setattr job-ingest.feasibility-timeout 1 &&
    t0=$(date +%s.%N) &&
    id=$(flux submit $T=0s -n1 true) &&
    t1=$(date +%s.%N) &&
    awk -v a=$t0 -v b=$t1 "BEGIN { exit !(b - a >= 0.9) }" &&
    flux job wait $id &&
    flux dmesg | grep -q "did not answer feasibility.check in time"
'
# A submission after one whose check is under way waits for it, even one
# refused without a check: jobs get their ids in the order they came.
test_expect_success 'submissions behind one being checked wait for it' '
    flux setattr job-ingest.feasibility-timeout 4 &&
    { flux submit $T=0s -n1 --job-name=first true >first.id & } &&
    sleep 1.5 &&
    t0=$(date +%s.%N) &&
    test_must_fail rpc job-ingest.submit "{\"jobspec\":{},\"urgency\":99}" 2>err &&
    t1=$(date +%s.%N) &&
    grep -q "urgency must be between 0 and 31" err &&
    wait &&
    test -s first.id &&
    awk -v a=$t0 -v b=$t1 "BEGIN { exit !(b - a >= 1.0) }"
'
test_expect_success 'a bad timeout value is refused' '
    test_must_fail flux setattr job-ingest.feasibility-timeout 0 &&
    test_must_fail flux setattr job-ingest.feasibility-timeout x
'
test_expect_success 'back to sched-simple' '
    flux module remove sched-onecore &&
    flux module load sched-simple &&
    flux run true
'
test_done
