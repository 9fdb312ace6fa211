#!/bin/bash
# flux ping across the ranks of a size-8 instance, to services, and errors.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 8

test_expect_success 'ping every rank' '
    for r in 0 1 2 3 4 5 6 7; do
        flux ping --count=1 $r >out.$r || exit 1
        grep -q "^$r!broker.ping pad=0 seq=0 time=" out.$r || exit 1
    done
'
test_expect_success 'ping --count=3 7 gives three replies in order' '
    flux ping --count=3 --interval=0.01 7 >out &&
    test $(wc -l <out) -eq 3 &&
    grep -q "seq=0" out && grep -q "seq=1" out && grep -q "seq=2" out
'
test_expect_success 'the route to rank 7 passes 0, 1 and 3' '
    flux ping --count=1 7 >out &&
    grep -q "(c[0-9]*!0!1!3)" out
'
test_expect_success 'ping a service by name and by rank!service' '
    flux ping --count=1 attr >out && grep -q "^attr.ping" out &&
    flux ping --count=1 "5!log" >out && grep -q "^5!log.ping" out
'
test_expect_success 'ping from a leaf to another leaf' '
    on_rank 7 flux ping --count=1 6 >out &&
    grep -q "^6!broker.ping" out
'
test_expect_success 'ping with padding' '
    flux ping --count=2 --interval=0 --pad=65536 4 >out &&
    grep -q "pad=65536" out
'
test_expect_success 'messages larger than the per-wakeup read limit get through' '
    flux ping --count=2 --interval=0 --pad=5000000 7 >out &&
    test $(grep -c "pad=5000000" out) -eq 2
'
test_expect_success 'ping --batch summarizes' '
    flux ping --batch --count=20 --interval=0 7 >out &&
    grep -q "seq=0-19 min/avg/max=" out
'
test_expect_success 'ping an out-of-range rank fails clearly' '
    test_must_fail flux ping --count=1 8 2>err &&
    grep -q "out of range" err
'
test_expect_success 'ping an unknown service fails with ENOSYS text' '
    test_must_fail flux ping --count=1 nosuchservice 2>err &&
    grep -q "No service matching nosuchservice.ping" err
'
test_expect_success 'invalid ping arguments are rejected' '
    test_must_fail flux ping 2>err && grep -q Usage err &&
    test_must_fail flux ping --count=x 1 2>err && grep -q "invalid count" err
'
test_expect_success 'requests to any rank from every rank' '
    for r in 0 3 7; do
        for t in 0 2 5 7; do
            on_rank $r flux ping --count=1 $t >/dev/null || exit 1
        done
    done
'
test_done
