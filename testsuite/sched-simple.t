#!/bin/bash
# The scheduler is a module, sched-simple, speaking RFC 27 with the job
# manager: load at startup, reload with running jobs (hello), cancel,
# prioritize, hold, queue stop/start, and bad protocol input.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 1

ncores=$(flux resource list -no "{ncores}" 2>/dev/null || nproc)
ncores=$(nproc)

sched_queue() {
    rpc sched-simple.status | sed -n 's/.*"queue": *\([0-9]*\).*/\1/p'
}
# wait_for re-runs its command: the queue length is read each time.
queue_is() { test "$(sched_queue)" = "$1"; }
has_event() { flux job eventlog "$1" | grep -q " $2\( \|$\)"; }

test_expect_success 'sched-simple is loaded at startup and answers status' '
    wait_for 10 sh -c "flux module list | grep -q \"^sched-simple .*running\"" &&
    wait_for 10 sh -c "rpc sched-simple.status | grep -q \"free_cores\\\": *$ncores\""
'
test_expect_success 'a job is allocated through the scheduler' '
    flux run -n1 true
'
test_expect_success 'a blocker takes every core; the next job waits in the scheduler queue' '
    flux submit -n$ncores sleep 300 >blocker &&
    flux job wait-event -t 10 $(cat blocker) start &&
    flux submit -n1 true >waiter &&
    flux job wait-event -t 10 $(cat waiter) priority &&
    wait_for 5 queue_is 1 &&
    ! has_event $(cat waiter) alloc
'
test_expect_success 'reloading the scheduler keeps running jobs allocated (hello)' '
    flux module remove sched-simple &&
    ! flux module list | grep -q sched-simple &&
    flux queue status | grep -qi "no scheduler" &&
    flux module load sched-simple &&
    rpc sched-simple.status >status2 &&
    grep -q "\"free_cores\": *0" status2 &&
    wait_for 5 queue_is 1 &&
    ! has_event $(cat waiter) alloc
'
event_time() { flux job eventlog "$1" | awk -v e="$2" '$2 == e { print $1; exit }'; }

test_expect_success 'urgency changes reorder the scheduler queue (prioritize)' '
    flux submit -n$ncores --urgency=10 --job-name=low true >low &&
    flux submit -n$ncores --urgency=10 --job-name=high true >high &&
    flux submit -n1 --job-name=doomed true >doomed &&
    wait_for 5 queue_is 4 &&
    flux job urgency $(cat high) 20 &&
    flux job urgency $(cat waiter) 0 &&
    wait_for 5 queue_is 3
'
test_expect_success 'cancel of a job waiting in the scheduler removes its request' '
    flux cancel $(cat doomed) &&
    flux job wait-event -t 10 $(cat doomed) clean &&
    wait_for 5 queue_is 2 &&
    ! has_event $(cat doomed) alloc
'
test_expect_success 'freed resources go to the highest priority request first' '
    flux cancel $(cat blocker) &&
    flux job wait-event -t 10 $(cat high) clean &&
    flux job wait-event -t 10 $(cat low) clean &&
    th=$(event_time $(cat high) alloc) && tl=$(event_time $(cat low) alloc) &&
    awk -v h=$th -v l=$tl "BEGIN { exit !(h < l) }" &&
    ! has_event $(cat waiter) alloc
'
test_expect_success 'a held job runs once released' '
    flux job urgency $(cat waiter) 16 &&
    flux job wait-event -t 10 $(cat waiter) clean
'
test_expect_success 'queue stop withdraws requests; start sends them again' '
    flux queue stop &&
    flux submit -n1 true >stopped &&
    flux job wait-event -t 10 $(cat stopped) priority &&
    sleep 0.2 &&
    test "$(sched_queue)" = 0 &&
    ! has_event $(cat stopped) alloc &&
    flux queue start &&
    flux job wait-event -t 10 $(cat stopped) clean
'
test_expect_success 'mode=single and mode=limited=N: one (N) request at a time, all jobs run' '
    flux module remove sched-simple &&
    flux module load sched-simple mode=single &&
    flux dmesg | grep -q "scheduler ready (mode single)" &&
    ids=$(flux submit --cc=1-6 -S exec.test.run_duration=0.05s true) &&
    for id in $ids; do flux job wait $id || return 1; done &&
    flux module remove sched-simple &&
    flux module load sched-simple mode=limited=2 &&
    flux dmesg | grep -q "scheduler ready (mode limited=2)" &&
    ids=$(flux submit --cc=1-6 -S exec.test.run_duration=0.05s true) &&
    for id in $ids; do flux job wait $id || return 1; done &&
    flux module remove sched-simple &&
    flux module load sched-simple
'
test_expect_success 'bad module arguments are refused with the reason' '
    flux module remove sched-simple &&
    test_must_fail flux module load sched-simple mode=sometimes 2>err &&
    grep -q "expected unlimited, single or limited=N" err &&
    test_must_fail flux module load sched-simple limited 2>err &&
    grep -q "unknown argument .limited." err &&
    flux module load sched-simple &&
    flux run true
'
test_expect_success 'a second scheduler is refused' '
    test_must_fail rpc job-manager.sched-hello "{}" 2>err &&
    grep -qi "already loaded" err
'
test_expect_success 'bad sched-ready and sched.alloc requests get clear errors' '
    test_must_fail rpc job-manager.sched-ready "{\"mode\":\"bogus\"}" 2>err &&
    grep -q "unknown scheduler mode" err &&
    test_must_fail rpc job-manager.sched-ready "{}" 2>err &&
    grep -q "expected" err &&
    test_must_fail rpc sched.alloc "{\"id\":1}" 2>err &&
    grep -q "sched.alloc: expected" err
'
test_expect_success 'an instance without a scheduler keeps jobs pending until one loads' '
    flux start -Ssched-module=none bash -c "
        ! flux module list | grep -q sched-simple &&
        id=\$(flux submit true) &&
        flux job wait-event -t 10 \$id priority &&
        sleep 0.2 &&
        ! flux job eventlog \$id | grep -q alloc &&
        flux module load sched-simple &&
        flux job wait-event -t 10 \$id clean
    "
'
test_expect_success 'the broker is still healthy' '
    flux run true
'
test_done
