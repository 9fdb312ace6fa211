#!/bin/bash
# sched-graph, the graph scheduler, in instances with synthetic resources
# (an R with JGF from flux sched-query --dump-R, loaded with [resource]
# path + noverify; jobs run in exec test mode): rack-level requests land
# exactly, slots above node, gpus and memory, EASY backfill does not delay
# the reserved job while fcfs blocks, drained nodes are never allocated,
# a reloaded scheduler keeps running jobs' resources (hello), unsatisfiable
# requests are refused at submission, bad input leaves it running.
. "$(dirname "$0")/lib/test-lib.sh"

export PATH="$FLUX_BUILD_DIR/testsuite/helpers:$PATH"
SPEC='cluster[1]->rack[3]->node[4]->socket[2]->core[4],gpu[2],memory[64G]'

# gconf NAME [EXTRA-TOML]: a config using R.json, with sched-graph settings.
gconf() {
    printf '[resource]\npath = "%s"\nnoverify = true\n%s\n' "$PWD/R.json" "$2" >"$1"
}
# ginst CONF SCRIPT: run SCRIPT in a one-broker instance scheduled by sched-graph.
ginst() {
    timeout 120 flux start -c "$1" -Ssched-module=sched-graph sh -c "$2"
}
# jobspec FILE RESOURCES [DURATION] [RUN]: a jobspec with one task per slot "s".
jobspec() {
    cat >"$1" <<-EOT
	{"version": 1, "resources": $2,
	 "tasks": [{"command": ["true"], "slot": "s", "count": {"per_slot": 1}}],
	 "attributes": {"system": {"duration": ${3:-0}, "exec": {"test": {"run_duration": "${4:-0.1s}"}}}}}
	EOT
}
# racks_of R: "rackN count" per rack of the job's nodes (from its JGF).
racks_of() {
    jq -r '.scheduling.graph.nodes[].metadata | select(.type == "node") | .paths.containment' \
        | cut -d/ -f3 | sort | uniq -c | awk '{print $2, $1}'
}

test_expect_success 'flux sched-query dumps an R with JGF for [resource] path' '
    flux sched-query --generate="$SPEC" --dump-R >R.json &&
    jq -e ".execution.R_lite | length > 0" R.json &&
    test "$(jq -r .execution.nodelist[0] R.json)" = "node[0-11]" &&
    test "$(jq ".scheduling.graph.nodes | length" R.json)" = 208 &&
    gconf c.toml &&
    ginst c.toml "flux resource info" >out &&
    grep -q "12 Nodes, 96 Cores, 48 GPUs" out
'
test_expect_success 'sched-graph loads the graph and answers status' '
    ginst c.toml "flux module list; rpc sched-graph.status" >out &&
    grep -q "^sched-graph" out &&
    grep -q "\"vertices\": *208" out
'
test_expect_success 'a job asking 2 racks x 3 nodes lands on 3 nodes in each of 2 racks' '
    jobspec j.json "[{\"type\":\"rack\",\"count\":2,\"with\":[{\"type\":\"node\",\"count\":3,\"with\":[{\"type\":\"slot\",\"count\":1,\"label\":\"s\",\"with\":[{\"type\":\"core\",\"count\":2}]}]}]}]" &&
    ginst c.toml "id=\$(flux job submit $PWD/j.json) && flux job wait-event -t 30 \$id clean >/dev/null && flux job info \$id R" >R.out &&
    racks_of <R.out >racks &&
    test "$(wc -l <racks)" = 2 &&
    test "$(awk "{print \$2}" racks | sort -u)" = 3 &&
    test "$(jq "[.execution.R_lite[].children.core] | length" R.out)" -ge 1
'
test_expect_success 'slots above node: slot[2] -> node[1] gets two whole nodes' '
    jobspec s.json "[{\"type\":\"slot\",\"count\":2,\"label\":\"s\",\"with\":[{\"type\":\"node\",\"count\":1,\"with\":[{\"type\":\"core\",\"count\":8}]}]}]" &&
    ginst c.toml "id=\$(flux job submit $PWD/s.json) && flux job wait-event -t 30 \$id clean >/dev/null && flux jobs -a -n -o \"{nnodes} {ncores} {result}\"" >out &&
    test "$(cat out)" = "2 16 COMPLETED"
