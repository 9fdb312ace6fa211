#!/bin/bash
# mpi-total.sh PMI NTASKS CMD... - run CMD as NTASKS tasks over the 4 nodes
# (MPI_NODES of them, if set) of a test instance (2 cores each) with -o pmi=PMI: a jobspec whose task
# total exceeds its slots (RFC 25), oversubscribed as in shell-mpi.t.
# Used by bench/mpi.sh inside `flux start`.
set -euo pipefail
pmi=$1 n=$2 nodes=${MPI_NODES:-4}
shift 2
cmd=$(printf '"%s", ' "$@")
cmd="[${cmd%, }]"
spec=$(mktemp)
cat >"$spec" <<EOF
version: 1
resources:
  - type: node
    count: $nodes
    with:
      - type: slot
        count: 1
        label: task
        with:
          - type: core
            count: ${MPI_CORES:-1}
tasks:
  - command: $cmd
    slot: task
    count:
      total: $n
attributes:
  system:
    duration: 0
    cwd: "$PWD"
    environment: {OMPI_ALLOW_RUN_AS_ROOT: "1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: "1", OMPI_MCA_btl: "self,vader,tcp", OMPI_MCA_btl_tcp_if_include: lo, OMPI_MCA_oob_tcp_if_include: lo, OMPI_MCA_mpi_yield_when_idle: "1", PATH: "$PATH"}
    shell:
      options:
        pmi: $pmi
EOF
id=$(flux job submit "$spec")
rm -f "$spec"
flux job attach "$id"
