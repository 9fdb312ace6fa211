#!/bin/bash
# The shell's PMIx server (src/shell/pmi/pmix.cpp, OpenPMIx server
# library), driven by a PMIx client in the test tree (helpers/pmix-client.c:
# registration keys, per-rank cpuset and locality string, Put/Commit/Fence/Get within and across nodes,
# Publish/Lookup/Unpublish, an unknown key, PMIx_Abort, an exit without
# PMIx_Finalize) and by Open MPI programs (mpicc) that can only start
# through PMIx (-o pmi=pmix: no PMI-1 library offered): init, ring,
# allreduce, barrier, abort, -n4, -N2 -n4, 64 ranks.
#
# Open MPI's run-as-root and loopback settings are set here, in the test
# harness, never in the shell.
. "$(dirname "$0")/lib/test-lib.sh"
if ! test -x "$FLUX_BUILD_DIR/testsuite/helpers/pmix-client"; then
    test_skip_all "built without OpenPMIx (libpmix-dev): no PMIx server"
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    OMPI_MCA_btl=self,vader,tcp OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
test_under_flux 4

test_expect_success 'tasks get a PMIx namespace (the F58 job id), rank and server URI' '
    id=$(flux submit -N2 -n2 -o pmi=simple,pmix sh -c "echo \$PMIX_NAMESPACE \$PMIX_RANK \$OMPI_MCA_pmix; test -n \"\$PMIX_SERVER_URI41\"") &&
    flux job attach $id | sort >env.out &&
    cat env.out &&
    ns=$(echo $id | sed "s/ƒ/f/") &&
    grep -qx "$ns 0 ext3x" env.out &&
    grep -qx "$ns 1 ext3x" env.out
'
test_expect_success 'the job overrides OMPI_MCA_pmix; -o pmi=pmix offers PMIx alone' '
    flux run -n1 -o pmi=pmix --env=OMPI_MCA_pmix=isolated printenv OMPI_MCA_pmix >ovr.out &&
    test "$(cat ovr.out)" = isolated &&
    flux run -n1 -o pmi=pmix sh -c "test -n \"\$PMIX_NAMESPACE\" && test -z \"\$PMI_FD\""
'
test_expect_success 'default: both offered to a job of 2+ tasks (Open MPI not steered), simple only to one task' '
    flux run -N2 -n2 sh -c "test -n \"\$PMIX_NAMESPACE\" && test -n \"\$PMI_FD\" && echo \${OMPI_MCA_pmix:-unset}" >dflt2.out &&
    test "$(sort -u dflt2.out)" = unset &&
    flux run -n2 sh -c "test -n \"\$PMIX_NAMESPACE\" && test -n \"\$PMI_FD\"" &&
    flux run -n1 sh -c "test -z \"\$PMIX_NAMESPACE\" && test -n \"\$PMI_FD\"" &&
    flux run -n1 -o pmi=simple,pmix sh -c "test -n \"\$PMIX_NAMESPACE\" && test -n \"\$PMI_FD\""
'
test_expect_success 'a bad -o pmi is refused naming the entry' '
    ! flux run -n1 -o pmi=pmix,bogus true 2>bad.err &&
    grep -q "unknown PMI .bogus." bad.err
'
test_expect_success 'registration: sizes, local ranks, node ids on one node' '
    flux run -N1 -n2 -o pmi=pmix pmix-client info | sort >info1.out &&
    cat info1.out &&
    grep -q "^rank 0 size 2 local_size 2 local_rank 0 nodeid 0 nnodes 1 host " info1.out &&
    grep -q "^rank 1 size 2 local_size 2 local_rank 1 nodeid 0 nnodes 1 host " info1.out
'
test_expect_success 'registration across two nodes' '
    flux run -N2 -n4 -o pmi=pmix pmix-client info | sort >info2.out &&
    cat info2.out &&
    grep -q "^rank 1 size 4 local_size 2 local_rank 1 nodeid 0 nnodes 2 " info2.out &&
    grep -q "^rank 2 size 4 local_size 2 local_rank 0 nodeid 1 nnodes 2 " info2.out
