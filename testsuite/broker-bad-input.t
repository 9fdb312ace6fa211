#!/bin/bash
# Bad input: junk frames on the local socket, bad RPCs, bad URIs, bad config and statedir.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 2 -Slog-stderr-level=2

# Rank 0's local socket path and broker pid.
SOCK=$(flux getattr local-uri) && SOCK=${SOCK#local://}
BROKER_PID=$(flux getattr broker.pid)

# hex STRING: the bytes of STRING in hex.
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
# u16/u32 N: N in big-endian hex.
u16() { printf '%04x' "$1"; }
u32() { printf '%08x' "$1"; }
# frame MSGHEX: MSGHEX with its 4-byte length prefix.
frame() { echo "$(u32 $((${#1} / 2)))$1"; }
# request TOPIC [NODEID]: a request message (no routes, no payload) in hex,
# built by hand per the wire format in src/libflux/message.cpp.
request() {
    echo "8e010100$(u32 0)$(u32 0)$(u32 "${2:-4294967295}")$(u32 1)$(u32 0)$(u16 ${#1})$(hex "$1")0000"
}
broker_ok() {
    flux ping --count=1 0 >/dev/null && flux ping --count=1 1 >/dev/null
}

test_expect_success 'the local socket exists and the broker answers' '
    test -S "$SOCK" && broker_ok
'
test_expect_success 'junk behind a sane length prefix: connection closed' '
    rawsock "$SOCK" 0000000a00112233445566778899 5 >out &&
    test "$(cat out)" = closed &&
    broker_ok
'
test_expect_success 'a zero-length frame: connection closed' '
    rawsock "$SOCK" 00000000 5 >out &&
    test "$(cat out)" = closed &&
    broker_ok
'
test_expect_success 'length prefix 0xffffffff: closed at once, not after 4 GiB' '
    rawsock "$SOCK" ffffffff 5 >out &&
    test "$(cat out)" = closed &&
    broker_ok
'
test_expect_success 'length prefix 64 MiB + 1: closed' '
    rawsock "$SOCK" 04000001 5 >out &&
    test "$(cat out)" = closed &&
    broker_ok
'
test_expect_success 'length prefix of exactly 64 MiB is not rejected outright' '
    rawsock "$SOCK" 04000000 1 >out &&
    test "$(cat out)" = timeout &&
    broker_ok
'
test_expect_success 'a truncated frame, then EOF: broker is fine' '
    rawsock "$SOCK" 0000002a8e0101 0 >out &&
    test "$(cat out)" = timeout &&
    rawsock "$SOCK" 0000 0 >out &&
    broker_ok
'
test_expect_success 'a frame whose topic length overruns the frame: closed' '
    msg=8e010100$(u32 0)$(u32 0)ffffffff$(u32 1)$(u32 0)$(u16 200)$(hex abc)0000 &&
    rawsock "$SOCK" "$(frame $msg)" 5 >out &&
    test "$(cat out)" = closed &&
    broker_ok
'
test_expect_success 'a frame with a bad magic byte: closed' '
    msg=$(request broker.ping) &&
    rawsock "$SOCK" "$(frame 7f${msg#8e})" 5 >out &&
    test "$(cat out)" = closed &&
    broker_ok
'
test_expect_success 'a hand-built request for an unknown topic gets a response' '
    msg=$(request nosuch.topic) &&
    test ${#msg} -eq 80 &&
    rawsock "$SOCK" "$(frame $msg)" 5 >out &&
    grep -Eq "^data [1-9][0-9]*$" out &&
    broker_ok
'
test_expect_success 'a hand-built request to an out-of-range rank gets a response' '
    rawsock "$SOCK" "$(frame $(request broker.ping 99))" 5 >out &&
    grep -Eq "^data [1-9][0-9]*$" out
'
test_expect_success 'a hand-built broker.ping request gets a response' '
    rawsock "$SOCK" "$(frame $(request broker.ping))" 5 >out &&
    grep -Eq "^data [1-9][0-9]*$" out
'
test_expect_success 'rpc to an unknown method fails with ENOSYS text' '
    test_must_fail rpc nosuch.method 2>err &&
    grep -q "No service matching nosuch.method" err
'
test_expect_success 'rpc to an unknown method of a built-in service fails' '
    test_must_fail rpc attr.nosuch 2>err &&
    grep -q "attr.nosuch" err
'
test_expect_success 'attr.get with a payload that is not JSON: EPROTO naming the payload' '
    test_must_fail rpc attr.get "not json" 2>err &&
    grep -q "Protocol error" err &&
    grep -q "{\"name\": string}" err
'
test_expect_success 'attr.get with the wrong JSON object: EPROTO' '
    test_must_fail rpc attr.get "{\"x\":1}" 2>err &&
    grep -q "Protocol error" err &&
    grep -q "{\"name\": string}" err
'
test_expect_success 'attr.get with no payload: EPROTO' '
    test_must_fail rpc attr.get 2>err &&
    grep -q "Protocol error" err
'
test_expect_success 'attr.get with a name of the wrong type: EPROTO' '
    test_must_fail rpc attr.get "{\"name\":42}" 2>err &&
    grep -q "Protocol error" err
'
test_expect_success 'rpc to an out-of-range rank fails' '
    test_must_fail rpc -r 5 broker.ping 2>err &&
    grep -q "out of range" err
'
test_expect_success 'after all that, the broker still answers rpcs' '
    rpc attr.get "{\"name\":\"size\"}" >out &&
    grep -q "\"value\": *\"2\"" out
'
test_expect_success '50 bad connections in a row, then a normal client works' '
    before=$(ls /proc/$BROKER_PID/fd | wc -l) &&
    i=0 &&
    while test $i -lt 50; do
        case $((i % 3)) in
        0) rawsock "$SOCK" 0000000adeadbeefdeadbeefdead 5 >out ;;
        1) rawsock "$SOCK" ffffffff 5 >out ;;
        2) rawsock "$SOCK" 0000ff 0 >out ;;
        esac || exit 1
        i=$((i + 1))
    done &&
    broker_ok &&
    flux getattr size >size && test "$(cat size)" = 2 &&
    wait_for 5 sh -c "test \$(ls /proc/$BROKER_PID/fd | wc -l) -le $((before + 5))"
