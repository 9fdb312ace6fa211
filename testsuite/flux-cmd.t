#!/bin/bash
# The flux command: help, version, unknown commands, FLUX_EXEC_PATH extensions, --help of built-ins, connect errors, hwloc info.
. "$(dirname "$0")/lib/test-lib.sh"

unset FLUX_URI

BUILTINS="start ping getattr setattr lsattr uri dmesg logger module overlay shutdown relay event hwloc"

test_expect_success 'flux --help lists the commands and succeeds' '
    flux --help >out 2>err &&
    test ! -s err &&
    grep -q "^Usage: flux " out &&
    for c in $BUILTINS; do
        grep -Eq "^  $c +[a-z]" out || { echo "missing $c"; exit 1; }
    done
'
test_expect_success 'flux -h and flux help print the same text' '
    flux --help >expected &&
    flux -h >out && cmp expected out &&
    flux help >out && cmp expected out
'
test_expect_success 'flux with no arguments fails with usage on stderr' '
    test_must_fail flux >out 2>err &&
    test ! -s out &&
    grep -q "^Usage: flux " err &&
    grep -Eq "^  start +" err
'
test_expect_success 'flux nosuchcmd fails with a clear message' '
    test_must_fail flux nosuchcmd >out 2>err &&
    test ! -s out &&
    grep -q "'"'"'nosuchcmd'"'"' is not a flux command" err
'
test_expect_success 'flux --version prints the version' '
    flux --version >out &&
    grep -Eqx "flux [0-9]+\.[0-9]+\.[0-9]+.*" out &&
    flux -V >out2 && cmp out out2 &&
    flux version >out3 && cmp out out3
'
test_expect_success 'flux --version matches the broker version attribute' '
    flux start flux getattr version >bver &&
    test "$(flux --version)" = "flux $(cat bver)"
'
test_expect_success 'setup: a site extension directory' '
    mkdir -p ext ext2 &&
    printf "#!/bin/sh\necho \"hello \$*\"\n" >ext/flux-hello &&
    chmod +x ext/flux-hello &&
    printf "#!/bin/sh\ntouch \"%s/noexec-ran\"\necho ran\n" "$PWD" >ext/flux-noexec &&
    chmod 644 ext/flux-noexec &&
    printf "#!/bin/sh\necho second\n" >ext2/flux-hello &&
    chmod +x ext2/flux-hello &&
    printf "#!/bin/sh\nexit 3\n" >ext2/flux-three &&
    chmod +x ext2/flux-three &&
    printf "#!/bin/sh\ntouch \"%s/ping-ran\"\n" "$PWD" >ext/flux-ping &&
    chmod +x ext/flux-ping
'
test_expect_success 'a flux-CMD on FLUX_EXEC_PATH runs with its arguments' '
    FLUX_EXEC_PATH=$PWD/ext flux hello a b >out &&
    echo "hello a b" >expected &&
    cmp expected out
'
test_expect_success 'the first FLUX_EXEC_PATH directory wins; later ones are searched' '
    FLUX_EXEC_PATH=$PWD/ext:$PWD/ext2 flux hello x >out &&
    echo "hello x" >expected && cmp expected out &&
    FLUX_EXEC_PATH=$PWD/ext2:$PWD/ext flux hello x >out &&
    echo "second" >expected && cmp expected out &&
    FLUX_EXEC_PATH=$PWD/ext::$PWD/ext2 test_expect_code 3 flux three
'
test_expect_success 'a non-executable flux-CMD is not run' '
    test_must_fail env FLUX_EXEC_PATH=$PWD/ext flux noexec >out 2>err &&
    ! test -e noexec-ran &&
    ! grep -q ran out &&
    grep -q "'"'"'noexec'"'"' is not a flux command" err
'
test_expect_success 'a built-in is not overridden by FLUX_EXEC_PATH' '
    FLUX_EXEC_PATH=$PWD/ext flux ping --help >out &&
    grep -q "^Usage: flux ping" out &&
    ! test -e ping-ran
