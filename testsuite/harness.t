#!/bin/bash
# The test library itself (lib/test-lib.sh on sharness): a failing command
# anywhere in a body fails the test, a body whose && chain is broken is
# refused, a body runs in its own subshell, and the helpers behave.  Each
# case writes a small test file and runs it as make check would.
. "$(dirname "$0")/lib/test-lib.sh"

# sub NAME BODY...: write NAME.t, a test file sourcing our library whose
# remaining lines are BODY (one argument per line).
sub() {
    local name=$1; shift
    {
        echo "#!/bin/bash"
        echo ". \"$TEST_DIRECTORY/lib/test-lib.sh\""
        printf '%s\n' "$@"
    } >"$name.t"
}

# run_sub NAME [ARGS]: run NAME.t in a clean environment (its own trash dir
# under ./tmp); its TAP goes to NAME.out, its exit status to NAME.rc.
run_sub() {
    local name=$1; shift
    mkdir -p tmp &&
    { env -u FLUX_TEST_TRASH -u FLUX_TEST_UNDER_FLUX -u FLUX_TEST_VERBOSE \
        -u SHARNESS_TRASH_DIRECTORY TMPDIR="$PWD/tmp" \
        bash "$name.t" "$@" >"$name.out" 2>&1; echo $? >"$name.rc"; }
}

rc_is() { test "$(cat "$1.rc")" = "$2" || { echo "$1: exit $(cat "$1.rc"), want $2"; cat "$1.out"; return 1; }; }

# First, without test_expect_success (a runner that passes every body would
# pass the tests below too): a failing middle command must give "not ok".
sub precheck 'test_expect_success "middle" "
    true &&
    false &&
    true
"' "test_done"
run_sub precheck
if test "$(cat precheck.rc)" != 1 || ! grep -qx "not ok 1 - middle" precheck.out; then
    sed 's/^/# /' precheck.out
    echo "Bail out! a body whose middle command fails was not reported as failing"
    EXIT_OK=t
    exit 1
fi

test_expect_success 'a failing command in the middle of a body fails the test' '
    sub middle "test_expect_success \"middle\" \"
    true &&
    false &&
    echo not-reached >reached
