#!/bin/bash
# Multi-user instance ([access] allow-guest-user): a guest sees and controls
# only its own jobs (cancel, kill, raise, urgency, attach, eventlog, info,
# output, wait, KVS); the owner controls every job; a guest's job runs as
# the guest (uid, gid, supplementary groups) when the broker is root; an
# unprivileged broker without an IMP refuses a guest's job clearly;
# listing other users' jobs follows [access] allow-guest-list-all.
. "$(dirname "$0")/lib/test-lib.sh"

ua=fxacca
ub=fxaccb
grp=fxaccgrp
if test_have_prereq ROOT && command -v runuser >/dev/null && command -v useradd >/dev/null; then
    { getent group $grp >/dev/null || groupadd $grp; } &&
        for u in $ua $ub; do
            id -u $u >/dev/null 2>&1 || useradd -m -G $grp $u || break
        done &&
        id -u $ua >/dev/null 2>&1 && id -u $ub >/dev/null 2>&1 &&
        test_set_prereq GUESTS
fi
if ! test_have_prereq GUESTS; then
    test_skip_all "needs root, runuser and useradd to create two users"
fi
if ! runuser -u $ua -- test -x "$FLUX_BUILD_DIR/src/cmd/flux"; then
    test_skip_all "user $ua cannot reach $FLUX_BUILD_DIR (a parent directory is private)"
fi
chmod 755 "$FLUX_TEST_TRASH"

test_under_flux 2 -Saccess.allow-guest-user=true

# Run a command as user U against this instance.
as() {
    local u=$1; shift
    runuser -u "$u" -- env FLUX_URI="$FLUX_URI" PATH="$PATH" \
        FLUX_BROKER_PATH="$FLUX_BROKER_PATH" FLUX_MODULE_PATH="$FLUX_MODULE_PATH" "$@"
}
dothex() { flux job id --to=dothex "$1"; }

test_expect_success 'a guest job runs with the guest uid, gid and groups' '
    as $ua flux run -n1 sh -c "id -u; id -g; id -G" >ids.job &&
    { id -u $ua && id -g $ua && id -G $ua; } >ids.want &&
    test_cmp ids.want ids.job &&
    id -G $ua | grep -q "$(getent group $grp | cut -d: -f3)"
'
test_expect_success 'a guest job runs as the guest on every rank' '
    as $ua flux run -N2 -n2 id -u | sort -u >uid.job &&
    id -u $ua >uid.want &&
    test_cmp uid.want uid.job
'
test_expect_success 'the owner job still runs as the owner' '
    flux run id -u >owner.uid &&
    id -u >owner.want &&
    test_cmp owner.want owner.uid
'
test_expect_success 'a guest reads its own job: attach, eventlog, info, output' '
    as $ua flux submit echo hello-from-a >a.done.id &&
    as $ua flux job attach $(cat a.done.id) >a.attach &&
    grep -q hello-from-a a.attach &&
    as $ua flux job eventlog $(cat a.done.id) >a.eventlog &&
    grep -q "^.* submit " a.eventlog &&
    as $ua flux job info $(cat a.done.id) jobspec >a.jobspec &&
    grep -q hello-from-a a.jobspec &&
    as $ua flux job info $(cat a.done.id) R >a.R &&
    as $ua flux job eventlog -p guest.output $(cat a.done.id) >a.output &&
    grep -q hello-from-a a.output &&
    as $ua flux job wait $(cat a.done.id)
'
test_expect_success 'another guest cannot read it: attach, eventlog, info, output, wait' '
    id=$(cat a.done.id) &&
    test_must_fail as $ub flux job attach $id 2>b.attach.err &&
    grep -q "belongs to another user" b.attach.err &&
    test_must_fail as $ub flux job eventlog $id 2>b.eventlog.err &&
    grep -q "belongs to another user" b.eventlog.err &&
    test_must_fail as $ub flux job eventlog -p guest.output $id 2>b.output.err &&
    grep -q "belongs to another user" b.output.err &&
    test_must_fail as $ub flux job info $id jobspec 2>b.info.err &&
    grep -q "belongs to another user" b.info.err &&
    test_must_fail as $ub flux job info $id R 2>b.R.err &&
    grep -q "belongs to another user" b.R.err &&
    test_must_fail as $ub flux job wait $id 2>b.wait.err &&
    grep -q "belongs to another user" b.wait.err
