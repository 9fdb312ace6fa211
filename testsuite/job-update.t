#!/bin/bash
# flux update JOBID duration=[+|-]FSD, pending and running (flux-update(1)):
# a running job's R expiration, its resource-update event and job-exec's
# timer follow (the job times out at the new limit); relative values; a
# limit already past, a relative change of an unlimited job, and a guest
# extending a limit are refused.  (sched-graph's plan: sched-graph.t.)
. "$(dirname "$0")/lib/test-lib.sh"

guest=fluxguest
if test_have_prereq ROOT && command -v runuser >/dev/null &&
    { id -u $guest >/dev/null 2>&1 || useradd --system --no-create-home $guest 2>/dev/null; } &&
    runuser -u $guest -- test -x "$FLUX_BUILD_DIR/src/cmd/flux"; then
    test_set_prereq GUEST
fi

test_under_flux 1

# expiration_minus_start ID: R's expiration - starttime (the limit).
limit() {
    flux job info $1 R | jq -r ".execution | .expiration - .starttime | . * 1000 | round / 1000"
}

test_expect_success 'a running job: relative and absolute limits move R and job-exec timer' '
    id=$(flux submit -t 10m sleep 300) &&
    flux job wait-event -t 30 $id start &&
    test "$(limit $id)" = 600 &&
    flux update $id duration=-9m &&
    test "$(limit $id)" = 60 &&
    flux job eventlog $id | grep -q "resource-update expiration=" &&
    flux update $id duration=+5m &&
    test "$(limit $id)" = 360 &&
    flux job info $id jobspec | jq -e ".attributes.system.duration == 360" &&
    r_exp=$(flux job info $id R | jq -r ".execution.expiration | floor") &&
    test "$(flux jobs -n -o "{expiration}" $id | cut -d. -f1)" = "$r_exp" &&
    start=$(flux job info $id R | jq -r ".execution.starttime | floor") &&
    flux update $id duration=$(( $(date +%s) - start + 3 ))s &&
    test_expect_code 143 flux job attach $id 2>err &&
    grep -q "timeout" err &&
    flux job eventlog $id | grep -q "exception.*timeout"
'
test_expect_success 'a limit that has already passed is refused; the job runs on' '
    id=$(flux submit -t 10m sleep 300) &&
    flux job wait-event -t 30 $id start &&
    test_must_fail flux update $id duration=0.001s 2>err &&
    grep -q "would end the job before now" err &&
    test "$(limit $id)" = 600 &&
    test "$(flux jobs -n -o "{state}" $id)" = RUN &&
    flux cancel $id
'
test_expect_success 'the instance owner may make a running job unlimited' '
    id=$(flux submit -t 10m sleep 300) &&
    flux job wait-event -t 30 $id start &&
    flux update $id duration=0 &&
    test "$(flux job info $id R | jq .execution.expiration)" = 0 &&
    flux cancel $id
'
test_expect_success 'pending jobs: relative values, and none for an unlimited job' '
    id=$(flux submit --urgency=hold -t 1m true) &&
    flux update $id duration=+30s &&
    flux job info $id jobspec | jq -e ".attributes.system.duration == 90" &&
    flux update $id duration=-1m &&
    flux job info $id jobspec | jq -e ".attributes.system.duration == 30" &&
    test_must_fail flux update $id duration=-1m 2>err &&
    grep -q "the limit of 30s would be -30s" err &&
    flux update $id duration=0 &&
    test_must_fail flux update $id duration=+1m 2>err &&
    grep -q "the job has no time limit to change" err &&
    flux cancel $id
'
test_expect_success GUEST 'a guest may shorten its own limit, not extend it' '
    chmod 755 "$FLUX_TEST_TRASH" &&
    cat >guest.sh <<-EOF &&
	as() { runuser -u $guest -- env FLUX_URI=\$FLUX_URI PATH=\$PATH "\$@"; }
	id=\$(as flux submit -t 10m sleep 300) && flux job wait-event -t 30 \$id start >/dev/null &&
	if as flux update \$id duration=+1m 2>ext.err; then echo extended; fi
	if as flux update \$id duration=0 2>unl.err; then echo unlimited; fi
	as flux update \$id duration=-1m && echo shortened
	flux update \$id duration=+1h && echo owner-extended
	flux job info \$id R | jq ".execution | .expiration - .starttime | round"
	flux cancel \$id
	EOF
    flux start -Saccess.allow-guest-user=true sh guest.sh >out 2>&1 &&
    cat out ext.err &&
    test "$(cat out | tr "\n" " ")" = "shortened owner-extended 4140 " &&
    grep -q "only the instance owner may extend" ext.err &&
    grep -q "only the instance owner may extend" unl.err
'
test_done
