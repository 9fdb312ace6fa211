#!/bin/bash
#SBATCH --export=ALL,EXTRA=given
# expect: ^secret=s3cret extra=given$
echo "secret=$SLURM_COMPAT_TEST_SECRET extra=$EXTRA"
