#!/bin/bash
#SBATCH -t 1:30:00
# check: squeue -h -t all -j $id -o %l | grep -qx 1:30:00
true
