#!/bin/bash
# Config (TOML) boot: three brokers on 127.0.0.1 find each other through [bootstrap] hosts.
. "$(dirname "$0")/lib/test-lib.sh"

# Brokers started here are killed at exit, whatever happens.
BROKER_PIDS=()
kill_brokers() {
    local p
    for p in "${BROKER_PIDS[@]}"; do
        kill -9 "$p" 2>/dev/null
    done
    return 0
}
trap kill_brokers EXIT
trap 'exit 143' TERM INT HUP

# gone PID: the process has exited (a zombie counts).
gone() {
    test ! -e "/proc/$1" || test "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z
}
all_gone() {
    local p
    for p in "$@"; do
        gone "$p" || return 1
    done
}
# port_free PORT: nothing listens on 127.0.0.1:PORT (or on any address).
port_free() {
    if command -v ss >/dev/null 2>&1; then
        test -z "$(ss -Htln "sport = :$1" 2>/dev/null)"
    else
        ! grep -qi ":$(printf '%04X' "$1") 00000000:0000 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null
    fi
}
# pick_ports: set BASE so that BASE, BASE+1 and BASE+2 in [20000,40000) are free.
pick_ports() {
    local i=0
    while test $i -lt 50; do
        BASE=$((20000 + (RANDOM * 32768 + RANDOM) % 19990))
        port_free $BASE && port_free $((BASE + 1)) && port_free $((BASE + 2)) && return 0
        i=$((i + 1))
    done
    return 1
}
# hosts_toml BASE: a [bootstrap] table for fake0..fake2 on 127.0.0.1.
hosts_toml() {
    cat <<EOF
[bootstrap]
hosts = [
    { host = "fake0", bind = "tcp://127.0.0.1:$1", connect = "tcp://127.0.0.1:$1" },
    { host = "fake1", bind = "tcp://127.0.0.1:$(($1 + 1))", connect = "tcp://127.0.0.1:$(($1 + 1))" },
    { host = "fake2", bind = "tcp://127.0.0.1:$(($1 + 2))", connect = "tcp://127.0.0.1:$(($1 + 2))" },
]
EOF
}
# start_brokers CONFIG TAG: start fake0..fake2 in the background, with
# rundirs $PWD/TAG-r0..2; their pids go to PIDS and BROKER_PIDS.
start_brokers() {
    local r
    PIDS=()
    for r in 0 1 2; do
        FLUX_FAKE_HOSTNAME=fake$r "$FLUX_BROKER_PATH" -c "$1" -Srundir="$PWD/$2-r$r" \
            </dev/null >"$2-broker$r.log" 2>&1 &
        PIDS+=($!)
        BROKER_PIDS+=($!)
    done
}
# fluxd_fails CONFIG HOST: a broker booting from CONFIG as HOST exits 1 (no hang).
fluxd_fails() {
    FLUX_FAKE_HOSTNAME=$2 timeout 5 "$FLUX_BROKER_PATH" -c "$1" -Srundir="$PWD/fail-rundir" \
        </dev/null >/dev/null 2>err
    local rc=$?
    echo "fluxd exit status $rc"
    cat err
    test $rc -eq 1
}

pick_ports || test_skip_all "no free TCP ports on 127.0.0.1 between 20000 and 40000"

hosts_toml $BASE >conf.toml
start_brokers "$PWD/conf.toml" a
APIDS="${PIDS[*]}"
export FLUX_URI="local://$PWD/a-r0/local"

test_expect_success 'three brokers boot from a TOML config' '
    wait_for 15 flux ping --count=1 2 &&
    wait_for 15 flux ping --count=1 1
'
test_expect_success 'size is 3, boot method is config' '
    test "$(flux getattr size)" = 3 &&
    test "$(flux getattr broker.boot-method)" = config
'
test_expect_success 'each broker takes its rank from its hostname' '
    test "$(flux getattr hostname)" = fake0 &&
    test "$(flux getattr rank)" = 0 &&
    FLUX_URI=local://$PWD/a-r1/local flux getattr rank >r1 &&
    test "$(cat r1)" = 1 &&
    FLUX_URI=local://$PWD/a-r2/local flux getattr hostname >h2 &&
    test "$(cat h2)" = fake2
'
test_expect_success 'endpoints come from the config' '
    test "$(flux getattr tbon.endpoint)" = "tcp://127.0.0.1:$BASE" &&
    FLUX_URI=local://$PWD/a-r2/local flux getattr tbon.parent-endpoint >pe &&
    test "$(cat pe)" = "tcp://127.0.0.1:$BASE"
