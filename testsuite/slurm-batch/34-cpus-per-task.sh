#!/bin/bash
#SBATCH -c 2
# expect: ^cpt=2$
echo "cpt=$SLURM_CPUS_PER_TASK"
