#!/bin/bash
#SBATCH -o fixed-16.out
# pre: echo OLDCONTENT >fixed-16.out
# out: fixed-16.out
# expect: ^fresh$
# check: ! grep -q OLDCONTENT fixed-16.out
echo fresh
