#!/bin/bash
#SBATCH --begin=now+1
# needs: dependency
# Not before --begin (RFC 26 begin-time, through the .dependency plugin).
# expect: ^began$
# check: flux job eventlog $id | grep -q "dependency-add description=\"begin-time:"
echo began