'
test_expect_success 'the bad connections were logged on rank 0' '
    flux dmesg >log &&
    grep "err" log | grep -q "exceeds the limit" &&
    grep "err" log | grep -q "malformed"
'
test_expect_success 'FLUX_URI with an unknown scheme: error' '
    FLUX_URI=foo:// test_must_fail flux getattr size 2>err &&
    grep -q "unknown scheme" err
'
test_expect_success 'FLUX_URI with no scheme at all: error' '
    FLUX_URI=/just/a/path test_must_fail flux getattr size 2>err &&
    grep -q "SCHEME" err
'
test_expect_success 'FLUX_URI local:// with a relative path: error' '
    FLUX_URI=local://relative test_must_fail flux getattr size 2>err &&
    grep -q "absolute" err
'
test_expect_success 'FLUX_URI naming a socket that does not exist: error' '
    FLUX_URI=local:///nonexistent/sock test_must_fail flux getattr size 2>err &&
    grep -q "cannot connect" err &&
    grep -q "/nonexistent/sock" err
'
test_expect_success 'FLUX_URI naming a regular file: error' '
    touch notasock &&
    FLUX_URI=local://$PWD/notasock test_must_fail flux getattr size 2>err &&
    grep -q "cannot connect" err
'
test_expect_success 'a TOML syntax error: flux start fails naming file and line' '
    printf "[tbon]\nfanout = 2\nthis is not toml\n" >bad.toml &&
    test_must_fail flux start -c "$PWD/bad.toml" true 2>err &&
    grep -q "bad.toml:3" err
'
test_expect_success 'a TOML error with --test-size=4 gives exit status 1 every time' '
    i=0 &&
    while test $i -lt 20; do
        { flux start --test-size=4 -c "$PWD/bad.toml" true 2>err; rc=$?; } &&
        if test $rc -ne 1; then
            echo "run $i: exit status $rc, expected 1"; cat err; exit 1
        fi &&
        grep -q "bad.toml:3" err || exit 1
        i=$((i + 1))
    done
'
test_expect_success 'a config path that does not exist: error naming it' '
    test_must_fail flux start -c "$PWD/nosuch.toml" true 2>err &&
    grep -q "nosuch.toml" err
'
test_expect_success 'statedir that is a regular file: clear error' '
    touch afile &&
    test_must_fail flux start -Sstatedir="$PWD/afile" true 2>err &&
    grep -q "statedir" err && grep -q "afile" err
'
test_expect_success 'statedir under a regular file: clear error' '
    test_must_fail flux start -Sstatedir="$PWD/afile/sub" true 2>err &&
    grep -q "statedir" err && grep -q "afile/sub" err &&
    grep -qi "not a directory" err
'
test_have_prereq ROOT || test_set_prereq NONROOT
test_expect_success NONROOT 'statedir under a directory with mode 000: clear error' '
    mkdir -p locked && chmod 000 locked &&
    test_when_finished "chmod 755 locked" &&
    test_must_fail flux start -Sstatedir="$PWD/locked/state" true 2>err &&
    grep -q "statedir" err && grep -q "locked/state" err &&
    grep -q "Permission denied" err
'
test_expect_success 'rundir under a regular file: clear error' '
    test_must_fail flux start -Srundir="$PWD/afile/run" true 2>err &&
    grep -q "rundir" err && grep -q "afile/run" err
'
test_expect_success 'the instance is still healthy at the end' '
    broker_ok &&
    flux overlay status --summary >out &&
    grep -q "^full" out
'
test_done
