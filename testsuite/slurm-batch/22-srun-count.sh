#!/bin/bash
#SBATCH -n 2
# expect: ^tasks=2$
echo "tasks=$(srun hostname | wc -l)"
