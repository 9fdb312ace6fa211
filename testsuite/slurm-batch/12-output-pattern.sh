#!/bin/bash
#SBATCH -J pat
#SBATCH -o %x-%j.log
# out: pat-@JOBID@.log
# expect: ^in pattern file$
echo in pattern file
