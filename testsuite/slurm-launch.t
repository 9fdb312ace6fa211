#!/bin/bash
# `srun flux start` under Debian's real Slurm 22.05 (slurmctld and slurmd,
# not our shims): one instance over Slurm's PMI-2 plugin (which also
# serves the PMI-1 wire our broker speaks) and over its PMIx plugin.
#
# Slurm runs in a network namespace of its own (loopback plus a veth pair,
# whose address lets getaddrinfo's AI_ADDRCONFIG answer), entered with
# nsenter so that /sys (and slurmd's cgroups) stay the host's; it talks to
# a munged of the test's own.  Nothing listens outside the namespace.
. "$(dirname "$0")/lib/test-lib.sh"

test_have_prereq ROOT || test_skip_all "slurmd runs as root here: needs root"
for c in slurmctld slurmd munged mungekey nsenter; do
    command -v $c >/dev/null ||
        test_skip_all "$c is not installed (Debian: slurmctld slurmd slurm-client munge)"
done
test -x /usr/bin/srun && test -x /usr/bin/sinfo ||
    test_skip_all "/usr/bin/srun is not installed (Debian: slurm-client)"
test_have_prereq IPROUTE || test_skip_all "ip(8) from iproute2 is not installed"

NS=fxslurm-$$
# munged wants its socket's directory not writable by others, and short.
SL=$(mktemp -d /tmp/fxslurm.XXXXXX) && chmod 755 "$SL" || exit 1
NETNS_MADE=
cleanup() {
    local f
    for f in "$SL"/slurmd.pid "$SL"/slurmctld.pid "$SL"/munge.pid; do
        test -f "$f" && kill "$(cat "$f")" 2>/dev/null
    done
    if test -n "$NETNS_MADE"; then
        for p in $(ip netns pids "$NS" 2>/dev/null); do
            kill -9 "$p" 2>/dev/null
        done
        sleep 0.2
        ip netns del "$NS" 2>/dev/null
    fi
    rm -rf "$SL"
    return 0
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

in_ns() {
    nsenter --net="/run/netns/$NS" "$@"
}
# The real srun, not our shim of the same name.
SRUN=/usr/bin/srun

mkdir "$SL/state" "$SL/spool" &&
    mungekey -c -k "$SL/munge.key" &&
    munged --socket="$SL/munge.sock" --key-file="$SL/munge.key" --pid-file="$SL/munge.pid" \
        --log-file="$SL/munge.log" --seed-file="$SL/munge.seed" </dev/null >/dev/null 2>&1 ||
    test_skip_all "munged cannot be started"
ip netns add "$NS" && NETNS_MADE=1 &&
    in_ns ip link set lo up &&
    in_ns ip link add fxsa type veth peer name fxsb &&
    in_ns ip addr add 10.252.0.1/24 dev fxsa &&
    in_ns ip link set fxsa up && in_ns ip link set fxsb up ||
    test_skip_all "cannot make a network namespace with a veth pair"

HOST=$(hostname -s)
cat >"$SL/slurm.conf" <<EOF
ClusterName=fxtest
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$SL/munge.sock
CredType=cred/munge
StateSaveLocation=$SL/state
SlurmdSpoolDir=$SL/spool
SlurmctldPidFile=$SL/slurmctld.pid
SlurmdPidFile=$SL/slurmd.pid
SlurmctldLogFile=$SL/slurmctld.log
SlurmdLogFile=$SL/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
export SLURM_CONF=$SL/slurm.conf
idle() {
    in_ns /usr/bin/sinfo -h -o %T 2>/dev/null | grep -qx idle
}
in_ns slurmctld -f "$SLURM_CONF" && in_ns slurmd -f "$SLURM_CONF" &&
    wait_for 20 idle ||
    test_skip_all "slurmctld/slurmd did not come up: $(tail -2 "$SL/slurmctld.log" "$SL/slurmd.log" 2>/dev/null | tr '\n' ' ')"

test_expect_success 'Slurm runs a plain step (the daemons are up)' '
    in_ns timeout 60 $SRUN -n1 true
'
test_expect_success 'srun --mpi=pmi2 flux start: two brokers over Slurm'"'"'s PMI' '
    in_ns timeout 120 $SRUN -N1 -n2 --mpi=pmi2 flux start \
        sh -c "flux getattr size; flux getattr broker.boot-method; flux overlay status; flux run -n2 true && echo ran" >pmi2.out 2>pmi2.err &&
    cat pmi2.out &&
    test "$(sed -n 1p pmi2.out)" = 2 &&
    test "$(sed -n 2p pmi2.out)" = pmi &&
    grep -q "^0 $HOST: full" pmi2.out && grep -q "1 $HOST: full" pmi2.out &&
    grep -qx ran pmi2.out
'
test_expect_success 'srun --mpi=pmix flux start: two brokers over Slurm'"'"'s PMIx' '
    in_ns timeout 120 $SRUN -N1 -n2 --mpi=pmix flux start \
        sh -c "flux getattr size; flux getattr broker.boot-method; flux run -n2 true && echo ran" >pmix.out 2>pmix.err &&
    cat pmix.out &&
    test "$(sed -n 1p pmix.out)" = 2 &&
    test "$(sed -n 2p pmix.out)" = pmix &&
    grep -qx ran pmix.out
'
test_expect_success 'the instance'"'"'s jobs do not see Slurm'"'"'s PMIx server' '
    in_ns timeout 120 $SRUN -N1 -n2 --mpi=pmix flux start \
        flux run -n1 env >pmixenv.out 2>pmixenv.err &&
    ! grep -E "^(PMIX_NAMESPACE|PMIX_SERVER_URI)" pmixenv.out
'
test_expect_success 'srun without a PMI plugin: each task is a singleton, and says so' '
    in_ns timeout 120 $SRUN -N1 -n2 --mpi=none flux start flux getattr size >none.out 2>none.err &&
    test "$(sort -u none.out)" = 1 &&
    grep -q "started by srun as one of 2 tasks" none.err
'
test_done
