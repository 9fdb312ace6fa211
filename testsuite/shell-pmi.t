#!/bin/bash
# The shell's PMI-1 server (RFC 13 simple wire protocol on PMI_FD), driven
# by a client in the test tree that speaks the protocol directly
# (helpers/pmi-client.c): exchange within a node and across nodes, the
# process mapping, unknown keys, and bad clients (garbage, PMI-2 wire, an
# endless line, an exit without finalize, abort) that must end their job
# with a clear message while the shell and brokers stay up.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 4

test_expect_success 'tasks get PMI_FD, PMI_RANK, PMI_SIZE and FLUX_PMI_LIBRARY_PATH' '
    flux run -n2 -l sh -c "echo \$PMI_RANK \$PMI_SIZE; test -S /proc/self/fd/\$PMI_FD || test -e /proc/self/fd/\$PMI_FD" | sort >env.out &&
    printf "0: 0 2\n1: 1 2\n" >env.exp &&
    test_cmp env.exp env.out &&
    lib=$(flux run -n1 printenv FLUX_PMI_LIBRARY_PATH) &&
    test -f "$lib" &&
    nm -D "$lib" | grep -q " T PMI_KVS_Get$"
'
test_expect_success 'two tasks on one node exchange keys through barriers' '
    flux run -N1 -n2 pmi-client exchange 3 >one.out &&
    grep -c "ok$" one.out | grep -qx 2 &&
    grep -qx "mapping (vector,(0,1,2))" one.out
'
# The brokers of a test instance share one host: the process mapping
# groups them into one host, as the MPIs see one hostname.
test_expect_success 'tasks on two nodes exchange keys (shells fan in and out)' '
    flux run -N2 -n4 pmi-client exchange 3 >two.out &&
    grep -c "ok$" two.out | grep -qx 4 &&
    grep -qx "mapping (vector,(0,1,4))" two.out
'
test_expect_success 'tasks on four nodes, uneven, exchange keys' '
    flux run -N4 -n7 pmi-client exchange 2 >four.out &&
    grep -c "ok$" four.out | grep -qx 7 &&
    grep -qx "mapping (vector,(0,1,7))" four.out
'
test_expect_success 'many barriers in a row across four nodes' '
    flux run -N4 -n4 pmi-client exchange 50 >many.out &&
    grep -c "ok$" many.out | grep -qx 4
'
test_expect_success '-o pmi=off gives tasks no PMI_FD' '
    flux run -n1 -o pmi=off sh -c "echo \${PMI_FD:-none} \${FLUX_PMI_LIBRARY_PATH:-none}" >off.out &&
    echo "none none" >off.exp &&
    test_cmp off.exp off.out
'
test_expect_success '-o pmi=simple and pmi=simple,pmix serve PMI-1' '
    flux run -n2 -o pmi=simple pmi-client exchange >s1.out &&
    grep -c "ok$" s1.out | grep -qx 2 &&
    flux run -n2 -o pmi=pmix,simple pmi-client exchange >s2.out &&
    grep -c "ok$" s2.out | grep -qx 2
'
test_expect_success 'an unknown -o pmi value fails the job naming it' '
    test_must_fail flux run -n1 -o pmi=bogus true 2>bogus.err &&
    grep -q "unknown PMI .bogus." bogus.err
'
test_expect_success 'garbage on the PMI fd: the connection is closed with a clear error' '
    test_expect_code 3 timeout 30 flux run -n1 pmi-client garbage >g.out 2>g.err &&
    grep -q "closed" g.out &&
    grep -q "task 0: PMI-1 protocol error: not a PMI-1 command" g.err
'
test_expect_success 'the PMI-2 wire protocol is refused by name' '
    test_expect_code 3 timeout 30 flux run -n1 pmi-client pmi2 2>p2.err &&
    grep -q "PMI-2 wire protocol" p2.err
'
test_expect_success 'an endless line is refused' '
    test_must_fail timeout 30 flux run -n1 pmi-client longline 2>ll.err &&
    grep -q "without a newline" ll.err
'
test_expect_success 'a task that exits without PMI finalize raises an exception naming it' '
    id=$(flux submit -n2 pmi-client nofinalize) &&
    test_must_fail flux job wait $id &&
    flux job eventlog $id >nf.log &&
    grep -q "exception type=\"exec\".*task [01] exited without calling PMI finalize (exit code 0)" nf.log
'
test_expect_success 'a task exiting while the others wait in a barrier ends the job' '
    ! timeout 60 flux run -N2 -n4 pmi-client barrier-exit 3 2>be.err &&
    grep -q "exec: task 3 exited without calling PMI finalize (exit code 0)" be.err
'
test_expect_success 'PMI abort raises an exception naming the task and code, and kills the rest' '
    ! timeout 60 flux run -N2 -n4 pmi-client abort 42 2>ab.err &&
    grep -q "exec: task [0-3] called PMI abort (exit code 42)" ab.err &&
    ! pgrep -f "pmi-client abort 42"
'
test_expect_success 'the instance is still up and serves PMI after all that' '
    flux run -N2 -n2 pmi-client exchange >after.out &&
    grep -c "ok$" after.out | grep -qx 2
'
test_done
