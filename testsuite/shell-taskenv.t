#!/bin/bash
# The task environment: every variable once, the shell's own settings win
# (FLUX_URI names each node's broker), per-task CPU binding, and the task
# layout computed by the shell from R + jobspec.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 4

test_expect_success 'each task talks to its own node broker (FLUX_URI is the local one)' '
    flux run -N4 -n4 -l flux getattr rank | sort >ranks &&
    printf "0: 0\n1: 1\n2: 2\n3: 3\n" >ranks.exp &&
    test_cmp ranks.exp ranks
'
test_expect_success 'every variable appears once in a task environment' '
    FLUX_JOB_SIZE=99 flux run -N2 -n2 env >env.out &&
    cut -d= -f1 env.out | sort | uniq -c | awk "\$1 > 2" >dups &&
    test_must_be_empty dups &&
    grep -c "^FLUX_URI=" env.out | grep -qx 2 &&
    grep -c "^FLUX_JOB_SIZE=2$" env.out | grep -qx 2
'
test_expect_success 'cpu-affinity=per-task gives each task its own CPUs' '
    ncpus=$(flux run -n1 -o cpu-affinity=off nproc) &&
    if test $ncpus -lt 2; then echo "skip: one CPU"; return 0; fi &&
    flux run -N1 -n2 --cores-per-task=1 -o cpu-affinity=per-task -l \
        sh -c "grep Cpus_allowed_list /proc/self/status" | sort >pt &&
    test $(wc -l <pt) -eq 2 &&
    a=$(sed -n 1p pt | awk "{print \$3}") && b=$(sed -n 2p pt | awk "{print \$3}") &&
    test "$a" != "$b" &&
    flux run -N1 -n2 --cores-per-task=1 -l sh -c "grep Cpus_allowed_list /proc/self/status" |
        awk "{print \$3}" | sort -u >on &&
    test $(wc -l <on) -eq 1 && ! grep -qx "$a" on
'
test_expect_success 'a bad cpu-affinity value fails the job with a clear error' '
    test_must_fail flux run -o cpu-affinity=sideways true 2>aff.err &&
    grep -q "cpu-affinity: unknown value .sideways." aff.err
'

# The shell run by hand with an R object on stdin: it lays out its tasks
# from R and the jobspec, not from a task list.
shell=$FLUX_BUILD_DIR/src/shell/flux-shell
R2='{"version":1,"execution":{"R_lite":[{"rank":"0-1","children":{"core":"0-1"}}],"starttime":0,"expiration":0}}'
test_expect_success 'with R, the shell computes its tasks, size and node count' '
    id=$(flux submit --urgency=hold -n4 --output=$PWD/direct.out \
        sh -c "echo \$FLUX_TASK_RANK \$FLUX_TASK_LOCAL_ID \$FLUX_JOB_SIZE \$FLUX_JOB_NNODES \$FLUX_TASK_MAP") &&
    flux job info $id jobspec >js &&
    printf "{\"jobspec\":%s,\"R\":%s,\"rank\":1}" "$(cat js)" "$R2" >in1 &&
    $shell $(flux job id --to=dec $id) <in1 &&
    sort direct.out >direct.sorted &&
    printf "2 0 4 2 {\"version\":1,\"map\":[[0,2,2,1]]}\n3 1 4 2 {\"version\":1,\"map\":[[0,2,2,1]]}\n" >direct.exp &&
    test_cmp direct.exp direct.sorted &&
    flux cancel $id
'
test_expect_success 'with R, bad input is refused naming the problem' '
    id=$(flux submit --urgency=hold -n4 true) &&
    flux job info $id jobspec >js2 &&
    dec=$(flux job id --to=dec $id) &&
    printf "{\"jobspec\":%s,\"R\":%s,\"rank\":7}" "$(cat js2)" "$R2" >in7 &&
    test_must_fail $shell $dec <in7 2>err7 &&
    grep -q "R holds no resources on rank 7" err7 &&
    printf "{\"jobspec\":%s,\"R\":{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"5-3\",\"children\":{\"core\":\"0\"}}]}},\"rank\":0}" "$(cat js2)" >inbad &&
    test_must_fail $shell $dec <inbad 2>errbad &&
    grep -q "R: execution.R_lite\[0\].rank: idset: invalid range .5-3." errbad &&
    flux cancel $id
'
test_done
