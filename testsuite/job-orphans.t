#!/bin/bash
# A broker killed with SIGKILL leaves its jobs' shells and tasks running.
# The next broker on the same statedir kills them before it offers the
# node's cores (STATEDIR/rank-R.shells: pid and start time of each shell,
# see src/fluxd/job-exec/shell_records.h), and the job manager raises
# dead-instance on the jobs that were running.
. "$(dirname "$0")/lib/test-lib.sh"


ncores=$(nproc)
# Durations no other test uses: the tasks are found by their command line.
base=$((200000 + $$ % 50000 * 4))
d1=$base d2=$((base + 1)) d3=$((base + 2)) d4=$((base + 3))
count() { pgrep -f "^sleep $1\$" | wc -l; }
boot_id=$(cat /proc/sys/kernel/random/boot_id)
# Whatever this file started and a failing test left behind.
cleanup() {
    for p in $(pgrep -f "^sleep ($d1|$d2|$d3|$d4)\$"); do kill -9 $p; done
}
trap cleanup EXIT
starttime() { sed "s/.*) //" /proc/$1/stat | cut -d" " -f20; }

# The first life: a job on every core, then the broker dies by SIGKILL.
cat >crash.sh <<EOT
id=\$(flux submit -n$ncores sleep $d1) && echo \$id >jobid &&
flux job wait-event -t 20 \$id start &&
i=0
while test \$(pgrep -f "^sleep $d1\\\$" | wc -l) -lt $ncores && test \$i -lt 100; do
    sleep 0.1; i=\$((i + 1))
done
kill -9 \$(flux getattr broker.pid)
EOT
# The second life: what it finds, and whether all cores can be used.
cat >restart.sh <<EOT
pgrep -f "^sleep $d1\\\$" | wc -l >left &&
flux run -n$ncores -t 30s echo ok >ran &&
flux job wait-event -t 10 \$(cat jobid) clean &&
flux jobs -a -o endreason >jobs &&
flux dmesg >dmesg
EOT

test_expect_success 'an instance runs a job on every core, then its broker is killed (-9)' '
    { flux start -Sstatedir=$PWD/state sh crash.sh || true; } &&
    test -s jobid
'
test_expect_success 'its tasks outlived it (what the restart must clean up)' '
    test $(count $d1) -eq $ncores &&
    grep -q "^+ " state/rank-0.shells
'
test_expect_success 'a restart on the statedir kills them before offering the cores' '
    flux start -Sstatedir=$PWD/state sh restart.sh &&
    test "$(cat left)" -eq 0 &&
    test $(grep -c ok ran) -eq $ncores &&
    grep "$(cat jobid)" jobs | grep -q dead-instance &&
    grep -q "job-exec: killed job .* left running by a previous broker" dmesg &&
    test $(count $d1) -eq 0
'
test_expect_success 'every shell recorded since the restart is recorded as reaped' '
    grep -q "^+ " state/rank-0.shells &&
    awk "/^\\+ /{o[\$2]=1} /^- /{delete o[\$2]} END{for (p in o) exit 1}" state/rank-0.shells &&
    head -1 state/rank-0.shells | grep -qx "boot $boot_id"
'
test_expect_success 'a recorded pid now used by another process is left alone' '
    { setsid sleep $d2 & } && pid=$! &&
    printf "boot %s\n+ %d %d 42\n" $boot_id $pid $(( $(starttime $pid) + 1 )) >state/rank-0.shells &&
    flux start -Sstatedir=$PWD/state true &&
    kill -0 $pid && test $(count $d2) -eq 1 &&
    kill $pid
'
test_expect_success 'a record from another boot of the node is left alone' '
    { setsid sleep $d2 & } && pid=$! &&
    printf "boot not-this-boot\n+ %d %d 42\n" $pid $(starttime $pid) >state/rank-0.shells &&
    flux start -Sstatedir=$PWD/state true &&
    kill -0 $pid && kill $pid
'
test_expect_success 'a recorded group with its start time matching is killed, all of it' '
    { setsid sh -c "sleep $d3 & sleep $d3 & wait" & } && pid=$! &&
    wait_for 5 eval "test \$(count $d3) -eq 2" &&
    printf "boot %s\n+ %d %d 42\n- 1\n" $boot_id $pid $(starttime $pid) >state/rank-0.shells &&
    flux start -Sstatedir=$PWD/state true &&
    test $(count $d3) -eq 0
'
test_expect_success 'a group whose leader is gone is still killed' '
    { setsid sh -c "sleep $d4 & sleep $d4 & exit 0" & } && pid=$! &&
    { wait $pid || true; } && wait_for 5 eval "test \$(count $d4) -eq 2" &&
    ! kill -0 $pid 2>/dev/null &&
    printf "boot %s\n+ %d 12345 42\n" $boot_id $pid >state/rank-0.shells &&
    flux start -Sstatedir=$PWD/state true &&
    test $(count $d4) -eq 0
'
test_expect_success 'a shell that exited is not killed again: "-" lines close records' '
    { setsid sleep $d2 & } && pid=$! &&
    printf "boot %s\n+ %d %d 42\n- %d\n" $boot_id $pid $(starttime $pid) $pid >state/rank-0.shells &&
    flux start -Sstatedir=$PWD/state true &&
    kill -0 $pid && kill $pid
'
test_done
