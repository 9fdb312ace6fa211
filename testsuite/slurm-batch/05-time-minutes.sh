#!/bin/bash
#SBATCH -t 5
# check: squeue -h -t all -j $id -o %l | grep -qx 5:00
true
