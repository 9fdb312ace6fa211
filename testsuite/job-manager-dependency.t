#!/bin/bash
# Job dependencies (RFC 26) through the built-in .dependency jobtap plugin:
# after/afterany/afterok/afternotok chains and failure propagation,
# begin-time, singleton, refusals (unknown job, another user's job, unknown
# scheme), flux jobs INFO depends:..., and dependencies kept across a
# restart.
. "$(dirname "$0")/lib/test-lib.sh"
guest=fluxguest
if test_have_prereq ROOT && command -v runuser >/dev/null &&
    { id -u $guest >/dev/null 2>&1 || useradd --system --no-create-home $guest 2>/dev/null; } &&
    runuser -u $guest -- test -x "$FLUX_BUILD_DIR/src/cmd/flux"; then
    test_set_prereq GUEST
    chmod 755 "$FLUX_TEST_TRASH"
fi
test_under_flux 1 -Saccess.allow-guest-user=true

# result ID: COMPLETED, FAILED, CANCELED... once the job is inactive.
result() {
    flux job wait-event -t 30 $1 clean >/dev/null && flux jobs -n -o "{result}" $1
}

test_expect_success 'afterok and afterany chain: C, then B afterany C, then A afterok B' '
    c=$(flux submit sh -c "sleep 0.3; exit 3") &&
    b=$(flux submit --dependency=afterany:$c true) &&
    a=$(flux submit --dependency=afterok:$b echo A-ran) &&
    test "$(result $a)" = COMPLETED &&
    test "$(result $b)" = COMPLETED &&
    test "$(result $c)" = FAILED &&
    flux job attach $a | grep -q A-ran &&
    flux job eventlog $a >log &&
    grep -q "dependency-add description=\"afterok:$b\"" log &&
    grep -q "dependency-remove description=\"afterok:$b\"" log
'
# A dependent whose target had already failed when its dependency was
# evaluated is refused there, and the plugin logs it (w below: x is over by
# then); one that waited gets its exception without a log line.
test_expect_success 'a failure propagates through afterok: each dependent ends with the reason' '
    x=$(flux submit false) &&
    y=$(flux submit --dependency=afterok:$x true) &&
    z=$(flux submit --dependency=afterok:$y true) &&
    test "$(result $z)" = FAILED &&
    test "$(result $y)" = FAILED &&
    flux job eventlog $y >log &&
    grep -q "exception type=\"dependency\" severity=0 note=\"dependency afterok:$x failed: job .* did not succeed\"" log &&
    ! grep -q " alloc" log &&
    flux jobs -n -o "{inactive_reason}" $z >info &&
    grep -q "^Exception: type=dependency note=dependency afterok:$y failed" info &&
    flux job wait-event -t 30 $x clean >/dev/null &&
    w=$(flux submit --dependency=afterok:$x true) &&
    test "$(result $w)" = FAILED &&
    flux dmesg >dmesg &&
    grep "jobtap.dependency: job.dependency.afterok" dmesg >logged &&
    ! grep -q "\.err\|jobtap\.\.dependency" logged
'
test_expect_success 'afternotok runs after a failure; after runs once its target starts' '
    f=$(flux submit false) &&
    n=$(flux submit --dependency=afternotok:$f echo notok-ran) &&
    test "$(result $n)" = COMPLETED &&
    s=$(flux submit sleep 30) &&
    a=$(flux submit --dependency=after:$s echo after-ran) &&
    test "$(result $a)" = COMPLETED &&
    flux jobs -n -o "{state}" $s | grep -q RUN &&
    flux cancel $s &&
    ok=$(flux submit true) && flux job wait-event -t 30 $ok clean &&
    o=$(flux submit --dependency=afternotok:$ok true) &&
    test "$(result $o)" = FAILED
'
test_expect_success 'a dependency on a job that is already done is decided at once' '
    done=$(flux submit true) && test "$(result $done)" = COMPLETED &&
    d=$(flux submit --dependency=afterok:$done true) &&
    test "$(result $d)" = COMPLETED
