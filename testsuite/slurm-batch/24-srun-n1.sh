#!/bin/bash
#SBATCH -n 2
# expect: ^single=1$
echo "single=$(srun -n1 -N1 hostname | wc -l)"
