#!/bin/bash
# flux kvs across instances: a kept statedir persists the KVS, a temporary one does not; guest access.
. "$(dirname "$0")/lib/test-lib.sh"

test_expect_success 'a value put in one instance is found by the next with the same statedir' '
    flux start -Sstatedir=$PWD/state flux kvs put p=persist &&
    test -f state/kvs.sqlite &&
    flux start -Sstatedir=$PWD/state flux kvs get p >out &&
    test "$(cat out)" = persist
'
# The broker holds the database for itself (SQLite's unix-excl VFS: no
# fcntl locks per transaction, doc/design/kvs-sqlite.md): another process
# cannot read it while the broker runs, and can once it has exited.
python3 -c "import sqlite3" 2>/dev/null && test_set_prereq PYSQLITE
test_expect_success PYSQLITE 'the running broker holds kvs.sqlite; it is readable after exit' '
    cat >peek.py <<-EOF &&
	import sqlite3, sys
	db = sqlite3.connect(sys.argv[1], timeout=0.2)
	print(db.execute("SELECT value FROM kv WHERE key = ?", ("p",)).fetchone()[0])
	EOF
    test_must_fail flux start -Sstatedir=$PWD/state python3 peek.py state/kvs.sqlite 2>err &&
    grep -q "database is locked" err &&
    python3 peek.py state/kvs.sqlite >peek.out &&
    test "$(cat peek.out)" = "\"persist\""
'
test_expect_success 'directories, JSON values, appends and unlinks persist' '
    flux start -Sstatedir=$PWD/state sh -c "
        flux kvs put -j d.a.b=\"{\\\"x\\\":[1,2]}\" d.n=7 &&
        flux kvs put d.log=one &&
        flux kvs put -A d.log=-two &&
        flux kvs put gone.x=1 &&
        flux kvs unlink gone" &&
    flux start -Sstatedir=$PWD/state sh -c "
        flux kvs dir -R d && flux kvs ls >ls.out" >out &&
    printf "%s\n" "d.log = \"one-two\"" "d.n = 7" "d.a.b = {\"x\":[1,2]}" >expected &&
    cmp expected out &&
    grep -qx d. ls.out && grep -qx p ls.out && ! grep -q "^gone" ls.out &&
    test_must_fail flux start -Sstatedir=$PWD/state flux kvs get gone.x
'
test_expect_success 'namespaces, owners and versions persist; versions keep counting' '
    flux start -Sstatedir=$PWD/state sh -c "
        flux kvs namespace create -o 4321 keepns &&
        flux kvs put -N keepns k=v &&
        flux kvs put -N keepns k=w &&
        flux kvs namespace list" >list1 &&
    grep -Eq "^keepns +4321 +2$" list1 &&
    pv=$(grep "^primary " list1 | awk "{print \$3}") &&
    flux start -Sstatedir=$PWD/state sh -c "
        flux kvs get -N keepns k &&
        flux kvs put -N keepns k=x &&
        flux kvs namespace list" >list2 &&
    head -1 list2 | grep -qx w &&
    grep -Eq "^keepns +4321 +3$" list2 &&
    pv2=$(grep "^primary " list2 | awk "{print \$3}") &&
    test $pv -gt 0 && test $pv2 -ge $pv
'
test_expect_success 'a removed namespace stays removed' '
    flux start -Sstatedir=$PWD/state flux kvs namespace remove keepns &&
    flux start -Sstatedir=$PWD/state flux kvs namespace list >out &&
    ! grep -q "^keepns " out &&
    test_must_fail flux start -Sstatedir=$PWD/state flux kvs get -N keepns k
'
test_expect_success 'a size-4 instance persists through rank 0, read back by a size-1 instance' '
    mkdir state4 &&
    flux start --test-size=4 -Sstatedir=$PWD/state4 sh -c "
        FLUX_URI=\$(dirname \$(flux getattr rundir))/rank-3/local &&
        FLUX_URI=local://\$FLUX_URI flux kvs put from.rank3=yes" &&
    flux start -Sstatedir=$PWD/state4 flux kvs get from.rank3 >out &&
    test "$(cat out)" = yes
