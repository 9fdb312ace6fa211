#!/bin/bash
#SBATCH -n 2
# expect: ^gtids=0,1$
# expect: ^cpus_per_node=[0-9]+$
echo "gtids=$(srun -n2 printenv SLURM_GTIDS | sort -u)"
echo "cpus_per_node=$SLURM_JOB_CPUS_PER_NODE"
