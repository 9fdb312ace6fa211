#!/bin/bash
#SBATCH -n 1
# exit: 3
srun sh -c 'exit 3'
