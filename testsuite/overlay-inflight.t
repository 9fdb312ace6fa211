#!/bin/bash
# Requests in flight through a broker that is lost get EHOSTUNREACH instead
# of hanging their clients.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 8

test_expect_success 'a streaming request to rank 7 is failed when rank 7 dies' '
    pid7=$(on_rank 7 flux getattr broker.pid) &&
    { flux dmesg --follow --rank 7 >follow.out 2>follow.err & echo $! >follow.pid; } &&
    wait_for 5 grep -q "broker" follow.out &&
    kill -9 $pid7 &&
    wait_for 5 sh -c "! kill -0 \$(cat follow.pid) 2>/dev/null" &&
    grep -q "lost connection to rank 7 before it responded" follow.err
'
test_expect_success 'a request waiting at rank 6 fails when rank 2 (its parent) dies' '
    pid2=$(on_rank 2 flux getattr broker.pid) &&
    { flux dmesg --follow --rank 6 >f6.out 2>f6.err & echo $! >f6.pid; } &&
    wait_for 5 grep -q "broker" f6.out &&
    kill -9 $pid2 &&
    wait_for 5 sh -c "! kill -0 \$(cat f6.pid) 2>/dev/null" &&
    grep -q "lost connection to rank 2 before it responded" f6.err
'
test_expect_success 'the rest of the instance keeps answering' '
    flux ping --count=1 1 && flux ping --count=1 4 &&
    test_must_fail flux ping --count=1 5 2>err &&
    grep -q "unreachable" err
'
test_done