'
test_expect_success 'without FLUX_EXEC_PATH the extension is not found' '
    test_must_fail env -u FLUX_EXEC_PATH flux hello 2>err &&
    grep -q "'"'"'hello'"'"' is not a flux command" err
'
test_expect_success 'built-ins accept --help and -h, print usage and exit 0' '
    for c in start ping getattr lsattr uri dmesg logger module overlay shutdown event hwloc; do
        flux $c --help >out 2>err || { echo "$c --help failed"; exit 1; }
        grep -q "^Usage: flux $c" out || { echo "$c --help: no usage"; exit 1; }
        flux $c -h >out 2>err || { echo "$c -h failed"; exit 1; }
        grep -q "^Usage: flux $c" out || { echo "$c -h: no usage"; exit 1; }
    done
'
test_expect_success 'flux setattr --help and flux relay --help print usage and exit 0' '
    for c in setattr relay; do
        flux $c --help >out 2>err || { echo "$c --help failed"; cat err; exit 1; }
        grep -q "^Usage: flux $c" out || { echo "$c --help: no usage"; exit 1; }
    done
'
test_expect_success 'commands fail clearly when FLUX_URI names a missing socket' '
    export FLUX_URI=local://$PWD/nonexistent/local &&
    for cmd in "getattr rank" "setattr log-stderr-level 5" "lsattr" "dmesg" \
               "logger hi" "module list" "ping --count=1 0" "event pub a" \
               "event sub a" "shutdown" "hwloc info" "overlay status"; do
        test_must_fail flux $cmd >out 2>err || exit 1
        grep -q "cannot connect" err || { echo "$cmd:"; cat err; exit 1; }
        grep -q "$PWD/nonexistent/local" err || { echo "$cmd: no path"; exit 1; }
    done
'
test_expect_success 'without FLUX_URI the message says it is not set' '
    test_must_fail env -u FLUX_URI flux getattr rank 2>err &&
    grep -q "FLUX_URI is not set" err
'
test_expect_success 'flux hwloc info sums the hardware of a size-2 instance' '
    flux start --test-size=2 flux hwloc info >out &&
    test $(wc -l <out) -eq 1 &&
    grep -Eqx "2 Machines, [0-9]+ Packages, [0-9]+ Cores, [0-9]+ PUs, [0-9]+ GPUs, [0-9]+ MiB memory" out &&
    cores=$(sed -E "s/.* ([0-9]+) Cores,.*/\1/" out) &&
    test "$cores" -gt 0 &&
    echo "$cores" >cores2 &&
    pus=$(sed -E "s/.* ([0-9]+) PUs,.*/\1/" out) &&
    test "$pus" -ge "$cores"
'
test_expect_success 'flux hwloc info of size 1 says 1 Machine, half the cores of size 2' '
    flux start flux hwloc info >out1 &&
    grep -Eq "^1 Machine, [0-9]+ Packages, [0-9]+ Cores," out1 &&
    c1=$(sed -E "s/.* ([0-9]+) Cores,.*/\1/" out1) &&
    test "$c1" -gt 0 &&
    test $((c1 * 2)) -eq "$(cat cores2)"
'
test_expect_success 'flux hwloc info -v shows one line per rank' '
    flux start --test-size=2 flux hwloc info -v >out &&
    test $(wc -l <out) -eq 3 &&
    grep -Eq "^rank 0 \(.*\): [0-9]+ Packages, [1-9][0-9]* Cores" out &&
    grep -Eq "^rank 1 \(.*\): [0-9]+ Packages, [1-9][0-9]* Cores" out &&
    tail -1 out | grep -q "^2 Machines,"
'
test_expect_success 'flux hwloc usage errors' '
    test_must_fail flux hwloc 2>err &&
    grep -q "Usage: flux hwloc info" err &&
    test_must_fail flux hwloc frob 2>err &&
    grep -q "Usage: flux hwloc info" err
'
test_done
