#!/bin/bash
# The site's prolog, epilog and housekeeping ([job-manager.prolog],
# [job-manager.epilog], [job-manager.housekeeping]): run by job-exec on the
# job's nodes with FLUX_JOB_ID, FLUX_JOB_USERID, FLUX_JOB_RANKS and R on
# stdin; prolog before any task, epilog after finish and before the final
# release; a failed or timed-out prolog raises a prolog exception and
# drains the node; a failed epilog drains it but leaves the job's result;
# housekeeping holds each node after the job is inactive and gives it back
# to the scheduler (a partial sched.free) as it ends there.
. "$(dirname "$0")/lib/test-lib.sh"

export PATH="$FLUX_BUILD_DIR/testsuite/helpers:$PATH"

# record NAME: "NAME TIME BROKER-RANK JOBID USERID RANKS PHASE" in ./ran,
# and R (its stdin) in ./R.NAME.RANK.
cat >record <<'EOT'
#!/bin/sh
t=$(date +%s.%N)
r=$(flux getattr rank)
d=$(dirname "$0")
echo "$1 $t $r $FLUX_JOB_ID $FLUX_JOB_USERID $FLUX_JOB_RANKS $FLUX_PERILOG_PHASE" >>"$d/ran"
cat >"$d/R.$1.$r"
EOT
chmod +x record

# The time of event NAME in eventlog file LOG.
ev_time() {
    awk -v n="$2" '$2 == n { print $1; exit }' "$1"
}
# a < b for decimal times
before() {
    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && b != "" && a + 0 < b + 0) }'
}

