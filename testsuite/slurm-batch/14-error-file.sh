#!/bin/bash
#SBATCH -o o-%j.out
#SBATCH -e e-%j.err
# out: e-@JOBID@.err
# expect: ^to stderr$
# check: grep -qx "to stdout" o-$id.out && ! grep -q "to stderr" o-$id.out
echo to stdout
echo to stderr >&2
