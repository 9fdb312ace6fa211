#!/bin/bash
# flux getattr/setattr/lsattr: computed and runtime attributes, per-rank values, errors, usage.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 2

test_expect_success 'getattr rank, size and tbon.fanout' '
    test "$(flux getattr rank)" = 0 &&
    test "$(flux getattr size)" = 2 &&
    test "$(flux getattr tbon.fanout)" = 2
'
test_expect_success 'getattr local-uri is the FLUX_URI of rank 0' '
    flux getattr local-uri >uri &&
    test "$(cat uri)" = "$FLUX_URI" &&
    test "$(cat uri)" = "$(rank_uri 0)"
'
test_expect_success 'getattr instance-level is 0 at the top level' '
    test "$(flux getattr instance-level)" = 0
'
test_expect_success 'getattr of an unset attribute fails (parent-uri at level 0)' '
    test_must_fail flux getattr parent-uri 2>err &&
    grep -q "parent-uri" err
'
test_expect_success 'getattr broker.pid is the running fluxd that started this script' '
    pid=$(flux getattr broker.pid) &&
    test "$pid" -gt 0 &&
    kill -0 "$pid" &&
    test "$(cat /proc/$pid/comm)" = fluxd &&
    test "$pid" = "$PPID"
'
test_expect_success 'rank 1 reports its own rank, pid and local-uri' '
    test "$(on_rank 1 flux getattr rank)" = 1 &&
    test "$(on_rank 1 flux getattr size)" = 2 &&
    pid1=$(on_rank 1 flux getattr broker.pid) &&
    test "$pid1" != "$(flux getattr broker.pid)" &&
    test "$(cat /proc/$pid1/comm)" = fluxd &&
    test "$(on_rank 1 flux getattr local-uri)" = "$(rank_uri 1)"
'
test_expect_success 'getattr of an unknown attribute fails with its name' '
    test_must_fail flux getattr x 2>err &&
    grep -q "unknown attribute .x." err &&
    test_must_fail flux getattr no.such.attr 2>err &&
    grep -q "unknown attribute .no\.such\.attr." err
'
test_expect_success 'setattr log-stderr-level 5, getattr shows 5' '
    flux setattr log-stderr-level 5 &&
    test "$(flux getattr log-stderr-level)" = 5 &&
    flux setattr log-stderr-level 3 &&
    test "$(flux getattr log-stderr-level)" = 3
'
test_expect_success 'setattr on one rank does not change another' '
    on_rank 1 flux setattr log-ring-size 77 &&
    test "$(on_rank 1 flux getattr log-ring-size)" = 77 &&
    test "$(flux getattr log-ring-size)" = 1024 &&
    on_rank 1 flux setattr log-ring-size 1024
'
test_expect_success 'setattr of an immutable attribute fails' '
    test_must_fail flux setattr rank 1 2>err &&
    grep -q "may not be changed" err &&
    test_must_fail flux setattr size 3 2>err &&
    grep -q "may not be changed" err &&
    test_must_fail flux setattr tbon.fanout 4 2>err &&
    grep -q "may not be changed" err &&
    test "$(flux getattr rank)" = 0 &&
    test "$(flux getattr size)" = 2 &&
    test "$(flux getattr tbon.fanout)" = 2
'
test_expect_success 'setattr with an out-of-range value fails and keeps the old value' '
    test_must_fail flux setattr log-stderr-level 9 2>err &&
    grep -q "out of range" err &&
    test_must_fail flux setattr log-stderr-level -1 2>err &&
    grep -q "out of range" err &&
    test_must_fail flux setattr log-stderr-level abc 2>err &&
    grep -q "not an integer" err &&
    test "$(flux getattr log-stderr-level)" = 3
'
test_expect_success 'setattr of an unknown attribute fails and does not create it' '
    test_must_fail flux setattr nosuch 1 2>err &&
    grep -q "unknown attribute .nosuch." err &&
    test_must_fail flux getattr nosuch
'
test_expect_success 'lsattr lists names, sorted, including rank, size and rundir' '
    flux lsattr >names &&
    LC_ALL=C sort names >sorted &&
    cmp sorted names &&
    test $(sort -u names | wc -l) -eq $(wc -l <names) &&
    grep -qx rank names &&
    grep -qx size names &&
    grep -qx rundir names &&
    grep -qx local-uri names &&
    grep -qx broker.pid names &&
    ! grep -q " " names
'
test_expect_success 'lsattr -v shows values' '
    flux lsattr -v >values &&
    test "$(awk "\$1 == \"rank\" { print \$2 }" values)" = 0 &&
    test "$(awk "\$1 == \"size\" { print \$2 }" values)" = 2 &&
    test "$(awk "\$1 == \"rundir\" { print \$2 }" values)" = "$(flux getattr rundir)" &&
    test "$(awk "\$1 == \"broker.pid\" { print \$2 }" values)" = "$(flux getattr broker.pid)" &&
    awk "{ print \$1 }" values >names &&
    flux lsattr >names2 &&
    cmp names names2
'
test_expect_success 'lsattr -v on rank 1 shows rank 1' '
    on_rank 1 flux lsattr -v >values1 &&
    test "$(awk "\$1 == \"rank\" { print \$2 }" values1)" = 1
'
test_expect_success 'getattr/setattr/lsattr usage errors' '
    test_must_fail flux getattr 2>err &&
    grep -q "Usage: flux getattr NAME" err &&
    test_must_fail flux getattr a b 2>err &&
    grep -q "Usage: flux getattr NAME" err &&
    test_must_fail flux setattr 2>err &&
    grep -q "Usage: flux setattr NAME VALUE" err &&
    test_must_fail flux setattr log-stderr-level 2>err &&
    grep -q "Usage: flux setattr NAME VALUE" err &&
    test_must_fail flux setattr a b c 2>err &&
    grep -q "Usage: flux setattr NAME VALUE" err &&
    test_must_fail flux lsattr --bogus 2>err &&
    grep -q "unknown option" err &&
    grep -q "Usage: flux lsattr" err
'
test_expect_success 'getattr and lsattr --help succeed' '
    flux getattr --help >out && grep -q "^Usage: flux getattr" out &&
    flux lsattr --help >out && grep -q "^Usage: flux lsattr" out
'
test_done
