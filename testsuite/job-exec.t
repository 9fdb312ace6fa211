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
test_expect_success '--tasks-per-node puts that many tasks on each node' '
    flux run -N2 --tasks-per-node=2 -l sh -c "flux getattr rank" | sort >tpn &&
    printf "0: 0\n1: 0\n2: 1\n3: 1\n" >expected && test_cmp expected tpn &&
    test_must_fail flux run --tasks-per-node=2 true 2>err &&
    grep -q "requires --nodes" err &&
    test_must_fail flux run -N2 -n3 --tasks-per-node=2 true 2>err &&
    grep -q "conflicts with --nodes=2 --tasks-per-node=2" err &&
    test_must_fail flux run -N2 --tasks-per-node=2 -c2 true 2>err &&
    grep -q "mutually exclusive" err
'
test_expect_success '--tasks-per-node beyond the cores oversubscribes whole nodes (as Flux)' '
    ncores=$(flux resource list -s free -n -o "{ncores}" | tr -d " ") &&
    nnodes=$(flux resource list -s free -n -o "{nnodes}" | tr -d " ") &&
    k=$((ncores / nnodes + 3)) &&
    flux run -N2 --tasks-per-node=$k -l sh -c "flux getattr rank" >over &&
    test $(grep -c ": 0$" over) -eq $k &&
    test $(grep -c ": 1$" over) -eq $k &&
    flux run -N2 --tasks-per-node=1 --dry-run true | jq -e ".resources[0].exclusive == true"
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
    test_expect_code 7 flux run sh -c "exit 7" &&
    test_expect_code 1 flux run -n2 sh -c "exit \$FLUX_TASK_RANK" &&
    test_expect_code 127 flux run /nonexistent/cmd 2>err &&
    grep -q "No such file or directory" err
'
test_expect_success 'flux run -l and flux job attach -l label each line with its task rank' '
    flux run -l -n4 sh -c "echo a; printf b; echo c >&2" >lab.out 2>lab.err &&
    printf "0: a\n0: b\n1: a\n1: b\n2: a\n2: b\n3: a\n3: b\n" >expected &&
    sort lab.out >lab.sorted && test_cmp expected lab.sorted &&
    printf "0: c\n1: c\n2: c\n3: c\n" >expected &&
    sort lab.err >err.sorted && test_cmp expected err.sorted &&
    id=$(flux submit -n2 echo x) && flux job wait $id &&
    flux job attach --label-io $id | sort >att.out &&
    printf "0: x\n1: x\n" >expected && test_cmp expected att.out &&
    test_must_fail flux job attach -x $id 2>err && grep -q Usage err
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
    id=$(flux submit sleep 3003) &&
    flux job wait-event -t 10 $id start &&
    flux cancel $id &&
    flux job wait-event -t 10 $id clean &&
    flux job eventlog $id | grep -q "finish status=15$" &&
    ! pgrep -f "sleep 3003"
'
test_expect_success 'a cancel right after start still reaches the task (SIGTERM, status 15)' '
    for i in $(seq 10); do
        id=$(flux submit sleep 3005) &&
        flux job wait-event -t 10 $id start >/dev/null &&
        flux cancel $id &&
        flux job wait-event -t 10 $id clean >/dev/null &&
        flux job eventlog $id | grep -q "finish status=15$" || return 1
    done
'
test_expect_success 'a time limit kills a sleep with a timeout exception' '
    test_expect_code 143 flux run -t 0.5s sleep 3017 2>err &&
    grep -q "timeout" err &&
    ! pgrep -f "sleep 3017$"
'
test_expect_success 'a task that ignores SIGTERM is killed after the grace period' '
    id=$(flux submit sh -c "trap \"\" TERM; sleep 100") &&
    flux job wait-event -t 10 $id start &&
    flux cancel $id &&
    flux job wait-event -t 15 $id clean
