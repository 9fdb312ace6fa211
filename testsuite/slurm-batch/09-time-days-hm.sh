#!/bin/bash
#SBATCH -t 1-2:30
# check: squeue -h -t all -j $id -o %l | grep -qx 1-02:30:00
true
