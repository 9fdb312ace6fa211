#!/bin/bash
#SBATCH -t UNLIMITED
# check: squeue -h -t all -j $id -o %l | grep -qx UNLIMITED
true
