#!/bin/bash
# Node failure: a broker killed with -9 goes offline within seconds; the
# job with a shell on it gets a node-failure exception and its other
# shells are killed (no task left anywhere), a job elsewhere is
# unaffected, and the node rejoins when its broker is restarted.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 4 -Stbon.fanout=2

kill_restarted() {
    local f
    for f in "$FLUX_TEST_TRASH"/restarted.*; do
        test -f "$f" && kill -9 "$(cat "$f")" 2>/dev/null
    done
    return 0
}
trap kill_restarted EXIT
trap 'exit 143' TERM INT HUP

gone() {
    test ! -e "/proc/$1" || test "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z
}
save_cmdline() {
    local pid
    pid=$(on_rank "$1" flux getattr broker.pid) &&
    echo "$pid" >"pid.$1" &&
    cp "/proc/$pid/cmdline" "cmdline.$1"
}
restart() {
    local -a cmd
    mapfile -d '' -t cmd <"cmdline.$1" &&
    test ${#cmd[@]} -gt 0 || return 1
    "${cmd[@]}" </dev/null >"broker.$1.log" 2>&1 &
    echo $! >"$FLUX_TEST_TRASH/restarted.$1"
}
# ranks_of JOBID: the ranks of the job's R, as an idset.
ranks_of() {
    flux job info "$1" R | sed -n 's/.*"rank": *"\([^"]*\)".*/\1/p' | head -1
}
offline_count() {
    flux resource status -s offline | awk 'NR > 1 {print $3}'
}

test_expect_success 'two exclusive jobs of two nodes each' '
    B=$(flux submit -N2 --exclusive sh -c "echo \$\$ >b.\$FLUX_TASK_RANK; exec sleep 300") &&
    A=$(flux submit -N2 --exclusive sh -c "echo \$\$ >a.\$FLUX_TASK_RANK; exec sleep 300") &&
    flux job wait-event -t 30 $A start &&
    flux job wait-event -t 30 $B start &&
    wait_for 30 test -s a.1 && wait_for 30 test -s b.1 &&
    echo $A >A && echo $B >B &&
    ranks_of $A >ranksA && cat ranksA &&
    test "$(cat ranksA)" = "2-3" -o "$(cat ranksA)" = "2,3"
'
test_expect_success 'kill -9 the broker of rank 3 (a node of job A)' '
    save_cmdline 3 &&
    kill -9 $(cat pid.3) &&
    wait_for 10 gone $(cat pid.3)
'
test_expect_success 'rank 3 is offline within seconds' '
    wait_for 10 eval "test \"\$(offline_count)\" = 1"
'
test_expect_success 'job A gets a node-failure exception naming rank 3 and ends' '
    flux job wait-event -t 15 $(cat A) exception >exc &&
    grep -q "node-failure" exc &&
    grep -q "lost rank(s) 3" exc &&
    flux job wait-event -t 30 $(cat A) clean
'
test_expect_success 'no task of job A is left, on either node' '
    wait_for 10 gone $(cat a.0) &&
    wait_for 10 gone $(cat a.1)
'
test_expect_success 'job B is unaffected' '
    ! gone $(cat b.0) && ! gone $(cat b.1) &&
    flux job eventlog $(cat B) >evB &&
    ! grep -q exception evB
'
test_expect_success 'a new job still runs on the nodes that are up' '
    flux run -n1 true
'
test_expect_success 'rank 3 rejoins when its broker is restarted' '
    restart 3 &&
    wait_for 15 flux ping --count=1 3 &&
    wait_for 10 eval "test -z \"\$(offline_count)\""
'
test_expect_success 'job B still ends normally' '
    flux cancel $(cat B) &&
    flux job wait-event -t 30 $(cat B) clean &&
    wait_for 10 gone $(cat b.0)
'
test_expect_success 'the restarted broker stops on SIGTERM' '
    p=$(cat $FLUX_TEST_TRASH/restarted.3) &&
    kill -TERM $p &&
    wait_for 15 gone $p
'
kill_restarted
test_done