'
test_expect_success 'flux jobs shows depends:SCHEME:VALUE in INFO while the job waits' '
    h=$(flux submit --urgency=hold true) &&
    w=$(flux submit --dependency=afterok:$h --dependency=afterany:$h true) &&
    flux job wait-event -t 10 $w dependency-add &&
    flux jobs -n -o "{state} {contextual_info}" $w >info &&
    grep -q "^DEPEND depends:afterany:$h,afterok:$h$" info &&
    flux job urgency $h default &&
    test "$(result $w)" = COMPLETED
'
test_expect_success 'decimal and F58 job ids are both accepted' '
    t=$(flux submit true) &&
    dec=$(flux job id --to=dec $t) &&
    d=$(flux submit --dependency=afterok:$dec true) &&
    test "$(result $d)" = COMPLETED
'
test_expect_success 'a dependency on an unknown job is refused at submit' '
    test_must_fail flux submit --dependency=afterok:123456789 true 2>err &&
    grep -q "dependency afterok:123456789: job 123456789 not found" err &&
    test_must_fail flux submit --dependency=afterok:notanid true 2>err &&
    grep -q "dependency afterok:notanid: .notanid. is not a job ID" err
'
test_expect_success 'an unknown scheme and a malformed option are refused' '
    test_must_fail flux submit --dependency=frobnicate:1 true 2>err &&
    grep -q "dependency scheme .frobnicate. is not supported" err &&
    test_must_fail flux submit --dependency=afterok true 2>err &&
    grep -q "expected SCHEME:VALUE" err
'
test_expect_success GUEST 'a dependency on another user'"'"'s job is refused' '
    as_guest() { runuser -u $guest -- env FLUX_URI="$FLUX_URI" PATH="$PATH" "$@"; } &&
    mine=$(flux submit --urgency=hold true) &&
    test_must_fail as_guest flux submit --dependency=afterok:$mine true 2>err &&
    grep -q "job $mine belongs to another user" err &&
    flux cancel $mine
'
test_expect_success 'begin-time holds a job until the time comes' '
    start=$(date +%s.%N) &&
    b=$(flux submit --begin-time=+2s true) &&
    flux jobs -n -o "{state} {contextual_info}" $b >info &&
    grep -q "^DEPEND depends:begin-time:" info &&
    flux job wait-event -t 20 $b depend &&
    test "$(result $b)" = COMPLETED &&
    end=$(date +%s.%N) &&
    awk -v a=$start -v b=$end "BEGIN { exit !(b - a >= 1.9) }"
'
test_expect_success 'singleton: one job of a name and user at a time' '
    s1=$(flux submit --job-name=single sleep 30) &&
    flux job wait-event -t 20 $s1 start &&
    s2=$(flux submit --job-name=single --dependency=singleton echo second) &&
    s3=$(flux submit --job-name=other --dependency=singleton echo other) &&
    test "$(result $s3)" = COMPLETED &&
    flux jobs -n -o "{state} {contextual_info}" $s2 >info &&
    grep -q "^DEPEND depends:singleton$" info &&
    flux cancel $s1 &&
    test "$(result $s2)" = COMPLETED
'
test_expect_success 'singleton: back-to-back singletons run one at a time; a held one canceled is dropped' '
    a=$(flux submit --job-name=pair --dependency=singleton sleep 30) &&
    b=$(flux submit --job-name=pair --dependency=singleton echo b) &&
    c=$(flux submit --job-name=pair --dependency=singleton echo c) &&
    flux job wait-event -t 20 $a start &&
    flux jobs -n -o "{state}" $b $c >states &&
    test "$(sort -u states)" = DEPEND &&
    flux jobtap query .dependency >q &&
    grep -q "\"singleton-held\": *2" q &&
    flux cancel $b &&
    flux cancel $a &&
    test "$(result $c)" = COMPLETED &&
    test "$(result $b)" = CANCELED
