#!/bin/bash
# flux job wait (flux-job(1), flux_job_wait(3)) as in Flux: jobs submitted
# with --flags=waitable stay zombies until waited; a wait without an id
# takes the next waitable job to end (exit 2 when there is none), --all
# takes them all and exits 1 if any failed; waiting by id works for any job.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 1

test_expect_success 'wait without an id and no waitable job: exit 2, ECHILD' '
    test_expect_code 2 flux job wait 2>err &&
    grep -q "flux-job: wait: there are no more waitable jobs" err
'
test_expect_success 'wait without an id takes waitable jobs only, each once' '
    a=$(flux submit --flags=waitable true) &&
    b=$(flux submit --flags=waitable true) &&
    c=$(flux submit true) &&
    flux job wait >got1 && flux job wait >got2 &&
    sort got1 got2 >got && printf "%s\n%s\n" $a $b | sort >expected &&
    test_cmp expected got &&
    test_expect_code 2 flux job wait &&
    flux job wait $c
'
test_expect_success 'a failed waitable job: its id on stdout, why on stderr, exit 1' '
    id=$(flux submit --flags=waitable sh -c "exit 3") &&
    test_expect_code 1 flux job wait >out 2>err &&
    test "$(cat out)" = "$id" &&
    grep -q "$id: job exited with exit code 3" err
'
test_expect_success 'a wait without an id blocks until a running waitable job ends' '
    id=$(flux submit --flags=waitable sleep 1) &&
    test "$(flux job wait)" = "$id"
'
test_expect_success 'a wait by id reaps the zombie: no wait without an id gets it' '
    id=$(flux submit --flags=waitable true) &&
    flux job wait-event -t 20 $id clean &&
    flux job wait $id &&
    test_expect_code 2 flux job wait &&
    flux job wait $id
'
test_expect_success 'wait --all: every waitable job, failures printed, exit 1' '
    ok1=$(flux submit --flags=waitable true) &&
    bad=$(flux submit --flags=waitable false) &&
    ok2=$(flux submit --flags=waitable true) &&
    test_expect_code 1 flux job wait --all 2>err &&
    test "$(cat err)" = "$bad: job exited with exit code 1" &&
    flux job wait --all &&
    test_expect_code 2 flux job wait
'
test_expect_success 'wait --all -v: a line for each job; exit 0 when all succeeded' '
    a=$(flux submit --flags=waitable true) &&
    b=$(flux submit --flags=waitable true) &&
    flux job wait -a -v 2>err &&
    printf "%s: job completed successfully\n" $a $b | sort >expected &&
    sort err >got && test_cmp expected got
'
test_expect_success 'zombies are not purged until waited' '
    id=$(flux submit --flags=waitable true) &&
    flux job wait-event -t 20 $id clean &&
    flux job purge --force --num-limit=0 &&
    test "$(flux job wait)" = "$id"
'
test_expect_success 'bad usage: an id with --all, two ids, an unknown flag' '
    id=$(flux submit true) &&
    test_expect_code 1 flux job wait --all $id 2>err &&
    grep -q "cannot be given with --all" err &&
    test_expect_code 1 flux job wait $id $id 2>err &&
    grep -q "Usage: flux job wait" err &&
    test_expect_code 1 flux submit --flags=bogus true 2>err &&
    grep -q "unknown flag .bogus. (debug, waitable)" err
'
test_expect_success 'flux job submit --flags=waitable, flux run --flags=waitable' '
    flux run --dry-run true >js.json &&
    id=$(flux job submit --flags=waitable js.json) &&
    test "$(flux job wait)" = "$id" &&
    flux run --flags=waitable true &&
    flux job wait >/dev/null &&
    test_expect_code 2 flux job wait
'
test_expect_success 'flux submit --cc (job arrays), bulksubmit and batch pass --flags' '
    flux submit --cc=1-3 --flags=waitable true >/dev/null &&
    flux bulksubmit --flags=waitable echo {} ::: a b >/dev/null &&
    flux job wait --all -v 2>err &&
    test $(grep -c "job completed successfully" err) -eq 5 &&
    printf "#!/bin/sh\ntrue\n" >batch.sh &&
    id=$(flux batch -n1 --flags=waitable batch.sh) &&
    test "$(flux job wait)" = "$id"
'
test_done
