#!/bin/bash
# Local connector roles: the instance owner gets the owner role, another
# user (uid from SO_PEERCRED) the user role, and only if guests are allowed.
. "$(dirname "$0")/lib/test-lib.sh"

guest=fluxguest
if test_have_prereq ROOT && command -v runuser >/dev/null; then
    if id -u $guest >/dev/null 2>&1 || useradd --system --no-create-home $guest 2>/dev/null; then
        test_set_prereq GUEST
    fi
fi
if ! test_have_prereq GUEST; then
    test_skip_all "needs root and useradd to create a second user"
fi
if ! runuser -u $guest -- test -x "$FLUX_BUILD_DIR/src/cmd/flux"; then
    test_skip_all "user $guest cannot reach $FLUX_BUILD_DIR (a parent directory is private)"
fi
chmod 755 "$FLUX_TEST_TRASH"
as_guest() { runuser -u $guest -- env FLUX_URI="$FLUX_URI" PATH="$PATH" "$@"; }

test_expect_success 'a guest is refused when guests are not allowed' '
    test_must_fail flux start sh -c "runuser -u '$guest' -- env FLUX_URI=\$FLUX_URI $FLUX_BUILD_DIR/src/cmd/flux getattr size" 2>err &&
    grep -q "guest access to this instance is not allowed" err
'
test_expect_success 'the owner has full access' '
    flux start -Saccess.allow-guest-user=true sh -c \
        "flux setattr log-stderr-level 4 && flux getattr log-stderr-level" >out &&
    test "$(cat out)" = 4
'
cat >guest.sh <<GUEST
set -e
as() { runuser -u $guest -- env FLUX_URI=\$FLUX_URI PATH=\$PATH "\$@"; }
as flux getattr size
as flux ping --count=1 1
if as flux setattr log-stderr-level 4 2>setattr.err; then echo "setattr allowed"; exit 1; fi
grep "owner credentials" setattr.err
if as flux event pub guest.topic 2>pub.err; then echo "pub allowed"; exit 1; fi
grep "owner credentials" pub.err
if as flux module load echo 2>mod.err; then echo "module load allowed"; exit 1; fi
grep "owner credentials" mod.err
if as flux dmesg 2>dmesg.err; then echo "dmesg allowed"; exit 1; fi
as flux logger "guest was here"
flux dmesg | grep "guest was here"
GUEST
test_expect_success 'a guest gets the user role when guests are allowed' '
    { flux start --test-size=2 -Saccess.allow-guest-user=true bash guest.sh >out 2>&1 ||
        { cat out; false; }; } &&
    grep -q "^2$" out &&
    grep -q "Request requires owner credentials" setattr.err
'
cat >jobs.sh <<JOBS
set -e
as() { runuser -u $guest -- env FLUX_URI=\$FLUX_URI PATH=\$PATH "\$@"; }
T="-S exec.test.run_duration=0.01s"
mine=\$(flux submit \$T --job-name=owner-job true)
theirs=\$(as flux submit \$T --job-name=guest-job true)
flux job wait \$mine
flux job wait \$theirs
flux jobs -a -n -o "{name}" >owner.default
flux jobs -a -n -A -o "{name}" | sort >owner.all
flux jobs -a -n --user=all -o "{name}" | sort >owner.user-all
flux jobs -a -n --user=$guest -o "{name}" >owner.guest
flux jobs -a -n --user=\$(id -u $guest) -o "{name}" >owner.guest-uid
as flux jobs -a -n -o "{name}" >guest.default
as flux jobs -a -n -A -o "{name}" >guest.all
as rpc -s job-manager.events-journal '{"full":true}' >guest.journal &
pid=\$!
rpc -s job-manager.events-journal '{"full":true}' >owner.journal &
opid=\$!
for i in \$(seq 50); do grep -q '"id":-1' guest.journal && grep -q '"id":-1' owner.journal && break; sleep 0.1; done
kill \$pid \$opid
flux job id \$theirs >guest.id
flux job id \$mine >owner.id
JOBS
test_expect_success 'flux jobs: own jobs by default; -A, --user=all|NAME|UID for the owner' '
    { flux start -Saccess.allow-guest-user=true bash jobs.sh >out 2>&1 ||
        { cat out; false; }; } &&
    echo owner-job >expected && cmp expected owner.default &&
    printf "guest-job\nowner-job\n" >expected &&
    cmp expected owner.all && cmp expected owner.user-all &&
    echo guest-job >expected &&
    cmp expected owner.guest && cmp expected owner.guest-uid &&
    cmp expected guest.default &&
    cmp expected guest.all
'
test_expect_success 'the journal shows a guest its own jobs only; the owner sees all' '
    grep -q "\"id\":$(cat guest.id)," guest.journal &&
    ! grep -q "\"id\":$(cat owner.id)," guest.journal &&
    grep -q "\"id\":$(cat guest.id)," owner.journal &&
    grep -q "\"id\":$(cat owner.id)," owner.journal
'
cat >waitable.sh <<WAITABLE
as() { runuser -u $guest -- env FLUX_URI=\$FLUX_URI PATH=\$PATH "\$@"; }
if as flux submit --flags=waitable true 2>submit.err; then echo "waitable allowed"; exit 1; fi
mine=\$(flux submit --flags=waitable true)
if as flux job wait 2>wait.err; then echo "wait-any allowed"; exit 1; fi
test "\$(flux job wait)" = "\$mine"
WAITABLE
test_expect_success 'a guest may neither submit waitable jobs nor wait for any job' '
    { flux start -Saccess.allow-guest-user=true bash waitable.sh >out 2>&1 ||
        { cat out; false; }; } &&
    grep -q "only the instance owner may submit with FLUX_JOB_WAITABLE" submit.err &&
    grep -q "only the instance owner may wait for any job" wait.err
'
test_done