'
test_expect_success 'per-task affinity: each rank has its own cpuset and locality string' '
    flux run -N1 -n2 -c1 -o pmi=pmix -o cpu-affinity=per-task \
        pmix-client locality | sort >loc1.out &&
    cat loc1.out &&
    self0=$(sed -n "s/^rank 0 self 0 locality \([^ ]*\) cpuset \(.*\)$/\1 \2/p" loc1.out) &&
    self1=$(sed -n "s/^rank 1 self 1 locality \([^ ]*\) cpuset \(.*\)$/\1 \2/p" loc1.out) &&
    test -n "$self0" && test -n "$self1" &&
    test "$self0" != "$self1" &&
    grep -qx "rank 0 peer 1 locality $(echo $self1 | sed "s/ / cpuset /")" loc1.out &&
    grep -qx "rank 1 peer 0 locality $(echo $self0 | sed "s/ / cpuset /")" loc1.out &&
    grep -q "^rank 0 self 0 locality SK[^ ]*:CR[^ ]* cpuset hwloc:" loc1.out
'
test_expect_success 'bound to the whole allocation, local ranks share one locality; two nodes too' '
    flux run -N1 -n2 -c1 -o pmi=pmix pmix-client locality >loc2.out &&
    test $(sed "s/^rank [0-9]* [a-z]* [0-9]* //" loc2.out | sort -u | wc -l) = 1 &&
    flux run -N2 -n4 -c1 -o pmi=pmix -o cpu-affinity=per-task pmix-client locality \
        | sort >loc3.out &&
    cat loc3.out &&
    test $(grep -c " self " loc3.out) = 4 &&
    grep -q "^rank 3 peer 2 locality " loc3.out
'
test_expect_success 'Put/Commit/Fence/Get on one node' '
    flux run -N1 -n2 -o pmi=pmix pmix-client exchange 3 >x1.out &&
    test $(grep -c " ok$" x1.out) -eq 2
'
test_expect_success 'Put/Commit/Fence/Get across four nodes (tree exchange)' '
    flux run -N4 -n8 -o pmi=pmix pmix-client exchange 3 >x4.out &&
    test $(grep -c " ok$" x4.out) -eq 8
'
test_expect_success 'Get after a fence without data collection: direct modex across nodes' '
    flux run -N2 -n4 -o pmi=pmix pmix-client dmodex 2 >dm.out &&
    test $(grep -c " ok$" dm.out) -eq 4
'
test_expect_success 'direct modex from a node whose ranks have exited (its shell waits for all)' '
    timeout 60 flux run -N2 -n4 -o pmi=pmix pmix-client dmodex-late >late.out &&
    test $(grep -c " ok$" late.out) -eq 4
'
test_expect_success 'Publish/Lookup/Unpublish within the job, across nodes' '
    flux run -N2 -n4 -o pmi=pmix pmix-client publish >pub.out &&
    cat pub.out &&
    test $(grep -c "lookup port-42 from 0$" pub.out) -eq 4 &&
    test $(grep -c "after unpublish: NOT-FOUND$" pub.out) -eq 4
'
test_expect_success 'Get of an unknown key fails cleanly; the job goes on' '
    flux run -N1 -n2 -o pmi=pmix pmix-client unknown >unk.out &&
    cat unk.out &&
    test $(grep -c "get no-such-key: NOT-FOUND$" unk.out) -eq 2
