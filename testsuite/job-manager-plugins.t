#!/bin/bash
# Jobtap plugins: the call-out order over a job's life, job.validate
# rejecting a submission, load errors naming the file (missing file, missing
# symbol, wrong version, init failure), containment of a failing callback,
# the host calls, flux jobtap load|remove|list|query and [[job-manager.plugins]].
. "$(dirname "$0")/lib/test-lib.sh"
guest=fluxguest
if test_have_prereq ROOT && command -v runuser >/dev/null &&
    { id -u $guest >/dev/null 2>&1 || useradd --system --no-create-home $guest 2>/dev/null; } &&
    runuser -u $guest -- test -x "$FLUX_BUILD_DIR/src/cmd/flux"; then
    test_set_prereq GUEST
    chmod 755 "$FLUX_TEST_TRASH"
fi
test_under_flux 1 -Saccess.allow-guest-user=true

PLUGINS=$FLUX_BUILD_DIR/testsuite/jobtap/.libs
# doc/examples/jobtap/max-active.c, built out of tree as a site would: the
# build tree's flux-core.pc pointed at the source tree's headers (an
# installed flux-core.pc gives the installed ones).
EXAMPLE=$FLUX_TEST_TRASH/max-active.so
if ! test -f "$EXAMPLE"; then
    PKG_CONFIG_PATH=$FLUX_BUILD_DIR/etc pkg-config \
        --define-variable=includedir="$FLUX_SOURCE_DIR/include" --cflags flux-core \
        >"$FLUX_TEST_TRASH/example.cflags" &&
        cc -shared -fPIC -Wall -Werror $(cat "$FLUX_TEST_TRASH/example.cflags") \
            -o "$EXAMPLE" "$FLUX_SOURCE_DIR/doc/examples/jobtap/max-active.c" \
            2>"$FLUX_TEST_TRASH/example.cc-err"
fi
RECORD=$PLUGINS/record.so
T="-S exec.test.run_duration=0s"

# topics LOG ID: the topics recorded for job ID (any form), one per line.
topics() {
    local dec=$(flux job id --to=dec $2)
    awk -v id=$dec '$1 == id { print $2 }' $1
}
cat >life.expected <<EOF2
job.validate
job.new
job.event.validate
job.state.depend
job.event.depend
job.state.priority
job.priority.get
job.event.priority
job.state.sched
job.event.alloc
job.state.run
job.event.start
job.event.finish
job.state.cleanup
job.event.release
job.event.free
job.event.clean
job.state.inactive
job.inactive-add
EOF2

test_expect_success 'only the built-in .dependency plugin is loaded by default' '
    flux jobtap list >out &&
    echo .dependency >expected &&
    test_cmp expected out
'
test_expect_success 'flux jobtap load PATH KEY=VALUE loads record with its conf' '
    flux jobtap load $RECORD log=$PWD/rec.log &&
    flux jobtap list >out &&
    printf ".dependency\nrecord\n" >expected &&
    test_cmp expected out
'
test_expect_success 'a job calls every topic of its life, in order, once each' '
    id=$(flux submit $T true) &&
    flux job wait $id &&
    topics rec.log $id >out &&
    test_cmp life.expected out
'
test_expect_success 'flux jobtap query returns the plugin conf and its plugin.query output' '
    flux jobtap query record >out &&
    grep -q "\"name\":\"record\"" out &&
    grep -q "\"path\":\"$RECORD\"" out &&
    grep -q "\"conf\":{\"log\":\"$PWD/rec.log\"}" out &&
    grep -q "\"last\":\"job.inactive-add\"" out &&
    grep -q "\"calls\":19" out
'
test_expect_success 'a cancelled pending job: exception, then cleanup and inactive' '
    id=$(flux submit -S exec.test.run_duration=0s --urgency=0 true) &&
    flux job wait-event -t 10 $id priority &&
    flux cancel $id &&
    test_must_fail flux job wait $id &&
    topics rec.log $id | tail -6 >out &&
    printf "%s\n" job.event.exception job.state.cleanup job.event.clean \
        job.state.inactive job.inactive-add >expected &&
    tail -5 out >out5 &&
    test_cmp expected out5
