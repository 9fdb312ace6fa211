#!/bin/bash
#SBATCH -n 1

echo "name=$SLURM_JOB_NAME"
#SBATCH -J toolate
# expect: ^name=03-directives-stop.sh$
