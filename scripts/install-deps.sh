#!/bin/bash
# Install the Debian 12 packages fluxd needs to build and test (apt, as root
# or through sudo).  Does nothing when everything is already there.
set -euo pipefail
pkgs=(build-essential autoconf automake libtool pkg-config
      libevent-dev libjansson-dev libhwloc-dev libsqlite3-dev
      libtomlplusplus-dev libyaml-cpp-dev libsimdjson-dev libcriterion-dev
      iproute2 iputils-ping procps jq sharness)
# MPI launch tests (testsuite/shell-mpi.t) and the shell's PMIx server.
pkgs+=(openmpi-bin libopenmpi-dev mpich libmpich-dev libpmix-dev)
# Python bindings (src/bindings/python): cffi API mode and their pytest suite.
pkgs+=(python3 python3-dev python3-cffi python3-pytest libffi-dev)
# System instance: munge (signed jobspec, broker authentication), PAM
# module and its tests, RPM packaging checks, libFuzzer for the IMP's parser.
pkgs+=(munge libmunge-dev libpam0g-dev pamtester libpam-wrapper rpm libfuzzer-14-dev clang)
# `srun flux start` under Debian's real Slurm (testsuite/slurm-launch.t):
# the daemons run in a network namespace of the test's own.
pkgs+=(slurmctld slurmd slurm-client)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
