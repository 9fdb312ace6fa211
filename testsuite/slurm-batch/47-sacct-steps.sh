#!/bin/bash
#SBATCH -n 2
#SBATCH -J steps
# Steps are numbered 0, 1, ... in order (concurrent ones distinct) and
# sacct lists them under the job: N.batch, then N.S with each step's
# command, state and exit code; -X shows the allocation alone.
# expect: ^first 0$
# expect: ^late [23]$
# check: sacct -n -P -o JobID,JobName,State,ExitCode,NTasks -j $id >acct.out && cat acct.out
# check: test "$(sed -n 1p acct.out)" = "$id|steps|COMPLETED|0:0|"
# check: test "$(sed -n 2p acct.out)" = "$id.batch|batch|COMPLETED|0:0|1"
# check: test "$(sed -n 3p acct.out)" = "$id.0|sh|COMPLETED|0:0|1"
# check: test "$(sed -n 4p acct.out)" = "$id.1|false|FAILED|1:0|2"
# check: test "$(sed -n 5p acct.out)" = "$id.2|sh|COMPLETED|0:0|1"
# check: test "$(sed -n 6p acct.out)" = "$id.3|sh|COMPLETED|0:0|1"
# check: test $(wc -l <acct.out) -eq 6
# check: test "$(sacct -n -P -X -o JobID -j $id)" = "$id"
# check: test "$(sacct -n -P -o JobID,State -j $id.1)" = "$id.1|FAILED"
srun -n1 sh -c 'echo first $SLURM_STEP_ID'
srun -n2 false
srun -n1 sh -c 'echo late $SLURM_STEP_ID' &
srun -n1 sh -c 'echo late $SLURM_STEP_ID' &
wait
exit 0
