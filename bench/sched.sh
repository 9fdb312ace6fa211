#!/bin/bash
# sched-graph match rate with flux sched-query (no instance): synthetic
# clusters of 256, 4,096 and 16,384 nodes (2 sockets x 18 cores, 4 gpus,
# 256 GB each, 64 nodes per rack).  Per size: graph load time and memory;
# median and p99 of 200 matches in a row, 1-node and 32-node (exclusive),
# with each match policy (BENCH_POLICIES, default first low high lonode
# hinode locality), allocate and allocate_orelse_reserve; the time to plan a
# queue of 10,000 mixed jobs under EASY (every job tried now, the first
# blocked one reserved) and of BENCH_CONS_JOBS (1,000) under conservative
# (every job placed now or reserved).
# Wall and CPU times are both shown: on a shared machine the wall time
# measures the other processes as much as this one.
# Usage: bash bench/sched.sh [NODES...]   (default: 256 4096 16384)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${BENCH_TREE:-$PWD}/src/cmd:$PATH"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(256 4096 16384)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# js FILE NODES DURATION: NODES exclusive nodes, all 36 cores in one slot each.
js() {
    cat >"$1" <<-EOT
	version: 1
	resources:
	  - type: node
	    count: $2
	    exclusive: true
	    with:
	      - type: slot
	        count: 1
	        label: s
	        with: [{type: core, count: 36}]
	tasks: [{command: ["true"], slot: s, count: {per_slot: 1}}]
	attributes: {system: {duration: $3}}
	EOT
}
js "$T/n1.yaml" 1 3600
js "$T/n32.yaml" 32 3600
for n in 1 2 4 8 32; do js "$T/q$n.yaml" $n $((n * 60 + 30)); done

# run SPEC POLICY INPUT: the stat line of sched-query after INPUT.
run() {
    { cat "$3"; echo stat; } | flux sched-query --no-R -P "$2" --generate="$1" | tail -1
}
repeat() { # N LINE
    for ((i = 0; i < $1; i++)); do echo "$2"; done
}

printf "%-6s %-9s %-8s %-24s %10s %10s\n" nodes policy job op median_ms p99_ms
for nodes in "${sizes[@]}"; do
    racks=$(( (nodes + 63) / 64 )); per=$(( nodes < 64 ? nodes : 64 ))
    spec="cluster[1]->rack[$racks]->node[$per]->socket[2]->core[18],gpu[2],memory[128G]"
    stat=$({ echo stat; } | /usr/bin/time -f "%M" -o "$T/rss" flux sched-query --generate="$spec")
    echo "# $nodes nodes: $(jq -r .vertices <<<"$stat") vertices, load $(jq -r '.load_ms | floor' <<<"$stat") ms wall, $(jq -r '.load_cpu_ms | floor' <<<"$stat") ms CPU, max RSS $(( $(cat "$T/rss") / 1024 )) MB"
    for pol in ${BENCH_POLICIES:-first low high lonode hinode locality}; do
        for job in n1 n32; do
            for op in allocate allocate_orelse_reserve; do
                repeat 200 "match $op $T/$job.yaml" >"$T/in"
                s=$(run "$spec" $pol "$T/in")
                printf "%-6s %-9s %-8s %-24s %10.3f %10.3f\n" $nodes $pol $job $op \
                    "$(jq .match.median_ms <<<"$s")" "$(jq .match.p99_ms <<<"$s")"
            done
        done
    done
    # A queue of mixed jobs: fill, then plan.
    : >"$T/easy"
    for ((i = 0; i < 10000; i++)); do
        sz=(1 2 4 8 32); f=${sz[$((i % 5))]}
        if ((i == nodes / 8)); then op=allocate_orelse_reserve; else op=allocate; fi
        echo "match $op $T/q$f.yaml" >>"$T/easy"
    done
    # Conservative reserves for every job (each one tries every earlier
    # job's end): BENCH_CONS_JOBS of them (default 1,000; 10,000 takes minutes).
    head -"${BENCH_CONS_JOBS:-1000}" "$T/easy" | sed 's/match allocate /match allocate_orelse_reserve /' >"$T/cons"
    for q in easy cons; do
        t0=$(date +%s.%N)
        s=$(run "$spec" first "$T/$q")
        t1=$(date +%s.%N)
        load=$(jq .load_ms <<<"$s")
        echo "# $nodes nodes: $([ $q = easy ] && echo "EASY" || echo "conservative"), $(wc -l <"$T/$q") jobs planned in $(awk -v a=$t0 -v b=$t1 -v l=$load 'BEGIN { printf "%.2f", b - a - l / 1000 }') s wall, $(jq '(.cpu_ms - .load_cpu_ms) / 1000 * 100 | round / 100' <<<"$s") s CPU ($(jq .jobs <<<"$s") placed or reserved)"
    done
done