'
test_expect_success 'gpus and memory (in units) are allocated' '
    jobspec g.json "[{\"type\":\"node\",\"count\":1,\"with\":[{\"type\":\"slot\",\"count\":1,\"label\":\"s\",\"with\":[{\"type\":\"core\",\"count\":2},{\"type\":\"gpu\",\"count\":2},{\"type\":\"memory\",\"count\":32768,\"unit\":\"MB\"}]}]}]" &&
    ginst c.toml "id=\$(flux job submit $PWD/g.json) && flux job wait-event -t 30 \$id clean >/dev/null && flux job info \$id R" >R.out &&
    test "$(jq -r ".execution.R_lite[0].children.gpu" R.out)" = "0-1" &&
    jq -e "[.scheduling.graph.nodes[].metadata | select(.type == \"memory\") | .size] | add == 32" R.out
'
# Four nodes: A holds 2 for (at most) 20 s, B wants all 4 (reserved when
# A ends), D wants 1 for 2 s (ends before that: backfilled), C wants 2 for
# 60 s (would delay B: waits).
easy_script() {
    cat <<-EOT
	A=\$(flux job submit $PWD/a.json) && flux job wait-event -t 30 \$A alloc >/dev/null &&
	B=\$(flux job submit $PWD/b.json) && C=\$(flux job submit $PWD/c.json) &&
	D=\$(flux job submit $PWD/d.json) &&
	flux job wait-event -t 30 \$D clean >/dev/null; echo D=\$? &&
	sleep 0.5 && flux jobs --json \$B | jq -c ".[0].annotations.sched // {}" &&
	flux job info \$A R | jq -r "\"AEXP=\" + (.execution.expiration | tostring)" &&
	flux jobs -n -o "{id} {state}" \$C | awk "{print \"C=\" \\\$2}" &&
	flux cancel \$A \$B \$C 2>/dev/null; true
	EOT
}
test_expect_success 'easy: a small job backfills without delaying the reserved one' '
    flux sched-query --generate="cluster[1]->node[4]->core[2]" --dump-R >R.json &&
    gconf easy.toml "[sched-graph]
queue-policy = \"easy\"" &&
    node="[{\"type\":\"node\",\"count\":N,\"exclusive\":true,\"with\":[{\"type\":\"slot\",\"count\":1,\"label\":\"s\",\"with\":[{\"type\":\"core\",\"count\":1}]}]}]" &&
    jobspec a.json "${node/N/2}" 20 60s &&
    jobspec b.json "${node/N/4}" 20 &&
    jobspec c.json "${node/N/2}" 60 &&
    jobspec d.json "${node/N/1}" 2 &&
    ginst easy.toml "$(easy_script)" >out 2>&1 &&
    cat out &&
    grep -q "^D=0" out &&
    grep -q "^C=SCHED" out &&
    grep "t_estimate" out | jq -e ".t_estimate > 0 and .reason_pending == \"insufficient resources\"" &&
    aexp=$(sed -n "s/^AEXP=//p" out) &&
    grep "t_estimate" out | jq -e --argjson a "$aexp" "(.t_estimate - \$a) | fabs < 0.01"
'
test_expect_success 'fcfs: the blocked head holds everything back' '
    gconf fcfs.toml "[sched-graph]
queue-policy = \"fcfs\"" &&
    ginst fcfs.toml "A=\$(flux job submit $PWD/a.json) && flux job wait-event -t 30 \$A alloc >/dev/null &&
        B=\$(flux job submit $PWD/b.json) && D=\$(flux job submit $PWD/d.json) &&
        sleep 1 && flux jobs -n -o \"{state}\" \$D && flux cancel \$A \$B \$D" >out &&
    test "$(cat out)" = SCHED
