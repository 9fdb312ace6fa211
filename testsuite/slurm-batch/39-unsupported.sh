#!/bin/bash
#SBATCH --tmp=10G
# fails: option --tmp is not supported
true
