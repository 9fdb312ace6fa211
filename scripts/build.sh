#!/bin/bash
# Generate, configure (once) and build fluxd in the source tree.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x configure ] || ./autogen.sh >/dev/null
[ -f Makefile ] || ./configure --prefix="${PREFIX:-/usr/local}" >/dev/null
make -j"$(nproc)" >/dev/null
