#!/bin/bash
# pam_fluxd.so, the PAM account module (pam_fluxd(8)), through pamtester and
# Debian's pam_wrapper (a service file in the trash directory, no /etc/pam.d
# change): a user with a running job on the broker's rank is let in, one
# without is refused, a job on another rank does not count, allow_users
# lets in, a broker that is down refuses with a logged reason; and the
# job-manager.running-on query it asks, with its guest policy.
. "$(dirname "$0")/lib/test-lib.sh"

user1=fluxpam1
user2=fluxpam2
PAM_WRAPPER_LIB=$(ls /usr/lib/*/libpam_wrapper.so /usr/lib/libpam_wrapper.so 2>/dev/null | head -1)
MODULE=$FLUX_BUILD_DIR/src/pam/.libs/pam_fluxd.so
if ! test_have_prereq ROOT; then
    test_skip_all "needs root: useradd, and pam_fluxd.so switching to the user to connect"
fi
if ! command -v pamtester >/dev/null || test -z "$PAM_WRAPPER_LIB"; then
    test_skip_all "needs pamtester and pam_wrapper (apt-get install pamtester libpam-wrapper)"
fi
if ! test -f "$MODULE"; then
    test_skip_all "pam_fluxd.so was not built (libpam0g-dev missing at configure time)"
fi
for u in $user1 $user2; do
    if ! { id -u $u >/dev/null 2>&1 || useradd --system --no-create-home $u 2>/dev/null; }; then
        test_skip_all "useradd $u failed"
    fi
done
if ! runuser -u $user1 -- test -x "$FLUX_BUILD_DIR/src/cmd/flux"; then
    test_skip_all "user $user1 cannot reach $FLUX_BUILD_DIR (a parent directory is private)"
fi
chmod 755 "$FLUX_TEST_TRASH"
test_under_flux 2 -Saccess.allow-guest-user=true

T="-S exec.test.run_duration=600s"
as_user() { local u=$1; shift; runuser -u "$u" -- env FLUX_URI="$FLUX_URI" PATH="$PATH" "$@"; }

# pam_acct SERVICE USER: pamtester's account check under pam_wrapper, the
# module's syslog lines (pam_wrapper's debug log) on stderr.
pam_acct() {
    LD_PRELOAD=$PAM_WRAPPER_LIB PAM_WRAPPER=1 PAM_WRAPPER_DEBUGLEVEL=2 \
        PAM_WRAPPER_SERVICE_DIR=$FLUX_TEST_TRASH/pam.d \
        pamtester -v "$1" "$2" acct_mgmt
}
# has TEXT FILE: FILE holds TEXT, or show FILE (the module's log) and fail.
has() {
    grep -q "$1" "$2" && return 0
    echo "no '$1' in $2:"
    cat "$2"
    return 1
}
# service NAME OPTIONS...: a service file with pam_fluxd.so alone.
service() {
    local name=$1; shift
    mkdir -p pam.d &&
    echo "account required $MODULE $*" >pam.d/$name
}

test_expect_success 'services: one per broker, allow_users, broker down, bad option' '
    service rank0 uri=$(rank_uri 0) timeout=60 debug &&
    service rank1 uri=$(rank_uri 1) timeout=60 debug &&
    service allow uri=$(rank_uri 0) allow_users=nobody,$user2 &&
    service down uri=local://$FLUX_TEST_TRASH/no-such-dir/local &&
    service badopt uri=$(rank_uri 0) colour=blue &&
    service badtimeout uri=$(rank_uri 0) timeout=forever &&
    service ssh uri=ssh://localhost/run/flux/local
'
test_expect_success 'a user with no job is denied on every rank' '
    test_must_fail pam_acct rank0 $user2 2>err0 &&
    grep "has no running job on this node" err0 &&
    grep "access denied to $user2: no running job on rank 0" err0 &&
    test_must_fail pam_acct rank1 $user2 2>err1 &&
    grep "no running job on rank 1" err1
'
test_expect_success 'a job of user1 runs on rank 1 only (rank 0 drained)' '
    flux resource drain 0 pam test &&
    id=$(as_user $user1 flux submit $T -N1 true) &&
    flux job wait-event -t 30 $id start &&
    test "$(flux jobs -A -n -o "{ranks}")" = 1 &&
    flux resource undrain 0 &&
    echo $id >job1
'
test_expect_success 'user1 is allowed on rank 1, where the job runs' '
    pam_acct rank1 $user1 2>err &&
    grep "has 1 running job(s) on rank 1" err
'
test_expect_success 'user1 is denied on rank 0, where it does not' '
    test_must_fail pam_acct rank0 $user1 2>err &&
    has "no running job on rank 0" err
'
test_expect_success 'another user is still denied on rank 1' '
    test_must_fail pam_acct rank1 $user2
'
test_expect_success 'allow_users lets a listed user in without a job' '
    pam_acct allow $user2 &&
    test_must_fail pam_acct allow $user1 2>err &&
    grep "no running job on rank 0" err
'
test_expect_success 'root is left to the rest of the stack (PAM_IGNORE)' '
    echo "account required $MODULE uri=$(rank_uri 0)" >pam.d/rootok &&
    echo "account required pam_permit.so" >>pam.d/rootok &&
    pam_acct rootok root &&
    echo "account required $MODULE uri=$(rank_uri 0)" >pam.d/rootdeny &&
    echo "account required pam_deny.so" >>pam.d/rootdeny &&
    test_must_fail pam_acct rootdeny root
'
test_expect_success 'a broker that is down denies, and the reason is logged' '
    test_must_fail pam_acct down $user1 2>err &&
    grep "cannot reach the resource manager" err &&
    grep "cannot ask the broker at local://$FLUX_TEST_TRASH/no-such-dir/local" err
'
# A "broker" that accepts and never answers (hung).
cat >hung.py <<'HUNG'
import os, signal, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(8)
signal.alarm(120)
conns = []
while True:
    c, _ = s.accept()
    conns.append(c)
HUNG
test_expect_success 'a broker that does not answer denies after timeout=' '
    { python3 hung.py $FLUX_TEST_TRASH/hung.sock & } &&
    echo $! >hung.pid &&
    wait_for 10 test -S $FLUX_TEST_TRASH/hung.sock &&
    chmod 777 $FLUX_TEST_TRASH/hung.sock &&
    service hung uri=local://$FLUX_TEST_TRASH/hung.sock timeout=0.5 &&
    test_must_fail pam_acct hung $user1 2>err &&
    kill $(cat hung.pid) &&
    { grep "attr.get rank: no answer in 0.5s" err || { cat err; false; }; }
'
test_expect_success 'bad options deny, naming the option' '
    test_must_fail pam_acct badopt $user1 2>err &&
    grep "unknown option colour=blue" err &&
    test_must_fail pam_acct badtimeout $user1 2>err &&
    grep "invalid option timeout=forever" err &&
    test_must_fail pam_acct ssh $user1 2>err &&
    grep "only local:///PATH is allowed" err
'
test_expect_success 'an unknown user is refused' '
    test_must_fail pam_acct rank1 no-such-user-pam 2>err &&
    grep "unknown user no-such-user-pam" err
'
test_expect_success 'running-on: a guest asks about itself' '
    as_user $user1 rpc job-manager.running-on "{\"rank\":1}" >out &&
    grep "\"jobs\": *\[$(flux job id $(cat job1))\]" out &&
    as_user $user1 rpc job-manager.running-on "{\"rank\":0}" >out0 &&
    grep "\"jobs\": *\[\]" out0
'
test_expect_success 'running-on: a guest may not ask about another user' '
    test_must_fail as_user $user2 rpc job-manager.running-on \
        "{\"userid\":$(id -u $user1),\"rank\":1}" 2>err &&
    grep "a guest may ask about its own jobs only" err
'
test_expect_success 'running-on: the owner asks about anyone; bad payloads are EPROTO' '
    rpc job-manager.running-on "{\"userid\":$(id -u $user1),\"rank\":1}" >out &&
    grep "\"jobs\": *\[$(flux job id $(cat job1))\]" out &&
    test_must_fail rpc job-manager.running-on "{\"rank\":-1}" 2>err &&
    grep "expected" err &&
    test_must_fail rpc job-manager.running-on "{}" 2>err &&
    grep "expected" err
'
cat >noguest.sh <<NOGUEST
set -e
echo "account required $MODULE uri=\$FLUX_URI debug" >pam.d/noguest
LD_PRELOAD=$PAM_WRAPPER_LIB PAM_WRAPPER=1 PAM_WRAPPER_DEBUGLEVEL=2 \
    PAM_WRAPPER_SERVICE_DIR=$FLUX_TEST_TRASH/pam.d pamtester -v noguest $user1 acct_mgmt
NOGUEST
test_expect_success 'run as root, the module asks as the user: an instance without guests refuses' '
    test_must_fail flux start bash noguest.sh 2>err &&
    grep "access denied to $user1: cannot ask the broker at local://" err &&
    test_must_fail grep "no running job" err
'
test_expect_success 'once the job has ended, user1 is denied on rank 1 too' '
    flux cancel $(cat job1) &&
    flux job wait-event -t 30 $(cat job1) clean &&
    test_must_fail pam_acct rank1 $user1 2>err &&
    grep "no running job on rank 1" err
'
test_done
