#!/bin/bash
# -o exit-on-error and -o exit-timeout=FSD (built-in shell plugin "exit"):
# a task that fails, or tasks still running after the first task of the job
# exited (on any node; default 30s), end the job with a fatal exception
# naming the task.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 2

test_expect_success 'without options, one failing task does not end the others' '
    ! flux run -N1 -n2 sh -c "test \$FLUX_TASK_RANK = 0 && exit 3; sleep 1; echo survived" >plain.out &&
    grep -qx survived plain.out
'
test_expect_success '-o exit-on-error: the first failing task raises an exception naming it' '
    ! timeout 60 flux run -N1 -n2 -o exit-on-error \
        sh -c "test \$FLUX_TASK_RANK = 1 && exit 3; sleep 30" 2>eoe.err &&
    grep -q "exec: task 1 exited with code 3" eoe.err &&
    ! pgrep -f "sleep 30$"
'
test_expect_success '-o exit-on-error: a task killed by a signal is named with it' '
    ! timeout 60 flux run -N1 -n2 -o exit-on-error \
        sh -c "test \$FLUX_TASK_RANK = 0 && kill -9 \$\$; sleep 31" 2>sig.err &&
    grep -q "exec: task 0 killed by signal 9" sig.err
'
test_expect_success '-o exit-timeout: tasks still running after the first exit are killed' '
    ! timeout 60 flux run -N1 -n2 -o exit-timeout=0.5s \
        sh -c "test \$FLUX_TASK_RANK = 0 && exit 0; sleep 32" 2>eto.err &&
    grep -q "exec: exit-timeout: 1 task(s) still running after task 0 exited with code 0 (exit-timeout=0.500s expired)" eto.err &&
    ! pgrep -f "sleep 32$"
'
test_expect_success '-o exit-timeout=none and a generous timeout change nothing' '
    flux run -N1 -n2 -o exit-timeout=none sh -c "test \$FLUX_TASK_RANK = 0 || sleep 0.3" &&
    flux run -N1 -n2 -o exit-timeout=30s sh -c "test \$FLUX_TASK_RANK = 0 || sleep 0.3"
'
test_expect_success 'exit-timeout is job-wide: a task of rank 1 exits, rank 0 sleeps on' '
    ! timeout 60 flux run -N2 -n2 -o exit-timeout=1s \
        sh -c "test \$FLUX_TASK_RANK = 1 && exit 0; sleep 33" 2>wide1.err &&
    grep -q "exec: exit-timeout: 1 task(s) still running after task 1 exited with code 0 (exit-timeout=1.000s expired)" wide1.err &&
    ! pgrep -f "sleep 33$"
'
test_expect_success 'exit-timeout is job-wide: the leader shell outlives its tasks to fire it' '
    ! timeout 60 flux run -N2 -n4 -o exit-timeout=1s \
        sh -c "test \$FLUX_TASK_RANK -lt 3 && exit 0; sleep 34" 2>wide2.err &&
    grep -q "exec: exit-timeout: 1 task(s) still running after task [0-2] exited with code 0" wide2.err &&
    ! pgrep -f "sleep 34$"
'
test_expect_success 'exit-timeout=none: tasks ending at different times on two nodes are left alone' '
    flux run -N2 -n4 -o exit-timeout=none \
        sh -c "test \$FLUX_TASK_RANK = 3 || sleep 2; echo done" >none.out 2>none.err &&
    test $(grep -c done none.out) = 4 &&
    ! grep -q exit-timeout none.err
'
test_expect_success 'the default timeout (30s) leaves tasks that end a little apart alone' '
    flux run -N2 -n4 sh -c "test \$FLUX_TASK_RANK = 0 || sleep 1.5" 2>dflt.err &&
    ! grep -q exit-timeout dflt.err
'
test_expect_success 'flux alloc and flux batch jobs default to exit-timeout=none (as Flux) and pmi=simple; -o overrides' '
    id=$(flux alloc --bg -N1) &&
    flux job info $id jobspec | jq -e ".attributes.system.shell.options[\"exit-timeout\"] == \"none\"" &&
    flux job info $id jobspec | jq -e ".attributes.system.shell.options.pmi == \"simple\"" &&
    flux cancel $id &&
    printf "#!/bin/sh\ntrue\n" >b.sh &&
    id=$(flux batch -N1 -o exit-timeout=2s b.sh) &&
    flux job info $id jobspec | jq -e ".attributes.system.shell.options[\"exit-timeout\"] == \"2s\"" &&
    flux job wait-event -t 30 $id clean &&
    id=$(flux submit -N1 true) &&
    flux job info $id jobspec | jq -e ".attributes.system.shell.options[\"exit-timeout\"] == null"
'
test_expect_success 'bad values fail the job naming the option' '
    test_must_fail flux run -n1 -o exit-timeout=soon true 2>bad1.err &&
    grep -q "exit-timeout" bad1.err &&
    test_must_fail flux run -n1 -o exit-on-error=maybe true 2>bad2.err &&
    grep -q "exit-on-error: expected no value, 0 or 1" bad2.err
'
test_done
