#!/bin/bash
# End-to-end job benchmarks with real fork/exec:
#  - the raw ceiling: a bare posix_spawn+wait loop of /bin/true with 2 in
#    flight (bench/spawn-ceiling), run first in the same invocation;
#  - throughput of N `true` jobs (flux submit --cc, then flux queue drain),
#    and its ratio to that ceiling;
#  - `flux run true` latency, median of 51 runs, beside what a bare process,
#    a flux command and the job pipeline alone take in the same loop.
# Usage: bash bench/exec.sh [N]   (default 2000)
# BENCH_CONFIG=FILE: the instances start with -c FILE (e.g. [exec] cgroup).
set -euo pipefail
cd "$(dirname "$0")/.."
# BENCH_TREE: measure another built tree with these scripts (bench/compare.sh).
export PATH="${BENCH_TREE:-$PWD}/src/cmd:$PATH"
n=${1:-2000}
cfg=()
[ -z "${BENCH_CONFIG:-}" ] || cfg=(-c "$BENCH_CONFIG")
mkdir -p .bench
[ .bench/spawn-ceiling -nt bench/spawn-ceiling.c ] ||
    ${CC:-cc} -O2 -o .bench/spawn-ceiling bench/spawn-ceiling.c
ceiling=$(.bench/spawn-ceiling "$n" 2)
echo "ceiling: $ceiling"
read -r t0 t1 t2 < <(flux start "${cfg[@]}" bash -c '
    t0=$(date +%s.%N)
    flux submit --cc=1-'"$n"' --quiet true
    t1=$(date +%s.%N)
    flux queue drain
    echo $t0 $t1 $(date +%s.%N)
')
awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" -v ceil="$ceiling" 'BEGIN {
    nw = split(ceil, w, " "); sub("/s", "", w[nw]); cr = w[nw] + 0
    r = n / (c - a)
    printf "%d true jobs end to end: %.0f jobs/s (submit %.0f/s); %.2f of the ceiling (%.0f/s)\n",
        n, r, n / (b - a), (cr > 0 ? r / cr : 0), cr }'
# Each run is timed with bash's $EPOCHREALTIME (no process of its own):
# a `date` on each side would add its own fork and exec to the figure.
# Beside it, from the same loop: a bare /bin/true (the process start any
# command pays), `flux getattr rank` (a flux command and one RPC), and a
# `flux run` of the exec test mode (the command and the job pipeline,
# without the shell and the task).
flux start "${cfg[@]}" bash -c '
    p50() {
        for i in $(seq 1 51); do
            s=$EPOCHREALTIME; "$@" >/dev/null; e=$EPOCHREALTIME
            echo "$s $e"
        done | awk "{ printf \"%.0f\\n\", (\$2 - \$1) * 1e6 }" | sort -n |
            awk "{a[NR]=\$1} END {printf \"p50 %.1f ms, min %.1f ms, max %.1f ms (%d runs)\", a[26]/1000, a[1]/1000, a[NR]/1000, NR}"
    }
    flux run true >/dev/null
    echo "flux run true: $(p50 flux run true)"
    echo "  beside it: /bin/true $(p50 /bin/true | cut -d, -f1);" \
        "flux getattr rank $(p50 flux getattr rank | cut -d, -f1);" \
        "flux run (exec test mode) $(p50 flux run -S exec.test.run_duration=0s true | cut -d, -f1)"
'
