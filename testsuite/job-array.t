#!/bin/bash
# Job arrays: job-ingest.submit with cc or bcc (an RFC 22 idset) creates one
# job per id, and flux submit --cc/--bcc sends runs of copies that way (256
# per request).  Ids and FLUX_JOB_CC of every copy, --bcc, idsets with
# gaps, {cc} (one request per copy), and refused requests: they create no
# job and leave the broker and the jobs already there as they were.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 2

ncores=$(nproc)
T="-S exec.test.run_duration=0s"
# Copies must not inherit a FLUX_JOB_CC from the environment of the test.
unset FLUX_JOB_CC

# FLUX_JOB_CC in the stored jobspec of job ID, or "unset".
stored_cc() {
    flux job info "$1" jobspec | jq -r '.attributes.system.environment.FLUX_JOB_CC // "unset"'
}
# The number of jobs the instance knows, active or not.
njobs() { flux jobs -a -n | wc -l; }
# A jobspec (compact JSON) for the RPC tests; extra flux submit options.
jobspec() { flux submit --dry-run "$@" $T true; }

test_expect_success '--cc=1-600 (three arrays) prints 600 ids in increasing order' '
    flux submit --cc=1-600 $T true >ids &&
    test $(wc -l <ids) -eq 600 &&
    flux job id $(cat ids) >dec &&
    sort -n -u dec >sorted && test_cmp sorted dec
'
test_expect_success 'every copy completes' '
    flux queue drain --timeout=60 &&
    flux jobs -a --filter=completed -n -o "{id.dec}" | sort -n >done &&
    comm -23 sorted done >missing &&
    test_must_be_empty missing
'
test_expect_success 'each copy has FLUX_JOB_CC = its index (both sides of the array seams)' '
    for i in 1 2 128 255 256 257 300 511 512 513 599 600; do
        id=$(sed -n ${i}p ids) &&
        echo "$i $(stored_cc $id)" || return 1
    done >got &&
    for i in 1 2 128 255 256 257 300 511 512 513 599 600; do
        echo "$i $i"
    done >expected &&
    test_cmp expected got
'
test_expect_success 'an array copy stores the jobspec of a single --cc submission' '
    flux submit --dry-run --cc=7 --urgency=20 $T true | jq -S . >expected.json &&
    id=$(flux submit --cc=1-10 --urgency=20 $T true | sed -n 7p) &&
    flux job info $id jobspec | jq -S . >stored.json &&
    test_cmp expected.json stored.json &&
    flux job eventlog $id | grep -q "submit .*urgency=20"
'
test_expect_success 'real jobs: --cc=1-3 printenv FLUX_JOB_CC prints 1, 2, 3' '
    flux submit --cc=1-3 printenv FLUX_JOB_CC >ids3 &&
    test $(wc -l <ids3) -eq 3 &&
    for id in $(cat ids3); do flux job attach $id || return 1; done >out &&
    printf "1\n2\n3\n" >expected && test_cmp expected out
'
test_expect_success '--bcc leaves FLUX_JOB_CC unset (stored and at run time)' '
    flux submit --bcc=1-300 $T true >bids &&
    test $(wc -l <bids) -eq 300 &&
    test "$(stored_cc $(head -1 bids))" = unset &&
    test "$(stored_cc $(sed -n 257p bids))" = unset &&
    test "$(stored_cc $(tail -1 bids))" = unset &&
    flux submit --bcc=1-2 sh -c "echo cc=\${FLUX_JOB_CC-unset}" >bids2 &&
    for id in $(cat bids2); do flux job attach $id || return 1; done >out &&
    printf "cc=unset\ncc=unset\n" >expected && test_cmp expected out
'
test_expect_success 'an idset with gaps: --cc=1,5,9-10 gives 4 jobs, cc 1, 5, 9, 10' '
    flux submit --cc=1,5,9-10 printenv FLUX_JOB_CC >gids &&
    test $(wc -l <gids) -eq 4 &&
    for id in $(cat gids); do stored_cc $id || return 1; done >stored &&
    for id in $(cat gids); do flux job attach $id || return 1; done >out &&
    printf "1\n5\n9\n10\n" >expected &&
    test_cmp expected stored && test_cmp expected out
'
test_expect_success '{cc} in the command: one job per copy, still in order' '
    flux submit --cc=2-4 sh -c "echo {cc}:\$FLUX_JOB_CC" >cids &&
    test $(wc -l <cids) -eq 3 &&
    for id in $(cat cids); do flux job attach $id || return 1; done >out &&
    printf "2:2\n3:3\n4:4\n" >expected && test_cmp expected out
