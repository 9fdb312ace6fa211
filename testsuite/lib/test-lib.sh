# test-lib.sh - fluxd's integration-test library: sharness plus our helpers.
#
#   . "$(dirname "$0")/lib/test-lib.sh"
#   test_under_flux 4            # re-run this script inside a size-4 instance
#   test_expect_success 'what' '
#       cmd1 &&
#       cmd2
#   '
#   test_done
#
# The TAP machinery (test_expect_success/failure, prerequisites,
# test_when_finished, test_must_fail, test_might_fail, test_expect_code,
# test_cmp, test_seq, test_done, --verbose/--debug/--immediate) is Debian's
# sharness (/usr/share/sharness/sharness.sh, package "sharness", the library
# flux-core's tests use).  On top of it we add:
#
#   - each body runs in a subshell: its cd, variables and "exit 1" stay in
#     that one test (test_when_finished still works: it runs in there too);
#   - a chain lint before each body (lib/chain-lint.awk plus git's
#     "(exit 117) && BODY" check): a body whose commands are not all joined
#     by && (or end the test on failure with "|| exit 1"/"|| return 1")
#     stops the file with "Bail out!", so a failing command in the middle
#     of a body always fails the test.  FLUX_TEST_CHAIN_LINT=0 disables it;
#   - a failing test's output is shown in the log (as TAP comments) even
#     without --verbose;
#   - the trash directory is /tmp/fluxtest-NAME.XXXXXX (no space, short
#     enough for the sockets of instances started in it), kept on failure;
#   - test_under_flux, wait_for, rank_uri, on_rank, test_skip_all, and the
#     ROOT and IPROUTE prerequisites.
#
# Environment (set by make check): FLUX_BUILD_DIR, FLUX_SOURCE_DIR.
# FLUX_TEST_VERBOSE=1 is --verbose; FLUX_TEST_TIMEOUT bounds a file run
# under test_under_flux (default 300 s); SHARNESS_LIB names another copy of
# sharness.sh.

: "${FLUX_SOURCE_DIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${FLUX_BUILD_DIR:=$FLUX_SOURCE_DIR}"
export FLUX_SOURCE_DIR FLUX_BUILD_DIR
export PATH="$FLUX_BUILD_DIR/src/cmd:$FLUX_BUILD_DIR/testsuite/helpers:$PATH"
export FLUX_BROKER_PATH="$FLUX_BUILD_DIR/src/fluxd/fluxd"
export FLUX_MODULE_PATH="$FLUX_BUILD_DIR/testsuite/modules/.libs"

: "${SHARNESS_LIB:=/usr/share/sharness/sharness.sh}"
if ! test -r "$SHARNESS_LIB"; then
    echo "Bail out! $SHARNESS_LIB not found: install sharness (scripts/install-deps.sh)"
    exit 1
fi

TEST_NAME=$(basename "$0" .t)
TEST_DIRECTORY="$FLUX_SOURCE_DIR/testsuite"
flux_test_file="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
flux_test_args=("$@")
: "${test_description:=$TEST_NAME}"

# A scratch directory per test file (shared by the re-run under
# test_under_flux), removed when every test passed.
if test -z "$FLUX_TEST_TRASH"; then
    FLUX_TEST_TRASH=$(mktemp -d "${TMPDIR:-/tmp}/fluxtest-$TEST_NAME.XXXXXX") || exit 1
    export FLUX_TEST_TRASH
fi

# What sharness reads when it is sourced: its options, where its trash
# goes (we move it to FLUX_TEST_TRASH below), no test-results/ directory
# (HARNESS_ACTIVE: automake's tap-driver reads our TAP).
test -n "$FLUX_TEST_VERBOSE" && set -- --verbose "$@"
export SHARNESS_TEST_DIRECTORY="$TEST_DIRECTORY"
export SHARNESS_BUILD_DIRECTORY="$FLUX_BUILD_DIR/src/cmd"
HARNESS_ACTIVE=t
root=$FLUX_TEST_TRASH
# shellcheck source=/dev/null
. "$SHARNESS_LIB"
set --

# Use the trash directory itself, not the "trash directory.NAME" inside it
# (a space in every path the tests build).
cd "$FLUX_TEST_TRASH" && rmdir "$SHARNESS_TRASH_DIRECTORY" || exit 1
SHARNESS_TRASH_DIRECTORY=$FLUX_TEST_TRASH
HOME=$FLUX_TEST_TRASH
test "$debug" = t || remove_trash=$FLUX_TEST_TRASH
SHARNESS_TEST_FILE=$flux_test_file

