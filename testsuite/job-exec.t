#!/bin/bash
# Real execution: job-exec starts a flux-shell per node, the shell forks the
# tasks with the job's environment, captures stdout/stderr into the KVS, and
# the job's exit code, cancel and time limit work end to end.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 2

ncores=$(nproc)

test_expect_success 'flux run -n4 hostname on a size-2 instance prints 4 lines' '
    flux run -n4 hostname >out &&
    test $(wc -l <out) -eq 4 &&
    test $(sort -u out | wc -l) -eq 1
'
test_expect_success 'tasks get the job environment' '
    flux run -n4 sh -c "echo \$FLUX_TASK_RANK \$FLUX_TASK_LOCAL_ID \$FLUX_JOB_SIZE \$FLUX_JOB_NNODES" |
        sort -n >env.out &&
    awk "\$3 != 4 { exit 1 }" env.out &&
    test "$(cut -d" " -f1 env.out | tr "\n" " ")" = "0 1 2 3 " &&
    flux run printenv FLUX_JOB_ID | grep -Eq "^(ƒ|f)" &&
    flux run sh -c "flux getattr size" | grep -qx 2
'
test_expect_success 'tasks spread over both nodes with -N2' '
    flux run -N2 -n2 sh -c "flux getattr rank" | sort >ranks &&
    printf "0\n1\n" >expected && cmp expected ranks
'
test_expect_success 'the submitted environment and cwd reach the tasks' '
    mkdir -p wd &&
    FOO=bar flux run --cwd=$PWD/wd sh -c "echo \$FOO; pwd" >out &&
    printf "bar\n$PWD/wd\n" >expected && cmp expected out &&
    flux run --env=-FOO --env=X=1 sh -c "echo \${FOO:-unset} \$X" | grep -qx "unset 1"
'
test_expect_success 'exit codes propagate' '
    flux run true &&
    test_must_fail flux run false &&
    flux run sh -c "exit 7"; test $? -eq 7 &&
    flux run -n2 sh -c "exit \$FLUX_TASK_RANK"; test $? -eq 1 &&
    flux run /nonexistent/cmd 2>err; test $? -eq 127 &&
    grep -q "No such file or directory" err
'
test_expect_success 'stdout and stderr are kept apart' '
    flux run sh -c "echo to-out; echo to-err >&2" >o 2>e &&
    grep -qx to-out o && grep -qx to-err e && ! grep -q to-err o
'
test_expect_success 'output survives the job and can be attached to afterwards' '
    id=$(flux submit -n2 sh -c "echo line-\$FLUX_TASK_RANK") &&
    flux job wait $id &&
    flux job attach $id | sort >out &&
    printf "line-0\nline-1\n" >expected && cmp expected out &&
    flux kvs get $(flux job id --to=kvs $id).guest.output | head -1 | grep -q "\"header\""
'
test_expect_success 'cancel of a running job kills its tasks' '
    id=$(flux submit sleep 300) &&
    flux job wait-event -t 10 $id start &&
    flux cancel $id &&
    flux job wait-event -t 10 $id clean &&
    flux job eventlog $id | grep -q "finish {\"status\":15}" &&
    ! pgrep -f "sleep 300"
'
test_expect_success 'a time limit kills a sleep with a timeout exception' '
    flux run -t 0.5s sleep 30 2>err; rc=$? &&
    test $rc -eq 143 &&
    grep -q "timeout" err &&
    ! pgrep -f "sleep 30$"
'
test_expect_success 'a task that ignores SIGTERM is killed after the grace period' '
    id=$(flux submit sh -c "trap \"\" TERM; sleep 100") &&
    flux job wait-event -t 10 $id start &&
    flux cancel $id &&
    flux job wait-event -t 15 $id clean
'
test_expect_success 'many real jobs complete' '
    flux submit --cc=1-100 --quiet true &&
    flux queue drain &&
    test $(flux jobs -a -n --filter=inactive -o "{result}" | grep -c COMPLETED) -ge 100
'
test_expect_success 'a job that needs all cores waits for running ones' '
    a=$(flux submit -n $((2 * ncores)) sleep 0.3) &&
    b=$(flux submit true) &&
    flux job wait $a && flux job wait $b
'
test_expect_success 'past jobs and their output are listed after a restart' '
    mkdir -p state &&
    flux start -Sstatedir=$PWD/state bash -c \
        "id=\$(flux submit --job-name=kept sh -c \"echo persisted\") && flux job wait \$id && echo \$id" >kept.id &&
    flux start -Sstatedir=$PWD/state bash -c "flux jobs -a; flux job attach \$(cat kept.id)" >out &&
    grep -q kept out && grep -q persisted out
'
test_done
