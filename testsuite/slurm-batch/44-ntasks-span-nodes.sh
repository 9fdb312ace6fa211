#!/bin/bash
#SBATCH -n 3
# More tasks than one node's cores (2 per broker here): the allocation
# spans both nodes and every task runs (as Slurm).
# expect: ^tasks=3$
echo "tasks=$(srun hostname | wc -l)"
