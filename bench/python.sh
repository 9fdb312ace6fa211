#!/bin/bash
# Jobs/s through the Python bindings' FluxExecutor vs the flux submit CLI,
# in one run, each in a fresh instance: N jobs submitted and waited for
# until every one is complete (FluxExecutor: every future has its result;
# CLI: flux submit --cc=1-N then flux queue drain).  Two modes: exec test
# mode (-S exec.test.run_duration=0s: no process) and real `true`.
# Usage: bash bench/python.sh [N]   (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${BENCH_TREE:-$PWD}/src/cmd:$PATH"
pydir=${BENCH_TREE:-$PWD}/src/bindings/python
ls "$pydir"/flux/_core*.so >/dev/null 2>&1 || { echo "python bindings not built" >&2; exit 1; }
export PYTHONPATH=$pydir
py=/usr/bin/python3
[ -x $py ] || py=python3
n=${1:-1000}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cat >$T/ex.py <<'P'
import sys, time
from flux.job import FluxExecutor, JobspecV1
n, testmode = int(sys.argv[1]), sys.argv[2] == "test"
js = JobspecV1.from_command(["true"])
if testmode:
    js.setattr("system.exec.test.run_duration", "0s")
t0 = time.time()
with FluxExecutor() as ex:
    futs = [ex.submit(js) for _ in range(n)]
    codes = [f.result() for f in futs]
t1 = time.time()
assert codes == [0] * n, "not every job succeeded"
print("%.6f" % (t1 - t0))
P
for mode in test real; do
    opt=""; [ $mode = test ] && opt="-S exec.test.run_duration=0s"
    cli=$(flux start bash -c "t0=\$(date +%s.%N); flux submit --cc=1-$n --quiet $opt true;
        flux queue drain; t1=\$(date +%s.%N);
        [ \$(flux jobs -a -c 0 -n --filter=completed -o '{id}' | wc -l) = $n ] || exit 1
        echo \$t0 \$t1" | awk '{ print $2 - $1 }')
    pyt=$(flux start $py $T/ex.py $n $mode)
    awk -v n=$n -v m=$mode -v c="$cli" -v p="$pyt" 'BEGIN {
        printf "%5d jobs (%s): flux submit CLI %6.0f jobs/s, FluxExecutor %6.0f jobs/s (%.2fx of CLI)\n",
            n, (m == "test" ? "exec test mode" : "real true"), n / c, n / p, c / p }'
done
