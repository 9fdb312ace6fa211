#!/bin/bash
# fluxd benchmarks (not part of the test suite).  Run from the source tree
# after building:  bash bench/run.sh
#   - RPC round trips/s from one client to rank 0, and from rank 0 to the
#     deepest rank (15) of a size-16 instance, sequential and pipelined;
#   - instance start-to-ready time for sizes 1, 8, 32 (median of 5).
set -euo pipefail
cd "$(dirname "$0")/.."
make -j"$(nproc)" bench/rpc-rate >/dev/null
export PATH="$PWD/src/cmd:$PATH"
N=${BENCH_RPCS:-20000}

echo "== RPC rate (broker.ping, $N requests)"
flux start --test-size=16 bash -c "
    bench/rpc-rate -n $N -r 0 -w 1
    bench/rpc-rate -n $N -r 0 -w 64
    echo \"deepest rank 15 is at tbon level \$(FLUX_URI=local://\$(dirname \$(flux getattr rundir))/rank-15/local flux getattr tbon.level)\"
    bench/rpc-rate -n $N -r 15 -w 1
    bench/rpc-rate -n $N -r 15 -w 64
"

echo "== start-to-ready (median of 5): wall time of 'flux start --test-size=N true', and broker.ready-time"
for size in 1 8 32; do
    walls=(); readys=()
    for i in 1 2 3 4 5; do
        t0=$(date +%s.%N)
        r=$(flux start --test-size=$size flux getattr broker.ready-time)
        t1=$(date +%s.%N)
        walls+=("$(awk -v a="$t0" -v b="$t1" "BEGIN{print b-a}")"); readys+=("$r")
    done
    wm=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n 3p)
    rm=$(printf '%s\n' "${readys[@]}" | sort -n | sed -n 3p)
    printf 'size %-3d ready %.3f s   start-run-stop wall %.3f s\n' "$size" "$rm" "$wm"
done
