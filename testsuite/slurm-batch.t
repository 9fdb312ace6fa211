#!/bin/bash
# Slurm batch scripts under the shims: a table of real-world style scripts
# (testsuite/slurm-batch/*.sh), each run with sbatch --wait in a 2-broker
# instance.  Each script says what it expects in comment lines:
#   # args: OPTS          sbatch options before the script (eval'd)
#   # scriptargs: ARGS    arguments after the script (eval'd)
#   # wrap: CMD           run as sbatch --wrap=CMD instead of the file
#   # pre: CMD            run first (in the case's directory; may set vars)
#   # out: FILE           output file to check (@JOBID@, @USER@ replaced);
#                         default slurm-@JOBID@.out
#   # expect: REGEX       a line of the output file matches (@JOBID@ replaced)
#   # exit: N             sbatch --wait's exit code (default 0)
#   # check: CMD          must succeed after the job ($id is the job id)
#   # fails: TEXT         sbatch must fail, TEXT on stderr, nothing submitted
#   # nowait              submit without --wait (checks run at once)
#   # needs: dependency   skipped until a dependency jobtap plugin is loaded
. "$(dirname "$0")/lib/test-lib.sh"
export FLUX_TEST_TIMEOUT=${FLUX_TEST_TIMEOUT:-900}
test_under_flux 2

export PATH="$FLUX_BUILD_DIR/contrib/slurm-compat:$PATH"
export SLURM_COMPAT_TEST_SECRET=s3cret SLURM_COMPAT_TEST_OTHER=other
cases=$FLUX_SOURCE_DIR/testsuite/slurm-batch

test_expect_success 'the shims are built' '
    command -v sbatch && command -v squeue && command -v srun
'

# Dependencies (RFC 26) take effect once a dependency jobtap plugin is
# loaded: a job that depends on a held job must be shown (Dependency).
dependency_probe() {
    local held dep r i
    held=$(sbatch --parsable -H --wrap true) || return 1
    dep=$(sbatch --parsable -d afterok:$held --wrap true) || { scancel $held; return 1; }
    for i in $(seq 1 50); do
        r=$(squeue -h -j $dep -o "%t %r")
        case "$r" in
            "PD Dependency") scancel $held $dep; return 0 ;;
            "PD "*) sleep 0.1 ;;
            *) break ;;
        esac
    done
    scancel $held $dep 2>/dev/null
    return 1
}
if dependency_probe >/dev/null 2>&1; then
    test_set_prereq DEPENDENCY
else
    echo "# dependencies are not enforced (no dependency jobtap plugin): those cases skip"
fi

field() { sed -n "s/^# $1: //p" "$2"; }

# Run one case in its own directory; print why it failed.
run_case() {
    local f=$1 name d out rc want fails args sargs wrap id
    name=$(basename "$f" .sh)
    d=$PWD/case-$name && mkdir -p "$d" && cd "$d" || return 1
    cp "$f" "$name.sh"
    while IFS= read -r pre; do
        eval "$pre" || { echo "pre failed: $pre"; cd ..; return 1; }
    done < <(field pre "$f")
    args=$(field args "$f")
    sargs=$(field scriptargs "$f")
    wrap=$(field wrap "$f")
    fails=$(field fails "$f")
    want=$(field exit "$f")
    local wait=--wait
    grep -q '^# nowait' "$f" && wait=
    local -a cmd
    eval "cmd=(sbatch --parsable $wait $args)"
    if test -n "$wrap"; then
        cmd+=("--wrap=$wrap")
    else
        eval "cmd+=(\"$name.sh\" $sargs)"
    fi
    local before
    before=$(squeue -h -t all | wc -l)
    id=$("${cmd[@]}" 2>err)
    rc=$?
    if test -n "$fails"; then
        cd ..
        test $rc -ne 0 || { echo "$name: sbatch succeeded, expected failure"; return 1; }
        grep -qF -- "$fails" "$d/err" || { echo "$name: stderr lacks '$fails':"; cat "$d/err"; return 1; }
        test "$(squeue -h -t all | wc -l)" = "$before" || { echo "$name: a job was submitted"; return 1; }
        return 0
    fi
    id=$(echo "$id" | head -1)
    case $id in ''|*[!0-9]*) echo "$name: no job id: '$id'"; cat err; cd ..; return 1 ;; esac
    if test $rc -ne "${want:-0}"; then
        echo "$name: exit $rc, expected ${want:-0}"; cat err; cd ..; return 1
    fi
    out=$(field out "$f")
    out=${out:-slurm-@JOBID@.out}
    out=${out//@JOBID@/$id}
    out=${out//@USER@/$(id -un)}
    while IFS= read -r re; do
        re=${re//@JOBID@/$id}
        grep -Eq -- "$re" "$out" || { echo "$name: $out lacks /$re/:"; cat "$out"; cd ..; return 1; }
    done < <(field expect "$f")
    while IFS= read -r chk; do
        eval "$chk" || { echo "$name: check failed: $chk"; cd ..; return 1; }
    done < <(field check "$f")
    cd ..
}

for f in "$cases"/*.sh; do
    name=$(basename "$f" .sh)
    prereq=
    grep -q '^# needs: dependency' "$f" && prereq=DEPENDENCY
    test_expect_success $prereq "batch script $name" "
        run_case '$f'
    "
done

test_expect_success 'there are at least 30 batch scripts' '
    test $(ls "$cases"/*.sh | wc -l) -ge 30
'
test_done
