#!/bin/bash
# flux job eventlog and wait-event print Flux's text form by default
# ("TIMESTAMP name key=value ...", values as JSON), the stored JSON lines
# with -f json, times raw, iso or offset (-T), and follow with -F.
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
test_done
