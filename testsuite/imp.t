#!/bin/bash
# flux-imp(8), the setuid launcher: `imp exec` verifies the caller
# (exec.allowed-users), the shell (exec.allowed-shells, realpath) and the
# signed jobspec J (munge), then runs the shell as J's user with its groups;
# `imp kill` signals only a job shell's processes.  Last, an instance whose
# broker runs as an unprivileged user runs a guest's job as the guest
# through a setuid copy of the IMP ([exec] imp), and cancels it through
# `imp kill`.  Needs root (users, setuid) and munged (a private one is
# started here, on its own key and socket).
. "$(dirname "$0")/lib/test-lib.sh"

test_have_prereq ROOT || test_skip_all "needs root (useradd, setuid, privilege drop)"
command -v munged >/dev/null && command -v munge >/dev/null ||
    test_skip_all "munged/munge not installed (Debian munge)"
IMP=$FLUX_BUILD_DIR/src/imp/flux-imp
test -x "$IMP" || test_skip_all "flux-imp not built (libmunge-dev missing)"

cd "$FLUX_TEST_TRASH" || exit 1
chmod 755 "$FLUX_TEST_TRASH"

for g in impgrp; do
    getent group $g >/dev/null || groupadd $g || exit 1
done
for u in impflux impguest impother; do
    id -u $u >/dev/null 2>&1 || useradd -M -s /bin/sh -d /nonexistent $u || exit 1
done
usermod -aG impgrp impguest || exit 1
guest_uid=$(id -u impguest)
grp_gid=$(getent group impgrp | cut -d: -f3)

# A private munged (stopped by the last test).
dd if=/dev/urandom of=munge.key bs=128 count=1 2>/dev/null && chmod 600 munge.key || exit 1
SOCK=$FLUX_TEST_TRASH/munge.sock
# Its stdio is not the test's: a daemon holding the TAP pipe would keep the
# harness waiting after a bail-out.
munged -f --socket=$SOCK --key-file=munge.key --log-file=$PWD/munged.log \
    --pid-file=$PWD/munged.pid --seed-file=$PWD/munged.seed </dev/null >munged.out 2>&1 ||
    test_skip_all "cannot start munged"
chmod 755 "$FLUX_TEST_TRASH"

b64url() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
# makej USER MECH UID [PAYLOAD]: a J with header userid UID, signed by USER.
makej() {
    local h p sig
    h=$(b64url "{\"version\":1,\"mechanism\":\"$2\",\"userid\":$3}") &&
    p=$(b64url "${4:-{\"version\":1\}}") &&
    if test "$2" = none; then sig=none; else
        sig=$(printf '%s.%s' "$h" "$p" | runuser -u "$1" -- munge -S $SOCK) || return 1
    fi &&
    printf '%s.%s.%s\n' "$h" "$p" "$sig"
}

cat >shell.sh <<'EOT'
#!/bin/sh
echo "uid=$(id -u) gid=$(id -g) groups=$(id -G | tr ' ' ,) user=$USER args=$* foo=${FOO:-unset}"
cat
EOT
chmod 755 shell.sh
cp "$(command -v sleep)" sleeper && chmod 755 sleeper
ln -sf shell.sh shell-link
mkdir conf &&
cat >conf/imp.toml <<EOT
[exec]
allowed-users = ["root"]
allowed-shells = ["$PWD/shell-link", "$PWD/sleeper"]
EOT
export FLUX_IMP_CONFIG_DIR=$PWD/conf FLUX_IMP_MUNGE_SOCKET=$SOCK

test_expect_success 'imp exec runs the shell as J'"'"'s user, with its groups and a clean environment' '
    makej impguest munge $guest_uid >J &&
    { cat J && echo "shell input"; } >in &&
    FOO=bar $IMP exec $PWD/shell.sh 42 <in >out 2>err &&
    head -1 out >id.out &&
    grep -q "^uid=$guest_uid gid=$(id -g impguest) " id.out &&
    grep -q "groups=.*$grp_gid" id.out &&
    grep -q "user=impguest args=42 foo=unset" id.out &&
    tail -1 out >rest &&
    echo "shell input" >expected && test_cmp expected rest
'
test_expect_success 'a replayed J is still accepted (each shell of a job decodes it)' '
    $IMP exec $PWD/shell.sh <J >out2 &&
    grep -q "^uid=$guest_uid " out2
