#!/bin/bash
#SBATCH --mem=100M
#SBATCH --mem-per-cpu=10
#SBATCH -A someaccount
#SBATCH --mail-type=END
# expect: ^ran$
echo ran
