#!/bin/bash
# flux jobs ID...: the named jobs in any state, in argument order; unknown
# ids are reported and make the command fail; {ncores} is the allocated
# core count.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 1

test_expect_success 'flux jobs ID lists that job even once inactive' '
    a=$(flux submit true) && b=$(flux submit true) &&
    flux job wait-event -t 20 $a clean && flux job wait-event -t 20 $b clean &&
    flux jobs -n -o "{id}" $b $a >out &&
    printf "%s\n%s\n" $b $a >expected &&
    test_cmp expected out
'
test_expect_success 'ids in any form are accepted' '
    a=$(flux submit true) && flux job wait-event -t 20 $a clean &&
    flux jobs -n -o "{id}" $(flux job id --to=dec $a) >out &&
    echo $a >expected && test_cmp expected out
'
test_expect_success 'an unknown id is reported, the others listed, exit 1' '
    a=$(flux submit true) && flux job wait-event -t 20 $a clean &&
    test_expect_code 1 flux jobs -n -o "{id}" $a f3abcdef >out 2>err &&
    echo $a >expected && test_cmp expected out &&
    grep -q "flux-jobs: f3abcdef: unknown job id" err &&
    test_must_fail flux jobs notanid 2>err &&
    grep -q "invalid job id" err
'
test_expect_success '{ncores} is the allocated core count' '
    a=$(flux submit -n1 -c1 true) && flux job wait-event -t 20 $a clean &&
    flux jobs -n -o "{ncores}" $a >out && echo 1 >expected && test_cmp expected out &&
    flux jobs -o "{ncores}" $a | head -1 >hdr && echo NCORES >expected && test_cmp expected hdr
'
test_done
