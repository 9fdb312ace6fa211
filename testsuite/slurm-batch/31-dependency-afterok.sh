#!/bin/bash
# needs: dependency
# pre: first=$(sbatch --parsable --wrap "sleep 1")
# args: -d afterok:$first
# expect: ^after first$
# check: test "$(squeue -h -t all -j $first -o %t)" = CD
echo after first
