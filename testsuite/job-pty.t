#!/bin/bash
# Terminals for jobs: -o pty gives tasks a pseudo-terminal (their stdin,
# stdout and stderr; output captured as stdout), flux alloc with no
# command runs an interactive $SHELL on one, relayed to the caller's
# terminal (raw mode, window size and its changes, ^C reaching the job), and srun --pty
# does the same for task 0.  The caller's terminal is a pty the test makes
# (helpers/ptydrive.py types the input lines).
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 2

export PATH="$FLUX_BUILD_DIR/contrib/slurm-compat:$PATH"
drive="python3 $FLUX_SOURCE_DIR/testsuite/helpers/ptydrive.py"

test_expect_success '-o pty: the task has a terminal on stdin and stdout' '
    flux run -o pty sh -c "test -t 0 && test -t 1 && test -t 2 && echo tty-ok" >pty.out &&
    grep -q "^tty-ok" pty.out
'
test_expect_success '-o pty.ranks=1: only task 1 gets one' '
    flux run -N2 -n2 -l -o pty.ranks=1 sh -c "test -t 1 && echo tty || echo notty" |
        tr -d "\r" | sort >ranks.out &&
    printf "0: notty\n1: tty\n" >ranks.exp &&
    test_cmp ranks.exp ranks.out
'
test_expect_success '-o pty.rows/pty.cols set its window size' '
    flux run -o pty.rows=33 -o pty.cols=99 stty size | tr -d "\r" >size.out &&
    echo "33 99" >size.exp &&
    test_cmp size.exp size.out
'
test_expect_success '-o pty: piped input reaches the task through the terminal' '
    printf "typed\n" | flux run -o pty sh -c "read x; echo got-\$x" | tr -d "\r" >in.out &&
    grep -q "^got-typed$" in.out
'
test_expect_success 'a bad -o pty.ranks is refused, naming it' '
    test_must_fail flux run -o pty.ranks=x true 2>bad.err &&
    grep "shell option pty.ranks" bad.err
'
test_expect_success 'flux alloc with no command: an interactive shell on a terminal' '
    SHELL=/bin/sh test_expect_code 3 $drive "echo hello-\$((6*7))" "test -t 0 && echo TTY-yes" \
        "flux run hostname" "stty size" "exit 3" -- flux alloc -N1 >alloc.out &&
    tr -d "\r" <alloc.out >alloc.txt &&
    grep -q "^hello-42$" alloc.txt &&
    grep -q "^TTY-yes$" alloc.txt &&
    grep -q "^$(hostname)$" alloc.txt &&
    grep -q "^40 120$" alloc.txt
'
test_expect_success 'flux alloc: Ctrl-C interrupts the job'"'"'s foreground command, not the shell' '
    SHELL=/bin/sh $drive "sleep 60" "^C" "echo after-\$((1+1))" "exit" -- flux alloc -N1 >int.out &&
    tr -d "\r" <int.out | grep -q "^after-2$"
'
test_expect_success 'flux alloc: a window size change reaches the job'"'"'s terminal' '
    SHELL=/bin/sh $drive "stty size" "^W50x150" "stty size" "exit" -- flux alloc -N1 >winch.out &&
    tr -d "\r" <winch.out >winch.txt &&
    grep -q "^40 120$" winch.txt &&
    grep -q "^50 150$" winch.txt
'
test_expect_success 'flux alloc with no command and stdin /dev/null is refused' '
    test_must_fail flux alloc -N1 </dev/null 2>null.err &&
    grep "an interactive shell reads this standard input" null.err
'
test_expect_success 'srun --pty: task 0 on a terminal that gets srun'"'"'s input' '
    $drive "line-one" -- srun --pty sh -c "test -t 0 && echo TTY; read x; echo got-\$x" >srun.out &&
    tr -d "\r" <srun.out >srun.txt &&
    grep -q "^TTY$" srun.txt &&
    grep -q "^got-line-one$" srun.txt
'
test_expect_success 'srun --pty: a window size change reaches the task' '
    $drive "^W50x150" "go" -- srun --pty sh -c "read x; stty size" >srunw.out &&
    tr -d "\r" <srunw.out | grep -q "^50 150$"
'
test_expect_success 'the caller'"'"'s terminal is restored after flux alloc' '
    SHELL=/bin/sh $drive "exit" -- sh -c "flux alloc -N1; stty -a" >stty.out &&
    tr -d "\r" <stty.out | grep -q " icanon " &&
    tr -d "\r" <stty.out | grep -q " echo "
'
test_done
