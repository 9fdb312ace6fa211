#!/bin/bash
#SBATCH --job-name=fromdirective
#SBATCH --ntasks=1
# args: -J fromcli -n 2
# expect: ^fromcli 2$
echo "$SLURM_JOB_NAME $SLURM_NTASKS"