'
test_expect_success 'no side door through the KVS' '
    key=job.$(dothex $(cat a.done.id)) &&
    test_must_fail as $ub flux kvs get $key.guest.output 2>kvs.get.err &&
    grep -q "belongs to another user" kvs.get.err &&
    test_must_fail as $ub flux kvs dir $key 2>kvs.dir.err &&
    grep -q "belongs to another user" kvs.dir.err &&
    test_must_fail as $ub flux kvs dir job 2>kvs.list.err &&
    grep -q "own jobs" kvs.list.err &&
    test_must_fail as $ub flux kvs put $key.guest.output=x 2>kvs.put.err &&
    grep -q "belongs to another user" kvs.put.err &&
    test_must_fail as $ua flux kvs put $key.eventlog=x 2>kvs.own.err &&
    grep -q "write only below" kvs.own.err &&
    test_must_fail as $ua flux kvs get resource.R 2>kvs.other.err &&
    grep -q "own jobs" kvs.other.err &&
    as $ua flux kvs get $key.jobspec >/dev/null
'
test_expect_success 'the owner reads every job' '
    id=$(cat a.done.id) &&
    flux job attach $id | grep -q hello-from-a &&
    flux job eventlog $id | grep -q submit &&
    flux job info $id jobspec | grep -q hello-from-a
'
test_expect_success 'another guest cannot cancel, kill, raise or change a running job' '
    as $ua flux submit sleep 300 >a.run.id &&
    id=$(cat a.run.id) &&
    flux job wait-event -t 60 $id start &&
    test_must_fail as $ub flux cancel $id 2>b.cancel.err &&
    grep -q "belongs to another user" b.cancel.err &&
    test_must_fail as $ub flux job kill $id 2>b.kill.err &&
    grep -q "belongs to another user" b.kill.err &&
    test_must_fail as $ub flux job raise $id 2>b.raise.err &&
    grep -q "belongs to another user" b.raise.err &&
    test_must_fail as $ub flux update $id duration=1m 2>b.update.err &&
    grep -q "belongs to another user" b.update.err &&
    flux jobs -n -o "{state}" $id >state &&
    grep -q RUN state
'
test_expect_success 'the guest cancels its own running job' '
    id=$(cat a.run.id) &&
    as $ua flux cancel $id &&
    flux job wait-event -t 60 $id clean &&
    flux job eventlog $id | grep "exception" | grep -q "userid=$(id -u $ua)"
'
test_expect_success 'the guest kills its own job (signal reaches the guest tasks)' '
    as $ua flux submit sleep 300 >a.kill.id &&
    id=$(cat a.kill.id) &&
    flux job wait-event -t 60 $id start &&
    as $ua flux job kill $id &&
    flux job wait-event -t 60 $id finish &&
    flux job eventlog $id | grep finish | grep -qv "status=0$"
'
test_expect_success 'urgency: a guest may lower its job, not raise it above 16' '
    as $ua flux submit --urgency=0 true >a.held.id &&
    id=$(cat a.held.id) &&
    test_must_fail as $ua flux job urgency $id 17 2>a.urg.err &&
    grep -q "above 16" a.urg.err &&
    test_must_fail as $ub flux job urgency $id 8 2>b.urg.err &&
    grep -q "belongs to another user" b.urg.err &&
    test_must_fail as $ua flux submit --urgency=20 true 2>a.submit.err &&
    grep -q "above 16" a.submit.err &&
    as $ua flux job urgency $id 8 &&
    as $ua flux job wait $id
'
test_expect_success 'the owner cancels a guest job' '
    as $ub flux submit sleep 300 >b.run.id &&
    id=$(cat b.run.id) &&
    flux job wait-event -t 60 $id start &&
    flux cancel $id &&
    flux job wait-event -t 60 $id clean
'
test_expect_success 'flux cancel --all: a guest selects only its own jobs; the owner any' '
    as $ua flux submit --urgency=0 true >a.sel.id &&
    as $ub flux submit --urgency=0 true >b.sel.id &&
    test_must_fail as $ua flux cancel --user=all 2>a.all.err &&
    grep -q "only the instance owner may cancel other users" a.all.err &&
    test_must_fail as $ua flux cancel -u $ub 2>a.ub.err &&
    grep -q "only the instance owner may cancel other users" a.ub.err &&
    as $ua flux cancel --all 2>a.mine.err &&
    echo "flux-cancel: Canceled 1 job (0 errors)" >expected &&
    test_cmp expected a.mine.err &&
    flux job wait-event -t 60 $(cat a.sel.id) clean &&
    flux jobs -n -o "{state}" $(cat b.sel.id) | grep -q SCHED &&
    flux cancel -u $ub 2>owner.err &&
    test_cmp expected owner.err &&
    flux job wait-event -t 60 $(cat b.sel.id) clean
