#!/bin/bash
# Run the flux-imp parser fuzzer (built by `make fuzz-imp`) for SECONDS
# (default 180) from a seed corpus of valid J and config texts.
# Usage: bench/fuzz/fuzz-imp.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-180}
[ -x ./fuzz-imp ] || { echo "build it first: make fuzz-imp" >&2; exit 1; }
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
b64url() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
h=$(b64url '{"version":1,"mechanism":"none","userid":1000}')
p=$(b64url '{"version":1,"resources":[],"tasks":[]}')
hm=$(b64url '{"version":1,"mechanism":"munge","userid":0}')
printf '\001%s.%s.none' "$h" "$p" >"$corpus/j-none"
printf '\001%s.%s.MUNGE:AwQFAAB:' "$hm" "$p" >"$corpus/j-munge"
printf '\000[exec]\nallowed-users = ["flux"]\nallowed-shells = ["/usr/libexec/flux/flux-shell"]\nallow-unprivileged-exec = false\nmunge-socket = "/run/munge/munge.socket.2"\n' >"$corpus/conf"
./fuzz-imp -max_total_time="$secs" -max_len=4096 -print_final_stats=1 "$corpus" 2>&1 | tail -25
