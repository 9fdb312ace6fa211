#!/bin/bash
# Nested instances.
#  1. Child start-up on a size-16 parent (one host): for a child of 1, 4
#     and 16 brokers, the wall time of "flux alloc -N SIZE true" (submit,
#     PMI boot, R from the parent, ready, the command, teardown) and the
#     child's own broker.ready-time (first broker start to quorum), median
#     of REPS runs.
#  2. Throughput of N exec-test-mode jobs (-S exec.test.run_duration=0s):
#     one instance vs a 1-level hierarchy (W children, N/W jobs each,
#     submitted inside each child with flux submit --cc) vs a 2-level one
#     (W children of W grandchildren each).  jobs/s from the first submit
#     to the last job inactive, the children's start-up included.
#     BENCH_EXEC=real: the jobs really run /bin/true (no test mode), and
#     the child start-up part is skipped (BENCH_STARTUP=0 skips it too).
# Usage: bash bench/hierarchy.sh [N] [W] [REPS]   (default 4000 2 5)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${BENCH_TREE:-$PWD}/src/cmd:$PATH"
N=${1:-4000}
W=${2:-2}
REPS=${3:-5}

startup=${BENCH_STARTUP:-1}
[ "${BENCH_EXEC:-test}" = real ] && startup=0
[ "$startup" = 1 ] && echo "== child start-up on a size-16 parent ($REPS runs each, median)"
[ "$startup" = 1 ] && flux start --test-size=16 bash -c '
    for size in 1 4 16; do
        walls=() readys=()
        for i in $(seq '"$REPS"'); do
            t0=$(date +%s.%N)
            r=$(flux alloc -N$size flux getattr broker.ready-time)
            t1=$(date +%s.%N)
            walls+=($(awk -v a=$t0 -v b=$t1 "BEGIN {print b - a}"))
            readys+=($r)
        done
        w=$(printf "%s\n" "${walls[@]}" | sort -n | awk "{a[NR]=\$1} END {print a[int((NR+1)/2)]}")
        r=$(printf "%s\n" "${readys[@]}" | sort -n | awk "{a[NR]=\$1} END {print a[int((NR+1)/2)]}")
        printf "child of %2d: flux alloc -N%d true %6.0f ms wall, child ready-time %6.1f ms\n" \
            $size $size $(awk -v w=$w "BEGIN {print w * 1000}") $(awk -v r=$r "BEGIN {print r * 1000}")
    done
'

# jobs N: submit N test-mode jobs here and wait for all to be inactive.
testmode='-S exec.test.run_duration=0s'
[ "${BENCH_EXEC:-test}" = real ] && testmode=
inner='flux submit --cc=1-$1 --quiet '"$testmode"' true && flux queue drain'

run_level() { # LEVELS: 0 one instance, 1 or 2 levels of W children
    local levels=$1
    flux start bash -c '
        inner='"'$inner'"'
        N='"$N"' W='"$W"' levels='"$levels"'
        t0=$(date +%s.%N)
        if [ $levels = 0 ]; then
            bash -c "$inner" - $N
        elif [ $levels = 1 ]; then
            flux submit --cc=1-$W --quiet -n1 flux broker bash -c "$inner" - $((N / W))
            flux queue drain
        else
            flux submit --cc=1-$W --quiet -n1 flux broker bash -c \
                "flux submit --cc=1-$W --quiet -n1 flux broker bash -c \"\$0\" - \$1 && flux queue drain" \
                "$inner" $((N / W / W))
            flux queue drain
        fi
        t1=$(date +%s.%N)
        echo "$t0 $t1"
    ' | awk -v n="$N" -v l="$levels" '{ printf "%s: %6d jobs in %6.2f s: %6.0f jobs/s\n",
        (l == 0 ? "one instance " : l " level(s) x" '"$W"'), n, $2 - $1, n / ($2 - $1) }'
}

kind="exec-test jobs"
[ -z "$testmode" ] && kind="jobs (real exec of /bin/true)"
echo "== $N $kind: one instance vs hierarchies of width $W"
run_level 0
run_level 1
run_level 2
