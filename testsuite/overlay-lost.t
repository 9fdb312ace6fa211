#!/bin/bash
# Lost brokers: kill -9 a leaf and an interior rank, see them lost, restart them by hand.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 8 -Stbon.fanout=2 -Slog-stderr-level=2

# Tree with fanout 2: 0->{1,2}, 1->{3,4}, 2->{5,6}, 3->{7}.
HOST=$(flux getattr hostname)

# Brokers restarted by hand are not children of flux start: kill them at exit.
kill_restarted() {
    local f
    for f in "$FLUX_TEST_TRASH"/restarted.*; do
        test -f "$f" && kill -9 "$(cat "$f")" 2>/dev/null
    done
    return 0
}
trap kill_restarted EXIT
trap 'exit 143' TERM INT HUP

# gone PID: the process has exited (a zombie counts).
gone() {
    test ! -e "/proc/$1" || test "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z
}
# save_cmdline RANK: record rank RANK's fluxd pid and command line.
save_cmdline() {
    local pid
    pid=$(on_rank "$1" flux getattr broker.pid) &&
    test -n "$pid" &&
    echo "$pid" >"pid.$1" &&
    cp "/proc/$pid/cmdline" "cmdline.$1" &&
    test -s "cmdline.$1"
}
# restart RANK: run rank RANK's saved command line in the background.
restart() {
    local -a cmd
    mapfile -d '' -t cmd <"cmdline.$1" &&
    test ${#cmd[@]} -gt 0 || return 1
    "${cmd[@]}" </dev/null >"broker.$1.log" 2>&1 &
    echo $! >"$FLUX_TEST_TRASH/restarted.$1"
}
# status_is STATE R...: each rank R has STATE in flux overlay status.
status_is() {
    local st=$1 r
    shift
    flux overlay status >status.out 2>&1 || true
    for r in "$@"; do
        grep -q "[ ─]*$r $HOST: $st\$" status.out || return 1
    done
}
full_status() {
    cat <<EOF
0 $HOST: full
├─ 1 $HOST: full
│  ├─ 3 $HOST: full
│  │  └─ 7 $HOST: full
│  └─ 4 $HOST: full
└─ 2 $HOST: full
   ├─ 5 $HOST: full
   └─ 6 $HOST: full
EOF
}
is_full() {
    flux overlay status >status.out 2>&1 && full_status | cmp -s - status.out
}

test_expect_success 'overlay status shows all 8 ranks full, as a tree' '
    flux overlay status >out &&
    full_status >expected &&
    cmp expected out
'
test_expect_success 'overlay status --summary is full' '
    flux overlay status --summary >out &&
    grep -qx "full: online 0-7" out
'
test_expect_success 'record the command lines of ranks 7 and 3' '
    save_cmdline 7 && save_cmdline 3 &&
    tr "\0" " " <cmdline.7 >cmd7 &&
    grep -q -- "--test-size=8" cmd7 && grep -q -- "--test-rank=7" cmd7 &&
    grep -q -- "--test-dir=" cmd7
'
test_expect_success 'kill -9 the leaf broker, rank 7' '
    kill -9 $(cat pid.7) &&
    wait_for 10 gone $(cat pid.7)
'
test_expect_success 'overlay status shows rank 7 lost and rank 3 degraded' '
    wait_for 10 status_is lost 7 &&
    status_is degraded 3 &&
    status_is full 4 2 5 6
'
test_expect_success 'ranks 1 and 0, above the lost rank, are degraded too' '
    status_is degraded 1 0
'
test_expect_success 'overlay status from rank 3 shows 7 lost' '
    flux overlay status --rank=3 >out &&
    grep -q "^3 $HOST: degraded$" out &&
    grep -q "7 $HOST: lost$" out
'
test_expect_success 'the other ranks still answer' '
    flux ping --count=1 1 &&
    flux ping --count=1 6 &&
    flux ping --count=1 3 &&
    on_rank 4 flux ping --count=1 3
'
test_expect_success 'ping to the lost rank fails: unreachable' '
    test_must_fail flux ping --count=1 7 2>err &&
    grep -q "unreachable" err
'
test_expect_success 'overlay status --summary: degraded, lost 7' '
    flux overlay status --summary >out &&
    grep -q "^degraded" out &&
    grep -q "lost 7" out &&
    grep -q "online 0-6" out
'
test_expect_success 'rank 0 logged that rank 7 was lost' '
    flux dmesg >log &&
    grep -q "lost rank 7" log
'
test_expect_success 'restart rank 7 with its old command line' '
    restart 7 &&
    wait_for 10 flux ping --count=1 7
'
test_expect_success 'rank 7 is the restarted broker' '
    on_rank 7 flux getattr broker.pid >pid &&
    test "$(cat pid)" = "$(cat $FLUX_TEST_TRASH/restarted.7)"
'
test_expect_success 'overlay status is full again' '
    wait_for 10 is_full &&
    flux overlay status --summary >out &&
    grep -qx "full: online 0-7" out
'
test_expect_success 'rank 3 logged that rank 7 reconnected' '
    flux dmesg >log &&
    grep -q "rank 7 ($HOST) reconnected" log
'
test_expect_success 'kill -9 rank 3, the parent of rank 7' '
    save_cmdline 3 &&
    kill -9 $(cat pid.3) &&
    wait_for 10 gone $(cat pid.3)
'
test_expect_success 'overlay status shows rank 3 lost, with its subtree' '
    wait_for 10 status_is lost 3 &&
    flux overlay status --summary >out &&
    grep -q "^degraded" out &&
    grep -q "lost 3,7" out
'
test_expect_success 'ping to rank 7 fails while its parent is gone' '
    test_must_fail flux ping --count=1 7 2>err &&
    grep -q "unreachable" err
'
test_expect_success 'rank 7 is still running and knows it lost its parent' '
    on_rank 7 flux getattr rank >rank &&
    test "$(cat rank)" = 7 &&
    on_rank 7 flux dmesg >log7 &&
    grep -q "lost connection to parent (rank 3)" log7
'
test_expect_success 'restart rank 3: rank 7 reconnects to it by itself' '
    restart 3 &&
    wait_for 15 flux ping --count=1 7 &&
    wait_for 10 is_full
'
test_expect_success 'rank 7 logged that it reconnected to its parent' '
    flux dmesg >log &&
    grep -q "reconnected to parent (rank 3)" log
'
test_expect_success 'the route to rank 7 passes 0, 1 and 3 again' '
    flux ping --count=1 7 >out &&
    grep -q "(c[0-9]*!0!1!3)" out
'
test_expect_success 'requests from rank 7 reach the rest of the instance' '
    on_rank 7 flux ping --count=1 6 &&
    on_rank 7 flux ping --count=1 0
'
test_expect_success 'the restarted brokers stop on SIGTERM' '
    p7=$(cat $FLUX_TEST_TRASH/restarted.7) && p3=$(cat $FLUX_TEST_TRASH/restarted.3) &&
    kill -TERM $p7 &&
    wait_for 15 gone $p7 &&
    kill -TERM $p3 &&
    wait_for 15 gone $p3
'
kill_restarted
test_done
