#!/bin/bash
# Nested instances: brokers booted over PMI-1 from a job's shells
# (flux run flux start, flux alloc, flux batch), their attributes, their
# resources (exactly the allocation), flux proxy / flux uri JOBID, a child
# with another scheduler, the parent's cancel and time limit ending every
# level, and bad PMI environments failing clearly without a hang.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 4

# gone PID: the process has exited (a zombie counts).
gone() {
    test ! -e "/proc/$1" || test "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z
}
# wait_gone SECONDS PID...: every PID exits within SECONDS.
wait_gone() {
    local n=$(($1 * 10)) p; shift
    while test $n -gt 0; do
        local all=t
        for p in "$@"; do
            gone "$p" || all=
        done
        test -n "$all" && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}
# wait_file SECONDS FILE: FILE exists (non-empty) within SECONDS.
wait_file() {
    local n=$(($1 * 10))
    while test $n -gt 0; do
        test -s "$2" && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

test_expect_success 'the top instance is level 0 with no parent' '
    test "$(flux getattr instance-level)" = 0 &&
    test_must_fail flux getattr parent-uri 2>/dev/null
'
test_expect_success 'flux run -N2 flux start: two brokers boot over PMI' '
    flux run -N2 flux start sh -c "flux getattr size; flux getattr broker.boot-method; flux getattr instance-level" >run.out &&
    printf "2\npmi\n1\n" >run.exp &&
    test_cmp run.exp run.out
'
# PMIx boot: pmix_boot.so is built with OpenPMIx (its test client too).
test -x "$FLUX_BUILD_DIR/testsuite/helpers/pmix-client" && test_set_prereq PMIX
command -v mpirun >/dev/null && test_set_prereq MPIRUN
test_expect_success PMIX 'flux run -N2 -o pmi=pmix flux start: two brokers boot over PMIx' '
    flux run -N2 -o pmi=pmix flux start sh -c "flux getattr size; flux getattr broker.boot-method; flux run -N2 -l flux getattr rank" >pmix.out &&
    printf "2\npmix\n0: 0\n1: 1\n" >pmix.exp &&
    test_cmp pmix.exp pmix.out
'
test_expect_success PMIX,MPIRUN 'mpirun -n 3 flux start: one instance over Open MPI'"'"'s PMIx (loopback)' '
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
        OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo \
        timeout 120 mpirun -n 3 --oversubscribe flux start \
        sh -c "flux getattr size; flux getattr broker.boot-method; flux overlay status" >mpirun.out 2>mpirun.err &&
    cat mpirun.out &&
    test "$(sed -n 1p mpirun.out)" = 3 &&
    test "$(sed -n 2p mpirun.out)" = pmix &&
    test "$(grep -c ": full$" mpirun.out)" = 3 &&
    test_must_be_empty mpirun.err
'
test_expect_success PMIX 'an unreachable PMIx server fails the broker at once, naming PMIx_Init' '
    test_must_fail env PMIX_NAMESPACE=x PMIX_RANK=0 PMIX_SERVER_URI41="x.0;tcp4://127.0.0.1:1" \
        timeout 30 flux start true 2>unreach.err &&
    grep -q "PMIx boot: PMIx_Init: " unreach.err
'
test_expect_success 'flux run -N4 flux start: a tree of four over TCP' '
    flux run -N4 flux start flux overlay status >ov.out &&
    grep -c ": full$" ov.out | grep -qx 4
'
test_expect_success 'the child knows its job, parent URI and namespace' '
    id=$(flux submit -N1 flux start sh -c "flux getattr jobid; flux getattr parent-uri; flux getattr parent-kvs-namespace") &&
    flux job attach $id >attrs.out &&
    test "$(sed -n 1p attrs.out)" = "$id" &&
    sed -n 2p attrs.out | grep -q "^local://" &&
    test "$(sed -n 3p attrs.out)" = primary
'
test_expect_success 'PMI variables do not leak into the child instance' '
    flux alloc -n1 sh -c "echo \${PMI_FD:-none} \${FLUX_JOB_ID:-none}" >leak.out &&
    echo "none none" >leak.exp &&
    test_cmp leak.exp leak.out
'
test_expect_success PMIX 'nor the parent shell'"'"'s PMIx server' '
    flux alloc -N2 -o pmi=simple,pmix sh -c "env; flux run -n1 env" >pmixleak.out &&
    ! grep -E "^(PMIX_NAMESPACE|PMIX_SERVER_URI|OMPI_MCA_pmix)=" pmixleak.out
'
test_expect_success 'flux alloc nested twice: level 2' '
    test "$(flux alloc -N1 flux alloc -n1 flux getattr instance-level)" = 2
'
test_expect_success 'confinement: a child of -N2 sees 2 nodes, of -n1 one core' '
    test "$(flux alloc -N2 flux resource list -s free -n -o "{nnodes}" | tr -d " ")" = 2 &&
    test "$(flux alloc -n1 flux resource list -s free -n -o "{ncores}" | tr -d " ")" = 1 &&
    test "$(flux alloc -N1 -n2 flux resource list -s free -n -o "{ncores}" | tr -d " ")" = 2
'
test_expect_success 'flux alloc -n3 and flux batch -n3 without -N: slots span nodes, a broker per node' '
    ncores=$(flux resource list -s free -n -o "{ncores}" | tr -d " ") &&
    nnodes=$(flux resource list -s free -n -o "{nnodes}" | tr -d " ") &&
    n=$((ncores / nnodes + 1)) &&
    flux alloc -n$n sh -c "flux getattr size && flux resource list -s free -n -o {ncores}" >n3.out &&
    printf "2\n%s\n" $n >n3.exp &&
    test_cmp n3.exp n3.out &&
    printf "#!/bin/sh\nflux getattr size\nflux run -n$n true && echo ran\n" >n3.sh &&
    id=$(flux batch -n$n n3.sh) &&
    flux job wait-event -t 60 $id clean >/dev/null &&
    printf "2\nran\n" >n3b.exp &&
    test_cmp n3b.exp flux-$id.out &&
    flux job info $id jobspec | jq -e ".tasks[0].count.per_resource.type == \"node\"" &&
    test "$(flux jobs -n -o "{ntasks} {nnodes}" $id)" = "2 2"
'
test_expect_success 'flux start under another launcher without PMI_FD warns, naming it' '
    OMPI_COMM_WORLD_SIZE=4 flux start flux getattr size >ompi.out 2>ompi.err &&
    test "$(cat ompi.out)" = 1 &&
    grep -q "warning: started by mpirun as one of 4 processes, but without PMI_FD" ompi.err &&
    PMIX_RANK=1 PMIX_NAMESPACE=x flux start true 2>pmix.err &&
    grep -q "started by a PMIx launcher (PMIX_RANK=1)" pmix.err &&
    SLURM_STEP_NUM_TASKS=2 SLURM_PROCID=0 flux start true 2>srun.err &&
    grep -q "started by srun as one of 2 tasks" srun.err &&
    env -u OMPI_COMM_WORLD_SIZE -u PMIX_RANK -u SLURM_STEP_NUM_TASKS flux start true 2>plain.err &&
    test_must_be_empty plain.err
'
test_expect_success 'a child cannot run a job larger than its allocation' '
    test_must_fail flux alloc -n1 flux run -n2 true 2>big.err &&
    test -s big.err
'
test_expect_success 'flux batch: #flux: directives, the script in the jobspec, flux-{{id}}.out' '
    cat >b.sh <<-EOF &&
	#!/bin/sh
	#flux: -N2
	flux resource list -s free -n -o "{nnodes}"
	echo args "\$@"
	echo tmpdir \$0
	EOF
    id=$(flux batch b.sh x y) &&
    flux job wait-event -t 60 $id clean &&
    out=flux-$id.out &&
    test "$(sed -n 1p $out | tr -d " ")" = 2 &&
    grep -qx "args x y" $out &&
    grep -q "^tmpdir /.*/flux-job-.*/script$" $out &&
    dir=$(sed -n "s/^tmpdir //p" $out) &&
    test ! -e "$dir"
'
test_expect_success 'flux batch: the command line wins over #flux:, bad input is named' '
    printf "#!/bin/sh\n#flux: -N2\nflux resource list -s free -n -o {nnodes}\n" >c.sh &&
    id=$(flux batch -N1 c.sh) &&
    flux job wait-event -t 60 $id clean &&
    test "$(tr -d " " <flux-$id.out)" = 1 &&
    printf "echo no interpreter\n" >d.sh &&
    test_must_fail flux batch d.sh 2>d.err &&
    grep -q "must start with" d.err &&
    printf "#!/bin/sh\n#flux: --bogus\n" >e.sh &&
    test_must_fail flux batch e.sh 2>e.err &&
    grep -q "flux-batch" e.err
'
test_expect_success 'depth 3: flux alloc inside flux batch inside flux alloc' '
    printf "#!/bin/sh\nflux alloc -n1 flux getattr instance-level\n" >deep.sh &&
    flux alloc -N2 sh -c "id=\$(flux batch -n1 deep.sh) && flux job wait-event -t 60 \$id clean >/dev/null && cat flux-\$id.out" >deep.out &&
    test "$(cat deep.out)" = 3
'
test_expect_success 'flux alloc --bg, flux proxy and flux uri round trip' '
    id=$(flux alloc --bg -N2) &&
    test "$(flux proxy $id flux getattr jobid)" = "$id" &&
    test "$(flux proxy $id flux getattr instance-level)" = 1 &&
    test "$(flux proxy $id flux resource list -s free -n -o "{nnodes}" | tr -d " ")" = 2 &&
    flux proxy $id flux run -N2 true &&
    uri=$(flux uri $id) &&
    test "$(FLUX_URI=$uri flux getattr jobid)" = "$id" &&
    flux uri --remote $id | grep -q "^ssh://" &&
    flux cancel $id &&
    flux job wait-event -t 30 $id clean
'
test_expect_success 'flux uri and flux proxy name a job that is not an instance' '
    id=$(flux submit sleep 30) &&
    flux job wait-event -t 30 $id start &&
    test_must_fail flux uri $id 2>nouri.err &&
    grep -q "not a running instance" nouri.err &&
    test_must_fail flux proxy $id true 2>noproxy.err &&
    grep -q "not a running instance" noproxy.err &&
    flux cancel $id
'
test_expect_success 'a child with another scheduler (sched-graph under sched-simple)' '
    flux alloc -N1 --broker-opts=-Ssched-module=sched-graph sh -c "flux module list; flux run -n1 echo ran" >graph.out &&
    grep -q "sched-graph" graph.out &&
    grep -qx ran graph.out &&
    flux module list | grep -q sched-simple
'
test_expect_success 'cancelling the parent job ends every level, no orphan' '
    id=$(flux alloc --bg -N2) &&
    flux proxy $id flux getattr broker.pid >pids &&
    flux proxy $id flux submit -N2 sh -c "echo \$\$ >cancel.\$FLUX_TASK_RANK; exec sleep 300" &&
    wait_file 30 cancel.0 && wait_file 30 cancel.1 &&
    cat cancel.0 cancel.1 >>pids &&
    flux cancel $id &&
    flux job wait-event -t 30 $id clean &&
    wait_gone 10 $(cat pids)
'
test_expect_success 'the parent time limit ends the child and its jobs' '
    test_expect_code 143 timeout 60 flux alloc -N1 -t 2s sh -c "echo \$\$ >tl.pid; flux run sleep 300" 2>tl.err &&
    grep -qi "time limit\|timeout" tl.err &&
    wait_gone 10 $(cat tl.pid)
'
# expiration_of FILE: the "expiration" of the R in FILE, in whole seconds.
expiration_of() {
    sed -n 's/.*"expiration": *\([0-9]*\).*/\1/p' "$1"
}
test_expect_success 'the child bounds its jobs by its own expiration' '
    flux alloc -n1 -t 1m sh -c "id=\$(flux submit -t 10m true) && id2=\$(flux submit true) &&
        flux job wait-event -t 30 \$id clean >/dev/null && flux job wait-event -t 30 \$id2 clean >/dev/null &&
        flux job info \$id R >inner1.R && flux job info \$id2 R >inner2.R" &&
    id=$(flux jobs -a -n -o "{id}" | head -1) &&
    flux job info $id R >outer.R &&
    outer=$(expiration_of outer.R) &&
    test -n "$outer" && test "$outer" != 0 &&
    test "$(expiration_of inner1.R)" = "$outer" &&
    test "$(expiration_of inner2.R)" = "$outer"
'
test_expect_success 'bad PMI environment: a clear error, exit 1' '
    test_expect_code 1 env PMI_FD=99 PMI_RANK=0 PMI_SIZE=1 flux broker true 2>fd.err &&
    grep -q "PMI_FD=99 is not an open file descriptor" fd.err &&
    test_expect_code 1 env PMI_FD=2 PMI_RANK=x PMI_SIZE=1 flux broker true 2>rank.err &&
    grep -q "PMI_RANK=.x. is not" rank.err &&
    test_expect_code 1 env PMI_FD=2 PMI_RANK=3 PMI_SIZE=2 flux broker true 2>size.err &&
    grep -q "PMI_RANK=3 is not below PMI_SIZE=2" size.err &&
    test_expect_code 1 env PMI_FD=2 PMI_RANK=0 flux broker true 2>nosize.err &&
    grep -q "PMI_SIZE is not set" nosize.err
'
test_expect_success 'a peer that never enters the barrier: timeout, not a hang' '
    test_expect_code 143 timeout 60 flux run -n2 sh -c "if test \$PMI_RANK = 0; then exec flux broker -Sbroker.boot-timeout=2 true; else sleep 8; fi" 2>hang.err &&
    grep -q "PMI barrier_in: no answer within 2s" hang.err
'
test_expect_success 'no broker or job of a child is left running' '
    flux jobs -n -o "{id}" >running &&
    test_must_be_empty running
'
test_expect_success 'a batch job survives SIGUSR1: its script and its running jobs get it (--signal, flux job kill)' '
    cat >sig.sh <<-EOF &&
	#!/bin/bash
	trap "echo script-got-usr1" USR1
	# flux run in the background: bash runs a trap at once in "wait",
	# only after the command ends in the foreground (which, when the step
	# ignores USR1, is the time limit: then racing the kill)
	flux run bash -c "trap \\"echo step-got-usr1; exit 0\\" USR1; touch \$PWD/step-ready; sleep 30 & wait" &
	step=\$!
	wait \$step
	wait \$step 2>/dev/null
	echo script-done
	EOF
	chmod +x sig.sh &&
    rm -f step-ready &&
    id=$(flux batch -N1 -t 8s --signal=USR1@6s --output=sig.out sig.sh) &&
    flux job wait-event -t 30 $id clean &&
    test "$(flux jobs -n -o "{status}" $id)" = COMPLETED &&
    grep -qx step-got-usr1 sig.out &&
    grep -qx script-got-usr1 sig.out &&
    grep -qx script-done sig.out &&
    rm -f step-ready &&
    id=$(flux batch -N1 --output=kill.out sig.sh) &&
    wait_for 30 test -e step-ready &&
    flux job kill -s USR1 $id &&
    flux job wait-event -t 30 $id clean &&
    test "$(flux jobs -n -o "{status}" $id)" = COMPLETED &&
    grep -qx step-got-usr1 kill.out &&
    grep -qx script-done kill.out
'
test_expect_success 'broker.signal-forward=script keeps USR1 from the jobs; =jobs from the initial program' '
    test_must_fail flux start -Sbroker.signal-forward=bogus true 2>err &&
    grep -q "expected all, jobs or script" err &&
    rm -f step-ready &&
    id=$(flux batch -N1 -t 8s --signal=USR1@6s -B -Sbroker.signal-forward=script --output=script.out sig.sh) &&
    flux job wait-event -t 30 $id clean &&
    grep -qx script-got-usr1 script.out &&
    ! grep -q step-got-usr1 script.out &&
    id=$(flux batch -N1 -t 8s --signal=USR1@6s -B -Sbroker.signal-forward=jobs --output=jobs.out sig.sh) &&
    flux job wait-event -t 30 $id clean &&
    grep -qx step-got-usr1 jobs.out &&
    ! grep -q script-got-usr1 jobs.out
'
test_done
