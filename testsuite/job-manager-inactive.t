#!/bin/bash
# Inactive jobs kept as a summary (doc/design/inactive-jobs.md): once
# nothing needs a job's live entry, the job manager keeps only what
# listings show; listings, requests by id, waits, purge and a restart
# behave as before, and flux module stats job-manager counts them.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 2

stat() { flux module stats -p "$1" job-manager; }
all_summarized() {
    test "$(stat inactive_summarized)" = "$(stat inactive_jobs)"
}

test_expect_success 'flux module stats job-manager: the counts, and -p picks one' '
    flux module stats job-manager >stats.json &&
    grep -q "\"active_jobs\":0" stats.json &&
    grep -q "\"inactive_jobs\":0" stats.json &&
    grep -q "\"inactive_summarized\":0" stats.json &&
    test "$(stat journal.listeners)" = 0 &&
    test_expect_code 1 flux module stats -p nosuch job-manager 2>err &&
    grep -q "no field nosuch" err
'
test_expect_success 'jobs that ended in different ways, one after the other (purge order)' '
    a=$(flux submit -n2 -N2 --job-name=alpha -t 5m sh -c "exit 3") &&
    flux job wait-event -t 30 $a clean &&
    b=$(flux submit --urgency=hold --job-name=held true) &&
    flux cancel -m "not needed" $b &&
    flux job wait-event -t 30 $b clean &&
    c=$(flux submit --job-name=a-name-longer-than-fifteen-chars true) &&
    flux job wait-event -t 30 $c clean &&
    d=$(flux submit --flags=waitable --job-name=waitme true) &&
    flux job wait-event -t 30 $d clean &&
    echo $a $b $c $d >ids
'
test_expect_success 'each is summarized once nothing needs it (the waitable one once reaped)' '
    read a b c d <ids &&
    wait_for 10 sh -c "test \"\$(flux module stats -p inactive_summarized job-manager)\" = 3" &&
    test "$(stat inactive_jobs)" = 4 &&
    flux job wait $d &&
    wait_for 10 sh -c "test \"\$(flux module stats -p inactive_summarized job-manager)\" = 4"
'
test_expect_success 'listings show a summarized job as they showed its entry' '
    read a b c d <ids &&
    flux jobs -n -o "{name} {ntasks} {nnodes} {ranks} {result} {returncode} {duration}" $a >out &&
    echo "alpha 2 2 0-1 FAILED 3 5m" >expected &&
    test_cmp expected out &&
    flux jobs -n -o "{name}|{result}|{exception.type}|{exception.severity}|{exception.note}|{runtime}" $b >out &&
    echo "held|CANCELED|cancel|0|not needed|" >expected &&
    test_cmp expected out &&
    flux jobs -n -o "{name} {result}" $c >out &&
    echo "a-name-longer-than-fifteen-chars COMPLETED" >expected &&
    test_cmp expected out &&
    test "$(flux jobs -a -n -o "{id}" | paste -sd" ")" = "$d $c $b $a" &&
    test "$(flux jobs -n -o "{id}" | wc -l)" = 0
'
test_expect_success 'requests by id answer for a summarized job as for any inactive one' '
    read a b c d <ids &&
    test_expect_code 1 flux job urgency $b 10 2>err &&
    grep -q "urgency can only change while the job is pending" err &&
    test_expect_code 1 flux job raise $c 2>err &&
    grep -q "job is inactive" err &&
    test_expect_code 1 flux job kill $c 2>err &&
    grep -q "job is not running" err &&
    test_expect_code 1 flux job wait $a 2>err &&
    grep -q "exit code 3" err &&
    flux job wait $c &&
    wait_for 10 sh -c "test \"\$(flux module stats -p inactive_summarized job-manager)\" = 4"
'
test_expect_success 'the events journal replays summarized jobs too (full)' '
    read a b c d <ids &&
    flux job eventlog $a >log &&
    grep -q "finish" log &&
    flux job attach $c
'
test_expect_success 'purge takes summarized jobs, oldest first' '
    read a b c d <ids &&
    flux job purge --num-limit=2 --force >out &&
    echo "purged 2 inactive jobs" >expected &&
    test_cmp expected out &&
    test "$(stat inactive_jobs)" = 2 &&
    test "$(stat inactive_summarized)" = 2 &&
    test "$(flux jobs -a -n -o "{id}" | paste -sd" ")" = "$d $c" &&
    test_expect_code 1 flux job info $a eventlog 2>err &&
    grep -q "unknown job id" err
'
test_expect_success 'after a restart, the replayed inactive jobs are summarized and listed' '
    flux start -Sstatedir=$PWD/state sh -c "
        flux submit --cc=1-5 --quiet --job-name=before true &&
        flux submit --quiet --job-name=bad false; flux queue drain" &&
    flux start -Sstatedir=$PWD/state sh -c "
        flux jobs -a -n -o \"{name} {result}\" | sort | uniq -c >listed &&
        flux module stats -p inactive_jobs job-manager >n &&
        sleep 0.2 &&
        flux module stats -p inactive_summarized job-manager >s" &&
    test "$(cat n)" = 6 &&
    test "$(cat s)" = 6 &&
    grep -q "5 before COMPLETED" listed &&
    grep -q "1 bad FAILED" listed
'
test_done
