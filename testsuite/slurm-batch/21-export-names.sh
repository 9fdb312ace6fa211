#!/bin/bash
#SBATCH --export=SLURM_COMPAT_TEST_SECRET,ONLY=1
# expect: ^secret=s3cret only=1 other=$
echo "secret=$SLURM_COMPAT_TEST_SECRET only=$ONLY other=$SLURM_COMPAT_TEST_OTHER"
