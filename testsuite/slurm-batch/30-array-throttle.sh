#!/bin/bash
#SBATCH --array=1-4%1
# needs: dependency
# out: slurm-@JOBID@_1.out
# expect: ^t1$
# check: squeue -h -t all -o %i | grep -c "^${id}_" | grep -qx 4
echo t$SLURM_ARRAY_TASK_ID
