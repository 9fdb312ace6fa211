#!/bin/bash
#SBATCH -t 2-3
# check: squeue -h -t all -j $id -o %l | grep -qx 2-03:00:00
true