'
test_expect_success 'job.validate rejecting a job refuses the submission with its message' '
    n=$(flux jobs -a -n | wc -l) &&
    test_must_fail flux submit $T --setattr=user.deny=too-big true 2>err &&
    grep -q "record: denied: too-big" err &&
    test $(flux jobs -a -n | wc -l) -eq $n &&
    flux dmesg | grep -q "jobtap.record: job.validate: record: denied: too-big"
'
test_expect_success 'a rejected job array creates no job' '
    n=$(flux jobs -a -n | wc -l) &&
    test_must_fail flux submit $T --cc=1-3 --setattr=user.deny=array true 2>err &&
    grep -q "record: denied: array" err &&
    test $(flux jobs -a -n | wc -l) -eq $n
'
test_expect_success 'loading a second plugin named record is refused' '
    test_must_fail flux jobtap load $RECORD 2>err &&
    grep -q "a jobtap plugin named .record. is already loaded" err
'
test_expect_success 'flux jobtap remove record stops the call-outs' '
    flux jobtap remove record &&
    flux jobtap list >out &&
    echo .dependency >expected &&
    test_cmp expected out &&
    lines=$(wc -l <rec.log) &&
    flux job wait $(flux submit $T true) &&
    test $(wc -l <rec.log) -eq $lines
'
test_expect_success 'a missing file is refused, naming it' '
    test_must_fail flux jobtap load /nonexistent/dir/x.so 2>err &&
    grep -q "/nonexistent/dir/x.so: No such file or directory" err &&
    test_must_fail rpc job-manager.jobtap "{\"load\":\"/nonexistent/dir/x.so\"}" 2>err &&
    grep -q "/nonexistent/dir/x.so: No such file or directory" err
'
test_expect_success 'a plugin named without a directory is found in the current one' '
    (cd $PLUGINS && flux jobtap load record.so) &&
    flux jobtap remove record &&
    test_must_fail flux jobtap load record.so 2>err &&
    grep -q "flux-jobtap: record.so: No such file or directory" err
'
test_expect_success 'a .so without the jobtap info symbol is refused, naming both' '
    test_must_fail flux jobtap load $FLUX_MODULE_PATH/nosymbol.so 2>err &&
    grep -q "$FLUX_MODULE_PATH/nosymbol.so is not a jobtap plugin: it does not export flux_jobtap_plugin_info" err
'
test_expect_success 'a plugin without flux_plugin_init is refused' '
    test_must_fail flux jobtap load $PLUGINS/noinit.so 2>err &&
    grep -q "noinit.so is not a jobtap plugin: it does not export flux_plugin_init()" err
'
test_expect_success 'a plugin of another API version is refused, naming file and versions' '
    test_must_fail flux jobtap load $PLUGINS/badversion.so 2>err &&
    grep -q "$PLUGINS/badversion.so: jobtap plugin API version 2.0 is not supported (job manager has 1.2)" err
'
test_expect_success 'a plugin whose init fails is refused' '
    test_must_fail flux jobtap load $RECORD fail_init=true 2>err &&
    grep -q "record.so: flux_plugin_init failed" err &&
    test_must_fail flux jobtap load $RECORD log=17 2>err &&
    grep -q "record.so: flux_plugin_init failed" err &&
    flux dmesg | grep -q "jobtap.record: bad conf: {\"log\":17}"
'
test_expect_success 'none of the refused plugins stayed loaded' '
    flux jobtap list >out &&
    echo .dependency >expected &&
    test_cmp expected out
'
test_expect_success 'a failing callback becomes a jobtap exception on its job' '
    flux jobtap load $RECORD fail=job.state.sched &&
    id=$(flux submit $T true) &&
    test_must_fail flux job wait $id 2>err &&
    flux job eventlog $id >log &&
    grep -q "exception type=\"jobtap\" severity=0 " log &&
    grep -q "record: job.state.sched: record: failing on purpose" log &&
    ! grep -q " alloc" log &&
    test $(grep -c " exception" log) -eq 1
'
test_expect_success 'the job manager keeps running: jobs succeed once the plugin is gone' '
    flux jobtap remove all &&
    flux job wait $(flux submit $T true)
'
test_expect_success 'host calls: memo event posted with the job urgency, after job.state.run' '
    flux jobtap load $RECORD memo=hello &&
    id=$(flux submit $T --urgency=9 true) &&
    flux job wait $id &&
    flux job eventlog $id >log &&
    grep -q "memo record=\"hello\" urgency=9$" log &&
    test $(grep -n " start$" log | cut -d: -f1) -lt $(grep -n " memo " log | cut -d: -f1) &&
    flux jobtap remove record
