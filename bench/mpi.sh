#!/bin/bash
# MPI launch cost: wall time of a program doing MPI_Init + MPI_Finalize
# (Open MPI, bench/mpi-init.c) for 2, 16 and 64 ranks under `flux run` on a
# size-4 test instance (on one of its nodes, as mpirun's ranks share one
# node, and across its 4, whose ranks then talk TCP over loopback) vs Open
# MPI's own mpirun (pinned to loopback), on the
# same machine in one run; and the PMI fence latency for 64 ranks (a
# pmi-client doing 50 put+barrier rounds across 4 nodes, per round), for
# both of the shell's servers: -o pmi=simple (Open MPI's flux component,
# our libpmi.so) and -o pmi=pmix (OpenPMIx server; pmix-client does
# Put/Commit/Fence/Get rounds).
# Usage: bash bench/mpi.sh   (after building; needs mpicc and mpirun)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/src/cmd:$PWD/testsuite/helpers:$PATH"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    OMPI_MCA_btl=self,vader,tcp OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo \
    OMPI_MCA_mpi_yield_when_idle=1
mkdir -p .bench
mpicc -O2 -o .bench/mpi-init bench/mpi-init.c
[ -x testsuite/helpers/pmi-client ] || make testsuite/helpers/pmi-client >/dev/null
[ -x testsuite/helpers/pmix-client ] || make testsuite/helpers/pmix-client >/dev/null || true
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
for n in 2 16 64; do
    m=$(ms mpirun --oversubscribe -np $n --mca oob_tcp_if_include lo --mca btl_tcp_if_include lo .bench/mpi-init)
    echo "mpirun -np $n: ${m} ms"
done
flux start --test-size=4 bash -c '
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
rt="bash bench/mpi-total.sh"
flux run -n1 -o pmi=simple true
for i in 1 2 3; do
    echo "job overhead, flux run -n1 true: -o pmi=simple $(ms flux run -n1 -o pmi=simple true) ms, -o pmi=simple,pmix $(ms flux run -n1 -o pmi=simple,pmix true) ms"
done
for pmi in simple pmix; do
    echo "flux run -o pmi=$pmi -N1 -n2: $(ms flux run -o pmi=$pmi -N1 -n2 .bench/mpi-init) ms"
    for n in 16 64; do
        echo "flux, -o pmi=$pmi, $n ranks on 1 node: $(MPI_NODES=1 MPI_CORES=2 ms $rt $pmi $n $PWD/.bench/mpi-init) ms"
        echo "flux, -o pmi=$pmi, $n ranks on 4 nodes: $(ms $rt $pmi $n $PWD/.bench/mpi-init) ms"
    done
done
s=$(date +%s%N); $rt simple 64 pmi-client exchange 50 >/dev/null; e=$(date +%s%N)
s1=$(date +%s%N); $rt simple 64 pmi-client exchange 1 >/dev/null; e1=$(date +%s%N)
echo "PMI-1 fence, 64 ranks on 4 nodes: $(( ((e - s) - (e1 - s1)) / 49 / 1000 )) us per put+barrier+64 gets round"
if [ -x testsuite/helpers/pmix-client ]; then
    s=$(date +%s%N); $rt pmix 64 pmix-client exchange 50 >/dev/null; e=$(date +%s%N)
    s1=$(date +%s%N); $rt pmix 64 pmix-client exchange 1 >/dev/null; e1=$(date +%s%N)
    echo "PMIx fence, 64 ranks on 4 nodes: $(( ((e - s) - (e1 - s1)) / 49 / 1000 )) us per put+commit+fence+64 gets round"
fi
'
