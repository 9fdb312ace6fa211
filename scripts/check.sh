#!/bin/bash
# The README's second command: install what is missing, build, and run every
# test (Criterion unit tests and TAP integration tests).  Ends with
# "N passed, N failed" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1
scripts/build.sh || exit 1
make -j"$(nproc)" check >check.out 2>&1
rc=$?
grep -E '^(PASS|FAIL|XFAIL|XPASS|ERROR|SKIP):' check.out | grep -vE '^PASS:' || true
pass=$(grep -c '^PASS:' check.out || true)
fail=$(grep -cE '^(FAIL|ERROR|XPASS):' check.out || true)
skip=$(grep -c '^SKIP:' check.out || true)
if [ "$rc" -ne 0 ]; then
    # Show the logs of what failed.
    for log in $(grep -lE '^(not ok|ERROR)' $(find . -name '*.log' -path '*test*' -newer configure) 2>/dev/null); do
        echo "=== $log"; tail -n 60 "$log"
    done
    [ "$fail" -gt 0 ] || fail=1
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ]
