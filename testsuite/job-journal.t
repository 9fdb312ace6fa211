#!/bin/bash
# The job manager's journal (job-manager.events-journal): a backlog of every
# job's events, an end-of-backlog marker, then every event as it is posted.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 1

T="-S exec.test.run_duration=0s"
names() { # the event names of job $2 in journal output $1, in order
    local dec=$(flux job id $2)
    jq -r --argjson id $dec 'select(.id == $id) | .events[].name' <$1 | tr "\n" " "
}
all="submit validate depend priority alloc start finish release free clean "

start_journal() { # start_journal OUT [JSON]
    rpc -s job-manager.events-journal "${2:-{\}}" >$1 2>$1.err &
    echo $! >$1.pid
    wait_for 5 grep -q "\"id\":-1" $1
}
stop_journal() { kill $(cat $1.pid) 2>/dev/null; wait $(cat $1.pid) 2>/dev/null; true; }

if ! command -v jq >/dev/null; then
    test_skip_all "jq is not installed (apt-get install jq)"
fi

test_expect_success 'jobs that ran before the journal opened' '
    flux job wait $(flux submit $T --job-name=old true) &&
    flux submit $T -S exec.test.run_duration=300s --job-name=running true >running &&
    flux job wait-event -t 10 $(cat running) start
'
test_expect_success 'full=true: the backlog has every job with all its events, then id -1' '
    start_journal full.out "{\"full\":true}" &&
    old=$(flux jobs -a -no "{id} {name}" | awk "\$2 == \"old\" {print \$1}") &&
    test "$(names full.out $old)" = "$all" &&
    test "$(names full.out $(cat running))" = "submit validate depend priority alloc start " &&
    test $(grep -n "\"id\":-1" full.out | cut -d: -f1) -eq $(wc -l <full.out)
'
test_expect_success 'new events stream after the backlog, in order, once each' '
    id=$(flux submit $T true) && flux job wait $id &&
    wait_for 5 eval "test \"\$(names full.out $id)\" = \"\$all\"" &&
    flux cancel $(cat running) &&
    flux job wait-event -t 10 $(cat running) clean &&
    wait_for 5 sh -c "grep -c \"\\\"name\\\":\\\"clean\\\"\" full.out | grep -qx 3"
'
test_expect_success 'without full, the backlog holds active jobs only' '
    flux submit $T -S exec.test.run_duration=300s true >active &&
    flux job wait-event -t 10 $(cat active) start &&
    start_journal active.out &&
    sed -n "/\"id\":-1/q;p" active.out >backlog &&
    test $(wc -l <backlog) -eq 1 &&
    test "$(names backlog $(cat active))" = "submit validate depend priority alloc start " &&
    flux cancel $(cat active) && flux job wait-event -t 10 $(cat active) clean &&
    wait_for 5 sh -c "grep -q \"\\\"name\\\":\\\"clean\\\"\" active.out"
'
test_expect_success 'a journal that goes away costs nothing: jobs keep running' '
    stop_journal full.out && stop_journal active.out &&
    flux job wait $(flux submit $T true)
'
test_expect_success 'bad journal requests get clear errors' '
    test_must_fail rpc job-manager.events-journal "{}" 2>err &&
    grep -q "requires a streaming request" err &&
    test_must_fail rpc -s job-manager.events-journal "{\"full\":\"yes\"}" 2>err &&
    grep -q "expected {\"full\"?: bool}" err
'
test_done
