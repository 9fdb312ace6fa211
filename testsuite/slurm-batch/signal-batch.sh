#!/bin/bash
#SBATCH -t 0:08
#SBATCH --signal=B:USR1@6
# --signal=B: only the batch script gets SIGUSR1 (a checkpoint-and-requeue
# idiom): its trap stops the step it started in the background.
# expect: ^script-got-usr1$
# expect: ^script-done$
# check: ! grep -q step-got-usr1 slurm-$id.out
trap 'echo script-got-usr1; kill $p' USR1
srun bash -c 'trap "echo step-got-usr1; exit 0" USR1; sleep 30 & wait' &
p=$!
wait
wait
echo script-done
