#!/bin/bash
# Per-job cgroups ([exec] cgroup, src/fluxd/job-exec/cgroup.h,
# doc/design/cgroups.md): each job's shell and tasks in
# <controller>/fluxd-<broker pid>/job-<id> (cgroup v1, what these machines
# have), its cpuset from R's cores, a memory limit from -o cgroup.memory, an
# OOM kill raised as an oom exception, stragglers killed and the
# directories removed at job end, jobs still run when cgroups cannot be
# written.
. "$(dirname "$0")/lib/test-lib.sh"

export PATH="$FLUX_BUILD_DIR/testsuite/helpers:$PATH"
CG=/sys/fs/cgroup

if test -e $CG/cgroup.controllers; then
    test_skip_all "cgroup v2 host: this file tests the v1 layout"
fi
if ! test -d $CG/memory || ! test -d $CG/cpuset; then
    test_skip_all "no cgroup v1 memory and cpuset controllers under $CG"
fi
if ! mkdir $CG/memory/fluxd-probe-$$ 2>/dev/null; then
    test_skip_all "cgroups are not writable here (not root, or read-only)"
fi
rmdir $CG/memory/fluxd-probe-$$

# A duration no other test uses: the stray task is found by it.
d=$((300000 + $$ % 50000 * 2))
cleanup() {
    for p in $(pgrep -f "^sleep $d\$"); do kill -9 $p; done
}
trap cleanup EXIT

cat >cg.toml <<EOT
[exec]
cgroup = true
EOT
cat >nocg.toml <<EOT
[exec]
cgroup = false
EOT