'
test_expect_success 'a caller not in allowed-users is refused' '
    test_expect_code 1 runuser -u impother -- env FLUX_IMP_CONFIG_DIR=$PWD/conf \
        FLUX_IMP_MUNGE_SOCKET=$SOCK $IMP exec $PWD/shell.sh <J >out 2>err &&
    grep -q "flux-imp: caller impother (uid $(id -u impother)) is not in exec.allowed-users" err &&
    test_must_be_empty out
'
test_expect_success 'a shell not in allowed-shells is refused' '
    test_expect_code 1 $IMP exec /bin/sh -c id <J >out 2>err &&
    grep -q "flux-imp: shell /bin/sh is not in exec.allowed-shells" err &&
    test_must_be_empty out
'
test_expect_success 'a tampered J is refused (a payload byte, a credential byte)' '
    j=$(cat J) && p=${j#*.} && p=${p%%.*} &&
    if test "${p:3:1}" = A; then n=B; else n=A; fi &&
    printf "%s\n" "${j%%.*}.${p:0:3}$n${p:4}.${j#*.*.}" >J.payload &&
    ! cmp -s J J.payload &&
    test_expect_code 1 $IMP exec $PWD/shell.sh <J.payload >out 2>err &&
    grep -q "does not sign this header and payload" err &&
    test_must_be_empty out &&
    sig=${j#*.*.} && c=${sig:20:1} && if test "$c" = A; then n=B; else n=A; fi &&
    printf "%s\n" "${j%.*}.${sig:0:20}$n${sig:21}" >J.cred &&
    test_expect_code 1 $IMP exec $PWD/shell.sh <J.cred >out 2>err &&
    grep -q "munge credential refused" err &&
    test_must_be_empty out
'
test_expect_success 'a J whose header uid differs from its credential is refused' '
    makej root munge $guest_uid >J.root &&
    test_expect_code 1 $IMP exec $PWD/shell.sh <J.root >out 2>err &&
    grep -q "header userid $guest_uid differs from the munge credential.s uid 0" err &&
    test_must_be_empty out
'
test_expect_success 'mechanism none runs only as the caller itself' '
    makej root none $guest_uid >J.none &&
    test_expect_code 1 $IMP exec $PWD/shell.sh <J.none >out 2>err &&
    grep -q "mechanism none is accepted only for the caller.s own uid" err &&
    makej root none 0 >J.none0 &&
    $IMP exec $PWD/shell.sh <J.none0 >out &&
    grep -q "^uid=0 " out
'
test_expect_success 'malformed J and missing J are refused with the reason' '
    echo "abc" | test_expect_code 1 $IMP exec $PWD/shell.sh 2>err &&
    grep -q "J: expected HEADER.PAYLOAD.SIGNATURE" err &&
    echo "a*b.c.none" | test_expect_code 1 $IMP exec $PWD/shell.sh 2>err &&
    grep -q "J: header is not base64url" err &&
    test_expect_code 1 $IMP exec $PWD/shell.sh </dev/null 2>err &&
    grep -q "no J on stdin" err
'
test_expect_success 'configuration errors are named; no configuration, no exec' '
    mkdir bad1 && printf "[exec]\nallowed-user = [\"root\"]\n" >bad1/a.toml &&
    test_expect_code 1 env FLUX_IMP_CONFIG_DIR=$PWD/bad1 $IMP exec $PWD/shell.sh <J 2>err &&
    grep -q "bad1/a.toml:2:[0-9]*: exec: unknown key .allowed-user." err &&
    mkdir bad2 && printf "[exec]\nallowed-shells = [\"relative\"]\n" >bad2/a.toml &&
    test_expect_code 1 env FLUX_IMP_CONFIG_DIR=$PWD/bad2 $IMP exec $PWD/shell.sh <J 2>err &&
    grep -q "exec.allowed-shells\[0\]: expected a non-empty absolute path" err &&
    mkdir bad3 && printf "[exec\n" >bad3/a.toml &&
    test_expect_code 1 env FLUX_IMP_CONFIG_DIR=$PWD/bad3 $IMP exec $PWD/shell.sh <J 2>err &&
    grep -q "bad3/a.toml:1:" err &&
    mkdir empty &&
    test_expect_code 1 env FLUX_IMP_CONFIG_DIR=$PWD/empty $IMP exec $PWD/shell.sh <J 2>err &&
    grep -q "no configuration: .*empty holds no \*.toml file" err
'
test_expect_success 'unprivileged exec needs allow-unprivileged-exec and the caller'"'"'s own J' '
    mkdir unpriv && chmod 755 unpriv &&
    printf "[exec]\nallowed-users = [\"impother\"]\nallowed-shells = [\"$PWD/shell.sh\"]\n" \
        >unpriv/a.toml &&
    makej impother munge $(id -u impother) >J.other &&
    test_expect_code 1 runuser -u impother -- env FLUX_IMP_CONFIG_DIR=$PWD/unpriv \
        FLUX_IMP_MUNGE_SOCKET=$SOCK $IMP exec $PWD/shell.sh <J.other 2>err &&
    grep -q "not installed setuid root" err &&
    echo "allow-unprivileged-exec = true" >>unpriv/a.toml &&
    runuser -u impother -- env FLUX_IMP_CONFIG_DIR=$PWD/unpriv \
        FLUX_IMP_MUNGE_SOCKET=$SOCK $IMP exec $PWD/shell.sh <J.other >out &&
    grep -q "^uid=$(id -u impother) " out &&
    test_expect_code 1 runuser -u impother -- env FLUX_IMP_CONFIG_DIR=$PWD/unpriv \
        FLUX_IMP_MUNGE_SOCKET=$SOCK $IMP exec $PWD/shell.sh <J 2>err &&
    grep -q "not privileged: cannot run a job of uid $guest_uid" err
'
test_expect_success 'imp kill refuses a process that is not a job'"'"'s' '
    { sleep 300 & } && pid=$! &&
    test_expect_code 1 $IMP kill 15 $pid 2>err &&
    grep -q "kill: pid $pid is not a process of a job started by uid 0" err &&
    kill -0 $pid &&
    test_expect_code 1 $IMP kill 15 -$pid 2>err &&
    grep -q "has no leader\|is not a process of a job" err &&
    test_expect_code 1 $IMP kill 15 1 2>err &&
    grep -q "pid 1 is not a job.s process" err &&
    test_expect_code 1 $IMP kill 15 nonsense 2>err &&
    grep -q "kill: invalid pid .nonsense." err &&
    kill $pid
'
test_expect_success 'imp kill signals a job shell started through the IMP' '
    { $IMP exec $PWD/sleeper 300 <J & } && pid=$! &&
    wait_for 10 sh -c "test \$(stat -c %u /proc/$pid) = $guest_uid" &&
    $IMP kill 15 $pid &&
    test_expect_code 143 wait $pid
'

# --- a broker running as impflux, a guest's job through a setuid IMP ---
confdir=$($IMP version | sed -n "s/^flux-imp config //p")
suid=$(mktemp -d /var/tmp/imp-suid.XXXXXX) && chmod 755 "$suid" &&
cp "$IMP" "$suid/flux-imp" && chown root:root "$suid/flux-imp" && chmod 4755 "$suid/flux-imp"
case "$(findmnt -n -o OPTIONS -T "$suid")" in
    *nosuid*) ;;
    *) test -n "$confdir" && ! test -e "$confdir/imp-test.toml" && test_set_prereq SUID ;;