'
test_expect_success '{cc} in an option value: one job per copy, still in order' '
    flux submit --cc=2-4 --job-name=part{cc} $T true >nids &&
    flux jobs -a -n -c 3 -o "{id} {name}" | tac >names &&
    printf "%s part2\n%s part3\n%s part4\n" $(cat nids) >expected &&
    test_cmp expected names &&
    for id in $(cat nids); do stored_cc $id || return 1; done >stored &&
    printf "2\n3\n4\n" >expected && test_cmp expected stored
'
test_expect_success 'RPC: cc answers {ids} once: adjacent ids, in idset order' '
    js=$(jobspec) &&
    rpc job-ingest.submit "{\"jobspec\":$js,\"cc\":\"3,1-2\"}" >resp &&
    jq -r ".ids[]" resp >rids && test $(wc -l <rids) -eq 3 &&
    flux jobs -a -n -o "{id.dec}" | sort -n | grep -x -A2 $(head -1 rids) >adjacent &&
    test_cmp adjacent rids &&
    for id in $(cat rids); do stored_cc $id || return 1; done >stored &&
    printf "1\n2\n3\n" >expected && test_cmp expected stored
'
test_expect_success 'RPC: bcc stores the jobspec as submitted; a jobspec sent as text works too' '
    jobspec -n2 | jq -S . >sent.json &&
    rpc job-ingest.submit "{\"jobspec\":$(jq -c . sent.json),\"bcc\":\"0-1\",\"urgency\":5}" >resp &&
    test $(jq ".ids|length" resp) -eq 2 &&
    for id in $(jq -r ".ids[]" resp); do
        flux job info $id jobspec | jq -S . >stored.json &&
        test_cmp sent.json stored.json &&
        flux job eventlog $id | grep -q "submit .*urgency=5" || return 1
    done &&
    text=$(jobspec | jq -c "tostring") &&
    rpc job-ingest.submit "{\"jobspec\":$text,\"cc\":\"4-5\"}" >resp &&
    for id in $(jq -r ".ids[]" resp); do stored_cc $id || return 1; done >stored &&
    printf "4\n5\n" >expected && test_cmp expected stored
'
test_expect_success 'RPC: cc adds FLUX_JOB_CC to a jobspec without an environment' '
    js=$(jobspec | jq -c "del(.attributes.system.environment)") &&
    rpc job-ingest.submit "{\"jobspec\":$js,\"cc\":\"6\"}" >resp &&
    flux job info $(jq -r ".ids[0]" resp) jobspec |
        jq -c .attributes.system.environment >env &&
    echo "{\"FLUX_JOB_CC\":\"6\"}" >expected && test_cmp expected env
'
test_expect_success 'RPC: 10000 copies are accepted' '
    flux queue drain --timeout=30 &&
    js=$(jobspec) &&
    rpc job-ingest.submit "{\"jobspec\":$js,\"bcc\":\"1-10000\",\"urgency\":0}" >resp &&
    test $(jq ".ids|length" resp) -eq 10000 &&
    test $(jq ".ids|unique|length" resp) -eq 10000 &&
    flux cancel --all >/dev/null &&
    flux queue drain --timeout=60
'
test_expect_success 'RPC: bcc takes a jobspec holding the marker text as it is' '
    js=$(jobspec --env=MARK=$(printf "\001fluxd-cc\001")) &&
    rpc job-ingest.submit "{\"jobspec\":$js,\"bcc\":\"1\"}" >resp &&
    flux job info $(jq -r ".ids[0]" resp) jobspec >stored &&
    grep -qF "\"MARK\":\"\\u0001fluxd-cc\\u0001\"" stored
'
test_expect_success 'setup: a held job, a finished job and the job count, kept across the bad requests' '
    flux queue drain --timeout=30 &&
    held=$(flux submit --urgency=hold $T true) &&
    flux job wait-event -t 5 $held priority &&
    done_id=$(flux submit --cc=1-2 $T true | tail -1) &&
    flux job wait $done_id &&
    flux job eventlog $done_id >done_ev.before &&
    echo $held >held.id && echo $done_id >done.id &&
    njobs >njobs.before
