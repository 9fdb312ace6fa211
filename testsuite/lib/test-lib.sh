# test-lib.sh - a small TAP test library for fluxd integration tests.
#
#   . "$(dirname "$0")/lib/test-lib.sh"
#   test_under_flux 4            # re-run this script inside a size-4 instance
#   test_expect_success 'what' 'commands'
#   test_done
#
# Environment (set by make check): FLUX_BUILD_DIR, FLUX_SOURCE_DIR.
# FLUX_TEST_VERBOSE=1 shows each test's output; FLUX_TEST_TIMEOUT bounds a
# whole file (default 300 s).

: "${FLUX_SOURCE_DIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${FLUX_BUILD_DIR:=$FLUX_SOURCE_DIR}"
export FLUX_SOURCE_DIR FLUX_BUILD_DIR
export PATH="$FLUX_BUILD_DIR/src/cmd:$FLUX_BUILD_DIR/testsuite/helpers:$PATH"
export FLUX_BROKER_PATH="$FLUX_BUILD_DIR/src/fluxd/fluxd"
export FLUX_MODULE_PATH="$FLUX_BUILD_DIR/testsuite/modules/.libs"
export LC_ALL=C

test_count=0
test_failed=0
test_skipped=0
SHARNESS_TEST_FILE="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
TEST_NAME=$(basename "$0" .t)
TEST_DIRECTORY="$FLUX_SOURCE_DIR/testsuite"

# A scratch directory per test file, removed on success.
if test -z "$FLUX_TEST_TRASH"; then
    FLUX_TEST_TRASH=$(mktemp -d "${TMPDIR:-/tmp}/fluxtest-$TEST_NAME.XXXXXX") || exit 1
    export FLUX_TEST_TRASH
fi
cd "$FLUX_TEST_TRASH" || exit 1

say() { echo "# $*"; }

_run_test() {
    # Run in a subshell so 'exit' or a failing command ends only this test.
    if test -n "$FLUX_TEST_VERBOSE"; then
        (set -e; eval "$1") 2>&1 | sed 's/^/# /'
        return "${PIPESTATUS[0]}"
    fi
    (set -e; eval "$1") >"$FLUX_TEST_TRASH/.out" 2>&1
}

test_expect_success() {
    local prereq=""
    if test $# -eq 3; then prereq=$1; shift; fi
    test_count=$((test_count + 1))
    if test -n "$prereq" && ! test_have_prereq "$prereq"; then
        echo "ok $test_count # skip $1 (missing $prereq)"
        test_skipped=$((test_skipped + 1))
        return 0
    fi
    if _run_test "$2"; then
        echo "ok $test_count - $1"
    else
        echo "not ok $test_count - $1"
        test_failed=$((test_failed + 1))
        if test -z "$FLUX_TEST_VERBOSE"; then
            sed 's/^/#   /' "$FLUX_TEST_TRASH/.out" | tail -40
        fi
        printf '%s\n' "$2" | sed 's/^/#   | /'
    fi
}

test_skip_all() {
    echo "1..0 # SKIP $*"
    exit 0
}

# Prerequisites: test_set_prereq NAME; test_have_prereq NAME.
test_set_prereq() { eval "prereq_$1=1"; }
test_have_prereq() { eval "test -n \"\$prereq_$1\""; }

# Succeed if the command fails normally (not killed by a signal).
test_must_fail() {
    "$@"
    local rc=$?
    if test $rc -eq 0; then
        echo >&2 "test_must_fail: '$*' succeeded"
        return 1
    fi
    if test $rc -gt 128 && test $rc -ne 255; then
        echo >&2 "test_must_fail: '$*' died of signal $((rc - 128))"
        return 1
    fi
    return 0
}

# Succeed if the command exits with exactly CODE: test_expect_code 3 cmd...
test_expect_code() {
    local want=$1; shift
    "$@"
    local rc=$?
    test $rc -eq "$want" && return 0
    echo >&2 "test_expect_code: '$*' exited $rc, expected $want"
    return 1
}

# Compare EXPECTED and ACTUAL files, showing a diff when they differ.
test_cmp() { diff -u "$1" "$2"; }

# Succeed if FILE exists and is empty.
test_must_be_empty() {
    test -f "$1" && ! test -s "$1" && return 0
    echo >&2 "test_must_be_empty: '$1' is not empty:"; cat >&2 "$1"
    return 1
}

test_debug() { test -n "$FLUX_TEST_VERBOSE" && eval "$1"; return 0; }

# Wait until CMD succeeds, up to SECONDS (polling every 0.1 s).
wait_for() {
    local secs=$1; shift
    local i=0 n=$((secs * 10))
    while test $i -lt $n; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
        i=$((i + 1))
    done
    echo >&2 "wait_for: '$*' did not succeed in ${secs}s"
    return 1
}

# Re-run this test file as the initial program of a fresh instance of SIZE.
test_under_flux() {
    local size=${1:-1}; shift
    if test -n "$FLUX_TEST_UNDER_FLUX"; then
        return 0
    fi
    export FLUX_TEST_UNDER_FLUX=$size
    exec timeout --kill-after=10 "${FLUX_TEST_TIMEOUT:-300}" \
        flux start --test-size="$size" "$@" /bin/bash "$SHARNESS_TEST_FILE"
}

# URI of rank R's local socket in a test instance started by flux start.
rank_uri() {
    echo "local://$(dirname "$(flux getattr rundir)")/rank-$1/local"
}

# Run a flux command against rank R: on_rank R flux getattr rank
on_rank() {
    local r=$1; shift
    FLUX_URI=$(rank_uri "$r") "$@"
}

test_done() {
    echo "1..$test_count"
    if test $test_failed -gt 0; then
        say "failed $test_failed of $test_count tests (trash kept in $FLUX_TEST_TRASH)"
        exit 1
    fi
    cd / && rm -rf "$FLUX_TEST_TRASH"
    exit 0
}

test "$(id -u)" = 0 && test_set_prereq ROOT
command -v ip >/dev/null 2>&1 && test_set_prereq IPROUTE
true
