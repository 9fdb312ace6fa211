#!/bin/bash
# Jobspec validation against our own vectors (testsuite/jobspec/), written
# from RFC 14 and RFC 25 and the cases flux-core's validator accepts:
#   valid_v1/    accepted (a gpu count of 0, a task total above the slots)
#   invalid/     RFC 14 violations: "invalid jobspec: PATH: WHY"
#   invalid_v1/  RFC 14 but not RFC 25 V1: "unsupported jobspec: ..."
# Each refused file names the words its error must hold on a line
# "# expect: WORDS".  The files go through the validator alone
# (jobspec-check) and through a real submission (flux job submit).
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 2

vectors=$FLUX_SOURCE_DIR/testsuite/jobspec

# check_refused CMD FILE...: CMD must fail on each FILE with its words.
check_refused() {
    local cmd=$1 f want; shift
    for f in "$@"; do
        want=$(sed -n "s/^# expect: //p" "$f")
        test -n "$want" || { echo "$f: no expect line"; return 1; }
        if $cmd "$f" >out 2>&1; then
            echo "$f: accepted"; return 1
        fi
        grep -qF -- "$want" out || { echo "$f: want '$want', got:"; cat out; return 1; }
    done
}

test_expect_success 'the vector set is all there' '
    test $(ls $vectors/valid_v1 | wc -l) -ge 9 &&
    test $(ls $vectors/invalid | wc -l) -ge 50 &&
    test $(ls $vectors/invalid_v1 | wc -l) -ge 20
'
test_expect_success 'every valid_v1 vector is accepted by the validator' '
    jobspec-check $vectors/valid_v1/* >out &&
    test $(grep -c ": ok$" out) -eq $(ls $vectors/valid_v1 | wc -l)
'
test_expect_success 'every invalid vector is refused with its error' '
    check_refused jobspec-check $vectors/invalid/*
'
test_expect_success 'invalid ones say "invalid jobspec" (or name the text problem)' '
    for f in $vectors/invalid/*; do
        jobspec-check $f | grep -Eq ": (invalid jobspec: |jobspec )" || { echo $f; exit 1; }
    done
'
test_expect_success 'every invalid_v1 vector is refused as unsupported, with its error' '
    check_refused jobspec-check $vectors/invalid_v1/* &&
    for f in $vectors/invalid_v1/*; do
        jobspec-check $f | grep -q ": unsupported jobspec: " || { echo $f; exit 1; }
    done
'
submit() { flux job submit "$1"; }
test_expect_success 'flux job submit refuses every invalid vector with the same words' '
    check_refused submit $vectors/invalid/* $vectors/invalid_v1/*
'
test_expect_success 'the broker is still up after all of them' '
    flux getattr rank | grep -qx 0 &&
    flux run true
'
test_expect_success 'a gpu count of 0 is accepted and the job runs' '
    id=$(flux job submit $vectors/valid_v1/gpu_count_zero.yaml) &&
    flux job wait-event -t 20 $id clean &&
    flux job eventlog $id | grep -q "finish status=" &&
    ! flux job eventlog $id | grep -q exception
'
test_expect_success 'a task total above the slots runs every task' '
    sed "s/\"app\"/\"sh\", \"-c\", \"echo task \$FLUX_TASK_RANK\"/" \
        $vectors/valid_v1/total_exceeds_slots.yaml >total.yaml &&
    grep -q "echo task" total.yaml &&
    id=$(flux job submit total.yaml) &&
    flux job attach $id | sort >out &&
    test $(wc -l <out) -eq 7 &&
    test "$(sort -u out | wc -l)" -eq 7
'
test_expect_success 'flux run -N2 -n3 still puts 2 tasks on rank 0 and 1 on rank 1' '
    flux run -N2 -n3 sh -c "flux getattr rank" | sort | uniq -c | tr -s " " >out &&
    printf " 2 0\n 1 1\n" >expected && test_cmp expected out
'
test_done
