#!/bin/bash
#SBATCH -o out-%u-100%%.txt
# out: out-@USER@-100%.txt
# expect: ^user pattern$
echo user pattern