'
test_expect_success 'listing: a guest sees only its own jobs, even with -A' '
    as $ua flux jobs -a -A -n -o "{id}" >a.list &&
    grep -q "$(cat a.done.id)" a.list &&
    ! grep -q "$(cat b.run.id)" a.list &&
    flux jobs -a -A -n -o "{id}" >owner.list &&
    grep -q "$(cat b.run.id)" owner.list
'
test_expect_success 'a guest cannot register a service outside its uid prefix' '
    test_must_fail as $ua rpc service.add "{\"service\":\"job-manager2\"}" 2>svc.err &&
    grep -q "must begin with .$(id -u $ua)-" svc.err
'
test_expect_success 'listing: with allow-guest-list-all a guest lists every user (-A)' '
    cat >listall.sh <<-EOF &&
	set -e
	as() { u=\$1; shift; runuser -u \$u -- env FLUX_URI=\$FLUX_URI PATH=\$PATH "\$@"; }
	T="-S exec.test.run_duration=0.01s"
	a=\$(as $ua flux submit \$T true)
	b=\$(as $ub flux submit \$T true)
	flux job wait \$a && flux job wait \$b
	as $ua flux jobs -a -A -n -o "{id}" >all.list
	as $ua flux jobs -a -n -o "{id}" >own.list
	echo \$a >all.a
	echo \$b >all.b
	EOF
    flux start -Saccess.allow-guest-user=true -Saccess.allow-guest-list-all=true \
        bash listall.sh &&
    grep -q "$(cat all.a)" all.list &&
    grep -q "$(cat all.b)" all.list &&
    grep -q "$(cat all.a)" own.list &&
    ! grep -q "$(cat all.b)" own.list
'
test_expect_success 'an unprivileged broker without an IMP refuses a guest job clearly' '
    mkdir -p unpriv && chown $ua unpriv &&
    # The unprivileged instance runs in a session of its own (setsid): if
    # runuser ever stops itself (it does when its child stops), the group
    # left orphaned gets SIGHUP, and that must not be this script.
    cat >unpriv/inner.sh <<-EOF &&
	echo "\$FLUX_URI" >uri.tmp && mv uri.tmp uri
	i=0
	while ! test -e go && test \$i -lt 600; do sleep 0.1; i=\$((i+1)); done
	EOF
    { (cd unpriv && setsid runuser -u $ua -- env PATH="$PATH" FLUX_BROKER_PATH="$FLUX_BROKER_PATH" \
        flux start -Saccess.allow-guest-user=true bash inner.sh </dev/null) & } &&
    wait_for 30 test -e unpriv/uri &&
    test_must_fail env FLUX_URI=$(cat unpriv/uri) flux run true 2>unpriv.err &&
    test_must_fail env FLUX_URI=$(cat unpriv/uri) flux dmesg 2>unpriv.dmesg.err &&
    touch unpriv/go &&
    wait &&
    grep -q "no IMP configured to run jobs as user root" unpriv.err &&
    grep -q "owner credentials" unpriv.dmesg.err
'
test_expect_success 'allow-root-owner makes root an owner of an unprivileged broker' '
    rm -f unpriv/uri unpriv/go &&
    { (cd unpriv && setsid runuser -u $ua -- env PATH="$PATH" FLUX_BROKER_PATH="$FLUX_BROKER_PATH" \
        flux start -Saccess.allow-guest-user=true -Saccess.allow-root-owner=true \
        bash inner.sh </dev/null) & } &&
    wait_for 30 test -e unpriv/uri &&
    env FLUX_URI=$(cat unpriv/uri) flux dmesg >root.dmesg &&
    touch unpriv/go &&
    wait
'
test_expect_success 'the system-instance cancel check: one guest cannot cancel another' '
    as $ua flux submit sleep 30 >acc.id &&
    test_must_fail as $ub flux cancel $(cat acc.id) &&
    flux cancel $(cat acc.id)
'
test_done
