#!/bin/bash
# The job pipeline: ingest -> job manager (RFC 21) -> sched-simple -> exec
# test mode -> INACTIVE; cancel, timeout, urgency, FCFS, flux jobs, waits,
# eventlogs, restart.  Jobs here run in exec test mode
# (-S exec.test.run_duration=T); job-exec.t covers real execution.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 2

ncores=$(nproc)
T="-S exec.test.run_duration=0.1s"

test_expect_success 'a test-mode job runs through every state to INACTIVE' '
    id=$(flux submit $T true) &&
    flux job wait $id &&
    flux job eventlog $id | awk "{print \$2}" >names &&
    printf "submit\nvalidate\ndepend\npriority\nalloc\nstart\nfinish\nrelease\nfree\nclean\n" >expected &&
    cmp expected names
'
test_expect_success 'R is written to the KVS at alloc' '
    id=$(flux submit $T -n2 true) && flux job wait $id &&
    flux kvs get -j $(flux job id --to=kvs $id).R | grep -q "\"R_lite\""
'
test_expect_success 'flux jobs lists active jobs; -a includes inactive ones' '
    id=$(flux submit -S exec.test.run_duration=5s --job-name=longjob sleep 5) &&
    flux job wait-event -t 5 $id start &&
    flux jobs >out && grep -q "longjob *R" out &&
    flux cancel $id && flux job wait-event -t 5 $id clean &&
    flux jobs >out && ! grep -q longjob out &&
    flux jobs -a >out && grep "longjob" out | grep -q " CA " &&
    flux jobs -a -n -c 1 | wc -l | grep -qx 1
'
test_expect_success 'cancel of a running job: finish status 15, exception cancel' '
    id=$(flux submit -S exec.test.run_duration=10s sleep 10) &&
    flux job wait-event -t 5 $id start &&
    flux cancel -m "no longer needed" $id &&
    test_must_fail flux job wait $id 2>err &&
    grep -q "fatal exception: cancel (no longer needed)" err &&
    flux job eventlog $id | grep -q "finish status=15$"
'
test_expect_success 'cancel of a pending (held) job never allocates' '
    id=$(flux submit $T --urgency=hold true) &&
    flux job wait-event -t 5 $id priority &&
    flux jobs | grep -q " S " &&
    flux cancel $id &&
    flux job wait-event -t 5 $id clean &&
    ! flux job eventlog $id | grep -q alloc
'
test_expect_success 'a held job runs once its urgency is raised' '
    id=$(flux submit $T --urgency=hold true) &&
    flux job wait-event -t 5 $id priority &&
    flux job eventlog $id | grep -q "priority priority=0$" &&
    flux job urgency $id default &&
    flux job wait $id
'
test_expect_success 'a time limit ends a job with a timeout exception' '
    id=$(flux submit -t 0.2s -S exec.test.run_duration=10s sleep 10) &&
    test_must_fail flux job wait $id 2>err &&
    grep -q "timeout" err &&
    flux job eventlog $id | grep -q "finish status=9$"
'
test_expect_success 'FCFS: a job that does not fit blocks later jobs until resources free' '
    big=$(flux submit -S exec.test.run_duration=120s -n $((2 * ncores)) true) &&
    flux job wait-event -t 5 $big alloc &&
    small=$(flux submit $T true) &&
    flux job wait-event -t 5 $small priority &&
    ! flux job eventlog $small | grep -q alloc &&
    flux cancel $big &&
    flux job wait-event -t 30 $big clean &&
    flux job wait-event -t 30 $small clean &&
    flux job wait $small
'
test_expect_success 'strict order: a wide job at the head holds back a narrow one' '
    flux queue stop &&
    a=$(flux submit -S exec.test.run_duration=0.3s -n $((2 * ncores)) true) &&
    b=$(flux submit $T true) &&
    flux queue start &&
    flux job wait $a && flux job wait $b &&
    ta=$(flux job eventlog $a | awk "\$2==\"alloc\"{print \$1}") &&
    tb=$(flux job eventlog $b | awk "\$2==\"alloc\"{print \$1}") &&
    awk -v a=$ta -v b=$tb "BEGIN{exit !(b >= a)}"
