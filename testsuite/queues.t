#!/bin/bash
# Named queues (RFC 33, flux-queue(1)): the anonymous queue's two status
# lines and disable with a reason; [queues] with a default queue: unknown
# queues refused, per-queue enable/disable and start/stop (--all, a reason,
# refused without a queue), jobs of a queue land only on the nodes with the
# queue's properties under sched-simple and sched-graph, flux jobs {queue}
# and -q, flux queue list, and the queues' state kept across a restart.
. "$(dirname "$0")/lib/test-lib.sh"

T="-S exec.test.run_duration=0.2s"

# R.json: 4 synthetic nodes; ranks 2-3 have the property "debug".
test_expect_success 'an R with a debug property on ranks 2-3' '
    flux sched-query --generate="cluster[1]->node[4]->core[2]" --dump-R >R0.json &&
    jq "del(.scheduling) | .execution.properties = {\"debug\": \"2-3\"}" R0.json >R.json &&
    cat >q.toml <<-EOF &&
	[resource]
	path = "$PWD/R.json"
	noverify = true
	[queues.batch]
	[queues.debug]
	requires = ["debug"]
	[queues.debug.policy.limits]
	duration = "1h"
	[queues.debug.policy.limits.job-size.max]
	nnodes = 2
	[policy.jobspec.defaults.system]
	queue = "batch"
	duration = "10m"
	EOF
    cat >anon.toml <<-EOF
	[resource]
	path = "$PWD/R.json"
	noverify = true
	EOF
'
# qinst CONF SCRIPT [ARGS...]: run SCRIPT in a one-broker instance.
qinst() {
    local conf=$1 script=$2; shift 2
    timeout 120 flux start -c "$conf" "$@" sh -c "$script"
}

test_expect_success 'the anonymous queue: two status lines' '
    qinst anon.toml "flux queue status" >out &&
    printf "Job submission is enabled\nScheduling is started\n" >expected &&
    test_cmp expected out
'
test_expect_success 'flux queue disable REASON refuses submissions with the reason' '
    qinst anon.toml "flux queue disable system maintenance >/dev/null &&
        flux queue status &&
        { ! flux submit true 2>err1 || exit 1; } && cat err1 &&
        flux queue enable >/dev/null && flux run $T true && echo ran" >out &&
    grep -qx "Job submission is disabled: system maintenance" out &&
    grep -q "flux: submit: job submission is disabled: system maintenance" out &&
    grep -qx ran out
'
test_expect_success 'without [queues], a queue name is refused' '
    test_must_fail qinst anon.toml "flux queue stop -q batch" 2>err &&
    grep -q "unknown queue .batch.: this instance has no named queues" err
'
test_expect_success 'named queues: status shows two lines per queue' '
    qinst q.toml "flux queue status" >out &&
    cat >expected <<-EOF &&
	batch: Job submission is enabled
	batch: Scheduling is started
	debug: Job submission is enabled
	debug: Scheduling is started
	EOF
    test_cmp expected out &&
    qinst q.toml "flux queue status debug" >out &&
    test "$(wc -l <out)" = 2
'
test_expect_success 'named queues: a change names a queue or --all; unknown queues refused' '
    test_must_fail qinst q.toml "flux queue stop" 2>err &&
    grep -q "named queues are configured (batch, debug): name one with --queue=NAME or use --all" err &&
    test_must_fail qinst q.toml "flux queue disable -q nosuch why" 2>err &&
    grep -q "unknown queue .nosuch. (queues: batch, debug)" err &&
    test_must_fail qinst q.toml "flux submit --queue=nosuch true" 2>err &&
    grep -q "invalid queue .nosuch. (queues: batch, debug)" err
'
test_expect_success 'disable -q debug refuses debug jobs only, with the reason' '
    qinst q.toml "flux queue disable -q debug -m \"node swap\" &&
        { ! flux submit --queue=debug true 2>err1 || exit 1; } && cat err1 &&
        flux run $T true && echo batch-ran &&
        flux queue enable --all >/dev/null && flux run --queue=debug $T true && echo debug-ran" >out &&
    grep -qx "debug: Job submission is disabled: node swap" out &&
    grep -q "flux: submit: queue debug: job submission is disabled: node swap" out &&
    grep -qx batch-ran out && grep -qx debug-ran out
'
test_expect_success 'stop -q debug holds debug jobs while batch jobs run; start releases them' '
    qinst q.toml "flux queue stop -q debug -m testing >/dev/null &&
        d=\$(flux submit --queue=debug $T true) &&
        b=\$(flux submit $T true) &&
        flux job wait-event -t 30 \$b clean >/dev/null &&
        echo debug-\$(flux jobs -no {state} \$d) &&
        flux queue status -q debug &&
        flux queue start -q debug >/dev/null &&
        flux job wait-event -t 30 \$d clean >/dev/null && echo debug-done" >out &&
    grep -qx debug-SCHED out &&
    grep -qx "debug: Scheduling is stopped: testing" out &&
    grep -qx debug-done out
