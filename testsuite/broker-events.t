#!/bin/bash
# flux event pub/sub: ordered delivery to every rank, prefix matching, payloads, private events, usage.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 8

# start_sub NAME RANK COUNT TOPIC... : run a subscriber on RANK in the
# background (stdout NAME.out, stderr NAME.err, pid in NAME.pid) and wait
# until it has subscribed.
start_sub() {
    local name=$1 rank=$2 count=$3; shift 3
    on_rank "$rank" flux event sub --count="$count" "$@" >"$name.out" 2>"$name.err" &
    echo $! >"$name.pid"
    wait_for 10 grep -q "^flux-event: subscribed$" "$name.err"
}

# finish_sub NAME : wait (bounded) for a subscriber to exit; it must exit 0.
finish_sub() {
    local pid
    pid=$(cat "$1.pid")
    if ! wait_for 10 sh -c "! kill -0 $pid"; then
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        echo >&2 "subscriber $1 did not finish; got:"
        cat >&2 "$1.out"
        return 1
    fi
    wait "$pid"
}

test_expect_success 'subscribers on every rank receive 50 events in publish order' '
    for r in 0 1 2 3 4 5 6 7; do
        start_sub order.$r $r 50 test.order || exit 1
    done &&
    for i in $(seq 0 49); do
        if test $((i % 5)) -eq 3; then
            on_rank 7 flux event pub test.order.$i "payload $i" || exit 1
        else
            flux event pub test.order.$i "payload $i" || exit 1
        fi
    done &&
    for r in 0 1 2 3 4 5 6 7; do
        finish_sub order.$r || exit 1
    done &&
    for r in 0 1 2 3 4 5 6 7; do
        test $(wc -l <order.$r.out) -eq 50 || { echo "rank $r: wrong count"; exit 1; }
        awk -v r=$r "
            {
                n = NR - 1
                if (\$1 != \"test.order.\" n) { print \"rank \" r \" line \" NR \": topic \" \$1; bad = 1 }
                if (\$3 \" \" \$4 != \"payload \" n) { print \"rank \" r \" line \" NR \": payload\"; bad = 1 }
                if (NF != 4) { print \"rank \" r \" line \" NR \": NF \" NF; bad = 1 }
                if (\$2 !~ /^seq=[0-9]+\$/) { print \"rank \" r \" line \" NR \": \" \$2; bad = 1 }
                s = substr(\$2, 5) + 0
                if (NR > 1 && s != prev + 1) { print \"rank \" r \" line \" NR \": seq \" s \" after \" prev; bad = 1 }
                prev = s
            }
            END { exit bad }" order.$r.out || exit 1
    done &&
    for r in 1 2 3 4 5 6 7; do
        cmp order.0.out order.$r.out || exit 1
    done
'

test_expect_success 'a subscription matches topics by prefix' '
    start_sub prefix 0 2 a.b &&
    start_sub prefix7 7 2 a.b &&
    flux event pub a.c "not me" &&
    flux event pub a.b.c "child" &&
    flux event pub a.b "exact" &&
    finish_sub prefix && finish_sub prefix7 &&
    for f in prefix.out prefix7.out; do
        sed "s/ seq=[0-9]*//" $f >got &&
        printf "a.b.c child\na.b exact\n" >expected &&
        cmp expected got || exit 1
    done
'

test_expect_success 'subscribing to several topics' '
    start_sub multi 3 2 x.one x.two &&
    flux event pub x.three 3 &&
    flux event pub x.two 2 &&
    flux event pub x.one 1 &&
    finish_sub multi &&
    sed "s/ seq=[0-9]*//" multi.out >got &&
    printf "x.two 2\nx.one 1\n" >expected &&
    cmp expected got
'

test_expect_success 'an event with no payload is delivered without one' '
    start_sub nopay 0 1 test.nopayload &&
    start_sub nopay5 5 1 test.nopayload &&
    flux event pub test.nopayload &&
    finish_sub nopay && finish_sub nopay5 &&
    grep -qx "test.nopayload seq=[0-9][0-9]*" nopay.out &&
    cmp nopay.out nopay5.out
'

test_expect_success 'the sequence number keeps counting across topics' '
    start_sub seqa 0 2 seqtest &&
    flux event pub seqtest.1 &&
    flux event pub other.topic &&
    flux event pub seqtest.2 &&
    finish_sub seqa &&
    s1=$(sed -n "1s/.*seq=//p" seqa.out) &&
    s2=$(sed -n "2s/.*seq=//p" seqa.out) &&
    test $((s1 + 2)) -eq $s2
'

test_expect_success 'a private event reaches the owner on every rank' '
    start_sub priv0 0 1 test.private &&
    start_sub priv6 6 1 test.private &&
    flux event pub -p test.private "secret" &&
    finish_sub priv0 && finish_sub priv6 &&
    grep -qx "test.private seq=[0-9]* secret" priv0.out &&
    cmp priv0.out priv6.out &&
    start_sub priv1 1 1 test.private &&
    on_rank 7 flux event pub --private test.private "secret2" &&
    finish_sub priv1 &&
    grep -qx "test.private seq=[0-9]* secret2" priv1.out
'

test_expect_success 'flux event pub with bad usage fails with Usage text' '
    test_must_fail flux event pub 2>err &&
    grep -q "^Usage: flux event pub" err &&
    test_must_fail flux event pub a b c 2>err &&
    grep -q "^Usage: flux event pub" err &&
    test_must_fail flux event 2>err &&
    grep -q "^Usage: flux event pub" err &&
    test_must_fail flux event sub 2>err &&
    grep -q "Usage: flux event" err
'

test_expect_success 'flux event with an unknown subcommand fails' '
    test_must_fail flux event frob x 2>err &&
    grep -q "unknown subcommand .frob." err &&
    grep -q "Usage: flux event" err
'

test_expect_success 'flux event sub --count rejects a bad count' '
    test_must_fail flux event sub --count=abc x 2>err &&
    grep -q "invalid count" err
'

test_expect_success 'flux event --help prints usage and succeeds' '
    flux event --help >out &&
    grep -q "^Usage: flux event pub" out
'

test_done
