#!/bin/bash
# job-exec forks the owner's job shells from one long-lived
# `flux-shell --launcher` per broker instead of exec'ing flux-shell per job
# (doc/design/shell-launcher.md): the shell behaves as an exec'd one, its
# exit comes back through the launcher, and a launcher that dies takes
# its running shells with it without taking the broker or later jobs.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 1

SHELL_BIN=$FLUX_BUILD_DIR/src/shell/flux-shell

# parent_of PID: the command line of PID's parent.
parent_of() {
    local pp
    pp=$(awk '/^PPid:/ {print $2}' /proc/$1/status) &&
    tr '\0' ' ' </proc/$pp/cmdline
}
export -f parent_of
# The command line of the shell's parent, as seen by a task ($PPID: its shell).
SHOW_PARENT='parent_of $PPID'

test_expect_success 'a job shell is forked by the launcher' '
    flux run bash -c "$SHOW_PARENT" >parent &&
    cat parent &&
    grep -q -- "flux-shell --launcher 3" parent
'
test_expect_success 'the launched shell runs tasks as an exec-ed one: output, environment, layout' '
    flux run -n2 -l printenv FLUX_TASK_RANK | sort >ranks &&
    printf "0: 0\n1: 1\n" >ranks.exp &&
    test_cmp ranks.exp ranks &&
    test_expect_code 1 flux run printenv LD_BIND_NOW >bind.out &&
    test_must_be_empty bind.out
'
test_expect_success 'exit codes and signals come back through the launcher' '
    test_expect_code 3 flux run sh -c "exit 3" &&
    test_expect_code 137 flux run sh -c "kill -9 \$\$"
'
test_expect_success 'a launched job is cancelled' '
    id=$(flux submit sleep 3071) &&
    flux job wait-event -t 10 $id start &&
    flux cancel $id &&
    flux job wait-event -t 10 $id clean &&
    ! pgrep -f "^sleep 3071\$"
'
test_expect_success 'a launcher killed under a running job: the job ends, the next is exec-ed' '
    id=$(flux submit sleep 3072) &&
    flux job wait-event -t 10 $id start &&
    wait_for 10 pgrep -f "^sleep 3072\$" &&
    task=$(pgrep -f "^sleep 3072\$") &&
    shell=$(awk "/^PPid:/ {print \$2}" /proc/$task/status) &&
    launcher=$(awk "/^PPid:/ {print \$2}" /proc/$shell/status) &&
    tr "\0" " " </proc/$launcher/cmdline | grep -q -- "--launcher" &&
    kill -9 $launcher &&
    flux job wait-event -t 10 $id clean &&
    flux job eventlog $id | grep finish >finish &&
    grep -q "status=9" finish &&
    ! pgrep -f "^sleep 3072\$" &&
    flux dmesg | grep -q "shell launcher (pid $launcher) is gone; 1 running shell" &&
    flux run bash -c "$SHOW_PARENT" >parent2 &&
    grep -q fluxd parent2
'
test_expect_success '-Sexec.shell-launcher=off: shells are exec-ed by the broker' '
    flux start -Sexec.shell-launcher=off flux run bash -c "$SHOW_PARENT" >off &&
    grep -q fluxd off &&
    ! grep -q -- --launcher off
'
test_expect_success 'a configured conf.shell_path is exec-ed, never launched' '
    flux start -Sconf.shell_path="$SHELL_BIN" flux run bash -c "$SHOW_PARENT" >conf &&
    grep -q fluxd conf
'
test_expect_success 'exec.shell-launcher takes on or off' '
    test_must_fail flux start -Sexec.shell-launcher=maybe true 2>err &&
    grep -q "expected on or off" err
'
test_expect_success 'flux-shell --launcher refuses a bad descriptor' '
    test_expect_code 1 "$SHELL_BIN" --launcher x 2>err &&
    grep -q "not a file descriptor" err
'
test_expect_success 'the launcher ends with its broker' '
    flux start bash -c "flux run true && pgrep -f \"^[^ ]*flux-shell --launcher\" -P \$(flux getattr broker.pid) >lpid" &&
    test -s lpid &&
    ! kill -0 $(cat lpid) 2>/dev/null
'
test_done
