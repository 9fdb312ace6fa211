#!/bin/bash
# MPI under flux run, served by the job shell: programs built with Debian's
# Open MPI (mpicc; its "flux" pmix component dlopens FLUX_PMI_LIBRARY_PATH,
# our libpmi.so) and MPICH (mpicc.mpich; PMI-1 on PMI_FD) doing MPI_Init,
# rank/size, a ring, MPI_Allreduce, MPI_Barrier, MPI_Finalize on one node,
# across nodes and with 64 ranks; MPI_Abort and an early exit end the job
# with an exception naming the rank.
#
# Open MPI's run-as-root and loopback settings are set here, in the test
# harness, never in the shell.
. "$(dirname "$0")/lib/test-lib.sh"
if ! command -v mpicc >/dev/null || ! command -v mpicc.mpich >/dev/null; then
    test_skip_all "mpicc (openmpi-bin libopenmpi-dev) or mpicc.mpich (mpich libmpich-dev) not installed"
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    OMPI_MCA_btl=self,vader,tcp OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo \
    UCX_TLS=self,sm,tcp UCX_NET_DEVICES=lo
test_under_flux 4

src=$FLUX_SOURCE_DIR/testsuite/mpi
test_expect_success 'compile the test programs with both MPIs' '
    for p in hello abort early; do
        mpicc -o $p-ompi $src/$p.c &&
        mpicc.mpich -o $p-mpich $src/$p.c || return 1
    done
'
for m in ompi mpich; do
    test_expect_success "$m: flux run -n4" '
        timeout 120 flux run -n4 ./hello-'$m' >n4.'$m' &&
        grep -qx "size=4 sum=4 ring=4" n4.'$m'
    '
    test_expect_success "$m: flux run -N1 -n2" '
        timeout 120 flux run -N1 -n2 ./hello-'$m' >n12.'$m' &&
        grep -qx "size=2 sum=2 ring=2" n12.'$m'
    '
    test_expect_success "$m: flux run -N2 -n4" '
        timeout 120 flux run -N2 -n4 ./hello-'$m' >n2.'$m' &&
        grep -qx "size=4 sum=4 ring=4" n2.'$m'
    '
    test_expect_success "$m: flux run -N4 -n4" '
        timeout 120 flux run -N4 -n4 ./hello-'$m' >n44.'$m' &&
        grep -qx "size=4 sum=4 ring=4" n44.'$m'
    '
    test_expect_success "$m: MPI_Abort raises an exception naming the rank and code" '
        ! timeout 120 flux run -N2 -n4 $PWD/abort-'$m' 2>abort.'$m' &&
        grep -Eq "exec: task 1 called PMIx? abort \(exit code 7\)" abort.'$m' &&
        ! pgrep -f "^$PWD/abort-'$m'\$"
    '
    test_expect_success "$m: a rank exiting early ends the job naming it" '
        ! timeout 120 flux run -N2 -n4 $PWD/early-'$m' 2>early.'$m' &&
        grep -Eq "exec: task 1 exited without calling (PMI finalize|PMIx_Finalize) \(exit code 5\)" early.'$m' &&
        ! pgrep -f "^$PWD/early-'$m'\$"
    '
done
# 64 ranks on 4 nodes of 2 cores: a jobspec whose task total exceeds its
# slots (RFC 25), which the shells spread 16 to a node (oversubscribed).
mpienv='"env", "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1", "OMPI_MCA_btl=self,vader,tcp", "OMPI_MCA_btl_tcp_if_include=lo", "OMPI_MCA_oob_tcp_if_include=lo", "UCX_TLS=self,sm,tcp", "UCX_NET_DEVICES=lo"'
for m in ompi mpich; do
    test_expect_success "$m: 64 ranks on a size-4 instance" '
        cat >j64.'$m'.yaml <<-EOF &&
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
	  - command: [$mpienv, "$PWD/hello-'$m'"]
	    slot: task
	    count:
	      total: 64
	attributes:
	  system:
	    duration: 0
	    cwd: "$PWD"
	EOF
        id=$(flux job submit j64.'$m'.yaml) &&
        timeout 300 flux job attach $id >n64.'$m' &&
        grep -qx "size=64 sum=64 ring=64" n64.'$m'
    '
done
test_expect_success 'Open MPI through its flux component (-o pmi=simple): -N2 -n4 and MPI_Abort' '
    timeout 120 flux run -N2 -n4 -o pmi=simple ./hello-ompi >simple.ompi &&
    grep -qx "size=4 sum=4 ring=4" simple.ompi &&
    ! timeout 120 flux run -N2 -n4 -o pmi=simple ./abort-ompi 2>sabort.ompi &&
    grep -q "exec: task 1 called PMI abort (exit code 7)" sabort.ompi
'
test_expect_success 'Open MPI without FLUX_PMI_LIBRARY_PATH fails in MPI_Init, not silently' '
    ! timeout 120 flux run -N1 -n2 -o pmi=simple \
        sh -c "unset FLUX_PMI_LIBRARY_PATH; exec ./hello-ompi" >nolib.out 2>nolib.err &&
    ! grep -q "size=" nolib.out
'
# The same programs on a size-2 instance (the tests above use size 4).
test -x "$FLUX_BUILD_DIR/testsuite/helpers/pmix-client" && test_set_prereq PMIX
test_expect_success 'both MPIs on a size-2 instance: -N2 -n4 and -N1 -n2' '
    timeout 300 flux start --test-size=2 sh -c "
        flux run -N2 -n4 ./hello-ompi >s2.ompi &&
        flux run -N2 -n4 ./hello-mpich >s2.mpich &&
        flux run -N1 -n2 ./hello-mpich >s21.mpich" &&
    grep -qx "size=4 sum=4 ring=4" s2.ompi &&
    grep -qx "size=4 sum=4 ring=4" s2.mpich &&
    grep -qx "size=2 sum=2 ring=2" s21.mpich
'
test_expect_success PMIX 'Open MPI through PMIx on a size-2 instance: -N2 -n4' '
    timeout 300 flux start --test-size=2 flux run -N2 -n4 -o pmi=pmix ./hello-ompi >s2.pmix &&
    grep -qx "size=4 sum=4 ring=4" s2.pmix
'
test_expect_success 'with -o pmi=off, MPICH runs each rank as a singleton' '
    timeout 120 flux run -N1 -n2 -o pmi=off ./hello-mpich >off.out &&
    test $(grep -c "^size=1 sum=1 ring=1$" off.out) -eq 2
'
test_done
