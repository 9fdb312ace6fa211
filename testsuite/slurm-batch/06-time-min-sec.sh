#!/bin/bash
#SBATCH --time=2:30
# check: squeue -h -t all -j $id -o %l | grep -qx 2:30
true
