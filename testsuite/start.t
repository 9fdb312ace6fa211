#!/bin/bash
# flux start: instance sizes, the initial program, exit codes, nesting.
. "$(dirname "$0")/lib/test-lib.sh"

test_expect_success 'flux start runs a command and returns its status' '
    flux start true &&
    test_must_fail flux start false &&
    test_expect_code 7 flux start sh -c "exit 7"
'
test_expect_success 'a command killed by a signal gives 128+N' '
    test_expect_code 143 flux start sh -c "kill -TERM \$\$"
'
test_expect_success 'an unknown command gives 127' '
    test_expect_code 127 flux start /nonexistent/cmd 2>err &&
    grep -q "nonexistent" err
'
test_expect_success 'the initial program sees FLUX_URI of rank 0' '
    flux start --test-size=2 sh -c "echo \$FLUX_URI" >uri &&
    grep -q "^local:///.*/rank-0/local$" uri
'
test_expect_success 'size and rank attributes of a size-4 instance' '
    flux start --test-size=4 flux getattr size >size &&
    test "$(cat size)" = 4 &&
    flux start --test-size=4 flux getattr rank >rank &&
    test "$(cat rank)" = 0
'
test_expect_success 'stdin reaches the initial program' '
    echo hello | flux start cat >out &&
    test "$(cat out)" = hello
'
test_expect_success 'default initial program is $SHELL' '
    echo "flux getattr size" | SHELL=/bin/sh flux start --test-size=2 >out &&
    test "$(cat out)" = 2
'
test_expect_success '-S sets attributes on every broker' '
    flux start --test-size=3 -Stbon.fanout=1 -Slog-ring-size=50 \
        sh -c "flux getattr tbon.fanout; flux getattr log-ring-size" >out &&
    printf "1\n50\n" >expected && cmp expected out
'
test_expect_success 'fanout 1 makes a chain: rank 2 routes through rank 1' '
    flux start --test-size=3 -Stbon.fanout=1 flux ping --count=1 2 >out &&
    { grep -q "c[0-9]*!0!1 *)" out || grep -q "(c[0-9]*!0!1)" out; }
'
test_expect_success 'bad -S values are rejected with a message' '
    test_must_fail flux start -Stbon.fanout=0 true 2>err &&
    grep -q "tbon.fanout" err &&
    test_must_fail flux start -Srank=3 true 2>err &&
    grep -q "rank" err &&
    test_must_fail flux start -Sfoo true 2>err &&
    grep -q "NAME=VALUE" err
'
test_expect_success 'bad --test-size is rejected' '
    test_must_fail flux start --test-size=0 true 2>err &&
    grep -q "test-size" err &&
    test_must_fail flux start --test-size=abc true 2>err &&
    grep -q "test-size" err
'
test_expect_success 'a nested instance knows its parent and level' '
    flux start --test-size=2 flux start sh -c \
        "flux getattr instance-level; flux getattr parent-uri" >out &&
    sed -n 1p out | grep -qx 1 &&
    sed -n 2p out | grep -q "^local://.*/rank-0/local$"
'
test_expect_success 'statedir is kept when given, temporary otherwise' '
    mkdir -p state &&
    flux start -Sstatedir=$PWD/state flux getattr statedir >out &&
    test "$(cat out)" = "$PWD/state" && test -d state &&
    flux start flux getattr statedir >tmpstate &&
    ! test -d "$(cat tmpstate)"
'
test_expect_success 'an unusable statedir is a clear error' '
    touch notadir &&
    test_must_fail flux start -Sstatedir=$PWD/notadir true 2>err &&
    grep -q "statedir.*not a directory" err
'
test_expect_success 'the test directory is removed afterwards' '
    flux start --test-size=2 sh -c "dirname \$(flux getattr rundir)" >dir &&
    ! test -e "$(cat dir)"
'
test_expect_success 'flux shutdown stops an instance' '
    test_expect_code 129 flux start --test-size=2 sh -c "flux shutdown; sleep 30"
'
test_done
