#!/bin/bash
#SBATCH -N 1
#SBATCH --ntasks-per-node=2
# expect: ^n=2 nodes=1 tpn=2$
echo "n=$SLURM_NTASKS nodes=$SLURM_NNODES tpn=$SLURM_TASKS_PER_NODE"
