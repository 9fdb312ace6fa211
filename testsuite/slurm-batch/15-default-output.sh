#!/bin/bash
# out: slurm-@JOBID@.out
# expect: ^default file, stderr too$
# expect: ^err line$
echo "default file, stderr too"
echo "err line" >&2
