#!/bin/bash
# Side-by-side comparison of this tree with another built tree (say, the
# previous main), alternating runs so both see the same machine state:
#   bash bench/compare.sh OTHER_TREE [ROUNDS]     (default 3 rounds)
# Each round runs bench/jobs.sh 20000 and bench/exec.sh 2000 in both trees;
# prints every line, then the medians and this tree's ratio to the other's.
set -euo pipefail
cd "$(dirname "$0")/.."
this=$PWD
other=$(cd "${1:?usage: bench/compare.sh OTHER_TREE [ROUNDS]}" && pwd)
rounds=${2:-3}
[ -x "$other/src/cmd/flux" ] || { echo "compare: $other is not a built tree" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for r in $(seq 1 "$rounds"); do
    for t in this other; do
        dir=$this; [ $t = other ] && dir=$other
        # This tree's scripts measure both trees' binaries (BENCH_TREE).
        echo "== $t ($dir), round $r"
        BENCH_TREE=$dir bash bench/jobs.sh 20000 | tee -a "$out/$t.jobs"
        BENCH_TREE=$dir bash bench/exec.sh 2000 | tee -a "$out/$t.exec"
    done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
for t in this other; do
    j=$(grep -o 'submit-to-inactive *[0-9]*' "$out/$t.jobs" | awk '{print $2}' | median)
    k=$(grep -o '([0-9.]* KiB/job)' "$out/$t.jobs" | tr -d '(' | awk '{print $1}' | median)
    e=$(grep -o 'end to end: [0-9]*' "$out/$t.exec" | awk '{print $4}' | median)
    p=$(grep -o 'flux run true: p50 [0-9.]*' "$out/$t.exec" | awk '{print $5}' | median)
    echo "$t $j $k $e $p" >>"$out/medians"
done
awk '{v[$1,1]=$2; v[$1,2]=$3; v[$1,3]=$4; v[$1,4]=$5}
END {
    n[1]="jobs/s (no exec, 20k)"; n[2]="KiB/job (20k)"; n[3]="real jobs/s"; n[4]="flux run p50 ms"
    printf "%-24s %10s %10s %7s\n", "median of rounds", "this", "other", "ratio"
    for (i = 1; i <= 4; i++)
        printf "%-24s %10s %10s %7.3f\n", n[i], v["this",i], v["other",i], v["other",i] ? v["this",i] / v["other",i] : 0
}' "$out/medians"
