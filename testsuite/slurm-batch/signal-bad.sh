#!/bin/bash
#SBATCH --signal=NOTASIGNAL@30
# fails: Invalid --signal specification: NOTASIGNAL@30
echo never