'
test_expect_success 'flux queue stop holds allocation; status reports it' '
    flux queue stop &&
    id=$(flux submit $T true) &&
    flux job wait-event -t 5 $id priority &&
    flux queue status | grep -q "stopped" &&
    ! flux job eventlog $id | grep -q alloc &&
    flux queue start && flux job wait $id &&
    flux queue status | grep -q started
'
test_expect_success '1000 --cc jobs all complete (test mode)' '
    flux submit --cc=1-1000 --quiet -S exec.test.run_duration=0s true &&
    flux queue drain &&
    flux jobs -a --filter=inactive -n | wc -l >n &&
    test $(cat n) -ge 1000 &&
    test $(flux jobs -n | wc -l) -eq 0
'
test_expect_success 'wait-event times out clearly' '
    id=$(flux submit $T --urgency=hold true) &&
    test_must_fail flux job wait-event -t 0.3s $id alloc 2>err &&
    grep -q "timed out" err &&
    flux cancel $id
'
test_expect_success 'errors: unknown ids, bad states, bad urgency' '
    test_must_fail flux cancel ƒ1 2>err && grep -q "unknown job id" err &&
    test_must_fail flux job wait 12345 2>err && grep -q "unknown job id" err &&
    test_must_fail flux jobs --filter=bogus 2>err && grep -q "unknown state" err &&
    id=$(flux submit $T true) && flux job wait $id &&
    test_must_fail flux job urgency $id 5 2>err && grep -q "only change while the job is pending" err &&
    test_must_fail flux cancel $id 2>err && grep -q "inactive" err
'
test_expect_success 'past jobs are listed after a restart; running ones get an exception' '
    mkdir -p state &&
    flux start -Sstatedir=$PWD/state bash -c "
        flux job wait \$(flux submit -S exec.test.run_duration=0s --job-name=done1 true) &&
        flux submit -S exec.test.run_duration=60s --job-name=running1 sleep 60 >running.id &&
        flux job wait-event -t 5 \$(cat running.id) start
    " &&
    flux start -Sstatedir=$PWD/state bash -c "
        flux job wait-event -t 5 \$(cat running.id) clean &&
        flux jobs -a -o endreason
    " >out &&
    grep -q "done1" out &&
    grep "running1" out | grep -q "dead-instance"
'
test_expect_success 'a pending job keeps its request and test mode across a restart' '
    mkdir -p state2 &&
    flux start -Sstatedir=$PWD/state2 bash -c "
        flux submit -S exec.test.run_duration=0.1s -n2 --urgency=hold --job-name=held true >held.id &&
        flux job wait-event -t 5 \$(cat held.id) priority
    " &&
    flux start -Sstatedir=$PWD/state2 bash -c "
        flux job urgency \$(cat held.id) default &&
        flux job wait \$(cat held.id) &&
        flux jobs -a
    " >out &&
    grep held out | grep -Eq " CD +2 "
'
test_expect_success 'flux jobs --format uses Flux field names and specs' '
    id=$(flux submit $T --job-name=fmt -n2 true) && flux job wait $id &&
    flux jobs -a -n -c 1 -o "{id.dec}|{name:>5}|{state_single}|{ntasks}|{result}|{returncode}" >out &&
    echo "$(flux job id $id)|  fmt|I|2|COMPLETED|0" >expected &&
    cmp expected out &&
    flux jobs -a -c 1 -o "{id.f58:<12.3} {name}" | head -1 >hdr &&
    echo "JOB          NAME" >expected && cmp expected hdr &&
    flux jobs -a -n -c 1 -o "{{literal}} {name}" | grep -qx "{literal} fmt"
