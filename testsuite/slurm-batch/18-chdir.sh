#!/bin/bash
#SBATCH -D sub18
# pre: mkdir -p sub18
# out: sub18/slurm-@JOBID@.out
# expect: /sub18$
pwd