'
# bad_array NAME PAYLOAD ERRNO-TEXT MESSAGE: the request fails with that
# errno and message (a request left unanswered fails too).
bad_array() {
    test_must_fail timeout 10 rpc job-ingest.submit "$2" 2>err.$1 &&
    grep -F "$3: $4" err.$1
}
test_expect_success 'RPC errors: cc with bcc, bad idsets, non-string idsets' '
    js=$(jobspec) &&
    bad_array both "{\"jobspec\":$js,\"cc\":\"1-2\",\"bcc\":\"1-2\"}" \
        "Invalid argument" "cc and bcc are mutually exclusive" &&
    bad_array empty "{\"jobspec\":$js,\"cc\":\"\"}" "Invalid argument" "cc: empty idset" &&
    bad_array bempty "{\"jobspec\":$js,\"bcc\":\"\"}" "Invalid argument" "bcc: empty idset" &&
    bad_array junk "{\"jobspec\":$js,\"cc\":\"x\"}" "Invalid argument" "cc: idset: invalid id" &&
    bad_array range "{\"jobspec\":$js,\"bcc\":\"5-1\"}" "Invalid argument" "bcc: idset: invalid range" &&
    bad_array num "{\"jobspec\":$js,\"cc\":5}" "Protocol error" \
        "job-ingest.submit: expected {\"jobspec\": object or string} (cc and bcc: idset strings)"
'
test_expect_success 'RPC errors: 10001 copies (E2BIG)' '
    js=$(jobspec) &&
    bad_array big "{\"jobspec\":$js,\"cc\":\"1-10001\"}" \
        "Argument list too long" "cc: at most 10000 copies per request" &&
    bad_array bbig "{\"jobspec\":$js,\"bcc\":\"0-5000,10000-15000\"}" \
        "Argument list too long" "bcc: at most 10000 copies per request"
'
test_expect_success 'RPC errors: the jobspec holds the FLUX_JOB_CC marker text' '
    js=$(jobspec --env=MARK=$(printf "\001fluxd-cc\001")) &&
    echo "$js" | grep -qF "\"MARK\":\"\\u0001fluxd-cc\\u0001\"" &&
    bad_array mark "{\"jobspec\":$js,\"cc\":\"1-3\"}" "Invalid argument" \
        "cc: the jobspec may not hold the text \"\\u0001fluxd-cc\\u0001\""
'
test_expect_success 'RPC errors: invalid or infeasible jobspecs fail as single submissions do' '
    js=$(jobspec -n $((2 * ncores + 1))) &&
    bad_array nfit "{\"jobspec\":$js,\"cc\":\"1-3\"}" "Value too large for defined data type" \
        "unsatisfiable request: $((2 * ncores + 1)) cores requested, $((2 * ncores)) available" &&
    js=$(jobspec | jq -c ".resources[0].count = 0") &&
    bad_array invalid "{\"jobspec\":$js,\"bcc\":\"1-3\"}" "Invalid argument" \
        "invalid jobspec: resources[0].count: must be >= 1" &&
    js=$(jobspec | jq -c ".version = 2") &&
    bad_array version "{\"jobspec\":$js,\"cc\":\"1-3\"}" "Invalid argument" \
        "invalid jobspec: version: must be 1" &&
    bad_array urg "{\"jobspec\":$(jobspec),\"cc\":\"1-3\",\"urgency\":32}" \
        "Invalid argument" "urgency must be between 0 and 31"
'
test_expect_success 'flux submit --cc of an infeasible job fails with the reason, no ids' '
    test_must_fail flux submit --cc=1-300 -n $((2 * ncores + 1)) $T true >out 2>err &&
    grep -q "flux: submit: unsatisfiable request" err &&
    test_must_be_empty out
'
test_expect_success 'the failed requests created no jobs' '
    njobs >njobs.after &&
    test_cmp njobs.before njobs.after
'
test_expect_success 'the broker still works: jobs from before are intact, new ones run' '
    flux job eventlog $(cat done.id) >done_ev.after &&
    test_cmp done_ev.before done_ev.after &&
    flux jobs -n -o "{id} {state_single}" >active &&
    echo "$(cat held.id) S" >expected && test_cmp expected active &&
    flux job urgency $(cat held.id) default &&
    flux job wait $(cat held.id) &&
    flux submit --cc=1-2 printenv FLUX_JOB_CC >after &&
    for id in $(cat after); do flux job attach $id || return 1; done >out &&
    printf "1\n2\n" >expected && test_cmp expected out &&
    flux ping --count=1 1
'
test_done
