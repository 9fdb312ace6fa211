#!/bin/bash
# [bootstrap] authenticate = "munge": a config-booted child proves itself to
# its parent with a munge credential; a broker whose munged has another key
# (or that sends no credential) is refused and the parent logs why.  The
# test starts two munged daemons with different keys.
. "$(dirname "$0")/lib/test-lib.sh"

command -v munged >/dev/null && command -v mungekey >/dev/null \
    || test_skip_all "munged and mungekey are not installed (Debian: munge)"

BROKER_PIDS=()
MUNGE_DIR=$(mktemp -d /tmp/fluxmunge.XXXXXX) && chmod 755 "$MUNGE_DIR" || exit 1
cleanup() {
    local p f
    for p in "${BROKER_PIDS[@]}"; do
        kill -9 "$p" 2>/dev/null
    done
    for f in "$MUNGE_DIR"/*.pid; do
        test -f "$f" && kill "$(cat "$f")" 2>/dev/null
    done
    rm -rf "$MUNGE_DIR"
    return 0
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

start_munged() {
    munged --socket="$MUNGE_DIR/$1.sock" --key-file="$2" --pid-file="$MUNGE_DIR/$1.pid" \
        --log-file="$MUNGE_DIR/$1.log" --seed-file="$MUNGE_DIR/$1.seed" </dev/null >/dev/null \
        2>"$MUNGE_DIR/$1.err"
}
mungekey -c -k "$MUNGE_DIR/key" && mungekey -c -k "$MUNGE_DIR/other.key" \
    && start_munged main "$MUNGE_DIR/key" && start_munged other "$MUNGE_DIR/other.key" \
    || test_skip_all "munged cannot be started"

gone() {
    test ! -e "/proc/$1" || test "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z
}
port_free() {
    test -z "$(ss -Htln "sport = :$1" 2>/dev/null)"
}
pick_ports() {
    local i=0
    while test $i -lt 50; do
        BASE=$((20000 + (RANDOM * 32768 + RANDOM) % 19990))
        port_free $BASE && port_free $((BASE + 1)) && return 0
        i=$((i + 1))
    done
    return 1
}
# conf BASE AUTH: two hosts fake0, fake1 on 127.0.0.1, authenticate = AUTH.
conf() {
    cat <<EOF
[bootstrap]
authenticate = "$2"
hosts = [
    { host = "fake0", bind = "tcp://127.0.0.1:$1", connect = "tcp://127.0.0.1:$1" },
    { host = "fake1", bind = "tcp://127.0.0.1:$(($1 + 1))", connect = "tcp://127.0.0.1:$(($1 + 1))" },
]
EOF
}
# start RANK CONFIG SOCKET TAG: broker fake$RANK with munged at SOCKET.
start() {
    FLUX_FAKE_HOSTNAME=fake$1 FLUX_MUNGE_SOCKET=$3 "$FLUX_BROKER_PATH" -c "$2" \
        -Srundir="$PWD/$4-r$1" </dev/null >"$4-broker$1.log" 2>&1 &
    PID=$!
    BROKER_PIDS+=($PID)
}

pick_ports || test_skip_all "no free TCP ports on 127.0.0.1"
conf $BASE munge >munge.toml

test_expect_success 'brokers sharing a munge key authenticate and join' '
    start 0 "$PWD/munge.toml" "$MUNGE_DIR/main.sock" a && P0=$PID &&
    start 1 "$PWD/munge.toml" "$MUNGE_DIR/main.sock" a && P1=$PID &&
    export FLUX_URI=local://$PWD/a-r0/local &&
    wait_for 20 flux ping --count=1 1 &&
    test "$(flux getattr tbon.authenticate)" = munge &&
    flux shutdown &&
    wait_for 20 gone $P0 && wait_for 20 gone $P1
'
test_expect_success 'a broker whose munged has another key is refused and logged' '
    start 0 "$PWD/munge.toml" "$MUNGE_DIR/main.sock" b && P0=$PID &&
    start 1 "$PWD/munge.toml" "$MUNGE_DIR/other.sock" b && P1=$PID &&
    wait_for 20 gone $P1 &&
    refused() { grep -q "overlay: rejected connection: rank 1 (fake1): authentication failed: munge: invalid credential" b-broker0.log; } &&
    wait_for 20 refused &&
    grep "parent rejected this broker" b-broker1.log &&
    ! gone $P0 &&
    kill -9 $P0 && wait_for 10 gone $P0
'
test_expect_success 'a broker that sends no credential is refused' '
    pick_ports &&
    conf $BASE munge >munge2.toml &&
    conf $BASE none >none2.toml &&
    start 0 "$PWD/munge2.toml" "$MUNGE_DIR/main.sock" c && P0=$PID &&
    start 1 "$PWD/none2.toml" "$MUNGE_DIR/main.sock" c && P1=$PID &&
    wait_for 20 gone $P1 &&
    refused() { grep -q "rank 1 (fake1): authentication failed: no munge credential" c-broker0.log; } &&
    wait_for 20 refused &&
    kill -9 $P0 && wait_for 10 gone $P0
'
test_expect_success 'authenticate must be none or munge' '
    printf "[bootstrap]\nauthenticate = \"curve\"\n" >bad.toml &&
    test_must_fail env FLUX_FAKE_HOSTNAME=x timeout 5 "$FLUX_BROKER_PATH" -c bad.toml \
        -Srundir=$PWD/bad </dev/null 2>err &&
    grep "bootstrap.authenticate: expected \"none\" or \"munge\"" err
'
test_done