'
test_expect_success '1000 --cc jobs all complete' '
    flux submit --cc=1-1000 --quiet --job-name=many true &&
    flux queue drain &&
    test $(flux jobs -a -n -o "{name} {result}" | grep -c "^many COMPLETED$") -eq 1000 &&
    test $(flux jobs -a -n -o "{name}" | grep -c "^many$") -eq 1000
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
    flux start -Sstatedir=$PWD/state bash -c "flux jobs -a && flux job attach \$(cat kept.id)" >out &&
    grep -q kept out && grep -q persisted out
'
test_expect_success 'tasks are bound to the cores of their allocation' '
    flux run -n1 grep Cpus_allowed_list /proc/self/status >one &&
    grep -Eq "Cpus_allowed_list:[[:space:]]+[0-9]+$" one &&
    a=$(flux submit -n1 sleep 1) && flux job wait-event -t 5 $a start &&
    flux run -n1 grep Cpus_allowed_list /proc/self/status >two &&
    ! cmp -s one two &&
    flux job wait $a
'
test_expect_success 'cpu-affinity=off leaves tasks unbound' '
    flux run -n1 -o cpu-affinity=off grep Cpus_allowed_list /proc/self/status >off &&
    grep Cpus_allowed_list /proc/self/status >mine &&
    test "$(cut -f2 off)" = "$(cut -f2 mine)"
'
test_expect_success 'no GPUs allocated: CUDA_VISIBLE_DEVICES is not set' '
    test_must_fail flux run printenv CUDA_VISIBLE_DEVICES
'
test_expect_success 'flux job kill delivers a signal to the tasks' '
    id=$(flux submit sh -c "trap \"echo got-usr1; exit 5\" USR1; touch trap-set; sleep 30 & wait") &&
    flux job wait-event -t 5 $id start &&
    wait_for 10 test -e trap-set &&
    flux job kill --signal=USR1 $id &&
    test_expect_code 5 flux job attach $id >out &&
    grep -qx got-usr1 out &&
    test_must_fail flux job kill $id 2>err && grep -q "not running" err &&
    test_must_fail flux job kill -s BOGUS $id 2>err && grep -q "unknown signal" err
'
test_expect_success 'flux job killall signals every running job; without -f it only counts' '
    a=$(flux submit sleep 60) && b=$(flux submit sleep 60) &&
    flux job wait-event -t 5 $a start && flux job wait-event -t 5 $b start &&
    flux job killall -s USR2 2>err &&
    grep -q "matched 2 jobs (-f to confirm)" err &&
    test "$(flux jobs -n -o "{state}" $a $b | sort -u)" = RUN &&
    flux job killall -s USR2 -f 2>err &&
    grep -q "matched 2 jobs$" err &&
    test_expect_code 140 flux job attach $a &&
    test_expect_code 140 flux job attach $b &&
    test_must_fail flux job killall -s NOPE 2>err && grep -q "unknown signal" err
'
test_expect_success '--signal=SIG@TIME signals the tasks TIME before the time limit' '
    id=$(flux submit -t 6s --signal=USR1@4s sh -c "trap \"echo got-usr1; exit 7\" USR1; sleep 30 & wait") &&
    flux job wait-event -t 5 $id start &&
    test_expect_code 7 flux job attach $id >out &&
    grep -qx got-usr1 out &&
    flux jobs -n -o "{runtime}" $id >t &&
    awk "{ exit !(\$1 + 0 < 5) }" t &&
    flux job info $id jobspec | grep -q "\"signal\":{\"signum\":10,\"timeleft\":4" &&
    test_must_fail flux submit --signal=BOGUS true 2>err && grep -q "unknown signal" err &&
    test_must_fail flux submit --signal=USR1@later true 2>err && grep -q "expected a duration" err
'
test_expect_success '--signal follows flux update of the time limit; a time left beyond the limit signals at once' '
    id=$(flux submit -t 3s --signal=USR2@2s sh -c "trap \"echo got-usr2; exit 3\" USR2; sleep 60 & wait") &&
    flux job wait-event -t 5 $id start &&
    flux update $id duration=+5s &&
    test_expect_code 3 flux job attach $id >out &&
    grep -qx got-usr2 out &&
    flux jobs -n -o "{runtime}" $id >t &&
    awk "{ exit !(\$1 + 0 >= 5 && \$1 + 0 < 8) }" t &&
    id=$(flux submit -t 10s --signal=@1m sleep 30) &&
    test_expect_code 138 flux job attach $id &&
    flux jobs -n -o "{runtime}" $id >t &&
    awk "{ exit !(\$1 + 0 < 5) }" t
