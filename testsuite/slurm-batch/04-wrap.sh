#!/bin/bash
# wrap: echo wrapped $SLURM_JOB_NAME
# expect: ^wrapped wrap$