'
test_expect_success 'flux jobs --format rejects bad formats clearly' '
    test_must_fail flux jobs -o "{bogus}" 2>err && grep -q "unknown field .bogus." err &&
    test_must_fail flux jobs -o "{name:zz}" 2>err && grep -q "invalid spec" err &&
    test_must_fail flux jobs -o "{name" 2>err && grep -q "unmatched" err
'
test_expect_success 'flux jobs --user picks a user by name or uid; -A and --user=all list all' '
    id=$(flux submit $T --job-name=mine true) && flux job wait $id &&
    all=$(flux jobs -a -n | wc -l) &&
    test $all -gt 1 &&
    test $(flux jobs -a -n -A | wc -l) -eq $all &&
    test $(flux jobs -a -n --user=all | wc -l) -eq $all &&
    test $(flux jobs -a -n --user=$(id -un) | wc -l) -eq $all &&
    test $(flux jobs -a -n -u $(id -u) | wc -l) -eq $all &&
    flux jobs -a -n -o "{userid}" | sort -u >uids &&
    id -u >expected && cmp expected uids &&
    test $(flux jobs -a -n --user=$(($(id -u) + 4242)) | wc -l) -eq 0 &&
    flux jobs -a --json --user=$(($(id -u) + 4242)) | grep -qx "\[\]"
'
test_expect_success 'flux jobs --count applies to the chosen user; bad users are named' '
    test $(flux jobs -a -n -c 2 | wc -l) -eq 2 &&
    test $(flux jobs -a -n -c 2 -A | wc -l) -eq 2 &&
    flux jobs -a -n -c 1 -o "{name}" | grep -qx mine &&
    test_must_fail flux jobs --user=no-such-user 2>err &&
    grep -q "flux-jobs: --user: unknown user .no-such-user." err &&
    test_must_fail flux jobs --user=-1 2>err &&
    grep -q "unknown user .-1." err
'
test_expect_success 'flux jobs: Flux status fields and the default ST column' '
    ok=$(flux submit --job-name=st-ok true) && flux job wait $ok &&
    bad=$(flux submit --job-name=st-bad false) && ! flux job wait $bad &&
    flux jobs -a -n -o "{name} {status} {status_abbrev} {result_abbrev} {waitstatus}" | grep "^st-" >st &&
    printf "st-bad FAILED F F 256\nst-ok COMPLETED CD CD 0\n" >expected &&
    test_cmp expected st &&
    flux jobs -a | grep -E "st-ok +CD " &&
    flux jobs -a | head -1 | grep -q "ST NTASKS NNODES     TIME INFO" &&
    held=$(flux submit --urgency=hold true) &&
    flux jobs -n -o "{status} {status_abbrev}" | grep -qx "SCHED S" &&
    flux cancel $held
'
test_expect_success 'flux job cancel cancels like flux cancel' '
    a=$(flux submit -S exec.test.run_duration=300s true) &&
    flux job wait-event -t 10 $a start &&
    flux job cancel -m "no longer needed" $a &&
    flux job wait-event -t 10 $a clean &&
    flux job eventlog $a | grep exception | grep -q "no longer needed" &&
    test_must_fail flux job cancel 2>err &&
    grep -q Usage err
'
test_expect_success 'flux jobs --filter takes results: completed, failed, canceled, timeout' '
    ok=$(flux submit --job-name=r-ok true) && flux job wait $ok &&
    bad=$(flux submit --job-name=r-bad false) && ! flux job wait $bad &&
    to=$(flux submit --job-name=r-to -t 0.1s sleep 5) && ! flux job wait $to &&
    ca=$(flux submit --job-name=r-ca sleep 30) && flux job wait-event -t 10 $ca start &&
    flux cancel $ca && ! flux job wait $ca &&
    flux jobs -a --filter=completed -no "{name}" | grep "^r-" >completed &&
    echo r-ok >expected && test_cmp expected completed &&
    flux jobs -a --filter=failed -no "{name}" | grep "^r-" >failed &&
    echo r-bad >expected && test_cmp expected failed &&
    flux jobs -a --filter=CA,TO -no "{name}" | grep "^r-" | sort >cato &&
    printf "r-ca\nr-to\n" >expected && test_cmp expected cato &&
    test_must_fail flux jobs --filter=bogus 2>err &&
    grep -q "unknown state or result .BOGUS." err
