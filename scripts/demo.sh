#!/bin/bash
# The README's first command: install what is missing, build, start a
# personal instance of 4 brokers on this machine and show it working.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
export PATH="$PWD/src/cmd:$PATH"
flux start --test-size=4 bash -c '
    set -e
    echo "== instance of size $(flux getattr size), fanout $(flux getattr tbon.fanout), up in $(flux getattr broker.ready-time)s"
    echo "== overlay:"
    flux overlay status
    echo "== ping rank 3 (two hops away):"
    flux ping --count=3 --interval=0.1 3
    echo "== resources (hwloc on every rank):"
    flux resource list
    echo "== key-value store:"
    flux kvs put demo.greeting=hello && flux kvs get demo.greeting
    echo "== flux run -n4 hostname:"
    flux run -n4 hostname
    echo "== a small workflow: one job, then an array of 4 (--cc), then a reduce step:"
    first=$(flux submit --job-name=prepare sh -c "echo prepared")
    flux job wait $first
    flux submit --cc=1-4 --job-name=array --quiet sh -c "echo item {cc}"
    flux queue drain
    last=$(flux submit -n2 --job-name=reduce sh -c "echo reduce on rank \$(flux getattr rank)")
    flux job wait $last
    flux job attach $last
    flux jobs -a
    echo "== eventlog of the last job:"
    flux job eventlog $last
    flux logger "demo finished"
    echo "== log:"
    flux dmesg | tail -n 2
'
