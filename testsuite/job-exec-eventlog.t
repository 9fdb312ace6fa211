#!/bin/bash
# The exec eventlog (job.<id>.guest.exec.eventlog, `-p exec`), as Flux
# writes it: job-exec posts init, starting, complete {status} and done; the
# leader shell posts shell.init {service, leader-rank, size} and, once the
# tasks of every shell have been started, shell.start {task-count}.
# Watching a guest log waits for it to be written; flux job wait-event
# takes -m KEY=VALUE, -c COUNT, -v and -W; flux submit
# --wait-event=exec.NAME waits for NAME in the exec eventlog.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 1

SHELL_BIN=$FLUX_BUILD_DIR/src/shell/flux-shell

names() {
    flux job eventlog -p exec "$1" | awk "{print \$2}" | paste -sd" "
}
test_expect_success 'a job: init, starting, shell.init, shell.start, complete, done' '
    id=$(flux submit true) && flux job wait-event -t 20 $id clean &&
    test "$(names $id)" = "init starting shell.init shell.start complete done" &&
    flux job eventlog -p exec $id >log &&
    grep -Eq " shell.init service=\"$(id -u)-shell-[0-9]+\" leader-rank=0 size=1$" log &&
    grep -q " shell.start task-count=1$" log &&
    grep -q " complete status=0$" log &&
    flux job eventlog -p guest.exec.eventlog $id >long && test_cmp log long &&
    flux job info $id guest.exec.eventlog >stored && test $(wc -l <stored) -eq 6
'
test_expect_success 'complete carries the wait status: exit 3 is 768' '
    id=$(flux submit sh -c "exit 3") && flux job wait-event -t 20 $id clean &&
    flux job eventlog -p exec $id | grep -q " complete status=768$" &&
    flux job eventlog $id | grep -q " finish status=768$"
'
test_expect_success 'wait-event -p exec on a queued job waits for its shells' '
    a=$(flux submit -n2 sleep 1) &&
    id=$(flux submit true) &&
    flux job wait-event -t 20 -p exec $id shell.start >ev &&
    grep -q " shell.start task-count=1$" ev &&
    flux job wait-event -t 20 $a clean
'
test_expect_success 'flux submit --wait-event=exec.shell.start returns with the tasks started' '
    id=$(flux submit --wait-event=exec.shell.start sleep 10) &&
    test "$(flux jobs -n -o "{state}" $id)" = RUN &&
    flux cancel $id &&
    test_must_fail flux submit --wait-event=exec.nosuch true 2>err &&
    grep -q "the job ended without event exec.nosuch" err
'
test_expect_success 'wait-event -m KEY=VALUE, -c COUNT and -v' '
    id=$(flux submit sh -c "echo one; sleep 0.3; echo two") && flux job wait-event -t 20 $id clean &&
    flux job wait-event -t 5 -m status=0 $id finish | grep -q " finish status=0$" &&
    test_must_fail flux job wait-event -t 5 -m status=1 $id finish 2>err &&
    grep -q "ended without event finish" err &&
    flux job wait-event -t 5 -p exec -m leader-rank=0 $id shell.init >/dev/null &&
    flux job wait-event -t 5 -p output -c 2 $id data >two &&
    grep -q "two" two && ! grep -q "one" two &&
    flux job wait-event -t 5 -v -p exec $id shell.start >verbose &&
    test "$(awk "{print \$2}" verbose | paste -sd" ")" = "init starting shell.init shell.start" &&
    test_must_fail flux job wait-event -m nokey $id finish 2>err &&
    grep -q "expected KEY=VALUE" err &&
    test_must_fail flux job wait-event -c 0 $id finish 2>err &&
    grep -q "expected a positive integer" err
'
test_expect_success 'a job whose shell cannot start: init, starting, complete, done' '
    flux start -Sconf.shell_path=/nonexistent/flux-shell bash -c "
        id=\$(flux submit true) &&
        flux job wait-event -t 20 \$id clean &&
        flux job eventlog -p exec \$id | awk \"{print \\\$2}\" | paste -sd\" \" >names
    " &&
    test "$(cat names)" = "init starting complete done"
'
test_expect_success 'a simulated job (exec test mode) has no exec eventlog' '
    id=$(flux submit -S exec.test.run_duration=0s true) &&
    flux job wait-event -t 20 $id clean &&
    test_must_fail flux job eventlog -p exec $id 2>err &&
    grep -q "has no guest.exec.eventlog" err &&
    test_must_fail flux job wait-event -t 5 -p exec $id init
'
cat >slow-rank1 <<EOF
#!/bin/sh
[ "\$(flux getattr rank)" = 1 ] && sleep 1
exec $SHELL_BIN "\$@"
EOF
cat >slow-rank0 <<EOF
#!/bin/sh
[ "\$(flux getattr rank)" = 0 ] && sleep 1
exec $SHELL_BIN "\$@"
EOF
# Jobs of two nodes whose task on node 1 ends after D seconds (the one on
# node 0 at once), and one with -o exit-timeout=none: each must end in
# seconds, with shell.start.  The late leader makes node 1's reports
# meet ENOSYS and be sent again, so a report of the end of its tasks
# could overtake the one of their start, and the leader be gone when
# the start is sent again (then retried for a minute).
cat >late-order <<'EOF'
#!/bin/bash
check() {
    local t0=$EPOCHREALTIME
    timeout 40 flux run -N2 -n2 "$@" sh -c "test \$FLUX_TASK_RANK = 0 || sleep $d" || return 1
    local secs=$(echo "$EPOCHREALTIME - $t0" | bc)
    echo "$* d=$d: $secs s"
    test "$(echo "$secs < 15" | bc)" = 1 &&
    flux job eventlog -p exec $(flux job last) | grep -q " shell.start task-count=2$"
}
for d in 0.2 0.5 0.8; do
    check || exit 1
done
d=0.5
check -o exit-timeout=none
EOF
chmod +x slow-rank1 slow-rank0 late-order
test_expect_success 'two nodes: shell.start waits for the late node, with every task counted' '
    flux start --test-size=2 -Sconf.shell_path=$PWD/slow-rank1 bash -c "
        flux run -N2 -n4 true && flux job eventlog -p exec \$(flux job last) >two.log
    " &&
    grep -q " shell.init service=.* leader-rank=0 size=2$" two.log &&
    grep -q " shell.start task-count=4$" two.log &&
    awk "\$2 == \"shell.init\" {a = \$1} \$2 == \"shell.start\" {b = \$1} END {exit !(b - a >= 0.8)}" two.log
'
test_expect_success 'two nodes, late leader: the other shell retries until it is heard' '
    flux start --test-size=2 -Sconf.shell_path=$PWD/slow-rank0 bash -c "
        flux run -N2 -n2 true && flux job eventlog -p exec \$(flux job last) >late.log
    " &&
    test "$(awk "{print \$2}" late.log | paste -sd" ")" = "init starting shell.init shell.start complete done" &&
    grep -q " shell.start task-count=2$" late.log
'
test_expect_success 'two nodes, late leader: no report is lost, whatever the order tasks end in' '
    flux start --test-size=2 -Sconf.shell_path=$PWD/slow-rank0 ./late-order
'
test_done
