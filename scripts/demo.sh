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
    echo "== a small workflow (exec test mode: jobs go through every state without forking;"
    echo "   running real processes needs the job shell, which is not built yet):"
    T="-S exec.test.run_duration=0.2s"
    first=$(flux submit $T --job-name=prepare true)
    flux job wait $first
    flux submit $T --cc=1-4 --job-name=array --quiet true
    last=$(flux submit $T -n2 --job-name=reduce true)
    flux job wait $last
    flux queue drain
    flux jobs -a
    echo "== eventlog of the last job:"
    flux job eventlog $last
    flux logger "demo finished"
    echo "== log:"
    flux dmesg | tail -n 2
'