# Run a body (or cleanup) in a subshell; its test_when_finished commands
# run in there when it ends, however it ends.  Replaces sharness's own.
flux_eval_() {
    (
        test_cleanup=:
        trap 'eval_ret=$?; trap - EXIT; eval "$test_cleanup"; exit $eval_ret' EXIT
        eval "$1"
    ) </dev/null
}
test_eval_() {
    if test "$verbose" = t; then
        flux_eval_ "$*" 2>&1 | sed 's/^/# /' >&3
        return "${PIPESTATUS[0]}"
    fi
    flux_eval_ "$*" >&3 2>&4
}

flux_bail_() {
    echo "Bail out! $*"
    EXIT_OK=t
    exit 1
}

# flux_chain_lint_ [PREREQ] TITLE BODY: stop the file on a broken chain.
flux_chain_lint_() {
    local body=${!#} title out
    test "${FLUX_TEST_CHAIN_LINT:-1}" = 0 && return 0
    if test $# -eq 3; then title=$2; else title=$1; fi
    if ! out=$(printf '%s\n' "$body" | awk -f "$TEST_DIRECTORY/lib/chain-lint.awk"); then
        printf '%s\n' "$out" | sed 's/^/# /'
        flux_bail_ "broken &&-chain in test $((test_count + 1)) '$title' (see lines above)"
    fi
    # git's check: with an intact chain nothing after "(exit 117) &&" runs.
    if test $# -eq 3 && ! test_have_prereq "$1"; then
        return 0
    fi
    test_eval_ "(exit 117) && $body" 3>/dev/null 4>/dev/null
    if test $? -ne 117; then
        flux_bail_ "broken &&-chain in test $((test_count + 1)) '$title'"
    fi
}

# Show a failed test's output (captured in .out) as TAP comments.
flux_run_captured_() {
    local fn=$1 failed=$test_failure; shift
    flux_chain_lint_ "$@"
    if test "$verbose" = t; then
        "$fn" "$@"
        return 0
    fi
    exec 3>"$FLUX_TEST_TRASH/.out" 4>&3
    "$fn" "$@"
    exec 3>/dev/null 4>/dev/null
    if test "$test_failure" != "$failed"; then
        # Skip sharness's "expecting success: BODY" lines.
        local skip
        skip=$(printf '%s\n' "${!#}" | wc -l)
        echo "#   output:"
        tail -n +$((skip + 1)) "$FLUX_TEST_TRASH/.out" | tail -40 | sed 's/^/#   /'
    fi
    return 0
}
eval "sharness_$(declare -f test_expect_success)"
eval "sharness_$(declare -f test_expect_failure)"
test_expect_success() { flux_run_captured_ sharness_test_expect_success "$@"; }
test_expect_failure() { flux_run_captured_ sharness_test_expect_failure "$@"; }

eval "sharness_$(declare -f test_done)"
test_done() {
    if test "$test_failure" != 0; then
        echo "# trash kept in $FLUX_TEST_TRASH"
    fi
    sharness_test_done
}

# Skip the whole file: test_skip_all REASON (before any test ran).
test_skip_all() {
    skip_all="$*"
    test_done
}

# Succeed if FILE exists and is empty.
test_must_be_empty() {
    test -f "$1" && ! test -s "$1" && return 0
    echo >&2 "test_must_be_empty: '$1' is not empty or does not exist:"
    cat >&2 "$1"
    return 1
}

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

# Re-run this test file as the initial program of a fresh instance of SIZE:
# test_under_flux SIZE [flux start options...]
test_under_flux() {
    local size=${1:-1}; shift
    if test -n "$FLUX_TEST_UNDER_FLUX"; then
        return 0
    fi
    export FLUX_TEST_UNDER_FLUX=$size
    EXIT_OK=t
    exec timeout --kill-after=10 "${FLUX_TEST_TIMEOUT:-300}" \
        flux start --test-size="$size" "$@" \
        /bin/bash "$flux_test_file" "${flux_test_args[@]}"
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

test "$(id -u)" = 0 && test_set_prereq ROOT
command -v ip >/dev/null 2>&1 && test_set_prereq IPROUTE
true