'
test_expect_success 'host calls: an exception raised by a plugin cancels the job' '
    flux jobtap load $RECORD raise=true &&
    id=$(flux submit $T true) &&
    test_must_fail flux job wait $id &&
    flux job eventlog $id >log &&
    grep -q "exception type=\"record\" severity=0 note=\"raised by record\"" log &&
    ! grep -q " alloc" log &&
    flux jobtap remove record
'
test_expect_success 'remove of a plugin that is not loaded fails' '
    test_must_fail flux jobtap remove nosuch 2>err &&
    grep -q "jobtap plugin .nosuch. is not loaded" err &&
    test_must_fail flux jobtap query nosuch 2>err &&
    grep -q "jobtap plugin .nosuch. is not loaded" err
'
test_expect_success 'malformed job-manager.jobtap requests are refused' '
    test_must_fail rpc job-manager.jobtap "{\"load\":\"$RECORD\",\"remove\":\"x\"}" 2>err &&
    grep -q "job-manager.jobtap: expected" err &&
    test_must_fail rpc job-manager.jobtap "{\"load\":\"$RECORD\",\"conf\":[1]}" 2>err &&
    grep -q "job-manager.jobtap: expected" err &&
    test_must_fail rpc job-manager.jobtap "{\"frob\":1}" 2>err &&
    grep -q "job-manager.jobtap: expected" err
'
test_expect_success '[[job-manager.plugins]] in the config loads plugins with their conf' '
    cat >conf.toml <<-EOF2 &&
	[[job-manager.plugins]]
	load = "$RECORD"
	conf = { log = "$PWD/conf.log", memo = "from-config" }
	EOF2
    flux start --test-size=1 -c conf.toml \
        sh -c "flux jobtap list && id=\$(flux submit $T true) && flux job wait \$id && flux job id --to=dec \$id && flux job eventlog \$id" >out &&
    test "$(sed -n 2p out)" = record &&
    grep -q "memo record=\"from-config\" " out &&
    awk -v id=$(sed -n 3p out) "\$1 == id { print \$2 }" conf.log >topics &&
    sed "/^job.event.start\$/a job.event.memo" life.expected >expected &&
    test_cmp expected topics
'
test_expect_success 'a config naming a missing plugin stops the instance with a clear error' '
    printf "[[job-manager.plugins]]\nload = \"/nonexistent/y.so\"\n" >bad.toml &&
    test_must_fail flux start --test-size=1 -c bad.toml true 2>err &&
    grep -q "job-manager.plugins\[0\]: /nonexistent/y.so: No such file or directory" err
'
test_expect_success 'a malformed [[job-manager.plugins]] entry names file and line' '
    printf "[[job-manager.plugins]]\nlod = \"x.so\"\n" >bad2.toml &&
    test_must_fail flux start --test-size=1 -c bad2.toml true 2>err &&
    grep -q "bad2.toml:2:7: job-manager.plugins\[0\]: unknown key .lod." err &&
    printf "[[job-manager.plugins]]\nconf = {}\n" >bad3.toml &&
    test_must_fail flux start --test-size=1 -c bad3.toml true 2>err &&
    grep -q "bad3.toml:1:1: job-manager.plugins\[0\]: missing .load." err &&
    printf "[job-manager]\nplugins = 3\n" >bad4.toml &&
    test_must_fail flux start --test-size=1 -c bad4.toml true 2>err &&
    grep -q "bad4.toml:2:11: job-manager.plugins: expected an array of tables" err
'
test_expect_success GUEST 'only the instance owner may load, remove, list or query plugins' '
    as_guest() { runuser -u $guest -- env FLUX_URI="$FLUX_URI" PATH="$PATH" "$@"; } &&
    as_guest flux jobs >/dev/null &&
    test_must_fail as_guest flux jobtap list 2>err &&
    grep -q "flux-jobtap: list: .*owner" err &&
    test_must_fail as_guest flux jobtap load $RECORD 2>err &&
    grep -q "owner" err &&
    flux jobtap list >out &&
    test_must_be_empty out
