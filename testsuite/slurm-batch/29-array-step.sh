#!/bin/bash
#SBATCH -a 0-4:2
# out: slurm-@JOBID@_0.out
# expect: ^count=3 step=2 id=0$
# check: grep -qx "count=3 step=2 id=4" slurm-${id}_4.out
echo "count=$SLURM_ARRAY_TASK_COUNT step=$SLURM_ARRAY_TASK_STEP id=$SLURM_ARRAY_TASK_ID"