'
test_expect_success 'singleton: copies of one submission (--cc) run one at a time' '
    flux submit --cc=1-2 --job-name=cc --dependency=singleton sleep 30 >ids &&
    flux job wait-event -t 20 $(head -1 ids) start &&
    flux jobs -n -o "{state}" $(cat ids) | sort >states &&
    printf "DEPEND\nRUN\n" >states.expected &&
    test_cmp states.expected states &&
    flux cancel $(cat ids)
'
# anyjob A B: a job that may start once afterok:A or afterok:B holds
# ("any": true on each, Slurm's -d afterok:A?afterok:B).
anyjob() {
    flux run --dry-run echo either |
        jq ".attributes.system.dependencies = [
              {\"scheme\": \"afterok\", \"value\": \"$1\", \"any\": true},
              {\"scheme\": \"afterok\", \"value\": \"$2\", \"any\": true}]" >any.json &&
    flux job submit any.json
}
test_expect_success 'alternatives (any): one failing, one succeeding later: the job runs' '
    bad=$(flux submit false) &&
    flux job wait-event -t 30 $bad clean &&
    h=$(flux submit --urgency=hold true) &&
    j=$(anyjob $bad $h) &&
    flux jobs -n -o "{state}" $j >any.state &&
    grep -q DEPEND any.state &&
    flux job urgency $h default &&
    test "$(result $j)" = COMPLETED &&
    flux job eventlog $j >log &&
    grep -q "dependency-remove description=\"afterok:$h\"" log
'
test_expect_success 'alternatives (any): one already satisfied at submit releases the job' '
    ok=$(flux submit true) &&
    flux job wait-event -t 30 $ok clean &&
    h=$(flux submit --urgency=hold true) &&
    j=$(anyjob $h $ok) &&
    test "$(result $j)" = COMPLETED &&
    flux cancel $h
'
test_expect_success 'alternatives (any): every one failing raises a dependency exception' '
    h1=$(flux submit --urgency=hold false) &&
    h2=$(flux submit --urgency=hold false) &&
    j=$(anyjob $h1 $h2) &&
    flux job urgency $h1 default &&
    flux job wait-event -t 30 $h1 clean &&
    flux jobs -n -o "{state}" $j >any.state &&
    grep -q DEPEND any.state &&
    flux job urgency $h2 default &&
    flux job wait-event -t 30 $j clean &&
    flux job eventlog $j >log &&
    grep -q "every alternative failed" log
'
test_expect_success 'flux jobtap query .dependency reports what it waits on' '
    flux jobtap query .dependency >out &&
    grep -q "\"waiting\": *0" out
'
test_expect_success 'pending dependencies survive a restart' '
    mkdir -p state &&
    flux start -Sstatedir=$PWD/state bash -c \
        "h=\$(flux submit --urgency=hold true) && d=\$(flux submit --dependency=afterok:\$h echo after-restart) &&
         flux job wait-event -t 10 \$d dependency-add >/dev/null && echo \$h \$d" >ids &&
    read h d <ids &&
    flux start -Sstatedir=$PWD/state bash -c \
        "flux jobs -n -o \"{state} {contextual_info}\" $d && flux job urgency $h default &&
         flux job wait-event -t 30 $d clean && flux jobs -n -o {result} $d && flux job attach $d" >out &&
    grep -q "^DEPEND depends:afterok:$h$" out &&
    grep -q "^COMPLETED$" out &&
    grep -q "^after-restart$" out
'
test_expect_success 'with .dependency removed, a dependency is refused, naming the scheme' '
    flux jobtap remove .dependency &&
    test_must_fail flux submit --dependency=afterok:$done true 2>err &&
    grep -q "dependency scheme .afterok. is not supported" err &&
    flux jobtap load .dependency &&
    flux jobtap list | grep -q "^.dependency$"
'
test_done
