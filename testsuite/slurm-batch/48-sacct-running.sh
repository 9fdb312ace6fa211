#!/bin/bash
#SBATCH -n 2
#SBATCH -J running
# sacct inside a batch job reads the enclosing instance's accounting, as
# Slurm's does: the job itself RUNNING, its batch step, and a step that is
# still running (recorded at its start: End Unknown); Elapsed and
# Timelimit as sacct prints them (two-digit hours).
# expect: ^running-seen$
# check: sacct -n -P -o JobID,State,End -j $id.0 >acct.out && cat acct.out
# check: grep -q "^$id.0|COMPLETED|20" acct.out
# check: test $(wc -l <acct.out) -eq 1
srun -n1 -J sleeper sleep 8 &
for i in $(seq 100); do
    sacct -n -P -o JobID,JobName,State,End -j "$SLURM_JOB_ID.0" | grep -q "|sleeper|RUNNING|Unknown$" && break
    sleep 0.1
done
sacct -n -P -o JobID,JobName,State,End -j "$SLURM_JOB_ID.0" | grep -q "|sleeper|RUNNING|Unknown$" &&
    sacct -n -P -X -o JobID,State -j "$SLURM_JOB_ID" | grep -qx "$SLURM_JOB_ID|RUNNING" &&
    sacct -n -P -o JobID,Elapsed -j "$SLURM_JOB_ID.batch" | grep -Eq "^$SLURM_JOB_ID.batch\|00:00:[0-9][0-9]$" &&
    echo running-seen
wait
exit 0