esac
SHELL_BIN=$FLUX_BUILD_DIR/src/shell/flux-shell
made=""
test_expect_success SUID 'set up the IMP configuration at its built-in path' '
    d=$confdir && while ! test -d "$d"; do made="$made $d" && d=$(dirname "$d") || return 1; done &&
    echo "$made" >made &&
    mkdir -p "$confdir" &&
    cat >"$confdir/imp-test.toml" <<-EOT &&
	[exec]
	allowed-users = ["impflux"]
	allowed-shells = ["$SHELL_BIN"]
	munge-socket = "$SOCK"
	EOT
    chmod 644 "$confdir/imp-test.toml" &&
    mkdir -m 1777 w w/jobout &&
    cat >w/broker.toml <<-EOT
	[exec]
	imp = "$suid/flux-imp"
	[access]
	allow-guest-user = true
	EOT
'
# The instance runs as impflux (its owner) in the background; the root test
# body acts as the owner and as the guest through runuser.  The guest signs
# with munge (flux_job_submit), job-ingest verifies J and keeps it as
# job.<id>.J, job-exec hands it to the setuid IMP.
cat >wait.sh <<'EOT'
echo "$FLUX_URI" >uri.tmp && mv uri.tmp uri
while ! test -e stop; do sleep 0.2; done
EOT
as_owner() { (cd w && runuser -u impflux -- env FLUX_URI="$(cat uri)" PATH="$PATH" "$@"); }
as_guest() {
    (cd w && runuser -u impguest -- env FLUX_URI="$(cat uri)" PATH="$PATH" \
        FLUX_MUNGE_SOCKET="$SOCK" "$@")
}
if test_have_prereq SUID && test -d w; then
    cp wait.sh w/ && chmod 644 w/wait.sh w/broker.toml &&
    (cd w && exec runuser -u impflux -- env PATH=$PATH FLUX_BUILD_DIR=$FLUX_BUILD_DIR \
        FLUX_BROKER_PATH=$FLUX_BROKER_PATH FLUX_MODULE_PATH=$FLUX_MODULE_PATH HOME=$PWD \
        FLUX_MUNGE_SOCKET=$SOCK timeout 300 flux start -c broker.toml bash wait.sh \
        >broker.out 2>&1 </dev/null) &
    echo $! >broker.pid
