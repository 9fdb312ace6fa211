#!/bin/bash
# The built-in .limit-job-size and .limit-duration jobtap plugins: the
# limits of [policy.limits] (the same code and words as the ingest
# validators), applied by the job manager to every submission and, for the
# duration, to flux update.
. "$(dirname "$0")/lib/test-lib.sh"
conf=$FLUX_TEST_TRASH/limits.toml
cat >$conf <<EOF
[policy.limits]
duration = "1m"
[policy.limits.job-size.max]
ncores = 1
[[job-manager.plugins]]
load = ".limit-job-size"
[[job-manager.plugins]]
load = ".limit-duration"
EOF
test_under_flux 1 -c $conf

test_expect_success 'both limit plugins are loaded from the config' '
    flux jobtap list >out &&
    grep -q "^.limit-job-size$" out &&
    grep -q "^.limit-duration$" out &&
    flux jobtap query .limit-duration | grep -q "\"duration\":\"1m\""
'
test_expect_success 'a job over the size limit is refused, naming the limit' '
    test_must_fail flux submit -n2 -t 30s true 2>err &&
    grep -q "job-size: at most 1 cores" err &&
    flux job wait $(flux submit -n1 -t 30s true)
'
test_expect_success 'a job over the duration limit is refused, naming the limit' '
    test_must_fail flux submit -t 2m true 2>err &&
    grep -q "duration: at most 1m" err &&
    flux job wait $(flux submit -t 30s true)
'
test_expect_success 'flux update of the duration is held to the limit too' '
    h=$(flux submit --urgency=hold -t 10s true) &&
    test_must_fail flux update $h duration=5m 2>err &&
    grep -q "duration: at most 1m" err &&
    flux update $h duration=50s &&
    flux job eventlog $h | grep -q "jobspec-update attributes.system.duration=50" &&
    flux cancel $h
'
test_expect_success 'removing a limit plugin lifts its limit' '
    flux jobtap remove .limit-job-size &&
    test_must_fail flux submit -n2 -t 2m true 2>err &&
    grep -q "duration: at most 1m" err &&
    flux jobtap remove .limit-duration &&
    flux job wait $(flux submit -n2 -t 2m true)
'
test_expect_success 'a bad limit table stops the plugin from loading, naming the key' '
    test_must_fail flux jobtap load .limit-duration "policy={\"limits\":{\"duration\":true}}" 2>err &&
    grep -q ".limit-duration: initialization failed" err &&
    flux dmesg | grep -q "policy.limits.duration"
'
test_done
