#!/bin/bash
# flux queue drain and idle (job-manager.drain, job-manager.idle): drain
# answers once no job is active, idle once none is in RUN or CLEANUP;
# --timeout, bad arguments, and clients that go away while waiting.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 2

ncores=$(nproc)

test_expect_success 'drain and idle on an empty queue return at once' '
    flux queue drain --timeout=5 &&
    flux queue idle --timeout=5 &&
    rpc job-manager.idle "{}" >resp &&
    echo "{\"pending\":0}" >expected && test_cmp expected resp
'
test_expect_success 'drain returns only once every job is inactive' '
    flux submit --cc=1-$((2 * ncores + 2)) sleep 0.5 >ids &&
    timeout 30 flux queue drain &&
    flux jobs -n >active && test_must_be_empty active &&
    for id in $(cat ids); do
        flux job eventlog $id | tail -1 | grep -q " clean" || return 1
    done &&
    flux jobs -a --filter=completed -n -o "{id}" | sort >done &&
    sort ids | comm -23 - done >missing && test_must_be_empty missing
'
test_expect_success 'idle waits for running jobs to end' '
    id=$(flux submit sleep 0.5) &&
    flux job wait-event -t 10 $id start &&
    timeout 30 flux queue idle &&
    flux jobs -n >active && test_must_be_empty active &&
    flux job eventlog $id | tail -1 | grep -q " clean"
'
test_expect_success 'idle and drain --timeout=0.1 while a job runs: "timeout", exit 1' '
    id=$(flux submit sleep 60) &&
    echo $id >running.id &&
    flux job wait-event -t 10 $id start &&
    test_expect_code 1 timeout 10 flux queue idle --timeout=0.1 2>err &&
    echo "flux-queue: idle: timeout" >expected && test_cmp expected err &&
    test_expect_code 1 timeout 10 flux queue drain --timeout 0.1 2>err &&
    echo "flux-queue: drain: timeout" >expected && test_cmp expected err &&
    flux jobs -n -o "{state_single}" | grep -qx R
'
test_expect_success 'a canceled job ends the wait' '
    flux cancel $(cat running.id) &&
    flux queue idle --timeout=10 &&
    flux queue drain --timeout=10 &&
    flux jobs -n >active && test_must_be_empty active
'
test_expect_success 'idle returns while jobs are pending but none runs; drain does not' '
    flux queue stop &&
    flux submit --cc=1-2 true >pending &&
    flux job wait-event -t 5 $(tail -1 pending) priority &&
    flux queue idle --timeout=5 &&
    rpc job-manager.idle "{}" >resp &&
    echo "{\"pending\":2}" >expected && test_cmp expected resp &&
    test_expect_code 1 flux queue drain --timeout=0.2 2>err &&
    grep -q "drain: timeout" err &&
    flux queue start &&
    flux queue drain --timeout=30 &&
    for id in $(cat pending); do flux job wait $id || return 1; done
'
test_expect_success 'a held job keeps drain waiting, not idle' '
    id=$(flux submit --urgency=hold true) &&
    flux job wait-event -t 5 $id priority &&
    flux queue idle --timeout=5 &&
    test_expect_code 1 flux queue drain --timeout=0.2 2>err &&
    grep -q "drain: timeout" err &&
    flux cancel $id &&
    flux queue drain --timeout=5
'
test_expect_success '--timeout=inf and --timeout=0 mean no limit' '
    flux queue drain --timeout=inf &&
    flux queue idle --timeout=0 &&
    id=$(flux submit sleep 0.5) &&
    flux job wait-event -t 10 $id start &&
    timeout 30 flux queue idle --timeout=0 &&
    flux jobs -n >active && test_must_be_empty active &&
    id=$(flux submit sleep 0.5) &&
    timeout 30 flux queue drain --timeout=inf &&
    flux jobs -n >active && test_must_be_empty active
'
test_expect_success 'bad arguments are errors' '
    test_expect_code 1 flux queue drain --timeout=bogus 2>err &&
    grep -q "flux-queue: --timeout: invalid duration .bogus." err &&
    test_expect_code 1 flux queue idle --timeout=-1 2>err &&
    grep -q "invalid duration .-1." err &&
    test_expect_code 1 flux queue status --timeout=1 2>err &&
    grep -q "only drain and idle take a timeout" err &&
    test_expect_code 1 flux queue drain --bogus 2>err &&
    grep -q "unknown argument .--bogus." err
'
test_expect_success 'a client killed while waiting on drain does not break the broker' '
    id=$(flux submit sleep 60) &&
    flux job wait-event -t 10 $id start &&
    { flux queue drain >/dev/null 2>&1 & } && victim=$! &&
    { flux queue idle >/dev/null 2>&1 & } && victim2=$! &&
    { FLUX_URI=$(rank_uri 1) flux queue drain >/dev/null 2>&1 & } && victim3=$! &&
    { timeout 20 rpc job-manager.drain "{}" >survivor.out 2>&1 & } && survivor=$! &&
    { FLUX_URI=$(rank_uri 1) timeout 20 rpc job-manager.idle "{}" >survivor1.out 2>&1 & } && survivor1=$! &&
    sleep 0.3 &&
    # Each is a process of its own (the command, not a subshell).
    kill -0 $victim $victim2 $victim3 $survivor $survivor1 &&
    kill -9 $victim $victim2 $victim3 &&
    { wait $victim $victim2 $victim3 || true; } &&
    flux ping --count=1 0 &&
    flux cancel $id &&
    flux queue drain --timeout=10 &&
    wait $survivor && wait $survivor1 &&
    echo "{}" >expected && test_cmp expected survivor.out &&
    echo "{\"pending\":0}" >expected && test_cmp expected survivor1.out &&
    flux queue drain --timeout=5 &&
    flux queue idle --timeout=5 &&
    flux job wait $(flux submit -S exec.test.run_duration=0s true)
'
test_expect_success 'after a restart, idle and drain wait for the jobs that were running' '
    mkdir -p state &&
    cat >first.sh <<-\EOF &&
	flux submit sleep 60 >run.id &&
	flux job wait-event -t 10 $(cat run.id) start &&
	flux queue stop &&
	flux submit true >pend.id
	EOF
    cat >second.sh <<-\EOF &&
	timeout 20 flux queue idle &&
	flux job eventlog $(cat run.id) | tail -1 | grep " clean" &&
	timeout 20 rpc job-manager.idle "{}" >idle.out &&
	flux queue start &&
	timeout 20 flux queue drain &&
	flux jobs -n >active.out
	EOF
    timeout 60 flux start -Sstatedir=$PWD/state bash -e first.sh &&
    timeout 60 flux start -Sstatedir=$PWD/state bash -e second.sh &&
    echo "{\"pending\":1}" >expected && test_cmp expected idle.out &&
    test_must_be_empty active.out
'
test_done
