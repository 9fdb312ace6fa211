#!/bin/bash
#SBATCH -t 0:08
#SBATCH --signal=USR1@6
# --signal without B: the steps get SIGUSR1 6 s before the time limit, the
# batch script does not (it would die of it without a trap).
# expect: ^step-got-usr1$
# expect: ^script-done$
# check: ! grep -q script-got-usr1 slurm-$id.out
trap 'echo script-got-usr1' USR1
srun bash -c 'trap "echo step-got-usr1; exit 0" USR1; sleep 30 & wait'
echo script-done
