#!/bin/bash
#SBATCH -n 2
# expect: ^0: rank 0$
# expect: ^1: rank 1$
srun -l sh -c 'echo rank $SLURM_PROCID'