'
test_expect_success 'conservative: every blocked job gets an estimate; hybrid stops at its depth' '
    cat >est.sh <<-EOT &&
	A=\$(flux job submit $PWD/a.json) && flux job wait-event -t 30 \$A alloc >/dev/null &&
	B=\$(flux job submit $PWD/b.json) && B2=\$(flux job submit $PWD/b.json) &&
	sleep 1 && flux jobs --json \$B | jq -r ".[0].annotations.sched.t_estimate // 0" &&
	flux jobs --json \$B2 | jq -r ".[0].annotations.sched.t_estimate // 0" &&
	flux cancel \$A \$B \$B2
	EOT
    gconf cons.toml "[sched-graph]
queue-policy = \"conservative\"" &&
    ginst cons.toml "sh $PWD/est.sh" >out &&
    test "$(awk "\$1 > 0" out | wc -l)" = 2 &&
    gconf hyb.toml "[sched-graph]
queue-policy = \"hybrid\"
reservation-depth = 1" &&
    ginst hyb.toml "sh $PWD/est.sh" >out &&
    test "$(awk "\$1 > 0" out | wc -l)" = 1
'
test_expect_success 'flux jobs shows {sched.t_estimate} and {sched.reason_pending}' '
    cat >fields.sh <<-EOT &&
	A=\$(flux job submit $PWD/a.json) && flux job wait-event -t 30 \$A alloc >/dev/null &&
	B=\$(flux job submit $PWD/b.json) &&
	i=0 && until flux jobs --json \$B | jq -e ".[0].annotations.sched.t_estimate" >/dev/null; do
	    i=\$((i + 1)) && test \$i -lt 300 && sleep 0.1 || exit 1
	done &&
	flux jobs -o "{id} {sched.t_estimate:.3} {sched.reason_pending}|{annotations.sched.reason_pending:<6.6}|" \$A \$B &&
	flux jobs --json \$B | jq -r ".[0].annotations.sched.t_estimate" &&
	flux cancel \$A \$B
	EOT
    ginst cons.toml "sh $PWD/fields.sh" >out &&
    cat out &&
    test "$(sed -n 1p out)" = "JOBID T_E REASON|REASON|" &&
    test "$(sed -n 2p out | cut -d" " -f2-)" = " |      |" &&
    sed -n 3p out | grep -q " insufficient resources|insuff|$" &&
    test "$(sed -n 3p out | cut -d" " -f2)" = "$(printf %.3f "$(sed -n 4p out)")"
'
test_expect_success 'flux update of a running job moves its span: the reserved job estimate follows' '
    jobspec a2.json "[{\"type\":\"node\",\"count\":2,\"exclusive\":true,\"with\":[{\"type\":\"slot\",\"count\":1,\"label\":\"s\",\"with\":[{\"type\":\"core\",\"count\":1}]}]}]" 20 300s &&
    cat >upd.sh <<-EOT &&
	# est_is SECONDS: wait until B is estimated to start at S + SECONDS.
	est_is() {
	    i=0
	    until flux jobs --json \$B | jq -e --argjson s \$S ".[0].annotations.sched.t_estimate - \\\$s - \$1 | fabs < 0.01" >/dev/null; do
	        i=\$((i + 1)); test \$i -lt 300 || { flux jobs --json \$B | jq .[0].annotations >&2; return 1; }; sleep 0.1
	    done
	    echo "est \$1"
	}
	A=\$(flux job submit $PWD/a2.json) && flux job wait-event -t 30 \$A alloc >/dev/null &&
	B=\$(flux job submit $PWD/b.json) &&
	S=\$(flux job info \$A R | jq .execution.starttime) &&
	est_is 20 && flux update \$A duration=+100 && est_is 120 &&
	flux update \$A duration=-60 && est_is 60 &&
	flux update \$A duration=90s && est_is 90
	flux cancel \$A \$B
	EOT
    ginst cons.toml "sh $PWD/upd.sh" >out &&
    cat out &&
    test "$(cat out | tr "\n" " ")" = "est 20 est 120 est 60 est 90 "
