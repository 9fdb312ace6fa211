#!/bin/bash
#SBATCH -n 1
#SBATCH -J leaver
# A step still running when its batch script ends goes down with the
# allocation (srun too): it recorded its start only, and sacct shows it
# CANCELLED, ending with the allocation, as Slurm's accounting does.
# expect: ^step-running$
# check: sacct -n -P -o JobID,JobName,State -j $id.0 >acct.out && cat acct.out
# check: test "$(cat acct.out)" = "$id.0|orphan|CANCELLED"
srun -n1 -J orphan sleep 300 &
for i in $(seq 100); do
    sacct -n -P -o State -j "$SLURM_JOB_ID.0" | grep -qx RUNNING && break
    sleep 0.1
done
sacct -n -P -o State -j "$SLURM_JOB_ID.0" | grep -qx RUNNING && echo step-running
exit 0