\"" "test_done" &&
    run_sub middle &&
    rc_is middle 1 &&
    grep -qx "not ok 1 - middle" middle.out &&
    ! test -e tmp/*/reached &&
    grep -qx "1..1" middle.out
'
test_expect_success 'a middle command whose && is missing: the file bails out' '
    sub broken "test_expect_success \"first\" true" \
        "test_expect_success \"broken\" \"
    false
    true
\"" "test_expect_success \"after\" true" "test_done" &&
    run_sub broken &&
    rc_is broken 1 &&
    grep -qx "ok 1 - first" broken.out &&
    grep -q "^# line 2: false$" broken.out &&
    grep -q "^Bail out! broken &&-chain in test 2 .broken." broken.out &&
    ! grep -q "ok 2" broken.out && ! grep -q "^1\.\." broken.out
'
test_expect_success 'with the lint off, that same body passes: the lint is what catches it' '
    FLUX_TEST_CHAIN_LINT=0 run_sub broken &&
    rc_is broken 0 &&
    grep -qx "ok 2 - broken" broken.out
'
test_expect_success 'the lint looks inside subshells, braces, if and case' '
    for body in "( true &&\n  false\n  true ) &&\n true" \
                "{ true\n  true; } &&\n true" \
                "if true; then\n  false\n  true\nfi" \
                "case x in\nx) false\n  true ;;\nesac"; do
        printf "test_expect_success \"nested\" \"\n$body\n\"\ntest_done\n" >body.in &&
        sub nested "$(cat body.in)" &&
        run_sub nested &&
        rc_is nested 1 &&
        grep -q "^Bail out! broken &&-chain" nested.out || return 1
    done
'
test_expect_success 'a status dropped by ";" is refused, in a line or a one-line loop' '
    for body in "true &&\n test -e nosuch; test -d . &&\n true" \
                "for i in 1 2; do test -e nosuch; test -d .; done &&\n true" \
                "{ test -e nosuch; test -d .; } &&\n true"; do
        printf "test_expect_success \"semi\" \"\n$body\n\"\ntest_done\n" >body.in &&
        sub semi "$(cat body.in)" &&
        run_sub semi &&
        rc_is semi 1 &&
        grep -q "^Bail out! broken &&-chain" semi.out || return 1
    done
'
test_expect_success 'a loop must stop the test on failure (|| return 1)' '
    sub loop "test_expect_success \"loop\" \"
    for i in 1 2 3; do
        test \\\$i -ne 2
    done
\"" "test_done" &&
    run_sub loop &&
    rc_is loop 1 &&
    grep -q "^Bail out! broken &&-chain" loop.out &&
    sub loop2 "test_expect_success \"loop\" \"
    for i in 1 2 3; do
        test \\\$i -ne 2 || return 1
    done
\"" "test_done" &&
    run_sub loop2 &&
    rc_is loop2 1 &&
    grep -qx "not ok 1 - loop" loop2.out
'
test_expect_success 'chained bodies with quotes, here-documents and case pass the lint' '
    cat >fine.t <<-EOF &&
	#!/bin/bash
	. "$TEST_DIRECTORY/lib/test-lib.sh"
	test_expect_success "fine" "
	    cat >f <<-\\\\END &&
	a line that does not end in &&
	END
	    x=\\"a
	    b\\" && # a comment
	    case \\\$x in
	    a*) echo yes ;;
	    *) exit 1 ;;
	    esac &&
	    for i in 1 2; do
	        test -n \\"\\\$i\\" || return 1
	    done &&
	    i=0 &&
	    while test \\\$i -lt 2; do
	        test -e f || exit 1
	        i=\\\$((i + 1))
	    done &&
	    { sleep 1 & pid=\\\$!; } &&
	    wait \\\$pid &&
	    test \\"\\\$(cat f)\\" = \\"a line that does not end in &&\\"
	"
	test_done
	EOF
    run_sub fine &&
    rc_is fine 0 &&
    grep -qx "ok 1 - fine" fine.out
'
test_expect_success 'each body runs in a subshell: cd, variables and exit stay in it' '
    sub iso "test_expect_success \"one\" \"cd / && v=1 && export W=2\"" \
        "test_expect_success \"two\" \"test \\\"\\\$PWD\\\" = \\\"\\\$FLUX_TEST_TRASH\\\" && test -z \\\"\\\$v\\\$W\\\"\"" \
        "test_expect_success \"three\" \"exit 3\"" \
        "test_expect_success \"four\" true" "test_done" &&
    run_sub iso &&
    rc_is iso 1 &&
    grep -qx "ok 1 - one" iso.out &&
    grep -qx "ok 2 - two" iso.out &&
    grep -qx "not ok 3 - three" iso.out &&
    grep -qx "ok 4 - four" iso.out &&
    grep -qx "1..4" iso.out
'
test_expect_success 'test_when_finished runs when the body fails, exits or passes' '
    sub fin "test_expect_success \"fails\" \"test_when_finished \\\"echo a >>$PWD/fin.log\\\" && false\"" \
        "test_expect_success \"exits\" \"test_when_finished \\\"echo b >>$PWD/fin.log\\\" && exit 1\"" \
        "test_expect_success \"passes\" \"test_when_finished \\\"echo c >>$PWD/fin.log\\\" && true\"" \
        "test_done" &&
    run_sub fin &&
    rc_is fin 1 &&
    printf "a\nb\nc\n" >expected &&
    test_cmp expected fin.log &&
    grep -qx "ok 3 - passes" fin.out
'
test_expect_success 'a failed test shows its output; the trash is kept and named' '
    sub out "test_expect_success \"noisy\" \"echo to-stdout && echo to-stderr >&2 && false\"" "test_done" &&
    run_sub out &&
    rc_is out 1 &&
    grep -q "^#   to-stdout$" out.out &&
    grep -q "^#   to-stderr$" out.out &&
    dir=$(sed -n "s/^# trash kept in //p" out.out) &&
    test -d "$dir" &&
    case "$dir" in "$PWD"/tmp/fluxtest-out.*) ;; *) false ;; esac
'
test_expect_success 'a file that passes removes its trash; --verbose shows output as comments' '
    sub quiet "test_expect_success \"q\" \"echo hello-out\"" "test_done" &&
    rm -rf tmp &&
    run_sub quiet &&
    rc_is quiet 0 &&
    ! grep -q hello-out quiet.out &&
    test -z "$(ls tmp)" &&
    run_sub quiet --verbose &&
    rc_is quiet 0 &&
    grep -q "^# hello-out$" quiet.out
'
test_expect_success 'known breakage, prerequisites and skip_all' '
    sub misc "test_expect_failure \"known\" false" \
        "test_expect_success NOSUCHPREREQ \"skipped\" false" \
        "test_set_prereq MINE" \
        "test_expect_success MINE \"has prereq\" true" "test_done" &&
    run_sub misc &&
    rc_is misc 0 &&
    grep -qx "not ok 1 - known # TODO known breakage" misc.out &&
    grep -q "^ok 2 # skip skipped (missing NOSUCHPREREQ)" misc.out &&
    grep -qx "ok 3 - has prereq" misc.out &&
    sub skip "test_skip_all \"no reason\"" &&
    run_sub skip &&
    rc_is skip 0 &&
    grep -qx "1..0 # SKIP no reason" skip.out
'
test_expect_success 'helpers: test_must_fail, test_expect_code, test_must_be_empty, wait_for' '
    test_must_fail false &&
    ! test_must_fail true &&
    ! test_must_fail sh -c "kill -9 \$\$" &&
    test_expect_code 3 sh -c "exit 3" &&
    ! test_expect_code 3 true 2>/dev/null &&
    : >empty && test_must_be_empty empty &&
    echo x >full && ! test_must_be_empty full 2>/dev/null &&
    ! test_must_be_empty nosuchfile 2>/dev/null &&
    { (sleep 0.3 && touch later) & } &&
    wait_for 5 test -e later &&
    ! wait_for 1 false 2>/dev/null
'
test_expect_success 'under test_under_flux, a failing middle command still fails the test' '
    sub inst "test_under_flux 1" \
        "test_expect_success \"size\" \"test \\\$(flux getattr size) = 1\"" \
        "test_expect_success \"middle\" \"
    flux getattr size &&
    flux getattr nosuchattr &&
    true
\"" "test_done" &&
    run_sub inst &&
    rc_is inst 1 &&
    grep -qx "ok 1 - size" inst.out &&
    grep -qx "not ok 2 - middle" inst.out &&
    grep -qx "1..2" inst.out
'
test_expect_success 'a background job at the end of a line is refused' '
    sub bg "test_expect_success \"bg\" \"
    true &&
    sleep 1 &
    true
\"" "test_done" &&
    run_sub bg &&
    rc_is bg 1 &&
    grep -q "^Bail out! broken &&-chain" bg.out
'
test_done
