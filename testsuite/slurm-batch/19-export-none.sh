#!/bin/bash
#SBATCH --export=NONE
# expect: ^secret=$
# expect: ^jobid=[0-9]+$
echo "secret=$SLURM_COMPAT_TEST_SECRET"
echo "jobid=$SLURM_JOB_ID"
