#!/bin/bash
#SBATCH -t 0-0:10:05
# check: squeue -h -t all -j $id -o %l | grep -qx 10:05
true
