#!/bin/bash
#SBATCH -n 2
# expect: ^ranks=0,1$
echo "ranks=$(srun --mpi=pmi2 printenv PMI_RANK | sort | paste -sd,)"
