#!/bin/bash
#SBATCH --array=1-3
#SBATCH -o arr-%A_%a.out
# out: arr-@JOBID@_1.out
# expect: ^task 1 of 3 min 1 max 3 array @JOBID@$
# check: grep -qx "task 3 of 3 min 1 max 3 array $id" arr-${id}_3.out
# check: squeue -h -t all -o %i | grep -qx "${id}_2"
echo "task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_TASK_COUNT min $SLURM_ARRAY_TASK_MIN max $SLURM_ARRAY_TASK_MAX array $SLURM_ARRAY_JOB_ID"
