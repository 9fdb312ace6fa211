#!/bin/bash
#SBATCH -J basic
#SBATCH -n 2
# expect: ^name=basic ntasks=2 nprocs=2$
echo "name=$SLURM_JOB_NAME ntasks=$SLURM_NTASKS nprocs=$SLURM_NPROCS"