cat >pe.toml <<EOT
[job-manager.prolog]
command = ["$PWD/record", "prolog"]
per-rank = true
[job-manager.epilog]
command = ["$PWD/record", "epilog"]
per-rank = true
EOT
test_expect_success 'prolog and epilog run on each rank, in order around the tasks' '
    flux start --test-size=2 -c pe.toml sh -c "
        id=\$(flux submit -N2 -n2 sh -c \"date +%s.%N >$PWD/task.\\\$FLUX_TASK_RANK\") &&
        flux job wait \$id && flux job wait-event -t 30 \$id clean &&
        flux job eventlog \$id >$PWD/log && flux job id --to=f58 \$id >$PWD/id
    " &&
    test $(grep -c "^prolog " ran) -eq 2 && test $(grep -c "^epilog " ran) -eq 2 &&
    awk "{print \$1, \$3}" ran | sort >where &&
    printf "epilog 0\nepilog 1\nprolog 0\nprolog 1\n" >expected && test_cmp expected where &&
    for t in $(awk "/^prolog /{print \$2}" ran); do
        for task in $(cat task.0 task.1); do
            before $t $task || return 1
        done || return 1
    done &&
    for t in $(awk "/^epilog /{print \$2}" ran); do
        for task in $(cat task.0 task.1); do
            before $task $t || return 1
        done &&
        before $(ev_time log finish) $t || return 1
    done &&
    before $(ev_time log prolog-start) $(ev_time log prolog-finish) &&
    before $(ev_time log prolog-finish) $(ev_time log start) &&
    before $(ev_time log finish) $(ev_time log epilog-start) &&
    before $(ev_time log epilog-start) $(ev_time log epilog-finish) &&
    before $(ev_time log epilog-finish) $(ev_time log free) &&
    grep -q "prolog-finish description=\"job-exec.prolog\" status=0$" log &&
    grep -q "epilog-finish description=\"job-exec.epilog\" status=0$" log &&
    awk -v id=$(cat id) -v u=$(id -u) "\$4 != id || \$5 != u || \$6 != \"0-1\" { exit 1 }" ran &&
    awk "/^prolog /{print \$7} /^epilog /{print \$7}" ran | sort -u >phases &&
    printf "epilog\nprolog\n" >expected && test_cmp expected phases &&
    jq -e "[.execution.R_lite[].rank] == [\"0-1\"]" R.prolog.1 &&
    jq -e ".version == 1" R.epilog.0
'
test_expect_success 'with an epilog, ranks are released as their epilog ends, after finish' '
    finish=$(grep -n " finish " log | cut -d: -f1) &&
    grep -n " final=" log >releases &&
    test $(wc -l <releases) -eq 2 &&
    grep -q "final=true" releases &&
    test $(head -1 releases | cut -d: -f1) -gt $finish
'

test_expect_success 'without a prolog or epilog a job posts no such event' '
    flux start sh -c "id=\$(flux submit true) && flux job wait \$id &&
                      flux job wait-event -t 30 \$id clean && flux job eventlog \$id" >plain &&
    test_must_fail grep -E "prolog|epilog" plain
'

cat >fail.toml <<EOT
[job-manager.prolog]
command = ["sh", "-c", "echo node is unhealthy >&2; exit 3"]
EOT
test_expect_success 'a failed prolog: prolog exception, no task, the node drained with the reason' '
    flux start -c fail.toml sh -c "
        id=\$(flux submit touch $PWD/ran-task) &&
        ! flux job wait \$id &&
        flux job wait-event -t 30 \$id clean &&
        flux job eventlog \$id >$PWD/log2 &&
        flux resource drain >$PWD/status2 && flux dmesg >$PWD/dmesg2 &&
        flux job id --to=f58 \$id >$PWD/id2
    " &&
    test ! -e ran-task &&
    grep -q "exception type=\"prolog\" severity=0 note=\"prolog failed: rank 0: exit 3\"" log2 &&
    grep -q "prolog-finish description=\"job-exec.prolog\" status=3$" log2 &&
    test_must_fail grep -q " start" log2 &&
    grep -q "drained" status2 &&
    grep -q "prolog failed for job $(cat id2): exit 3" status2 &&
    grep -q "node is unhealthy" dmesg2
'

cat >timeout.toml <<EOT
[job-manager.prolog]
command = ["sleep", "60"]
timeout = "1s"
EOT
test_expect_success 'a prolog past its timeout is killed: exception, node drained' '
    start=$(date +%s) &&
    flux start -c timeout.toml sh -c "
        id=\$(flux submit true) && ! flux job wait \$id &&
        flux job eventlog \$id >$PWD/log3 && flux resource drain >$PWD/status3
    " &&
    test $(($(date +%s) - start)) -lt 30 &&
    grep -q "type=\"prolog\".*prolog failed: rank 0: timed out after 1s" log3 &&
    grep -q "prolog failed for job .*: timed out after 1s" status3
'

cat >slow.toml <<EOT
[job-manager.prolog]
command = ["sh", "-c", "while test ! -e $PWD/go; do sleep 0.1; done"]
EOT
test_expect_success 'flux jobs shows a job in its prolog; a cancel stops the prolog, no drain' '
    flux start -c slow.toml sh -c "
        id=\$(flux submit true) &&
        flux job wait-event -t 30 \$id prolog-start &&
        flux jobs -n >$PWD/jobs4 &&
        flux cancel \$id && flux job wait-event -t 20 \$id clean &&
        flux job eventlog \$id >$PWD/log4 && flux resource status >$PWD/status4
    " &&
    grep -q " prolog$" jobs4 &&
    grep -q "exception type=\"cancel\"" log4 &&
    test_must_fail grep -q "type=\"prolog\"" log4 &&
    test_must_fail grep -q drained status4
'

cat >efail.toml <<EOT
[job-manager.epilog]
command = ["sh", "-c", "exit 1"]
EOT
test_expect_success 'a failed epilog drains the node; the job still succeeds' '
    flux start -c efail.toml sh -c "
        id=\$(flux submit true) && flux job wait \$id &&
        flux job wait-event -t 30 \$id clean &&
        flux job eventlog \$id >$PWD/log5 && flux resource drain >$PWD/status5 &&
        flux jobs -a -n -o {result} >$PWD/result5
    " &&
    grep -q "finish status=0$" log5 &&
    grep -q "epilog-finish description=\"job-exec.epilog\" status=1$" log5 &&
    test_must_fail grep -q exception log5 &&
    grep -q "epilog failed for job .*: exit 1" status5 &&
    grep -q COMPLETED result5
'

mkdir prolog.d &&
cat >prolog.d/01-first <<EOT &&
#!/bin/sh
echo first >>$PWD/order
EOT
cat >prolog.d/02-second <<EOT &&
#!/bin/sh
echo second >>$PWD/order
EOT
cat >prolog.d/03-bad <<EOT &&
#!/bin/sh
exit 7
EOT
echo "not executable" >prolog.d/00-skipped &&
chmod +x prolog.d/01-first prolog.d/02-second
cat >dir.toml <<EOT
[job-manager.prolog]
directory = "$PWD/prolog.d"
EOT
test_expect_success 'a directory of scripts runs in name order; non-executables are skipped' '
    flux start -c dir.toml flux run true &&
    printf "first\nsecond\n" >expected && test_cmp expected order
'
test_expect_success 'the failing script of a directory is named' '
    chmod +x prolog.d/03-bad &&
    flux start -c dir.toml sh -c "! flux run true && flux resource drain" >status6 &&
    grep -q "prolog failed for job .*: $PWD/prolog.d/03-bad: exit 7" status6
'

cat >hk.toml <<EOT
[job-manager.housekeeping]
command = ["sh", "-c", "test \$(flux getattr rank) = 0 || while test -e $PWD/hk-hold; do sleep 0.1; done; echo hk \$FLUX_JOB_ID >>$PWD/hk-ran"]
EOT
cat >hk.sh <<'EOT'
set -e
# The scheduler's view (sched-simple or sched-graph: flux resource list).
free() { flux resource list -s free -no "{ncores}"; }
# Both nodes up and free (housekeeping does not hold yet).
flux run -N2 -n2 --exclusive true
timeout 20 sh -c "until test \$(flux resource list -s allocated -no {ncores}) -eq 0; do sleep 0.1; done"
ncores=$(free)
touch hk-hold
a=$(flux submit -N2 -n2 --exclusive true)
# The job is over for its user while rank 1 is still in housekeeping.
flux job wait-event -t 30 $a clean >/dev/null
flux job eventlog $a | grep -q " free"
# Only rank 0's cores came back to the scheduler (a partial sched.free).
half=$((ncores / 2))
timeout 20 sh -c "until test \$(flux resource list -s free -no {ncores}) -eq $half; do sleep 0.1; done"
# A one-node job runs on rank 0 at once; a two-node job waits for rank 1.
b=$(flux submit -N1 --exclusive true)
flux job wait $b
c=$(flux submit -N2 -n2 --exclusive true)
sleep 1
flux jobs -n -o "{state}" $c >state.c
rm hk-hold
flux job wait $c
timeout 20 sh -c "until test \$(flux resource list -s free -no {ncores}) -eq $ncores; do sleep 0.1; done"
flux jobs -n -o "{ranks}" $b >ranks.b
EOT
test_expect_success 'housekeeping holds only its node; the next job waits only for that node' '
    flux start --test-size=2 -c hk.toml bash hk.sh &&
    grep -q SCHED state.c &&
    test "$(cat ranks.b)" = 0 &&
    test $(grep -c "^hk " hk-ran) -eq 7
'
# sched-graph frees a job's allocation by its id on the final free (it
# never decodes R then) and by rank on a partial one.
test_expect_success 'sched-graph: housekeeping holds only its node too (partial sched.free)' '
    rm -f hk-ran &&
    flux start --test-size=2 -Ssched-module=sched-graph -c hk.toml bash hk.sh 2>hk-graph.err &&
    grep -q SCHED state.c &&
    test "$(cat ranks.b)" = 0 &&
    test $(grep -c "^hk " hk-ran) -eq 7 &&
    test_must_fail grep "sched.free" hk-graph.err
'

test_expect_success 'failed housekeeping drains its node with the reason; the job keeps its result' '
    printf "[job-manager.housekeeping]\ncommand = [\"sh\", \"-c\", \"exit 3\"]\n" >hkfail.toml &&
    flux start -c hkfail.toml sh -c "id=\$(flux submit true) && flux job wait \$id &&
        timeout 20 sh -c \"until flux resource drain | grep -q housekeeping; do sleep 0.1; done\" &&
        flux jobs -n -o {result} \$id && flux resource drain" >hkfail.out &&
    grep -q "^COMPLETED$" hkfail.out &&
    grep -q "housekeeping failed for job .*: exit 3" hkfail.out
'

test_expect_success 'config errors name the key and stop the instance' '
    printf "[job-manager.prolog]\ncomand = [\"true\"]\n" >bad1.toml &&
    test_must_fail flux start -c bad1.toml true 2>err1 &&
    grep -q "job-manager.prolog: unknown key .comand." err1 &&
    printf "[job-manager.epilog]\ncommand = []\n" >bad2.toml &&
    test_must_fail flux start -c bad2.toml true 2>err2 &&
    grep -q "job-manager.epilog.command: expected a non-empty array of strings" err2 &&
    printf "[job-manager.housekeeping]\ncommand = [\"true\"]\nper-rank = true\n" >bad3.toml &&
    test_must_fail flux start -c bad3.toml true 2>err3 &&
    grep -q "housekeeping runs on every rank" err3 &&
    printf "[job-manager.prolog]\ncommand = [\"true\"]\ntimeout = \"soon\"\n" >bad4.toml &&
    test_must_fail flux start -c bad4.toml true 2>err4 &&
    grep -q "job-manager.prolog.timeout: " err4 &&
    printf "[job-manager.prolog]\ndirectory = \"/nonexistent\"\n" >bad5.toml &&
    test_must_fail flux start -c bad5.toml true 2>err5 &&
    grep -q "job-manager.prolog.directory: ./nonexistent. is not a directory" err5
'

cat >bad-requests.sh <<'EOT'
rpc job-exec.perilog {} 2>e1 && exit 1
rpc job-exec.perilog '{"id":1,"userid":0,"phase":"x","ranks":"0","R":{}}' 2>e2 && exit 1
rpc job-exec.perilog '{"id":1,"userid":0,"phase":"prolog","ranks":"0","R":{}}' 2>e3 && exit 1
rpc job-exec.housekeeping {} 2>e4 && exit 1
rpc job-exec.housekeeping '{"id":1,"R":{"version":1,"execution":{"R_lite":[]}}}' 2>e5 && exit 1
flux getattr rank
EOT
test_expect_success 'bad job-exec.perilog and housekeeping requests are refused' '
    flux start bash bad-requests.sh &&
    grep -q "expected {id, userid, phase, ranks, R}" e1 &&
    grep -q "unknown phase .x." e2 &&
    grep -q "no prolog is configured on rank 0" e3 &&
    grep -q "job-exec.housekeeping: expected {id, R}" e4 &&
    grep -q "job-exec.housekeeping: R: holds no rank" e5
'

test_done
