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
    echo "== resources (hwloc):"
    flux hwloc info -v
    echo "== overlay:"
    flux overlay status
    echo "== ping rank 3 (two hops away):"
    flux ping --count=3 --interval=0.1 3
    flux logger "demo finished"
    echo "== log:"
    flux dmesg | tail -n 3
'