'
test_expect_success 'the brokers of a size-4 instance can all create one new statedir' '
    # -S sets statedir on every broker: they race to create it (try 50 times)
    for i in $(seq 1 50); do
        flux start --test-size=4 -Sstatedir=$PWD/race.$i flux kvs put i=$i 2>err.$i ||
            { cat err.$i; exit 1; }
    done &&
    flux start -Sstatedir=$PWD/race.50 flux kvs get i >out &&
    test "$(cat out)" = 50
'
test_expect_success 'a committed value survives fluxd being killed with -9' '
    { flux start -Sstatedir=$PWD/state sh -c \
        "flux kvs put crash.v=durable && kill -9 \$(flux getattr broker.pid); sleep 10"; rc=$?; } &&
    test $rc -ne 0 &&
    flux start -Sstatedir=$PWD/state flux kvs get crash.v >out &&
    test "$(cat out)" = durable
'
test_expect_success '1000 keys persist' '
    args=$(seq 1 1000 | while read i; do printf "big.k%04d=%d\\n" $i $i; done) &&
    flux start -Sstatedir=$PWD/state flux kvs put $args &&
    flux start -Sstatedir=$PWD/state flux kvs ls big >out &&
    test $(wc -l <out) -eq 1000
'
test_expect_success 'a temporary statedir and its KVS are gone after the instance exits' '
    flux start sh -c "flux kvs put tmp=1 && flux getattr statedir" >sd &&
    test -n "$(cat sd)" &&
    ! test -e "$(cat sd)" &&
    test_must_fail flux start flux kvs get tmp 2>err &&
    grep -q "key '\''tmp'\'' not found" err
'
test_expect_success 'a statedir holding something that is not a database is a clear error' '
    mkdir -p bad &&
    echo "this is not sqlite, just some text long enough to be a header" >bad/kvs.sqlite &&
    test_must_fail flux start -Sstatedir=$PWD/bad true 2>err &&
    grep -q "kvs" err
'

# Access: another user may use only namespaces it owns.
guest=fluxguest
if test_have_prereq ROOT && command -v runuser >/dev/null &&
    { id -u $guest >/dev/null 2>&1 || useradd --system --no-create-home $guest 2>/dev/null; } &&
    runuser -u $guest -- test -x "$FLUX_BUILD_DIR/src/cmd/flux"; then
    test_set_prereq GUEST
    guest_uid=$(id -u $guest)
    chmod 755 "$FLUX_TEST_TRASH"
fi
cat >guest.sh <<GUEST
set -e
as() { runuser -u $guest -- env FLUX_URI=\$FLUX_URI PATH=\$PATH "\$@"; }
flux kvs put secret=owner-only
flux kvs namespace create -o $guest_uid guestns
flux kvs namespace create -o 54321 otherns
flux kvs put -N otherns k=other
fails() { if "\$@" 2>>fail.err; then echo "unexpectedly allowed: \$*"; exit 1; fi; }
fails as flux kvs get secret
fails as flux kvs put secret=guest
fails as flux kvs ls
fails as flux kvs watch secret
fails as flux kvs get -N otherns k
fails as flux kvs put -N otherns k=guest
fails as flux kvs namespace create mine
fails as flux kvs namespace remove guestns
fails as flux kvs namespace list
test "\$(flux kvs get secret)" = owner-only
test "\$(flux kvs get -N otherns k)" = other
as flux kvs put -N guestns mykey=guest-was-here
as flux kvs get -N guestns mykey
as flux kvs ls -N guestns
test "\$(flux kvs get -N guestns mykey)" = guest-was-here
echo guest-done
GUEST
test_expect_success GUEST 'a guest cannot read or write namespaces it does not own' '
    { flux start --test-size=2 -Saccess.allow-guest-user=true bash guest.sh >out 2>&1 ||
        { cat out; false; }; } &&
    grep -qx guest-done out &&
    grep -qx guest-was-here out &&
    grep -qx mykey out &&
    grep -q "guests may reach only their own jobs" fail.err &&
    grep -q "namespace '\''otherns'\'' belongs to another user" fail.err &&
    grep -q "owner credentials" fail.err
'
test_done
