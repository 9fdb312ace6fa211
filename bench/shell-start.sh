#!/bin/bash
# The job shell's own start-up cost, without the rest of the pipeline:
# inside one instance, run `flux-shell JOBID` N times on the job
# description job-exec gave a real `flux run true` (captured through a
# wrapper named by conf.shell_path), so each run does what a job's shell
# does (connect, lay out, plugins, fork+exec `true`, output, exit).
# Prints, per tree: µs per shell (wall, sequential; and CPU, user+system
# of the shell and its task, which a busy machine distorts less), the dynamic loader's
# relocation count and time (LD_DEBUG=statistics), NEEDED libraries,
# exported symbols, and the file's size.
# Usage: bash bench/shell-start.sh [N] [OTHER_TREE...]   (default N 500)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-500}
shift || true
trees=("$PWD" "$@")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for tree in "${trees[@]}"; do
    tree=$(cd "$tree" && pwd)
    shell=$tree/src/shell/flux-shell
    [ -x "$shell" ] || { echo "shell-start: no $shell" >&2; exit 1; }
    cap=$work/$(echo "$tree" | tr / _)
    cat >"$cap.wrap" <<EOF
#!/bin/bash
echo "\$1" >"$cap.id"
cat >"$cap.in"
exec "$shell" "\$@" <"$cap.in"
EOF
    chmod +x "$cap.wrap"
    # The loop runs in the same instance as the capture: the shell needs
    # FLUX_URI and its job's output eventlog.
    us=$(PATH=$tree/src/cmd:$PATH flux start -Sconf.shell_path="$cap.wrap" bash -c '
        flux run true >/dev/null || exit 1
        id=$(cat '"$cap.id"')
        t0=$(date +%s%N)
        for i in $(seq 1 '"$n"'); do
            '"$shell"' $id <'"$cap.in"' >/dev/null || exit 1
        done
        t1=$(date +%s%N)
        # CPU of the shells and their tasks: the second line of times(1),
        # "XmY.YYYs XmY.YYYs" (children user, system).
        times >'"$cap.times"'
        cpu=$(tail -1 '"$cap.times"' | awk "{split(\$1,u,\"m\"); split(\$2,s,\"m\"); print (u[1]*60+u[2]+s[1]*60+s[2])}")
        echo $(( (t1 - t0) / 1000 / '"$n"' )) $(awk -v c=$cpu -v n='"$n"' "BEGIN {printf \"%.0f\", c * 1e6 / n}")
    ')
    read -r us cpu <<<"$us"
    # (without arguments the shell only prints its usage and exits 1)
    stats=$({ LD_DEBUG=statistics "$shell" 2>&1 >/dev/null || true; } | awk '
        /total startup time in dynamic loader/ {c=$(NF-1)}
        /final number of relocations:/ {r=$NF}
        END {printf "%s relocations, %s cycles in ld.so", r, c}')
    needed=$(readelf -d "$shell" | awk '/NEEDED/ {gsub(/[][]/, "", $NF); printf "%s ", $NF}')
    nsyms=$(readelf --dyn-syms -W "$shell" | awk '$7 != "UND" && $5 != "LOCAL" && NR > 3' | wc -l)
    size=$(stat -c %s "$shell")
    text=$(size "$shell" | awk 'NR == 2 {print $1}')
    echo "$tree: $us us wall, $cpu us CPU (shell + task) per shell ($n runs); $stats; $nsyms exported; text $text B, file $size B"
    echo "    NEEDED: $needed"
done