'
test_expect_success 'drained nodes are never allocated' '
    flux sched-query --generate="$SPEC" --dump-R >R.json &&
    jobspec one.json "[{\"type\":\"node\",\"count\":1,\"exclusive\":true,\"with\":[{\"type\":\"slot\",\"count\":1,\"label\":\"s\",\"with\":[{\"type\":\"core\",\"count\":1}]}]}]" 0 60s &&
    ginst c.toml "flux resource drain 0-3 maintenance &&
        for i in 1 2 3 4 5 6 7 8 9; do flux job submit $PWD/one.json; done >ids &&
        sleep 1 && for id in \$(cat ids); do flux job info \$id R 2>/dev/null | jq -r .execution.R_lite[].rank; done &&
        flux jobs -n -o \"{state}\" | sort | uniq -c >&2 &&
        flux cancel \$(cat ids)" >ranks &&
    test "$(wc -l <ranks)" = 8 &&
    ! grep -qx "[0-3]" ranks
'
test_expect_success 'a reloaded scheduler keeps running jobs reserved (hello)' '
    ginst c.toml "A=\$(flux job submit $PWD/one.json) && flux job wait-event -t 30 \$A alloc >/dev/null &&
        flux module remove sched-graph && flux module load sched-graph &&
        B=\$(flux job submit $PWD/one.json) && flux job wait-event -t 30 \$B alloc >/dev/null &&
        flux job info \$A R | jq -r .execution.R_lite[].rank &&
        flux job info \$B R | jq -r .execution.R_lite[].rank &&
        flux cancel \$A \$B" >ranks &&
    test "$(wc -l <ranks)" = 2 &&
    test "$(sort -u ranks | wc -l)" = 2
'
test_expect_success 'unsatisfiable requests are refused at submission, naming what is short' '
    jobspec big.json "[{\"type\":\"rack\",\"count\":4,\"with\":[{\"type\":\"node\",\"count\":1,\"with\":[{\"type\":\"slot\",\"count\":1,\"label\":\"s\",\"with\":[{\"type\":\"core\",\"count\":1}]}]}]}]" &&
    jobspec fat.json "[{\"type\":\"node\",\"count\":1,\"with\":[{\"type\":\"slot\",\"count\":1,\"label\":\"s\",\"with\":[{\"type\":\"core\",\"count\":9}]}]}]" &&
    ginst c.toml "flux job submit $PWD/big.json; flux job submit $PWD/fat.json; flux submit -n 200 true; true" 2>err &&
    cat err &&
    grep -q "unsatisfiable request: 4 racks requested, 3 in the graph" err &&
    grep -q "unsatisfiable request: 1 node requested, at most 0 can be found (each needs 9 cores, at most 8" err &&
    grep -q "unsatisfiable request: 200 cores requested, 96 in the graph" err
'
test_expect_success 'bad jobspecs get a clear error and the scheduler stays up' '
    jobspec unit.json "[{\"type\":\"node\",\"count\":1,\"with\":[{\"type\":\"slot\",\"count\":1,\"label\":\"s\",\"with\":[{\"type\":\"memory\",\"count\":1,\"unit\":\"parsecs\"}]}]}]" &&
    jobspec site.json "[{\"type\":\"node\",\"count\":1,\"with\":[{\"type\":\"slot\",\"count\":1,\"label\":\"s\",\"with\":[{\"type\":\"fpga\",\"count\":1}]}]}]" &&
    ginst c.toml "flux job submit $PWD/unit.json; flux job submit $PWD/site.json;
        flux run -n1 -S exec.test.run_duration=0.1s true && echo still-up" >out 2>err &&
    grep -q "unknown unit .parsecs." err &&
    grep -q "the graph has no resource of type .fpga." err &&
    grep -q still-up out
'
test_expect_success 'a bad JGF in R stops sched-graph with a clear error' '
    jq ".scheduling.graph.edges += [{\"source\": \"1\", \"target\": \"nowhere\"}]" R.json >bad.json &&
    printf "[resource]\npath = \"%s\"\nnoverify = true\n" "$PWD/bad.json" >bad.toml &&
    ginst bad.toml "sleep 1; flux dmesg" >out 2>&1 &&
    grep -q "sched-graph: R: scheduling: .*graph.edges\[[0-9]*\].target: no vertex .nowhere." out
'
test_expect_success 'bad settings are refused naming the key' '
    gconf badset.toml "[sched-graph]
