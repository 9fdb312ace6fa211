#!/bin/bash
# Config boot across network namespaces: three "hosts" on a private bridge, a lost host and a cut link.
. "$(dirname "$0")/lib/test-lib.sh"

test_have_prereq ROOT || test_skip_all "network namespaces need root"
test_have_prereq IPROUTE || test_skip_all "ip(8) from iproute2 is not installed"

# Three namespaces, one per broker, each with a veth pair to a bridge in a
# fourth (hub) namespace.  Nothing is added to the host's own namespace.
ID=$$
HUB=fxhub-$ID
NS=(fxns0-$ID fxns1-$ID fxns2-$ID)
SUB=10.251.$((ID % 200 + 20))
ADDR=($SUB.1 $SUB.2 $SUB.3)
PORT=8050
NETNS_MADE=()

# Kill whatever runs in our namespaces, then delete them.
cleanup() {
    local ns p i
    for ns in "${NETNS_MADE[@]}"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do
            kill -9 "$p" 2>/dev/null
        done
    done
    for ns in "${NETNS_MADE[@]}"; do
        i=0
        while test -n "$(ip netns pids "$ns" 2>/dev/null)" && test $i -lt 50; do
            sleep 0.1
            i=$((i + 1))
        done
        ip netns del "$ns" 2>/dev/null
    done
    NETNS_MADE=()
    return 0
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

in_ns() {
    local ns=$1
    shift
    ip netns exec "$ns" "$@"
}
make_ns() {
    ip netns add "$1" || return 1
    NETNS_MADE+=("$1")
    in_ns "$1" ip link set lo up
}
setup_network() {
    local r
    make_ns "$HUB" &&
    in_ns "$HUB" ip link add br0 type bridge &&
    in_ns "$HUB" ip link set br0 up || return 1
    for r in 0 1 2; do
        make_ns "${NS[r]}" &&
        in_ns "$HUB" ip link add "veth$r" type veth peer name eth0 netns "${NS[r]}" &&
        in_ns "$HUB" ip link set "veth$r" master br0 &&
        in_ns "$HUB" ip link set "veth$r" up &&
        in_ns "${NS[r]}" ip addr add "${ADDR[r]}/24" dev eth0 &&
        in_ns "${NS[r]}" ip link set eth0 up || return 1
    done
}
# Quick TCP failure detection, in our namespaces only: keepalive after 1 s
# idle (the child side sets SO_KEEPALIVE) and few retransmissions.
tune_tcp() {
    local r
    for r in 0 1 2; do
        in_ns "${NS[r]}" sh -c '
            echo 1 >/proc/sys/net/ipv4/tcp_keepalive_time &&
            echo 1 >/proc/sys/net/ipv4/tcp_keepalive_intvl &&
            echo 3 >/proc/sys/net/ipv4/tcp_keepalive_probes &&
            echo 4 >/proc/sys/net/ipv4/tcp_retries2' || return 1
    done
}
# reachable NS ADDR: NS can reach ADDR (ping, or a TCP connect refused by ADDR).
reachable() {
    if command -v ping >/dev/null 2>&1; then
        in_ns "$1" ping -c1 -W1 "$2" >/dev/null 2>&1
    else
        in_ns "$1" timeout 2 bash -c "exec 3<>/dev/tcp/$2/9" 2>&1 | grep -q "refused"
    fi
}

setup_network || test_skip_all "cannot create network namespaces, veth pairs and a bridge"
wait_for 5 reachable "${NS[0]}" "${ADDR[1]}" &&
wait_for 5 reachable "${NS[0]}" "${ADDR[2]}" &&
wait_for 5 reachable "${NS[2]}" "${ADDR[0]}" ||
    test_skip_all "namespaces ${NS[*]} cannot reach each other over the bridge"
tune_tcp && test_set_prereq FASTTCP

cat >conf.toml <<EOF
[bootstrap]
hosts = [
    { host = "host0", bind = "tcp://${ADDR[0]}:$PORT", connect = "tcp://${ADDR[0]}:$PORT" },
    { host = "host1", bind = "tcp://${ADDR[1]}:$PORT", connect = "tcp://${ADDR[1]}:$PORT" },
    { host = "host2", bind = "tcp://${ADDR[2]}:$PORT", connect = "tcp://${ADDR[2]}:$PORT" },
]
EOF

# start_broker R: run host R's broker inside its namespace, in the background;
# with a UTS namespace of its own where unshare(1) can make one, so that
# hostname(1) in its tasks says host R too (each exec keeps the pid).
start_broker() {
    local uts=
    test_have_prereq UTS && uts="unshare --uts"
    ip netns exec "${NS[$1]}" $uts env FLUX_FAKE_HOSTNAME=host$1 sh -c \
        'test -z "$0" || hostname "$0"; exec "$@"' "${uts:+host$1}" \
        "$FLUX_BROKER_PATH" -c "$PWD/conf.toml" -Srundir="$PWD/rundir$1" \
        </dev/null >>"broker$1.log" 2>&1 &
    echo $! >"pid.$1"
    disown $!   # no "Killed" notice when a test kills it
}
# exit_status_to FILE CMD...: run CMD, write its exit status to FILE.
exit_status_to() {
    local f=$1
    shift
    "$@"
    echo $? >"$f"
}
# gone PID: the process has exited (a zombie counts).
gone() {
    test ! -e "/proc/$1" || test "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z
}
# status_is STATE R...: each rank R shows STATE in flux overlay status.
status_is() {
    local st=$1 r
    shift
    flux overlay status >status.out 2>&1 || true
    for r in "$@"; do
        grep -q "[ ─]*$r host$r: $st\$" status.out || return 1
    done
}
is_full() {
    flux overlay status >status.out 2>&1 &&
    printf "0 host0: full\n├─ 1 host1: full\n└─ 2 host2: full\n" | cmp -s - status.out
}

unshare --uts true 2>/dev/null && test_set_prereq UTS
for r in 0 1 2; do start_broker $r; done
# Unix sockets are not affected by network namespaces.
export FLUX_URI="local://$PWD/rundir0/local"
R2_URI="local://$PWD/rundir2/local"

test_expect_success 'three brokers in three namespaces form an instance' '
    wait_for 15 flux ping --count=1 2 &&
    wait_for 15 flux ping --count=1 1 &&
    test "$(flux getattr size)" = 3
'
test_expect_success 'each broker runs in its own network namespace' '
    for r in 0 1 2; do
        test "$(ip netns identify $(cat pid.$r))" = "${NS[r]}" || exit 1
    done
'
test_expect_success 'the overlay uses the namespace addresses' '
    test "$(flux getattr tbon.endpoint)" = "tcp://${ADDR[0]}:$PORT" &&
    FLUX_URI=$R2_URI flux getattr tbon.parent-endpoint >pe &&
    test "$(cat pe)" = "tcp://${ADDR[0]}:$PORT"
'
test_expect_success 'overlay status is full, with the host names' '
    flux overlay status >out &&
    printf "0 host0: full\n├─ 1 host1: full\n└─ 2 host2: full\n" >expected &&
    cmp expected out
'
# Jobs across the namespaces: one task per host, the shells reached over
# the namespaces' TCP overlay.
test_expect_success 'a job across the three namespaces runs a task on each host' '
    flux run -N3 -n3 flux getattr hostname | sort >hosts.out &&
    printf "host0\nhost1\nhost2\n" >hosts.exp &&
    test_cmp hosts.exp hosts.out
'
test_expect_success UTS 'each host has its own host name: hostname(1) in the tasks' '
    flux run -N3 -n3 hostname | sort >uts.out &&
    test_cmp hosts.exp uts.out &&
    test "$(hostname)" != host0
'
test_expect_success 'nested: flux alloc -N2, the child overlay across two namespaces' '
    timeout 60 flux alloc -N2 --requires=host:host[1-2] sh -c \
        "flux overlay status; flux run -N2 -n2 sh -c \"flux getattr hostname; flux getattr tbon.parent-endpoint || :\"" >nested.out 2>nested.err &&
    cat nested.out &&
    grep -q "^0 host1: full" nested.out &&
    grep -q "1 host2: full" nested.out &&
    grep -qx "tcp://${ADDR[1]}:[0-9]*" nested.out &&
    test "$(grep -c "^host[12]\$" nested.out)" = 2
'
test_expect_success 'nested, told to listen on loopback: the unreachable parent is named, no hang' '
    exit_status_to unreach.rc timeout 60 flux alloc -N2 --requires=host:host[1-2] \
        --broker-opts=-Stbon.interface-hint=127.0.0.1 \
        --broker-opts=-Sbroker.boot-timeout=3 true 2>unreach.err &&
    cat unreach.err &&
    test "$(cat unreach.rc)" != 0 && test "$(cat unreach.rc)" != 124 &&
    grep -q "the parent broker (rank 0) at tcp://127.0.0.1:[0-9]* was not reached within 3s" unreach.err &&
    grep -q "PMI boot: rank(s) 1 did not join within 3s" unreach.err
'
test_expect_success 'a job that only needs hosts 0 and 1 is started beside one on all three' '
    flux submit -N3 -n3 sleep 300 >all3.id &&
    flux submit -N1 -n1 --requires=host:host1 sleep 300 >one.id &&
    flux job wait-event -t 30 $(cat all3.id) start &&
    flux job wait-event -t 30 $(cat one.id) start
'
test_expect_success 'kill -9 the broker of host2' '
    kill -9 $(cat pid.2) &&
    wait_for 10 gone $(cat pid.2)
'
test_expect_success 'overlay status shows host2 lost' '
    wait_for 10 status_is lost 2 &&
    flux overlay status --summary >out &&
    grep -q "^degraded" out && grep -q "lost 2" out &&
    test_must_fail flux ping --count=1 2 2>err &&
    grep -q unreachable err
'
test_expect_success 'the job on host2 gets a node-failure exception; the other job runs on' '
    flux job wait-event -t 30 $(cat all3.id) exception >exc &&
    grep -q "node-failure" exc &&
    flux job wait-event -t 30 $(cat all3.id) clean &&
    test "$(flux jobs -n -o {state} $(cat one.id))" = RUN &&
    flux cancel $(cat one.id) &&
    flux job wait-event -t 30 $(cat one.id) clean
'
test_expect_success 'restart the broker of host2: status is full again' '
    start_broker 2 &&
    wait_for 15 flux ping --count=1 2 &&
    wait_for 10 is_full
'
test_expect_success FASTTCP 'cut the link of host2: rank 0 sees it lost' '
    ip netns exec ${NS[2]} ip link set eth0 down &&
    { timeout 2 flux ping --count=1 2 >/dev/null 2>&1 || true; } &&
    wait_for 30 status_is lost 2 &&
    flux dmesg >log &&
    grep -q "lost rank 2" log
'
test_expect_success FASTTCP 'host2 noticed that it lost its parent' '
    wait_for 20 sh -c "FLUX_URI=$R2_URI flux dmesg | grep -q \"lost connection to parent\""
'
test_expect_success FASTTCP 'host1 was not affected' '
    flux ping --count=1 1 &&
    status_is full 1
'
test_expect_success FASTTCP 'bring the link back: host2 reconnects by itself' '
    ip netns exec ${NS[2]} ip link set eth0 up &&
    wait_for 20 flux ping --count=1 2 &&
    wait_for 10 is_full &&
    test "$(FLUX_URI=$R2_URI flux getattr broker.pid)" = "$(cat pid.2)"
'
test_expect_success 'flux shutdown stops all three brokers' '
    flux shutdown &&
    wait_for 20 gone $(cat pid.0) &&
    wait_for 20 gone $(cat pid.1) &&
    wait_for 20 gone $(cat pid.2)
'
test_expect_success 'cleanup removes the namespaces' '
    cleanup &&
    for ns in $HUB ${NS[*]}; do
        ! ip netns list | grep -qw "$ns" || exit 1
    done
'
cleanup
test_done