'
test_expect_success 'stop --all then start --all' '
    qinst q.toml "flux queue stop --all >/dev/null && flux queue status &&
        id=\$(flux submit $T true) && flux queue start --all >/dev/null &&
        flux job wait-event -t 30 \$id clean >/dev/null && echo done" >out &&
    test "$(grep -c "Scheduling is stopped" out)" = 2 &&
    grep -qx done out
'
# lands SCHED: every debug job lands on ranks 2-3, batch jobs anywhere.
lands() {
    qinst q.toml "for i in 1 2 3 4 5 6; do flux submit --queue=debug -N1 $T true || exit 1; done >ids &&
        flux queue drain --timeout=60 &&
        for id in \$(cat ids); do flux job info \$id R | jq -r .execution.R_lite[].rank || exit 1; done" \
        -Ssched-module=$1 >ranks &&
    test "$(wc -l <ranks)" = 6 &&
    test -z "$(grep -v -x -e 2 -e 3 ranks)"
}
test_expect_success 'sched-simple: debug jobs land only on the debug nodes' '
    lands sched-simple
'
test_expect_success 'sched-graph: debug jobs land only on the debug nodes' '
    lands sched-graph
'
test_expect_success 'flux jobs shows {queue} and filters with -q' '
    qinst q.toml "flux submit --queue=debug $T true >/dev/null &&
        flux submit $T true >/dev/null && flux queue drain --timeout=60 &&
        flux jobs -a -no \"{queue}\" | sort && echo -- &&
        flux jobs -a -q debug -no \"{queue}\"" >out &&
    printf "batch\ndebug\n--\ndebug\n" >expected &&
    test_cmp expected out
'
test_expect_success 'flux queue list: columns, default marked, limits per queue' '
    qinst q.toml "flux queue stop -q debug >/dev/null && flux queue list" >out &&
    head -1 out | grep -q "^QUEUE *EN *ST *TDEFAULT *TLIMIT *NNODES *NCORES *NGPUS$" &&
    grep -q "^batch\* *✔ *✔ *10m *inf *0-inf *0-inf *0-inf$" out &&
    grep -q "^debug *✔ *✗ *10m *1h *0-2 *0-inf *0-inf$" out &&
    qinst q.toml "flux queue list -n -q debug -o \"{queue} {submission} {scheduling}\"" >out &&
    echo "debug enabled started" >expected &&
    test_cmp expected out
'
test_expect_success 'the queues'"'"' state is kept across a restart' '
    mkdir -p st &&
    qinst q.toml "flux queue disable -q debug -m gone >/dev/null &&
        flux queue stop -q batch -m paused >/dev/null" -Sstatedir=$PWD/st &&
    qinst q.toml "flux queue status" -Sstatedir=$PWD/st >out &&
    cat >expected <<-EOF &&
	batch: Job submission is enabled
	batch: Scheduling is stopped: paused
	debug: Job submission is disabled: gone
	debug: Scheduling is started
	EOF
    test_cmp expected out
'
test_expect_success 'a job held by a stopped queue still waits after a restart, then runs' '
    mkdir -p st2 &&
    qinst q.toml "flux queue stop -q batch >/dev/null && flux submit $T true >id" \
        -Sstatedir=$PWD/st2 &&
    qinst q.toml "flux jobs -no {state} \$(cat id) &&
        flux queue start -q batch >/dev/null &&
        flux job wait-event -t 30 \$(cat id) clean >/dev/null && echo done" \
        -Sstatedir=$PWD/st2 >out &&
    printf "SCHED\ndone\n" >expected &&
    test_cmp expected out
'
test_expect_success 'status --verbose adds the job counts' '
    qinst anon.toml "flux queue status --verbose" >out &&
    grep -q "active jobs" out
'
test_expect_success 'sinfo lists a partition per named queue on its nodes, the default marked' '
    PATH=$FLUX_BUILD_DIR/contrib/slurm-compat:$PATH qinst q.toml \
        "sinfo -h -o \"%P %D %N\" -t all -s; sinfo -h -p debug -o \"%R %D\" -s" >sinfo.out &&
    cat >sinfo.exp <<-EOF &&
	batch* 4 node[0-3]
	debug 2 node[2-3]
	debug 2
	EOF
    test_cmp sinfo.exp sinfo.out &&
    PATH=$FLUX_BUILD_DIR/contrib/slurm-compat:$PATH qinst anon.toml "sinfo -h -s -o %P" >anon.out &&
    echo "debug*" >anon.exp &&
    test_cmp anon.exp anon.out
'
test_done