# Every directory a broker with pid $1 left in any hierarchy.
left_by() {
    ls -d $CG/*/fluxd-$1 2>/dev/null
}
# A process that is gone or a zombie (nobody may reap it in a container).
gone() {
    test ! -e /proc/$1 || grep -q "^State:.*Z" /proc/$1/status
}

test_expect_success 'a task runs in its job cgroup in every v1 controller used' '
    flux start -c cg.toml sh -c "
        flux getattr broker.pid >pid &&
        id=\$(flux submit -n1 cat /proc/self/cgroup) &&
        flux job attach \$id >self &&
        flux job id --to=dec \$id >id &&
        ls -d $CG/memory/fluxd-\$(cat pid)/job-* >during 2>&1 || true" &&
    pid=$(cat pid) && id=$(cat id) &&
    for c in memory cpuset pids freezer; do
        grep -E "^[0-9]+:$c:/fluxd-$pid/job-$id\$" self || return 1
    done
'
test_expect_success 'the job cgroup is gone once the job is, the broker one with the broker' '
    test_must_fail grep "job-$(cat id)" during &&
    test -z "$(left_by $(cat pid))"
'
test_expect_success 'a 1-core job is confined by its cpuset to the PU of its R core' '
    flux start -c cg.toml sh -c "
        hold=\$(flux submit -n1 sleep $d) &&
        flux job wait-event -t 20 \$hold start &&
        id=\$(flux submit -n1 -o cpu-affinity=off grep Cpus_allowed_list /proc/self/status) &&
        flux job attach \$id >allowed &&
        flux job info \$id R >R &&
        flux job info \$hold R >R.hold &&
        flux cancel \$hold && flux job wait-event -t 20 \$hold clean" &&
    core=$(jq -r ".execution.R_lite[0].children.core" R) &&
    test "$core" != "$(jq -r ".execution.R_lite[0].children.core" R.hold)" &&
    pu=$(hwloc-calc --physical-output --intersect pu core:$core) &&
    echo "Cpus_allowed_list:	$pu" >expect &&
    test_cmp expect allowed
'
test_expect_success 'a job over its memory limit is killed: oom exception, non-zero exit' '
    flux start -c cg.toml sh -c "
        flux getattr broker.pid >pid &&
        { flux run -o cgroup.memory=32M memhog 200 >out 2>err; echo \$? >rc; } &&
        flux job eventlog \$(flux jobs -a -n -o {id}) >eventlog" &&
    test $(cat rc) -ne 0 &&
    test_must_fail grep touched out &&
    grep "exception" eventlog | grep "type=\"oom\"" | grep "severity=0" >exc &&
    grep -q "killed by the OOM killer" exc &&
    grep -q "memory limit 32M" exc &&
    grep -q "rank 0 ($(hostname))" exc &&
    grep -q "oom" err &&
    test -z "$(left_by $(cat pid))"
'
test_expect_success 'the same job under its limit runs to the end' '
    flux start -c cg.toml flux run -o cgroup.memory=400M memhog 200 >out &&
    grep -q "touched 200" out
'
test_expect_success 'sched-graph: the memory R gives a job is its memory limit' '
    for mb in 32 400; do
        flux run --dry-run -n1 memhog 200 |
            jq -c ".resources[0].with += [{\"type\": \"memory\", \"count\": $mb, \"unit\": \"MB\"}]" >mem$mb.json ||
            return 1
    done &&
    flux start -c cg.toml -Ssched-module=sched-graph sh -c "
        flux getattr broker.pid >pid &&
        id=\$(flux job submit $PWD/mem32.json) &&
        flux job wait-event -t 60 \$id clean >/dev/null &&
        flux job eventlog \$id >eventlog.R &&
        flux job info \$id R >R32.json &&
        id=\$(flux job submit $PWD/mem400.json) &&
        flux job attach \$id >out.R" &&
    jq -e "[.scheduling.graph.nodes[].metadata | select(.type == \"memory\") | .size] | add == 32" R32.json &&
    grep "exception" eventlog.R | grep "type=\"oom\"" | grep -q "memory limit 32M" &&
    grep -q "touched 200" out.R &&
    test -z "$(left_by $(cat pid))"
'
# Slurm's --mem (per node) and --mem-per-cpu through the shims: the job's
# cgroup limit, as Slurm's ConstrainRAMSpace (-c2: twice the per-CPU size).
test_expect_success 'srun --mem and --mem-per-cpu are the job memory limit' '
    flux start -c cg.toml sh -c "
        PATH=$FLUX_BUILD_DIR/contrib/slurm-compat:\$PATH &&
        { srun --mem=32M memhog 200 >mem.out 2>mem.err; echo \$? >mem.rc; } &&
        flux job eventlog \$(flux jobs -a -n -c1 -o {id}) >mem.log &&
        { srun -c2 --mem-per-cpu=20M memhog 200 >per.out 2>per.err; echo \$? >per.rc; } &&
        flux job eventlog \$(flux jobs -a -n -c1 -o {id}) >per.log &&
        srun -c2 --mem-per-cpu=250M memhog 200 >big.out" &&
    test $(cat mem.rc) -ne 0 &&
    grep "type=\"oom\"" mem.log | grep -q "memory limit 32M" &&
    test $(cat per.rc) -ne 0 &&
    grep "type=\"oom\"" per.log | grep -q "memory limit 40M" &&
    grep -q "touched 200" big.out
'
test_expect_success 'a bad cgroup option fails the job with a message naming it' '
    test_must_fail flux start -c cg.toml flux run -o cgroup.memory=lots true 2>err &&
    grep -q "cgroup.memory: .lots.: expected a size" err
'
test_expect_success 'a background process a task left behind is killed at job end' '
    flux start -c cg.toml sh -c "
        flux getattr broker.pid >pid &&
        flux run sh -c \"setsid sleep $d </dev/null >/dev/null 2>&1 & echo \\\$! >$PWD/bg\" &&
        cat bg >bg.pid" &&
    gone $(cat bg.pid) &&
    test -z "$(left_by $(cat pid))"
'
test_expect_success 'without cgroups, that process outlives its job (what the above guards)' '
    flux start -c nocg.toml sh -c "
        flux run sh -c \"setsid sleep $d </dev/null >/dev/null 2>&1 & echo \\\$! >$PWD/bg2\"" &&
    ! gone $(cat bg2) &&
    kill -9 $(cat bg2)
'
test_expect_success 'cgroups not writable: a clear log line, the job still runs' '
    unshare -m sh -c "
        for m in $CG/*/; do mount -o remount,bind,ro \$m || exit 1; done &&
        flux start -c $PWD/cg.toml sh -c \"flux run echo ran >$PWD/ro.out && flux dmesg >$PWD/ro.dmesg\"" &&
    grep -q ran ro.out &&
    grep "job-exec: cgroup: cannot create" ro.dmesg | grep -q "jobs run without a cgroup of their own"
'
test_expect_success '[exec] cgroup takes true, false or "auto" only' '
    printf "[exec]\ncgroup = \"maybe\"\n" >bad.toml &&
    test_must_fail flux start -c bad.toml true 2>err &&
    grep -q "exec.cgroup: expected true, false or \"auto\"" err
'
test_expect_success 'nothing is left under the cgroup mounts by this file' '
    for p in $(cat pid); do test -z "$(left_by $p)" || return 1; done &&
    test -z "$(pgrep -f "^sleep $d\$")"
'
test_done
