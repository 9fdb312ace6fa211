#!/bin/bash
#SBATCH -H
# nowait
# check: squeue -h -j $id -o "%t %R" | grep -qx "PD (JobHeldUser)"
# check: scancel $id
true