'
test_expect_success 'flux submit --wait returns the largest exit code; --watch shows output' '
    test_expect_code 4 flux submit --wait sh -c "exit 4" >id &&
    flux submit --watch -n2 sh -c "echo hi-\$FLUX_TASK_RANK" >out &&
    test $(grep -c "^hi-" out) -eq 2
'
test_expect_success 'flux job info shows the jobspec, R and eventlog' '
    id=$(flux submit -n2 true) && flux job wait $id &&
    flux job info $id jobspec | grep -q "\"version\":1" &&
    flux job info $id R | grep -q "R_lite" &&
    flux job info $id eventlog | grep -q "\"clean\"" &&
    test_must_fail flux job info $id nosuchkey 2>err && grep -q "has no nosuchkey" err
'
test_expect_success '--output/--error write task output to files with {{id}} templates' '
    id=$(flux submit --wait -n2 --output=job-{{id.dec}}.out sh -c "echo o\$FLUX_TASK_RANK; echo e\$FLUX_TASK_RANK >&2") &&
    sort job-$(flux job id $id).out >all &&
    printf "e0\ne1\no0\no1\n" >expected && cmp expected all &&
    flux submit --wait --output=a.out --error=a.err sh -c "echo out; echo err >&2" &&
    grep -qx out a.out && grep -qx err a.err && ! grep -q err a.out &&
    test_must_fail flux submit --wait --output=/nonexistent/dir/x true 2>/dev/null
'
test_expect_success 'output files are truncated once per job, or appended with output.mode=append' '
    echo stale >t.out &&
    flux run -N2 -n4 --output=t.out sh -c "echo r\$FLUX_TASK_RANK" &&
    sort t.out >t.sorted && printf "r0\nr1\nr2\nr3\n" >t.want && cmp t.want t.sorted &&
    id=$(flux submit --wait -N2 -n4 --output=t.out sh -c "echo r\$FLUX_TASK_RANK") &&
    sort t.out >t.sorted && cmp t.want t.sorted &&
    # the shells agreed through the mark the first of them left (where
    # this file system has user xattrs)
    if python3 -c "import os; open(\"x.probe\", \"w\"); os.setxattr(\"x.probe\", \"user.t\", b\"1\")" 2>/dev/null; then
        mark=$(python3 -c "import os; print(os.getxattr(\"t.out\", \"user.fluxd.job\").decode())") &&
        test "${mark%@*}" = "$(flux job id --to=dec $id)"
    fi &&
    flux run -N2 -n2 -o output.mode=append --output=t.out echo more &&
    test $(wc -l <t.out) -eq 6 && test $(grep -c more t.out) -eq 2 &&
    echo stale >both.out &&
    flux run --output=both.out --error=both.out sh -c "echo out; echo err >&2" &&
    sort both.out >both.sorted && printf "err\nout\n" >both.want && cmp both.want both.sorted &&
    flux run --output=/dev/null echo gone &&
    test_must_fail flux run -o output.mode=sideways --output=t.out true 2>mode.err &&
    grep -q "shell option output.mode: expected \"truncate\" or \"append\"" mode.err &&
    test $(wc -l <t.out) -eq 6
'
test_expect_success 'flux update changes a pending job time limit' '
    id=$(flux submit --urgency=hold sleep 30) &&
    flux job wait-event -t 5 $id priority &&
    flux update $id duration=0.5s &&
    flux job urgency $id default &&
    test_expect_code 143 flux job attach $id 2>err &&
    grep -q timeout err &&
    flux job info $id jobspec | grep -q "\"duration\":0.5" &&
    test_must_fail flux update $id duration=1 2>err && grep -q "only a pending or running job" err &&
    test_must_fail flux update $id foo=1 2>err && grep -q "not supported" err
'
test_done
