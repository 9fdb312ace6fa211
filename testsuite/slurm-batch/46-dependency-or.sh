#!/bin/bash
# needs: dependency
# -d A?B: the job may start once either holds (a failed A does not fail it).
# pre: bad=$(sbatch --parsable --wrap "exit 1") && good=$(sbatch --parsable --wrap "sleep 1")
# args: -d afterok:$bad?afterok:$good
# expect: ^either$
echo either
