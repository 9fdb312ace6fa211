#!/bin/bash
#SBATCH -N 64
#SBATCH -n 64
# fails: sbatch: error: Batch job submission failed
true
