#!/bin/bash
#SBATCH -n 2
# expect: ^same job$
# expect: ^step 1$
# expect: ^procids 0,1$
s=$(srun -n1 printenv SLURM_JOB_ID)
test "$s" = "$SLURM_JOB_ID" && echo "same job"
echo "step $(srun -n1 printenv SLURM_STEP_ID)"
echo "procids $(srun printenv SLURM_PROCID | sort | paste -sd,)"