'
test_expect_success 'flux queue stop is kept across a restart with the same statedir' '
    mkdir -p qstate &&
    flux start -Sstatedir=$PWD/qstate flux queue stop &&
    flux start -Sstatedir=$PWD/qstate flux queue status >qs1 &&
    grep -q "Scheduling is stopped" qs1 &&
    flux start -Sstatedir=$PWD/qstate flux queue start &&
    flux start -Sstatedir=$PWD/qstate flux queue status >qs2 &&
    grep -q "Scheduling is started" qs2
'
# flux-cancel(1): --all, --user, --states, --dry-run, --quiet, and the
# "Canceled N jobs (M errors)" line flux-core's flux cancel prints.
test_expect_success 'flux cancel --all cancels the caller'"'"'s active jobs, -n only counts them' '
    flux cancel --all -q && flux queue drain --timeout=30s &&
    a=$(flux submit --urgency=hold true) && b=$(flux submit --urgency=hold true) &&
    c=$(flux submit -S exec.test.run_duration=300s true) &&
    flux job wait-event -t 10 $c start &&
    flux cancel --all --dry-run 2>err &&
    echo "flux-cancel: Would cancel 3 jobs" >expected && test_cmp expected err &&
    flux cancel -n $a 2>err &&
    echo "flux-cancel: Would cancel 1 job" >expected && test_cmp expected err &&
    test $(flux jobs -n | wc -l) -eq 3 &&
    flux cancel --all -m "all gone" 2>err &&
    echo "flux-cancel: Canceled 3 jobs (0 errors)" >expected && test_cmp expected err &&
    for id in $a $b $c; do flux job wait-event -t 10 $id clean || return 1; done &&
    flux job eventlog $c | grep exception | grep -q "all gone" &&
    flux cancel --all 2>err &&
    echo "flux-cancel: Matched 0 jobs" >expected && test_cmp expected err &&
    flux cancel --all --quiet 2>err && test_must_be_empty err
'
test_expect_success 'flux cancel -S STATES and -u USER select jobs (and imply --all)' '
    held=$(flux submit --urgency=hold true) &&
    run=$(flux submit -S exec.test.run_duration=300s true) &&
    flux job wait-event -t 10 $run start &&
    flux cancel --states=run -n 2>err &&
    echo "flux-cancel: Would cancel 1 job" >expected && test_cmp expected err &&
    flux cancel -S depend,priority -n 2>err &&
    echo "flux-cancel: Matched 0 jobs" >expected && test_cmp expected err &&
    flux cancel -S SCHED 2>err &&
    echo "flux-cancel: Canceled 1 job (0 errors)" >expected && test_cmp expected err &&
    flux job wait-event -t 10 $held clean &&
    flux jobs -n -o "{status}" $run | grep -qx RUN &&
    flux cancel -u all -n 2>err &&
    echo "flux-cancel: Would cancel 1 job" >expected && test_cmp expected err &&
    flux cancel --user=$(id -un) --states=pending,running 2>err &&
    echo "flux-cancel: Canceled 1 job (0 errors)" >expected && test_cmp expected err &&
    flux job wait-event -t 10 $run clean
