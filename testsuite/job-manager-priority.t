#!/bin/bash
# The built-in .priority jobtap plugin: multi-factor priority (urgency,
# age, size, queue, fairshare), reprioritization on urgency change, hold and
# expedite kept, {priority} in flux jobs, scheduling order, a fairshare test
# with two users whose jobs interleave by usage, usage kept across a restart.
. "$(dirname "$0")/lib/test-lib.sh"
guest=fluxguest
if test_have_prereq ROOT && command -v runuser >/dev/null &&
    { id -u $guest >/dev/null 2>&1 || useradd --system --no-create-home $guest 2>/dev/null; } &&
    runuser -u $guest -- test -x "$FLUX_BUILD_DIR/src/cmd/flux"; then
    test_set_prereq GUEST
    chmod 755 "$FLUX_TEST_TRASH"
else
    say "fairshare between two users needs root (useradd, runuser): skipped"
fi
test_under_flux 1 -Saccess.allow-guest-user=true

as_guest() { runuser -u $guest -- env FLUX_URI="$FLUX_URI" PATH="$PATH" "$@"; }
prio() { flux jobs -A -n -o "{priority}" $1; }
# wait_prio ID N: wait (10s at most) for job ID to have priority N.
wait_prio() {
    for i in $(seq 100); do
        test "$(prio $1)" = "$2" && return 0
        sleep 0.1
    done
    echo "job $1: priority $(prio $1), expected $2" >&2
    return 1
}
# order IDS...: the ids sorted by the time each started.
order() {
    for id in "$@"; do
        flux job wait-event -t 30 $id clean >/dev/null || return 1
        echo "$(flux jobs -A -n -o "{t_run}" $id) $id"
    done | sort -n | awk "{print \$2}"
}
X="-N1 --exclusive"

test_expect_success 'urgency alone: priority = 100 x urgency; changes reprioritize; hold, expedite' '
    flux jobtap load .priority weight_age=0 weight_fairshare=0 weight_urgency=3100 &&
    flux jobtap list | grep -q "^.priority$" &&
    flux queue stop &&
    a=$(flux submit --urgency=10 true) &&
    flux job wait-event -t 10 $a priority &&
    test "$(prio $a)" = 1000 &&
    flux job urgency $a 20 &&
    wait_prio $a 2000 &&
    test "$(prio $a)" = 2000 &&
    flux job urgency $a hold &&
    wait_prio $a 0 &&
    flux job urgency $a expedite &&
    wait_prio $a 4294967295 &&
    flux cancel $a
'
test_expect_success 'jobs are scheduled in the order of their priority' '
    j5=$(flux submit $X --urgency=5 true) &&
    j25=$(flux submit $X --urgency=25 true) &&
    j15=$(flux submit $X --urgency=15 true) &&
    flux job wait-event -t 10 $j15 priority &&
    flux queue start &&
    order $j5 $j25 $j15 >out &&
    printf "%s\n" $j25 $j15 $j5 >expected &&
    test_cmp expected out
'
test_expect_success 'size and queue factors add to the priority' '
    flux jobtap remove .priority &&
    flux jobtap load .priority weight_age=0 weight_fairshare=0 weight_urgency=0 \
        weight_size=1000 size_max=2 &&
    one=$(flux submit --urgency=16 -n1 true) &&
    flux job wait-event -t 10 $one priority &&
    test "$(prio $one)" = 500 &&
    flux jobtap remove .priority &&
    flux jobtap load .priority weight_age=0 weight_fairshare=0 weight_urgency=0 \
        weight_queue=10 "queues={\"default\": 7}" &&
    q=$(flux submit --queue=default true) &&
    flux job wait-event -t 10 $q priority &&
    test "$(prio $q)" = 70
'
test_expect_success 'age raises the priority of a job that waits' '
    flux jobtap remove .priority &&
    flux jobtap load .priority weight_age=1000 age_max=1 weight_fairshare=0 \
        weight_urgency=0 reprioritize_interval=0.5 &&
    flux queue stop &&
    old=$(flux submit true) &&
    wait_prio $old 1000 &&
    flux cancel $old && flux queue start
'
test_expect_success 'a bad .priority conf is refused' '
    flux jobtap remove .priority &&
    test_must_fail flux jobtap load .priority weight_age=\"x\" 2>err &&
    grep -q ".priority: initialization failed" err &&
    flux dmesg | grep -q "jobtap.priority: conf: expected numbers"
'
test_expect_success GUEST 'fairshare: the user with less usage goes first, then they interleave' '
    flux jobtap load .priority weight_age=0 weight_urgency=0 weight_fairshare=1000 &&
    T="-S exec.test.run_duration=" &&
    pre=$(flux submit $X ${T}0.5s true) && flux job wait $pre &&
    flux queue stop &&
    o1=$(flux submit $X ${T}1s true) &&
    o2=$(flux submit $X ${T}1s true) &&
    g1=$(as_guest flux submit $X ${T}1s true) &&
    g2=$(as_guest flux submit $X ${T}1s true) &&
    flux job wait-event -t 10 $g2 priority &&
    test "$(prio $g1)" = 1000 &&
    test "$(prio $o1)" = 1 &&
    flux queue start &&
    order $o1 $o2 $g1 $g2 >out &&
    printf "%s\n" $g1 $o1 $g2 $o2 >expected &&
    test_cmp expected out &&
    flux jobtap query .priority >q &&
    grep -q "\"$(id -u $guest)\":" q
'
test_expect_success 'usage is kept across a restart (plugin store in the KVS)' '
    mkdir -p state &&
    cat >prio.toml <<-EOF &&
	[[job-manager.plugins]]
	load = ".priority"
	conf = { weight_age = 0, weight_urgency = 0 }
	EOF
    flux start -Sstatedir=$PWD/state -c prio.toml bash -c \
        "flux job wait \$(flux submit -S exec.test.run_duration=0.2s true) && flux jobtap query .priority" >before &&
    flux start -Sstatedir=$PWD/state -c prio.toml flux jobtap query .priority >after &&
    grep -q "\"$(id -u)\": *0\.[1-9]" after
'
test_done