'
test_expect_success 'the default fanout is 2' '
    test "$(flux getattr tbon.fanout)" = 2
'
test_expect_success 'flux overlay status shows fake1 and fake2' '
    flux overlay status >out &&
    cat >expected <<-EOF &&
	0 fake0: full
	├─ 1 fake1: full
	└─ 2 fake2: full
	EOF
    cmp expected out
'
test_expect_success 'requests from rank 2 reach rank 1' '
    FLUX_URI=local://$PWD/a-r2/local flux ping --count=1 1 >out &&
    grep -q "^1!broker.ping" out
'
test_expect_success 'srun in srun: the step stays on its allocation'"'"'s node (as Slurm)' '
    PATH=$FLUX_BUILD_DIR/contrib/slurm-compat:$PATH &&
    srun -N1 -w fake2 sh -c "srun -N1 flux getattr hostname" >sis.out &&
    test "$(cat sis.out)" = fake2 &&
    srun -N1 -w fake1 sh -c "srun -N1 flux getattr hostname" >sis.out &&
    test "$(cat sis.out)" = fake1
'
test_expect_success 'sbatch -o %N names the node the script ran on; srun -o %N makes a file per node' '
    PATH=$FLUX_BUILD_DIR/contrib/slurm-compat:$PATH &&
    id=$(sbatch --parsable --wait -w fake1 -o "batch-%N-%j.out" --wrap "echo here") &&
    test "$(cat batch-fake1-$id.out)" = here &&
    srun -N2 -w "fake[1-2]" -o "step-%N.out" echo hi &&
    test "$(cat step-fake1.out)" = hi &&
    test "$(cat step-fake2.out)" = hi
'
test_expect_success 'flux shutdown stops all three brokers' '
    flux shutdown &&
    wait_for 20 all_gone $APIDS
'
test_expect_success 'the brokers removed the rundirs they created' '
    ! test -e a-r0/local &&
    ! test -e a-r1 && ! test -e a-r2
'

unset FLUX_URI
pick_ports || BASE=$((BASE + 10))
mkdir -p conf.d
hosts_toml $BASE >conf.d/bootstrap.toml
printf '[tbon]\nfanout = 1\n' >conf.d/tbon.toml
echo 'this is not TOML and is not read' >conf.d/README
start_brokers "$PWD/conf.d" b
BPIDS="${PIDS[*]}"
export FLUX_URI="local://$PWD/b-r0/local"

test_expect_success 'a config directory of two .toml files boots the instance' '
    wait_for 15 flux ping --count=1 2 &&
    test "$(flux getattr size)" = 3
'
test_expect_success '[tbon] fanout = 1 from the config is tbon.fanout' '
    test "$(flux getattr tbon.fanout)" = 1 &&
    FLUX_URI=local://$PWD/b-r2/local flux getattr tbon.fanout >f2 &&
    test "$(cat f2)" = 1
'
test_expect_success 'with fanout 1, rank 2 is a child of rank 1' '
    FLUX_URI=local://$PWD/b-r2/local flux getattr tbon.parent-endpoint >pe &&
    test "$(cat pe)" = "tcp://127.0.0.1:$((BASE + 1))" &&
    flux ping --count=1 2 >out &&
    grep -q "(c[0-9]*!0!1)" out &&
    flux overlay status >out &&
    cat >expected <<-EOF &&
	0 fake0: full
	└─ 1 fake1: full
	   └─ 2 fake2: full
	EOF
    cmp expected out
'
test_expect_success 'flux shutdown stops the chain' '
    flux shutdown &&
    wait_for 20 all_gone $BPIDS
'
unset FLUX_URI

test_expect_success 'flux start -c with a config of no hosts boots one broker' '
    printf "[tbon]\nfanout = 3\n" >single.toml &&
    flux start -c "$PWD/single.toml" \
        sh -c "flux getattr size; flux getattr broker.boot-method; flux getattr tbon.fanout" >out &&
    printf "1\nconfig\n3\n" >expected &&
    cmp expected out
'
test_expect_success 'a host not in the list is an error' '
    fluxd_fails conf.toml nothere &&
    grep -q "nothere" err &&
    grep -q "is not in bootstrap.hosts" err
'
test_expect_success 'a TOML syntax error names file and line' '
    printf "[bootstrap]\nhosts = [\n  { host = \"a\" \n" >syntax.toml &&
    fluxd_fails syntax.toml a &&
    grep -Eq "syntax.toml:[34]" err