fi
test_expect_success SUID 'an instance owned by impflux starts with [exec] imp set' '
    wait_for 60 test -s w/uri &&
    test "$(as_owner flux getattr security.owner)" = "$(id -u impflux)"
'
test_expect_success SUID 'a guest'"'"'s job runs as the guest, with its groups, through the setuid IMP' '
    id=$(as_guest flux submit sh -c "echo \"\$(id -u) \$(id -g) \$(id -G | tr \" \" ,)\" >jobout/id; echo done >jobout/ran") &&
    as_owner flux job wait-event -t 60 $id clean &&
    as_owner flux job eventlog $id >eventlog.1 &&
    grep -q "finish status=0" eventlog.1 &&
    echo "$guest_uid $(id -g impguest) $(id -G impguest | tr " " ,)" >expected &&
    test_cmp expected w/jobout/id &&
    test "$(stat -c %U w/jobout/ran)" = impguest
'
test_expect_success SUID 'the guest cancels its job: the IMP kills the guest'"'"'s processes' '
    id2=$(as_guest flux submit sh -c "echo started >jobout/started; exec sleep 300") &&
    wait_for 30 test -s w/jobout/started &&
    ps -o user=,args= -p "$(pgrep -d, -u impguest -f "sleep 300")" >ps.out &&
    grep -q "^impguest .*sleep 300" ps.out &&
    as_guest flux cancel $id2 &&
    as_owner flux job wait-event -t 30 $id2 clean &&
    as_owner flux job eventlog $id2 >eventlog.2 &&
    grep -q "finish" eventlog.2 &&
    ! pgrep -u impguest -f "sleep 300"
'
test_expect_success SUID 'the guest'"'"'s none J is refused at submission, naming the mechanism' '
    test_must_fail as_guest env FLUX_SIGN_MECHANISM=none flux submit true 2>err &&
    grep "mechanism none is accepted only from the instance owner" err
'
test_expect_success SUID 'a guest job without its J in the KVS fails with the reason' '
    id3=$(as_guest flux submit --urgency=hold true) &&
    as_owner flux kvs unlink "$(flux job id --to=kvs $id3).J" &&
    as_owner flux job urgency $id3 default &&
    as_owner flux job wait-event -t 30 $id3 clean &&
    as_owner flux job eventlog $id3 >eventlog.3 &&
    grep -q "exception.*no signed jobspec" eventlog.3
'
test_expect_success SUID 'the instance stops' '
    touch w/stop &&
    pid=$(cat broker.pid) &&
    wait_for 30 eval "! kill -0 $pid"
'
test_expect_success 'clean up: munged, the setuid copy, the IMP configuration' '
    munged -s --socket=$SOCK &&
    rm -rf "$suid" &&
    if test -f made; then
        rm -f "$confdir/imp-test.toml" &&
        for d in $(cat made); do rmdir "$d" || return 1; done
    fi
'
test_done
