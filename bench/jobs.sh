#!/bin/bash
# Job pipeline throughput without fork/exec (exec test mode): submit N jobs
# with flux submit --cc, then wait until every one is INACTIVE; report
# jobs/s from first submit to last clean, and rank 0's RSS per job once
# the instance is idle (all jobs inactive).
# Usage: bash bench/jobs.sh [N...]   (default: 1000 5000 20000)
# BENCH_CONFIG=FILE (or BENCH_CONF): start the instance with -c FILE (for
# example bench/ingest-chain.toml: queues and policy, so every submission goes
# through the defaults/constraints frobnicators and the limit validators; or a
# config loading jobtap plugins); BENCH_SETUP: a command run in the instance
# before the clock starts (e.g. "flux jobtap remove all"); BENCH_START_OPTS:
# more flux start options (e.g. -Ssched-module=sched-graph).
set -euo pipefail
cd "$(dirname "$0")/.."
# BENCH_TREE: measure another built tree with these scripts (bench/compare.sh).
export PATH="${BENCH_TREE:-$PWD}/src/cmd:$PATH"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 5000 20000)
for n in "${sizes[@]}"; do
    # The instance prints: t0 t1 t2 rss0 rss1 completed
    conf=${BENCH_CONFIG:-${BENCH_CONF:-}}
    read -r t0 t1 t2 rss0 rss1 done < <(flux start ${BENCH_START_OPTS:-} ${conf:+-c "$conf"} bash -c '
        '"${BENCH_SETUP:-true}"' >/dev/null
        pid=$(flux getattr broker.pid)
        rss0=$(ps -o rss= -p $pid)
        t0=$(date +%s.%N)
        flux submit --cc=1-'"$n"' --quiet -S exec.test.run_duration=0s true
        t1=$(date +%s.%N)
        flux queue drain
        t2=$(date +%s.%N)
        sleep 1 # the job manager gives idle memory back after 0.5 s
        echo $t0 $t1 $t2 $rss0 $(ps -o rss= -p $pid) \
            $(flux jobs -a -c 0 -n --filter=completed -o "{id}" | wc -l)
    ')
    if [ "$done" != "$n" ]; then
        echo "$n jobs: only $done completed: not a valid run" >&2
        exit 1
    fi
    awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" -v r0="$rss0" -v r1="$rss1" 'BEGIN {
        printf "%6d jobs: submit %6.0f/s, submit-to-inactive %6.0f jobs/s, rank 0 RSS +%.0f KiB (%.2f KiB/job)\n",
            n, n / (b - a), n / (c - a), r1 - r0, (r1 - r0) / n }'
done
