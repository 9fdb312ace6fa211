#!/bin/bash
#SBATCH -t 1:2:3:4
# fails: sbatch: error: Invalid --time specification
true
