#!/bin/bash
# scriptargs: alpha "beta gamma"
# expect: ^argc=2 1=alpha 2=beta gamma$
echo "argc=$# 1=$1 2=$2"
