#!/bin/bash
# Signed jobspec J (doc/design/signed-jobspec.md): flux_job_submit signs
# with none as the owner and munge as a guest; job-ingest verifies J and
# refuses forged, tampered, replayed, expired and invalid credentials, and
# none from a guest when [ingest] allow-guest-none is false; J is kept as
# job.<id>.J.  The test starts its own munged daemons.
. "$(dirname "$0")/lib/test-lib.sh"

command -v munged >/dev/null && command -v mungekey >/dev/null \
    || test_skip_all "munged and mungekey are not installed (Debian: munge)"
command -v basenc >/dev/null || test_skip_all "basenc (coreutils) is missing"

guest=fluxguest
if test_have_prereq ROOT && command -v runuser >/dev/null; then
    if id -u $guest >/dev/null 2>&1 || useradd --system --no-create-home $guest 2>/dev/null; then
        runuser -u $guest -- test -x "$FLUX_BUILD_DIR/src/cmd/flux" && test_set_prereq GUEST
    fi
fi

# start_munged NAME KEY: a munged with its socket at $MUNGE_DIR/NAME.sock.
start_munged() {
    munged --socket="$MUNGE_DIR/$1.sock" --key-file="$2" --pid-file="$MUNGE_DIR/$1.pid" \
        --log-file="$MUNGE_DIR/$1.log" --seed-file="$MUNGE_DIR/$1.seed" </dev/null >/dev/null \
        2>"$MUNGE_DIR/$1.err"
}
stop_munged() {
    local f
    for f in "$MUNGE_DIR"/*.pid; do
        test -f "$f" && kill "$(cat "$f")" 2>/dev/null
    done
    rm -rf "$MUNGE_DIR"
    return 0
}

if test -z "$FLUX_TEST_UNDER_FLUX"; then
    MUNGE_DIR=$(mktemp -d /tmp/fluxmunge.XXXXXX) && chmod 755 "$MUNGE_DIR" || exit 1
    export MUNGE_DIR
    mungekey -c -k "$MUNGE_DIR/key" && mungekey -c -k "$MUNGE_DIR/other.key" \
        && start_munged main "$MUNGE_DIR/key" \
        && start_munged other "$MUNGE_DIR/other.key" \
        || { stop_munged; test_skip_all "munged cannot be started"; }
    export FLUX_MUNGE_SOCKET="$MUNGE_DIR/main.sock"
fi
test_under_flux 1 -Singest.allow-guest-none=false -Saccess.allow-guest-user=true
trap stop_munged EXIT
chmod 755 "$FLUX_TEST_TRASH"

as_guest() {
    runuser -u $guest -- env FLUX_URI="$FLUX_URI" PATH="$PATH" \
        FLUX_MUNGE_SOCKET="$FLUX_MUNGE_SOCKET" ${SIGN:+FLUX_SIGN_MECHANISM=$SIGN} "$@"
}
b64url() { basenc --base64url -w0 | tr -d '='; }
unb64url() {
    local s=$1
    while test $((${#s} % 4)) -ne 0; do s="$s="; done
    printf "%s" "$s" | basenc --base64url -d
}
# part N of the J in FILE (1 header, 2 payload, 3 signature)
jpart() { cut -d. -f"$2" "$1"; }

flux run --dry-run -n1 true >js.json

test_expect_success 'the owner submits with mechanism none (the fast path)' '
    id=$(flux submit -n1 true) &&
    test_must_fail flux kvs get "$(flux job id --to=kvs $id).J" &&
    flux job info $id J >J.owner &&
    unb64url "$(jpart J.owner 1)" >hdr &&
    printf "{\"version\":1,\"mechanism\":\"none\",\"userid\":%s}" $(id -u) >hdr.expected &&
    test_cmp hdr.expected hdr &&
    test "$(jpart J.owner 3)" = none &&
    unb64url "$(jpart J.owner 2)" >payload &&
    flux job info $id jobspec >stored &&
    test "$(cat stored)" = "$(cat payload)"
'
test_expect_success 'a --cc copy of the owner derives its J from its own stored jobspec' '
    ids=$(flux submit --cc=1-2 -n1 true) &&
    id=$(echo "$ids" | tail -1) &&
    flux job info $id J >J.cc &&
    unb64url "$(jpart J.cc 2)" >payload.cc &&
    flux job info $id jobspec >stored.cc &&
    test "$(cat stored.cc)" = "$(cat payload.cc)" &&
    grep "\"FLUX_JOB_CC\":\"2\"" payload.cc
'
test_expect_success 'J is stored exactly as submitted (pre-signed, munge)' '
    flux job sign --mechanism=munge js.json >J.munge &&
    id=$(flux job submit --flags=signed J.munge) &&
    flux job info $id J >J.stored &&
    test "$(cat J.stored)" = "$(cat J.munge)" &&
    flux job info $id jobspec >stored &&
    test "$(cat stored)" = "$(cat js.json)"
'
test_expect_success 'a replayed J is refused' '
    test_must_fail flux job submit --flags=signed J.munge 2>err &&
    grep "credential replayed" err
'
test_expect_success 'FLUX_SIGN_MECHANISM=munge signs the owner'"'"'s jobs with munge' '
    id=$(FLUX_SIGN_MECHANISM=munge flux submit -n1 true) &&
    flux job info $id J >J.m &&
    unb64url "$(jpart J.m 1)" | grep "\"mechanism\":\"munge\"" &&
    jpart J.m 3 | grep "^MUNGE:"
'
test_expect_success 'a tampered payload (one flipped character) is refused' '
    flux job sign --mechanism=munge js.json >J.t &&
    j=$(cat J.t) && h=$(jpart J.t 1) && k=$((${#h} + 20)) &&
    c=${j:$k:1} && if test "$c" = A; then n=B; else n=A; fi &&
    printf "%s%s%s\n" "${j:0:$k}" "$n" "${j:$((k + 1))}" >J.tampered &&
    test_must_fail flux job submit --flags=signed J.tampered 2>err &&
    grep "tampered" err
'
test_expect_success 'a tampered header (another userid) is refused' '
    flux job sign --mechanism=munge js.json >J.h &&
    printf "{\"version\":1,\"mechanism\":\"munge\",\"userid\":4242}" | b64url >h &&
    printf "%s.%s.%s\n" "$(cat h)" "$(jpart J.h 2)" "$(jpart J.h 3)" >J.htampered &&
    test_must_fail flux job submit --flags=signed J.htampered 2>err &&
    grep "tampered" err
'
test_expect_success 'a forged userid (credential of another uid) is refused' '
    printf "{\"version\":1,\"mechanism\":\"munge\",\"userid\":4242}" | b64url >h &&
    hp="$(cat h).$(b64url <js.json)" &&
    cred=$(munge -S "$FLUX_MUNGE_SOCKET" -s "$hp") &&
    printf "%s.%s\n" "$hp" "$cred" >J.forged &&
    test_must_fail flux job submit --flags=signed J.forged 2>err &&
    grep "header userid 4242 does not match the munge credential'"'"'s uid $(id -u)" err
'
test_expect_success 'an expired credential is refused' '
    t0=$(date +%s) &&
    FLUX_MUNGE_TTL=1 flux job sign --mechanism=munge js.json >J.exp &&
    unb64url "$(jpart J.exp 1)" | grep "\"mechanism\":\"munge\"" &&
    past() { test "$(date +%s)" -gt $((t0 + 2)); } &&
    wait_for 10 past &&
    test_must_fail flux job submit --flags=signed J.exp 2>err &&
    grep "credential expired" err
'
test_expect_success 'a credential of another munge key is refused as invalid' '
    FLUX_MUNGE_SOCKET=$MUNGE_DIR/other.sock flux job sign --mechanism=munge js.json >J.other &&
    test_must_fail flux job submit --flags=signed J.other 2>err &&
    grep "munge: invalid credential" err
'
test_expect_success 'malformed J are refused with the reason' '
    echo "not a J!" >J.bad &&
    test_must_fail flux job submit --flags=signed J.bad 2>err &&
    grep "not a J" err &&
    echo "a.b" >J.bad2 &&
    test_must_fail flux job submit --flags=signed J.bad2 2>err &&
    grep "three dot-separated parts" err &&
    printf "%s.%s.MUNGE:xyz:\n" "$(jpart J.owner 1)" "$(jpart J.owner 2)" >J.bad3 &&
    test_must_fail flux job submit --flags=signed J.bad3 2>err &&
    grep "the signature must be .none." err
'
test_expect_success 'a J whose munge credential is garbage is refused' '
    printf "%s.%s.MUNGE:AAAA:\n" "$(jpart J.m 1)" "$(jpart J.m 2)" >J.garbage &&
    test_must_fail flux job submit --flags=signed J.garbage 2>err &&
    grep "munge: invalid credential" err
'
test_expect_success 'the owner cannot sign with munge when munged is unreachable' '
    test_must_fail env FLUX_MUNGE_SOCKET=/nonexistent FLUX_SIGN_MECHANISM=munge \
        flux submit -n1 true 2>err &&
    grep "cannot reach munged" err
'
test_expect_success GUEST 'a guest signs with munge by default, and its J is kept' '
    id=$(as_guest flux submit -n1 true) &&
    flux job info $id J >J.guest &&
    printf "{\"version\":1,\"mechanism\":\"munge\",\"userid\":%s}" $(id -u $guest) >hdr.expected &&
    unb64url "$(jpart J.guest 1)" >hdr &&
    test_cmp hdr.expected hdr
'
test_expect_success GUEST 'mechanism none from a guest is refused' '
    SIGN=none test_must_fail as_guest flux submit -n1 true 2>err &&
    grep "mechanism none is accepted only from the instance owner" err
'
test_expect_success GUEST 'a guest'"'"'s J submitted by the owner is refused (userid mismatch)' '
    as_guest flux job sign --mechanism=munge <js.json >J.gsigned &&
    test_must_fail flux job submit --flags=signed J.gsigned 2>err &&
    grep "signed for userid $(id -u $guest) but submitted by userid $(id -u)" err
'
test_expect_success GUEST 'the owner'"'"'s none J submitted by a guest is refused' '
    test_must_fail as_guest flux job submit --flags=signed J.owner 2>err &&
    grep "mechanism none is accepted only from the instance owner" err
'
test_expect_success 'the instance still runs jobs after every refusal' '
    flux run -n1 true &&
    flux ping --count=1 0
'
test_expect_success GUEST 'a guest may submit with none where allow-guest-none is unset (test instance)' '
    flux start -Saccess.allow-guest-user=true sh -c "
        runuser -u $guest -- env FLUX_URI=\$FLUX_URI PATH=\$PATH FLUX_SIGN_MECHANISM=none \
            flux submit -n1 true"
'
test_expect_success GUEST 'a config-booted instance without the IMP takes a guest'"'"'s none too' '
    printf "[access]\nallow-guest-user = true\n" >noimp.toml &&
    flux start -c noimp.toml sh -c "
        runuser -u $guest -- env FLUX_URI=\$FLUX_URI PATH=\$PATH FLUX_SIGN_MECHANISM=none \
            flux submit -n1 true"
'
test_expect_success GUEST 'where guest jobs start through the IMP, a guest'"'"'s none is refused at submission' '
    printf "[access]\nallow-guest-user = true\n[exec]\nimp = \"%s\"\n" \
        "$FLUX_BUILD_DIR/src/imp/flux-imp" >imp.toml &&
    test_must_fail flux start -c imp.toml sh -c "
        runuser -u $guest -- env FLUX_URI=\$FLUX_URI PATH=\$PATH FLUX_SIGN_MECHANISM=none \
            flux submit -n1 true" 2>err &&
    grep "mechanism none is accepted only from the instance owner" err
'
test_done
