#!/bin/bash
#SBATCH --nodelist=node7
# fails: option --nodelist is not supported
true