match-policy = \"sideways\"" &&
    ginst badset.toml "sleep 0.5; flux dmesg" >out 2>&1 &&
    grep -q "match-policy .sideways.: expected one of first, low" out &&
    gconf badkey.toml "[sched-graph]
colour = 1" &&
    test_must_fail flux start -c badkey.toml true 2>err &&
    grep -q "sched-graph.colour: unknown key" err
'
test_expect_success 'queue-depth bounds a pass: a job past the depth is not even backfilled' '
    flux sched-query --generate="cluster[1]->node[4]->core[2]" --dump-R >R.json &&
    gconf depth.toml "[sched-graph]
queue-policy = \"easy\"
queue-depth = 2" &&
    ginst depth.toml "A=\$(flux job submit $PWD/a.json) && flux job wait-event -t 30 \$A alloc >/dev/null &&
        B=\$(flux job submit $PWD/b.json) && C=\$(flux job submit $PWD/c.json) &&
        D=\$(flux job submit $PWD/d.json) && sleep 1 &&
        flux jobs -n -o \"{state}\" \$D &&
        flux jobs --json \$B | jq -r \".[0].annotations.sched.t_estimate // 0\" &&
        flux jobs --json \$D | jq -r \".[0].annotations.sched // {} | length\" &&
        flux cancel \$A \$B \$C \$D" >out &&
    cat out &&
    test "$(sed -n 1p out)" = SCHED &&
    test "$(sed -n 2p out | cut -d. -f1)" -gt 0 &&
    test "$(sed -n 3p out)" = 0
'
# Rq.json: four nodes, batch on 0-1 and debug on 2-3, two named queues.
qconf() {
    printf "[resource]\npath = \"%s\"\nnoverify = true\n[queues.batch]\nrequires = [\"batch\"]\n[queues.debug]\nrequires = [\"debug\"]\n[policy.jobspec.defaults.system]\nqueue = \"batch\"\nduration = \"10m\"\n%s\n" \
        "$PWD/Rq.json" "$2" >"$1"
}
L="-S exec.test.run_duration=60s"
test_expect_success 'a queue whose head is blocked does not hold back another queue (fcfs)' '
    jq "del(.scheduling) | .execution.properties = {\"batch\": \"0-1\", \"debug\": \"2-3\"}" \
        R.json >Rq.json &&
    qconf q.toml "[sched-graph]
queue-policy = \"fcfs\"" &&
    ginst q.toml "A=\$(flux submit -q batch -N2 --exclusive $L true) &&
        flux job wait-event -t 30 \$A alloc >/dev/null &&
        B=\$(flux submit -q batch -N2 --exclusive $L true) &&
        D=\$(flux submit -q debug -N1 -S exec.test.run_duration=0.1s true) &&
        flux job wait-event -t 30 \$D clean >/dev/null && echo D-done &&
        flux jobs -n -o \"{state}\" \$B && flux cancel \$A \$B" >out &&
    printf "D-done\nSCHED\n" >expected &&
    test_cmp expected out
'
test_expect_success '[sched-graph.queues.NAME] queue-policy: easy in batch, fcfs in debug' '
    qconf qp.toml "[sched-graph]
queue-policy = \"fcfs\"
[sched-graph.queues.batch]
queue-policy = \"easy\"
queue-depth = 4" &&
    ginst qp.toml "rpc sched-graph.status </dev/null | jq -cS \".queues\" &&
        A=\$(flux submit -q batch -N2 --exclusive $L true) &&
        A2=\$(flux submit -q debug -N2 --exclusive $L true) &&
        flux job wait-event -t 30 \$A alloc >/dev/null &&
        flux job wait-event -t 30 \$A2 alloc >/dev/null &&
        B=\$(flux submit -q batch -N2 --exclusive $L true) &&
        B2=\$(flux submit -q debug -N2 --exclusive $L true) && sleep 1 &&
        flux jobs --json \$B | jq -r \".[0].annotations.sched.t_estimate // 0\" &&
        flux jobs --json \$B2 | jq -r \".[0].annotations.sched.t_estimate // 0\" &&
        rpc sched-graph.status </dev/null | jq -c \".queues | map_values(.pending)\" &&
        flux cancel \$A \$A2 \$B \$B2" >out &&
    cat out &&
    test "$(sed -n 1p out)" = "{\"batch\":{\"pending\":0,\"queue-depth\":4,\"queue-policy\":\"easy\",\"reservation-depth\":8}}" &&
    test "$(sed -n 2p out | cut -d. -f1)" -gt 0 &&
    test "$(sed -n 3p out)" = 0 &&
    test "$(sed -n 4p out)" = "{\"batch\":1,\"debug\":1}"
