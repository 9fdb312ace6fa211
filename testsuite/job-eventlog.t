#!/bin/bash
# flux job eventlog and wait-event print Flux's text form by default
# ("TIMESTAMP name key=value ...", values as JSON), the stored JSON lines
# with -f json, times raw, iso, offset or human (-T, -H), and follow with
# -F; following any log ends once the job is inactive.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 1

test_expect_success 'the text form: timestamp, name, then key=value per context key' '
    id=$(flux submit --urgency=9 true) && flux job wait-event -t 20 $id clean &&
    flux job eventlog $id >text &&
    head -1 text | grep -Eq "^[0-9]+\.[0-9]{6} submit userid=$(id -u) urgency=9 flags=[0-9]+ version=1$" &&
    grep -Eq "^[0-9.]+ finish status=0$" text &&
    grep -Eq "^[0-9.]+ release ranks=\"0\" final=true$" text &&
    tail -1 text | grep -Eq "^[0-9.]+ clean$"
'
test_expect_success '-f json prints the entries as stored; -f text is the default' '
    id=$(flux submit true) && flux job wait-event -t 20 $id clean &&
    flux job eventlog -f json $id >json &&
    flux job info $id eventlog >stored &&
    test_cmp stored json &&
    flux job eventlog -f text $id >t1 && flux job eventlog $id >t2 && test_cmp t1 t2 &&
    test $(wc -l <json) -eq $(wc -l <t1)
'
test_expect_success '-T iso and -T offset' '
    id=$(flux submit true) && flux job wait-event -t 20 $id clean &&
    flux job eventlog -T iso $id | head -1 |
        grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z submit " &&
    flux job eventlog -T offset $id | head -1 | grep -q "^0.000000 submit " &&
    flux job eventlog -T raw $id >raw && flux job eventlog $id >dflt && test_cmp raw dflt
'
test_expect_success '-F follows the log until the job is clean' '
    id=$(flux submit sleep 1) &&
    flux job eventlog -F $id >followed &&
    tail -1 followed | grep -q " clean$" &&
    grep -q " start$" followed
'
test_expect_success 'wait-event prints the event in the chosen form' '
    id=$(flux submit true) &&
    flux job wait-event -t 20 $id finish >ev &&
    grep -Eqx "[0-9.]+ finish status=0" ev &&
    flux job wait-event -f json -t 20 $id finish >evj &&
    grep -q "^{\"timestamp\":[0-9.]*,\"name\":\"finish\",\"context\":{\"status\":0}}$" evj
'
test_expect_success 'bad formats and paths are named' '
    id=$(flux submit true) && flux job wait-event -t 20 $id clean &&
    test_must_fail flux job eventlog -f yaml $id 2>err && grep -q "unknown format .yaml." err &&
    test_must_fail flux job eventlog -T human2 $id 2>err && grep -q "unknown time format" err &&
    test_must_fail flux job eventlog -p nosuch $id 2>err && grep -q "has no nosuch" err
'
test_expect_success 'another eventlog by path: the output log (RFC 24)' '
    id=$(flux submit echo hi) && flux job wait-event -t 20 $id clean &&
    flux job eventlog -p guest.output $id >out &&
    grep -Eq "^[0-9.]+ header " out &&
    grep -Eq "^[0-9.]+ data .*data=\"hi\\\\n\"" out
'
test_expect_success '-F of another log ends once the job is inactive, with all of it' '
    id=$(flux submit echo hi) && flux job wait-event -t 20 $id clean &&
    timeout 30 flux job eventlog -F -p guest.output $id >followed &&
    flux job eventlog -p guest.output $id >plain &&
    test_cmp plain followed
'
test_expect_success '-F of another log, started while the job runs, ends with the job' '
    id=$(flux submit sh -c "echo one; sleep 1; echo two") &&
    flux job wait-event -t 20 $id start &&
    timeout 30 flux job eventlog -F -p guest.output $id >followed &&
    grep -q "data=\"two\\\\n\"" followed &&
    flux job eventlog -p guest.output $id >plain &&
    test_cmp plain followed
'
test_expect_success 'wait-event for an event that never came in another log fails, named' '
    id=$(flux submit true) && flux job wait-event -t 20 $id clean &&
    test_expect_code 1 timeout 30 flux job wait-event -p guest.output $id nosuch 2>err &&
    grep -q "the job ended without event nosuch in guest.output" err &&
    test_expect_code 1 timeout 30 flux job wait-event $id nosuch 2>err &&
    grep -q "the job ended without event nosuch$" err &&
    timeout 30 flux job wait-event -p guest.output $id header >hdr &&
    grep -q " header " hdr
'
# A log with flux-core's own formatter test timestamps: a new minute
# prints its date, other entries seconds since that one.
test_expect_success '-T human and -H: [MonDD HH:MM] at each new minute, else [  +S.SSSSSS]' '
    id=$(flux submit true) && flux job wait-event -t 20 $id clean &&
    cat >log <<-\EOF &&
	{"timestamp":1699995759.5377746,"name":"submit","context":{"userid":1001,"urgency":16}}
	{"timestamp":1699995759.5597851,"name":"validate"}
	{"timestamp":1699995760.3859105,"name":"start"}
	{"timestamp":1700074161.0240808,"name":"finish","context":{"status":0}}
	{"timestamp":1700074161.0250554,"name":"epilog-start","context":{"description":"job-manager.epilog"}}
	{"timestamp":1700074445.120451,"name":"clean"}
	EOF
    flux kvs put $(flux job id --to=kvs $id).testlog="$(cat log)
" &&
    cat >expected <<-\EOF &&
	[Nov14 21:02] submit userid=1001 urgency=16
	[  +0.022011] validate
	[  +0.848136] start
	[Nov15 18:49] finish status=0
	[  +0.000975] epilog-start description="job-manager.epilog"
	[Nov15 18:54] clean
	EOF
    TZ=UTC flux job eventlog -T human -p testlog $id >human &&
    test_cmp expected human &&
    TZ=UTC flux job eventlog -H -p testlog $id >H &&
    test_cmp expected H &&
    TZ=UTC flux job eventlog -f json -H -p testlog $id >H2 &&
    test_cmp expected H2 &&
    TZ=UTC flux job wait-event -H -p testlog $id epilog-start >one &&
    echo "[Nov15 18:49] epilog-start description=\"job-manager.epilog\"" >one.exp &&
    test_cmp one.exp one
'
test_expect_success '-T human on a real job: the date first, then offsets' '
    id=$(flux submit true) && flux job wait-event -t 20 $id clean &&
    flux job eventlog -H $id >h &&
    head -1 h | grep -Eq "^\[[A-Z][a-z]{2}[0-9]{2} [0-9]{2}:[0-9]{2}\] submit " &&
    tail -1 h | grep -Eq "^\[([A-Z][a-z]{2}[0-9]{2} [0-9]{2}:[0-9]{2}| +\+[0-9]+\.[0-9]{6})\] clean$" &&
    test $(wc -l <h) -eq $(flux job eventlog $id | wc -l)
'
test_done
