#!/bin/bash
#SBATCH -o fixed-17.out
#SBATCH --open-mode=append
# pre: echo KEPT >fixed-17.out
# out: fixed-17.out
# expect: ^KEPT$
# expect: ^appended$
echo appended