'
test_expect_success 'API 1.1 and 1.2: dependency add/remove, timer, priority, reprioritize, R, aux, store, job_foreach' '
    flux jobtap load $RECORD api11=true prio=42 log=$PWD/api.log &&
    id=$(flux submit --dependency=record:0.3 true) &&
    flux job wait $id &&
    flux job eventlog $id >log &&
    grep -q "dependency-add description=\"record:0.3\"" log &&
    grep -q "dependency-remove description=\"record:0.3\"" log &&
    grep -q "priority priority=42" log &&
    grep -q "priority priority=43" log &&
    dec=$(flux job id --to=dec $id) &&
    awk -v id=$dec "\$1 == id { print \$2 }" api.log >topics &&
    grep -q "^job.dependency.record$" topics &&
    grep -q "^job.priority.get$" topics &&
    grep -q "^$dec R nodes=1$" api.log &&
    grep -q "^$dec active=[1-9][0-9]* self=1$" api.log &&
    grep -q "^$dec aux-free$" api.log &&
    flux jobtap query record >q &&
    grep -q "\"stored\": *[1-9]" q
'
test_expect_success 'job.update.KEY: a plugin allows or denies flux update of a key' '
    h=$(flux submit --urgency=hold true) &&
    flux update $h user.color=blue &&
    flux job eventlog $h | grep -q "jobspec-update attributes.user.color=\"blue\"" &&
    test_must_fail flux update $h user.color=deny 2>err &&
    grep -q "record: update of attributes.user.color denied" err &&
    flux job id --to=dec $h >held.dec
'
test_expect_success 'removing a plugin while jobs hold its aux data frees the data; jobs go on' '
    dec=$(cat held.dec) &&
    h=$(flux job id --to=f58 $dec) &&
    flux jobtap remove record &&
    grep -q "^$dec aux-free$" api.log &&
    flux job urgency $h default &&
    flux job wait $h &&
    test_must_fail flux update $h user.color=red 2>err
'
test_expect_success 'without a plugin for it, an update of another key is refused' '
    h2=$(flux submit --urgency=hold true) &&
    test_must_fail flux update $h2 user.color=blue 2>err &&
    grep -q "updating .attributes.user.color. is not supported" err &&
    flux cancel $h2
'
test_expect_success 'a plugin that errors on every topic: jobs get exceptions, the job manager lives' '
    flux jobtap load $RECORD fail="job.*" &&
    test_must_fail flux submit true 2>err &&
    grep -q "record: failing on purpose" err &&
    flux jobtap remove record &&
    flux jobtap load $RECORD fail="job.state.*" &&
    id=$(flux submit true) &&
    test_must_fail flux job wait $id &&
    flux job eventlog $id | grep -q "exception type=\"jobtap\"" &&
    flux jobtap remove record &&
    flux job wait $(flux submit true)
'
test_expect_success 'the example plugin builds out of tree with pkg-config flux-core' '
    grep -q -- "-I$FLUX_SOURCE_DIR/include" example.cflags &&
    test_must_be_empty example.cc-err &&
    test -f $EXAMPLE
'
test_expect_success 'the example plugin works: at most max=2 active jobs per user' '
    flux jobtap load $EXAMPLE max=2 &&
    h1=$(flux submit --urgency=hold true) &&
    h2=$(flux submit --urgency=hold true) &&
    test_must_fail flux submit true 2>err &&
    grep -q "max-active: user $(id -u) has 2 active jobs (at most 2)" err &&
    flux cancel $h1 && flux job wait-event -t 10 $h1 clean &&
    h3=$(flux submit --urgency=hold true) &&
    flux jobtap query max-active | grep -q "\"$(id -u)\": *2" &&
    flux cancel $h2 $h3 &&
    flux jobtap remove max-active
'
test_expect_success 'flux jobtap usage errors' '
    test_must_fail flux jobtap 2>err &&
    grep -q "Usage: flux jobtap load" err &&
    test_must_fail flux jobtap load 2>err &&
    grep -q "Usage: flux jobtap" err &&
    test_must_fail flux jobtap load $RECORD novalue 2>err &&
    grep -q "expected KEY=VALUE, got .novalue." err &&
    test_must_fail flux jobtap frob 2>err &&
    grep -q "unknown subcommand .frob." err
'
test_done