'
test_expect_success 'bad per-queue settings are refused naming the queue and key' '
    qconf qb1.toml "[sched-graph.queues.nosuch]
queue-policy = \"easy\"" &&
    test_must_fail flux start -c qb1.toml true 2>err &&
    grep -q "sched-graph.queues.nosuch: no queue .nosuch. in \[queues\]" err &&
    qconf qb2.toml "[sched-graph.queues.batch]
colour = 1" &&
    test_must_fail flux start -c qb2.toml true 2>err &&
    grep -q "sched-graph.queues.batch.colour: unknown key" err &&
    qconf qb3.toml "[sched-graph.queues.debug]
queue-policy = \"sideways\"" &&
    ginst qb3.toml "sleep 0.5; flux dmesg" >out 2>&1 &&
    grep -q "sched-graph: queues.debug.queue-policy: bad value" out
'
test_expect_success 'variation spreads shared-node jobs: -N1 and -n1 jobs each on a new node' '
    jq "del(.scheduling)" R.json >Rv.json &&
    printf "[resource]\npath = \"%s\"\nnoverify = true\n[sched-graph]\nmatch-policy = \"variation\"\n" \
        "$PWD/Rv.json" >var.toml &&
    ginst var.toml "for a in -N1 -N1 -N1 -N1 -n1 -n1 -n1 -n1; do
            flux submit \$a -S exec.test.run_duration=60s true || exit 1
        done >ids &&
        for id in \$(cat ids); do
            flux job wait-event -t 30 \$id alloc >/dev/null &&
            flux job info \$id R | jq -r \".execution.R_lite[].rank\" || exit 1
        done && flux cancel \$(cat ids)" >out &&
    test "$(head -4 out | sort -u | wc -l)" = 4 &&
    test "$(tail -4 out | sort -u | wc -l)" = 4
'
test_expect_success 'the live graph has hwloc sockets and memory: a socket jobspec runs' '
    cat >sock.json <<-EOT &&
	{"version": 1, "resources": [{"type": "node", "count": 1, "with": [{"type": "socket", "count": 1,
	  "with": [{"type": "slot", "count": 1, "label": "s", "with": [{"type": "core", "count": 1},
	  {"type": "memory", "count": 1, "unit": "GB"}]}]}]}],
	 "tasks": [{"command": ["true"], "slot": "s", "count": {"per_slot": 1}}],
	 "attributes": {"system": {"duration": 0}}}
	EOT
    timeout 120 flux start --test-size=2 -Ssched-module=sched-graph sh -c "
        flux hwloc info &&
        id=\$(flux job submit $PWD/sock.json) &&
        flux job wait-event -t 30 \$id clean >/dev/null &&
        flux jobs -n -o {result} \$id &&
        flux job info \$id R | jq -c \"[.scheduling.graph.nodes[].metadata | [.type, .size]]\" &&
        rpc sched-graph.status </dev/null | jq .vertices" >out &&
    cat out &&
    test "$(sed -n 2p out)" = COMPLETED &&
    sed -n 3p out | grep -q "\[\"socket\",1\],\[\"core\",1\],\[\"memory\",1024\]" &&
    # the totals of both ranks: cluster, 2 nodes, a socket and memory per package, cores
    packages=$(sed -n "s/.* \([0-9]*\) Packages.*/\1/p" out) &&
    cores=$(sed -n "s/.* \([0-9]*\) Cores.*/\1/p" out) &&
    test "$(tail -1 out)" = $((3 + 2 * packages + cores))
'
test_done
