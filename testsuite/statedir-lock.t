#!/bin/bash
# Two brokers on one statedir: the second stops at once with a message
# naming the holder's pid; the lock goes with the holder (even kill -9).
. "$(dirname "$0")/lib/test-lib.sh"

trap 'test -d "$FLUX_TEST_TRASH" && touch "$FLUX_TEST_TRASH/stop"' EXIT

# Start an instance on ./state that runs until ./stop exists (or the
# scratch directory is gone: a holder whose broker was killed must not
# outlive the test); it writes its broker's pid to FILE once up.
start_holder() {
    rm -f stop
    flux start -Sstatedir=$PWD/state sh -c \
        "echo \$FLUX_URI >$1.uri; flux getattr broker.pid >$1.tmp && mv $1.tmp $1; while ! test -e $PWD/stop && test -d $PWD; do sleep 0.1; done" &
    echo $! >holder.pid
    wait_for 20 test -s $1
}

test_expect_success 'a first instance holds the statedir' '
    start_holder bpid &&
    test -e state/rank-0.lock
'
test_expect_success 'a second broker on it fails at once, naming the holder pid' '
    start=$(date +%s) &&
    test_must_fail timeout 20 flux start -Sstatedir=$PWD/state true 2>err &&
    test $(($(date +%s) - start)) -lt 10 &&
    grep -q "statedir $PWD/state is in use by fluxd pid $(cat bpid)" err &&
    grep -q "rank-0.lock" err
'
test_expect_success 'the first instance is untouched and still works' '
    kill -0 $(cat bpid) &&
    FLUX_URI=$(cat bpid.uri) flux getattr broker.pid >out &&
    test_cmp bpid out
'
test_expect_success 'once the holder exits, the statedir can be used again' '
    touch stop &&
    wait_for 20 sh -c "! kill -0 $(cat bpid)" &&
    flux start -Sstatedir=$PWD/state flux getattr rank >out &&
    grep -qx 0 out
'
test_expect_success 'a holder killed with SIGKILL does not leave the statedir locked' '
    start_holder bpid2 &&
    kill -9 $(cat bpid2) &&
    wait_for 20 sh -c "! kill -0 $(cat bpid2)" &&
    flux start -Sstatedir=$PWD/state flux getattr rank >out &&
    grep -qx 0 out
'
test_expect_success 'the brokers of one size-2 instance share a statedir (a lock per rank)' '
    flux start --test-size=2 -Sstatedir=$PWD/state2 flux getattr size >out &&
    grep -qx 2 out &&
    test -e state2/rank-0.lock && test -e state2/rank-1.lock
'
test_expect_success 'a second size-2 instance on that statedir while one runs fails' '
    flux start --test-size=2 -Sstatedir=$PWD/state2 sh -c "
        ! timeout 20 flux start --test-size=2 -Sstatedir=$PWD/state2 true 2>err2" &&
    grep -Eq "state2 is in use by fluxd pid [0-9]+ \(lock .*/state2/rank-[01]\.lock\)" err2
'
# The holders' initial programs (one outlives its SIGKILLed broker) end
# here: the harness's own EXIT handling may replace the trap above.
touch "$FLUX_TEST_TRASH/stop"
test_done
