#!/bin/bash
# flux logger and flux dmesg: format, severities, rank 0 collecting all ranks, clear, follow, ring size.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 4

TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z'

test_expect_success 'flux logger MESSAGE appears in flux dmesg as logger.notice[0]' '
    flux logger hello &&
    flux dmesg >out &&
    grep -Eqx "$TS logger\.notice\[0\]: hello" out
'
test_expect_success 'flux logger joins its arguments with single spaces' '
    flux logger two  words "and three" &&
    flux dmesg >out &&
    grep -Eqx "$TS logger\.notice\[0\]: two words and three" out
'
test_expect_success 'flux logger --severity and --appname set level and name' '
    flux logger --severity=err --appname=myapp x &&
    flux dmesg >out &&
    grep -Eqx "$TS myapp\.err\[0\]: x" out &&
    flux logger -s debug -n app2 y &&
    flux logger -s 6 z &&
    flux logger -s warning w &&
    flux dmesg >out &&
    grep -Eqx "$TS app2\.debug\[0\]: y" out &&
    grep -Eqx "$TS logger\.info\[0\]: z" out &&
    grep -Eqx "$TS logger\.warning\[0\]: w" out
'
test_expect_success 'every dmesg line starts with an ISO 8601 UTC timestamp' '
    flux dmesg >out &&
    test $(wc -l <out) -gt 0 &&
    ! grep -Ev "^$TS [^ ]+\.(emerg|alert|crit|err|warning|notice|info|debug)\[[0-3]\]: " out
'
test_expect_success 'the timestamp is the current time' '
    flux logger timecheck &&
    flux dmesg | grep -E "logger\.notice\[0\]: timecheck$" >line &&
    ts=$(cut -d" " -f1 line) &&
    then=$(date -u -d "$(echo ${ts%.*} | tr T " ")" +%s) &&
    now=$(date -u +%s) &&
    test $((now - then)) -ge 0 && test $((now - then)) -lt 60
'
test_expect_success 'a message logged on rank 3 shows in rank 0 dmesg as [3]' '
    on_rank 3 flux logger from3 &&
    wait_for 10 sh -c "flux dmesg | grep -Eqx \"$TS logger\\.notice\\[3\\]: from3\""
'
test_expect_success 'flux dmesg --rank 3 reads rank 3 own log' '
    flux dmesg --rank 3 >out3 &&
    grep -Eqx "$TS logger\.notice\[3\]: from3" out3 &&
    ! grep -q "\[0\]: hello$" out3 &&
    ! grep -Ev "^$TS [^ ]+\[3\]: " out3
'
test_expect_success 'a message logged on rank 3 is not in rank 1 dmesg' '
    on_rank 1 flux dmesg >out1 &&
    ! grep -q "from3" out1
'
test_expect_success 'flux dmesg -H prints a human-readable local time' '
    flux logger humantest &&
    flux dmesg -H >out &&
    grep -Eqx "[A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} logger\.notice\[0\]: humantest" out
'
test_expect_success 'flux dmesg -C clears the log without printing' '
    flux logger before-clear &&
    flux dmesg >out && grep -q "before-clear$" out &&
    flux dmesg -C >out &&
    test ! -s out &&
    flux dmesg >out &&
    ! grep -q "before-clear$" out &&
    ! grep -q ": hello$" out &&
    ! grep -q "myapp" out
'
test_expect_success 'flux dmesg -c prints then clears' '
    flux logger read-then-clear &&
    flux dmesg -c >out &&
    grep -Eqx "$TS logger\.notice\[0\]: read-then-clear" out &&
    flux dmesg >out2 &&
    ! grep -q "read-then-clear" out2
'
test_expect_success 'flux dmesg --follow streams new entries' '
    flux logger follow-marker &&
    { flux dmesg --follow >follow.out 2>follow.err & } &&
    pid=$! &&
    wait_for 10 grep -q "follow-marker$" follow.out &&
    flux logger followed-one &&
    on_rank 2 flux logger followed-two &&
    wait_for 10 grep -q "logger\.notice\[0\]: followed-one$" follow.out &&
    wait_for 10 grep -q "logger\.notice\[2\]: followed-two$" follow.out &&
    kill -0 $pid &&
    kill $pid && { wait $pid; true; } &&
    test $(grep -c "followed-one$" follow.out) -eq 1 &&
    ! grep -Ev "^$TS " follow.out
'
test_expect_success 'the broker still serves dmesg after a follower went away' '
    flux logger after-follow &&
    flux dmesg >out &&
    grep -q "after-follow$" out
'
test_expect_success 'log-ring-size limits the number of entries kept' '
    flux setattr log-ring-size 5 &&
    for i in $(seq 0 19); do flux logger ring$i || exit 1; done &&
    flux dmesg >out &&
    test $(wc -l <out) -le 5 &&
    test $(wc -l <out) -ge 1 &&
    tail -1 out | grep -Eqx "$TS logger\.notice\[0\]: ring19" &&
    ! grep -q "ring0$" out &&
    ! grep -q "ring14$" out &&
    flux setattr log-ring-size 1024
'
test_expect_success 'shrinking log-ring-size drops the oldest entries' '
    for i in $(seq 0 9); do flux logger shrink$i || exit 1; done &&
    flux setattr log-ring-size 2 &&
    flux dmesg >out &&
    printf "shrink8\nshrink9\n" >expected &&
    sed "s/.*: //" out >got &&
    cmp expected got &&
    flux setattr log-ring-size 1024
'
test_expect_success 'a bad severity is rejected with the list of names' '
    test_must_fail flux logger --severity=bogus x 2>err &&
    grep -q "unknown severity .bogus." err &&
    grep -q "emerg, alert, crit, err, warning, notice, info, debug" err &&
    test_must_fail flux logger -s 8 x 2>err &&
    grep -q "unknown severity" err &&
    ! flux dmesg | grep -q ": x$"
'
test_expect_success 'flux logger and flux dmesg usage errors' '
    test_must_fail flux logger 2>err &&
    grep -q "Usage: flux logger" err &&
    test_must_fail flux dmesg extra 2>err &&
    grep -q "unexpected argument" err &&
    test_must_fail flux dmesg --rank=x 2>err &&
    grep -q "invalid rank" err
'
test_expect_success 'flux dmesg --rank out of range fails clearly' '
    test_must_fail flux dmesg --rank=4 2>err &&
    grep -q "out of range" err
'
test_expect_success 'followers that die while the log is busy do not hurt the broker' '
    for i in $(seq 1 10); do
        { on_rank 3 flux dmesg --follow --rank 0 >/dev/null 2>&1 & echo $! >f.pid; } &&
        flux dmesg --follow >/dev/null 2>&1 & p2=$! &&
        sleep 0.05 &&
        test_might_fail kill -9 $(cat f.pid) $p2 2>/dev/null &&
        for j in 1 2 3; do flux logger "busy $i $j" || exit 1; done
    done &&
    flux ping --count=1 0 && flux ping --count=1 3 &&
    flux dmesg | grep -q "busy 10 3"
'
test_done