'
test_expect_success 'flux cancel: bad selections are refused' '
    test_must_fail flux cancel -S bogus 2>err &&
    grep -q "flux-cancel: Invalid state bogus specified" err &&
    test_must_fail flux cancel -u no-such-user-x 2>err &&
    grep -q "flux-cancel: Invalid user no-such-user-x specified" err &&
    id=$(flux submit --urgency=hold true) &&
    test_must_fail flux cancel --all $id 2>err &&
    grep -q "Do not specify a list of jobids with --all,--user,--states options" err &&
    flux cancel $id
'
# flux job status, last and timeleft (flux-job(1)).
test_expect_success 'flux job status exits with the largest exit code of the jobs' '
    ok=$(flux submit true) && e3=$(flux submit sh -c "exit 3") &&
    e5=$(flux submit sh -c "sleep 0.5; exit 5") &&
    flux job status $ok &&
    test_expect_code 3 flux job status $ok $e3 &&
    test_expect_code 5 flux job status -v $e3 $e5 $ok 2>err &&
    grep -q "^flux-job: $e5: exited with exit code 5$" err &&
    grep -q "^flux-job: $e3: exited with exit code 3$" err &&
    ! grep -q "$ok" err &&
    flux job status -vv $ok 2>err &&
    grep -q "^flux-job: $ok: exited with exit code 0$" err
'
test_expect_success 'flux job status: a canceled job exits 1 (or -e N); an unknown one fails' '
    id=$(flux submit --urgency=hold true) && flux cancel $id &&
    test_expect_code 1 flux job status -v $id 2>err &&
    grep -q "^flux-job: $id: exception type=cancel$" err &&
    test_expect_code 42 flux job status -e 42 $id &&
    test_expect_code 1 flux job status $(flux job id --to=f58 12345) 2>err &&
    grep -q "No such job" err
'
test_expect_success 'flux job last prints the caller'"'"'s newest job ids: N or a slice' '
    a=$(flux submit $T true) && b=$(flux submit $T true) && c=$(flux submit $T true) &&
    test "$(flux job last)" = "$c" &&
    flux job last 3 >out &&
    printf "%s\n%s\n%s\n" $c $b $a >expected && test_cmp expected out &&
    flux job last "[1:3]" >out &&
    printf "%s\n%s\n" $b $a >expected && test_cmp expected out &&
    flux job last "[2::-1]" >out &&
    printf "%s\n%s\n%s\n" $a $b $c >expected && test_cmp expected out &&
    flux job last "[:3:2]" >out &&
    printf "%s\n%s\n" $c $a >expected && test_cmp expected out &&
    test_must_fail flux job last "[x]" &&
    test_must_fail flux start flux job last 2>err &&
    grep -q "flux-job: job history is empty" err
'
test_expect_success 'flux job timeleft: whole seconds left, UINT_MAX or infinity when unlimited' '
    flux run -t 1m flux job timeleft >left &&
    test $(cat left) -gt 50 && test $(cat left) -le 60 &&
    flux run flux job timeleft >left &&
    echo 4294967295 >expected && test_cmp expected left &&
    flux run flux job timeleft -H >left &&
    echo infinity >expected && test_cmp expected left &&
    id=$(flux submit -S exec.test.run_duration=300s -t 10m true) &&
    flux job wait-event -t 10 $id start &&
    left=$(flux job timeleft $id) && test $left -gt 500 && test $left -le 600 &&
    flux cancel $id && flux job wait-event -t 10 $id clean &&
    test "$(flux job timeleft $id)" = 0 &&
    held=$(flux submit --urgency=hold true) &&
    test_must_fail flux job timeleft $held 2>err &&
    grep -q "job has not started" err &&
    flux cancel $held &&
    test_must_fail env -u FLUX_JOB_ID flux job timeleft 2>err &&
    grep -q "not in a Flux job" err
'
test_expect_success 'flux job timeleft in an instance: its job in the parent' '
    flux alloc -n1 -t 5m flux job timeleft >left &&
    test $(cat left) -gt 250 && test $(cat left) -le 300
'
test_done