'
test_expect_success 'a TOML syntax error in a config directory names the file' '
    mkdir -p bad.d &&
    hosts_toml $BASE >bad.d/a.toml &&
    printf "[tbon]\nfanout 1\n" >bad.d/b.toml &&
    fluxd_fails bad.d fake0 &&
    grep -q "b.toml:2" err
'
test_expect_success 'hosts = "x" is an error: expected an array' '
    printf "[bootstrap]\nhosts = \"x\"\n" >str.toml &&
    fluxd_fails str.toml x &&
    grep -q "expected an array" err &&
    grep -q "str.toml:2" err
'
test_expect_success 'a host listed twice is an error' '
    printf "[bootstrap]\nhosts = [\n  { host = \"a\" },\n  { host = \"a\" },\n]\n" >dup.toml &&
    fluxd_fails dup.toml a &&
    grep -q "listed twice" err &&
    grep -q "dup.toml:4" err
'
test_expect_success 'a host listed twice through a hostlist is an error' '
    printf "[bootstrap]\nhosts = [\n  { host = \"n[1-3]\" },\n  { host = \"n2\" },\n]\n" >dup2.toml &&
    fluxd_fails dup2.toml n1 &&
    grep -q "n2.*listed twice" err
'
test_expect_success 'an unknown key in a host entry is an error' '
    printf "[bootstrap]\nhosts = [\n  { host = \"a\", prot = 5 },\n]\n" >key.toml &&
    fluxd_fails key.toml a &&
    grep -q "unknown key .prot." err &&
    grep -q "key.toml:3" err
'
test_expect_success 'a host entry without host is an error' '
    printf "[bootstrap]\nhosts = [\n  { bind = \"tcp://127.0.0.1:1\" },\n]\n" >nohost.toml &&
    fluxd_fails nohost.toml a &&
    grep -q "missing .host." err
'
test_expect_success 'default_port out of range is an error' '
    printf "[bootstrap]\ndefault_port = 70000\nhosts = [ { host = \"a\" } ]\n" >port.toml &&
    fluxd_fails port.toml a &&
    grep -q "default_port" err &&
    grep -q "out of range" err
'
test_expect_success 'a bad port in this broker bind URI is an error' '
    cat >bind.toml <<-EOF &&
	[bootstrap]
	hosts = [
	    { host = "a", bind = "tcp://127.0.0.1:99999", connect = "tcp://127.0.0.1:99999" },
	    { host = "b", bind = "tcp://127.0.0.1:$BASE", connect = "tcp://127.0.0.1:$BASE" },
	]
	EOF
    fluxd_fails bind.toml a &&
    grep -q "invalid port" err
'
# The scheduler module is a thread by then: the exit must wait for it
# before unloading its code (a crash in about 1 of 12 exits under load).
test_expect_success 'an init that fails after the scheduler loaded exits 1, never a crash (30 tries)' '
    for i in $(seq 30); do
        fluxd_fails bind.toml a >out || return 1
    done
'
test_expect_success 'a bad port in the parent connect URI is an error, not a retry loop' '
    cat >connect.toml <<-EOF &&
	[bootstrap]
	hosts = [
	    { host = "a", bind = "tcp://127.0.0.1:$BASE", connect = "tcp://127.0.0.1:abc" },
	    { host = "b", bind = "tcp://127.0.0.1:$((BASE + 1))", connect = "tcp://127.0.0.1:$((BASE + 1))" },
	]
	EOF
    fluxd_fails connect.toml b &&
    grep -q "invalid port" err
'
test_expect_success 'tbon.fanout = 0 in the config is an error' '
    printf "[tbon]\nfanout = 0\n" >fanout.toml &&
    fluxd_fails fanout.toml a &&
    grep -q "tbon.fanout" err
'
test_expect_success 'a table defined in two files of a directory is an error' '
    mkdir -p twice.d &&
    printf "[tbon]\nfanout = 1\n" >twice.d/a.toml &&
    printf "[tbon]\nfanout = 2\n" >twice.d/b.toml &&
    fluxd_fails twice.d a &&
    grep -q "also defined" err
'
test_expect_success 'a config path that does not exist is an error' '
    fluxd_fails "$PWD/nosuch.toml" a &&
    grep -q "nosuch.toml" err
'
test_expect_success 'no broker is left running' '
    all_gone ${BROKER_PIDS[*]}
'
kill_brokers
test_done
