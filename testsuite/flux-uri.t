#!/bin/bash
# flux uri: passing through, converting and resolving URIs; the ssh connector end to end.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 1

FAKESSH="$TEST_DIRECTORY/fixtures/flux-uri-fakessh"
FLUXCMD="$FLUX_BUILD_DIR/src/cmd/flux"
SOCKPATH=${FLUX_URI#local://}

# ssh_flux URI CMD...: run a flux command through the fake ssh.
ssh_flux() {
    local uri=$1
    shift
    FLUX_SSH="$FAKESSH" FLUX_SSH_RCMD="$FLUXCMD" FLUX_URI="$uri" timeout 10 "$@"
}

test_expect_success 'flux uri echoes a local URI' '
    flux uri local:///x/y >out &&
    test "$(cat out)" = "local:///x/y"
'
test_expect_success 'flux uri echoes an ssh URI' '
    flux uri ssh://me@host:2222/tmp/sock >out &&
    test "$(cat out)" = "ssh://me@host:2222/tmp/sock"
'
test_expect_success 'flux uri --remote turns a local URI into ssh://HOSTNAME/PATH' '
    flux uri --remote local:///x/y >out &&
    test "$(cat out)" = "ssh://$(hostname)/x/y"
'
test_expect_success 'flux uri --local turns an ssh URI into local:///PATH' '
    flux uri --local ssh://host/p >out &&
    test "$(cat out)" = "local:///p" &&
    flux uri --local ssh://me@host:22/a/b >out &&
    test "$(cat out)" = "local:///a/b"
'
test_expect_success '--local of a local URI and --remote of an ssh URI change nothing' '
    flux uri --local local:///a >out &&
    test "$(cat out)" = "local:///a" &&
    flux uri --remote ssh://host/p >out &&
    test "$(cat out)" = "ssh://host/p"
'
test_expect_success '--local and --remote together are rejected' '
    test_must_fail flux uri --local --remote local:///a 2>err &&
    grep -q Usage err
'
test_expect_success 'flux uri with no target is rejected' '
    test_must_fail flux uri 2>err &&
    grep -q Usage err
'
test_expect_success 'flux uri pid:$$ inside the instance gives FLUX_URI' '
    flux uri pid:$$ >out &&
    test "$(cat out)" = "$FLUX_URI"
'
test_expect_success 'flux uri pid:BROKER gives rank 0 local URI' '
    flux uri pid:$(flux getattr broker.pid) >out &&
    test "$(cat out)" = "$(flux getattr local-uri)"
'
test_expect_success 'pid of a nested instance broker gives that instance URI' '
    flux start sh -c "flux uri pid:\$(flux getattr broker.pid); echo \$FLUX_URI" >out &&
    test $(wc -l <out) -eq 2 &&
    test "$(sed -n 1p out)" = "$(sed -n 2p out)" &&
    test "$(sed -n 1p out)" != "$FLUX_URI"
'
test_expect_success 'a bad target is rejected: expected SCHEME' '
    test_must_fail flux uri foo 2>err &&
    grep -q "expected SCHEME" err
'
test_expect_success 'an unknown scheme is rejected' '
    test_must_fail flux uri foo://bar 2>err &&
    grep -q "unknown scheme" err
'
test_expect_success 'malformed ssh URIs are rejected' '
    test_must_fail flux uri ssh://host 2>err && grep -q "path" err &&
    test_must_fail flux uri ssh://host:99999/p 2>err && grep -q "out of range" err &&
    test_must_fail flux uri ssh://host:x/p 2>err && grep -q "port" err &&
    test_must_fail flux uri ssh://@host/p 2>err && grep -q "user" err &&
    test_must_fail flux uri "ssh://ho st/p" 2>err && grep -q "host" err
'
test_expect_success 'pid:99999999 fails' '
    test_must_fail flux uri pid:99999999 2>err &&
    grep -q "99999999" err
'
test_expect_success 'pid:notanumber fails' '
    test_must_fail flux uri pid:abc 2>err &&
    test -s err
'
test_expect_success 'the fake ssh fixture is executable' '
    test -x "$FAKESSH"
'
test_expect_success 'ssh connector: getattr size over ssh://localhost/PATH' '
    ssh_flux "ssh://localhost$SOCKPATH" flux getattr size >out &&
    test "$(cat out)" = 1
'
test_expect_success 'ssh connector: the ssh program gets host, rcmd, relay and path' '
    rm -f ssh.log &&
    FAKESSH_LOG=$PWD/ssh.log ssh_flux "ssh://localhost$SOCKPATH" flux getattr size &&
    test "$(cat ssh.log)" = "localhost $FLUXCMD relay $SOCKPATH"
'
test_expect_success 'ssh connector: user@host form' '
    rm -f ssh.log &&
    FAKESSH_LOG=$PWD/ssh.log ssh_flux "ssh://someone@localhost$SOCKPATH" flux getattr size >out &&
    test "$(cat out)" = 1 &&
    grep -q "^someone@localhost " ssh.log
'
test_expect_success 'ssh connector: host:port form passes -p PORT' '
    rm -f ssh.log &&
    FAKESSH_LOG=$PWD/ssh.log ssh_flux "ssh://localhost:2222$SOCKPATH" flux getattr size >out &&
    test "$(cat out)" = 1 &&
    grep -q "^-p 2222 localhost " ssh.log
'
test_expect_success 'ssh connector: user@host:port form' '
    ssh_flux "ssh://someone@localhost:2222$SOCKPATH" flux getattr size >out &&
    test "$(cat out)" = 1
'
test_expect_success 'ssh connector: several rpcs over one connection' '
    ssh_flux "ssh://localhost$SOCKPATH" flux ping --count=3 --interval=0.01 0 >out &&
    test $(wc -l <out) -eq 3
'
test_expect_success 'ssh connector: a URI from flux uri --remote works' '
    uri=$(flux uri --remote "$FLUX_URI") &&
    ssh_flux "$uri" flux getattr size >out &&
    test "$(cat out)" = 1
'
test_expect_success 'ssh connector: a socket that does not exist is an error' '
    test_must_fail ssh_flux "ssh://localhost/nonexistent/sock" flux getattr size 2>err &&
    test -s err
'
test_expect_success 'ssh connector: a missing FLUX_SSH program is an error, not a hang' '
    { FLUX_SSH=/nonexistent/ssh FLUX_URI="ssh://localhost$SOCKPATH" \
        timeout 10 flux getattr size 2>err; rc=$?; } &&
    echo "exit status $rc" &&
    test $rc -ne 0 && test $rc -ne 124 && test $rc -lt 128 &&
    grep -q "/nonexistent/ssh" err
'
test_expect_success 'ssh connector: an ssh that exits at once is an error, not a signal' '
    i=0 &&
    while test $i -lt 100; do
        { FLUX_SSH=true FLUX_URI="ssh://localhost$SOCKPATH" \
            timeout 10 flux getattr size 2>err; rc=$?; } &&
        if test $rc -ne 1; then
            echo "run $i: exit status $rc, expected 1"; cat err; exit 1
        fi &&
        test -s err || exit 1
        i=$((i + 1))
    done
'
test_done