'
test_expect_success 'garbage on the PMIx server socket is refused; the server goes on' '
    flux run -N2 -n4 -o pmi=pmix bash -c "
        hp=\${PMIX_SERVER_URI41#*tcp4://}
        exec 3<>/dev/tcp/\${hp%:*}/\${hp##*:} && printf \"garbage\\0\\377not pmix\" >&3 && exec 3>&-
        exec pmix-client exchange 2" >garb.out &&
    test $(grep -c " ok$" garb.out) -eq 4
'
test_expect_success 'PMIx_Abort raises an exception naming the rank and code' '
    ! timeout 60 flux run -N2 -n4 -o pmi=pmix pmix-client abort 7 2>abort.err &&
    grep -q "exec: task 1 called PMIx abort (exit code 7)" abort.err &&
    ! pgrep -f "pmix-client abort"
'
test_expect_success 'an exit without PMIx_Finalize raises an exception naming the rank' '
    ! timeout 60 flux run -N2 -n4 -o pmi=pmix pmix-client nofinalize 2>nofin.err &&
    grep -q "exec: task 1 exited without calling PMIx_Finalize (exit code 3)" nofin.err &&
    ! pgrep -f "pmix-client nofinalize"
'
test_expect_success 'the shells clean their PMIx tmpdirs; the instance still runs jobs' '
    flux run -n1 -o pmi=pmix sh -c "echo \$PMIX_SERVER_TMPDIR" >tmpdir.out &&
    ! test -e "$(cat tmpdir.out)" &&
    flux run -n2 true
'
if command -v mpicc >/dev/null; then
    test_set_prereq OMPI
fi
src=$FLUX_SOURCE_DIR/testsuite/mpi
test_expect_success OMPI 'compile the Open MPI test programs' '
    for p in hello abort early; do
        mpicc -o $p-ompi $src/$p.c || return 1
    done
'
test_expect_success OMPI 'Open MPI through PMIx: -n4' '
    timeout 120 flux run -n4 -o pmi=pmix ./hello-ompi >n4.out &&
    grep -qx "size=4 sum=4 ring=4" n4.out
'
test_expect_success OMPI 'Open MPI through PMIx: -N2 -n4' '
    timeout 120 flux run -N2 -n4 -o pmi=pmix ./hello-ompi >n24.out &&
    grep -qx "size=4 sum=4 ring=4" n24.out
'
test_expect_success OMPI 'Open MPI through PMIx: -N4 -n4' '
    timeout 120 flux run -N4 -n4 -o pmi=pmix ./hello-ompi >n44.out &&
    grep -qx "size=4 sum=4 ring=4" n44.out
'
test_expect_success OMPI 'Open MPI with both offered runs (the default, and asked for)' '
    timeout 120 flux run -N2 -n4 ./hello-ompi >both.out &&
    grep -qx "size=4 sum=4 ring=4" both.out &&
    timeout 120 flux run -N2 -n4 -o pmi=simple,pmix ./hello-ompi >both2.out &&
    grep -qx "size=4 sum=4 ring=4" both2.out
'
test_expect_success OMPI 'Open MPI MPI_Abort through PMIx names the rank and code' '
    ! timeout 120 flux run -N2 -n4 -o pmi=pmix $PWD/abort-ompi 2>oabort.err &&
    grep -q "exec: task 1 called PMIx abort (exit code 7)" oabort.err &&
    ! pgrep -f "^$PWD/abort-ompi\$"
'
test_expect_success OMPI 'Open MPI early exit through PMIx names the rank' '
    ! timeout 120 flux run -N2 -n4 -o pmi=pmix $PWD/early-ompi 2>oearly.err &&
    grep -q "exec: task 1 exited without calling PMIx_Finalize (exit code 5)" oearly.err &&
    ! pgrep -f "^$PWD/early-ompi\$"
'
mpienv='"env", "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1", "OMPI_MCA_btl=self,vader,tcp", "OMPI_MCA_btl_tcp_if_include=lo", "OMPI_MCA_oob_tcp_if_include=lo"'
test_expect_success OMPI 'Open MPI through PMIx: 64 ranks on a size-4 instance' '
    cat >j64.yaml <<-EOF &&
	version: 1
	resources:
	  - type: node
	    count: 4
	    with:
	      - type: slot
	        count: 1
	        label: task
	        with:
	          - type: core
	            count: 1
	tasks:
	  - command: [$mpienv, "$PWD/hello-ompi"]
	    slot: task
	    count:
	      total: 64
	attributes:
	  system:
	    duration: 0
	    cwd: "$PWD"
	    shell:
	      options:
	        pmi: pmix
	EOF
    id=$(flux job submit j64.yaml) &&
    timeout 300 flux job attach $id >n64.out &&
    grep -qx "size=64 sum=64 ring=64" n64.out
'
test_done
