#!/bin/bash
# exit: 7
# check: sacct -n -X -j $id -o State,ExitCode | grep -q "FAILED *7:0"
exit 7
