#!/bin/bash
# Job submission: flux submit options, jobspec validation, ids, the KVS
# record of a job, feasibility, urgency rules, flux job submit|id.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 2

ncores=$(nproc)
script -qc true /dev/null >/dev/null 2>&1 && test_set_prereq SCRIPT

test_expect_success 'flux submit prints an F58 job id' '
    flux submit true >id &&
    grep -Eq "^(ƒ|f)[1-9A-HJ-NP-Za-km-z]+$" id
'
test_expect_success 'the id converts between forms and back' '
    id=$(cat id) &&
    dec=$(flux job id $id) &&
    test "$(flux job id --to=f58 $dec)" = "$id" &&
    test "$(flux job id --to=dec $(flux job id --to=hex $id))" = "$dec" &&
    test "$(flux job id --to=dec $(flux job id --to=dothex $id))" = "$dec" &&
    FLUX_F58_FORCE_ASCII=1 flux job id --to=f58 $dec | grep -q "^f"
'
test_expect_success 'the job is in the KVS: jobspec and a submit event' '
    key=$(flux job id --to=kvs $(cat id)) &&
    flux kvs get $key.eventlog >ev &&
    grep -q "\"name\":\"submit\"" ev &&
    grep -q "\"userid\":$(id -u)" ev &&
    flux kvs get -j $key.jobspec | grep -q "\"command\":\\[\"true\"\\]"
'
test_expect_success 'ids increase' '
    a=$(flux job id $(flux submit true)) && b=$(flux job id $(flux submit true)) &&
    test $b -gt $a
'
test_expect_success 'flux run --dry-run prints the jobspec flux submit would send, submits nothing' '
    n=$(flux jobs -a -n | wc -l) &&
    flux run --dry-run -n2 --job-name=dry hostname >run.js &&
    grep -q "\"name\":\"dry\"" run.js && grep -q "\"hostname\"" run.js &&
    flux submit --dry-run -n2 --job-name=dry hostname >submit.js &&
    test_cmp submit.js run.js &&
    test $(flux jobs -a -n | wc -l) -eq $n &&
    FLUX_URI=local:///nonexistent flux run --dry-run true | grep -q "\"true\""
'
test_expect_success 'options shape the jobspec (--dry-run)' '
    flux submit --dry-run -N2 -n4 -c2 -t 90s --job-name=big --urgency=20 \
        --env=-* --env=ONLY=1 -S foo.bar=3 -o verbose sleep 1 >js &&
    grep -q "\"type\":\"node\",\"count\":2" js &&
    grep -q "\"duration\":90" js &&
    grep -q "\"environment\":{\"ONLY\":\"1\"}" js &&
    grep -q "\"foo\":{\"bar\":3}" js &&
    grep -q "\"verbose\":1" js &&
    grep -q "\"name\":\"big\"" js
'
test_expect_success 'flux submit/run/batch/alloc take -q NAME for --queue, as Flux' '
    flux submit --dry-run -q debug true | grep -q "\"queue\":\"debug\"" &&
    flux run --dry-run -q debug true | grep -q "\"queue\":\"debug\"" &&
    flux submit --dry-run --queue=debug true >long.js &&
    flux submit --dry-run -q debug true >short.js && test_cmp long.js short.js &&
    test_must_fail flux submit -q nosuch true 2>err &&
    grep -q "invalid queue .nosuch." err &&
    printf "#!/bin/sh\ntrue\n" >batch.sh &&
    test_must_fail flux batch -q nosuch batch.sh 2>err &&
    grep -q "invalid queue .nosuch." err &&
    test_must_fail flux alloc -q nosuch true 2>err &&
    grep -q "invalid queue .nosuch." err &&
    flux submit --help | grep -q -- "-q, --queue=NAME"
'
test_expect_success 'time limits follow Flux Standard Duration (bare number = minutes)' '
    flux submit --dry-run -t 2 true | grep -q "\"duration\":120" &&
    flux submit --dry-run -t 1.5h true | grep -q "\"duration\":5400" &&
    test_must_fail flux submit -t 5x true 2>err &&
    grep -q "invalid duration" err
'
test_expect_success '--cc submits one job per id with {cc} substituted' '
    flux submit --cc=1-5 echo {cc} >ids &&
    test $(wc -l <ids) -eq 5 &&
    flux submit --dry-run --cc=7-8 echo x{cc} | grep -c "\"x[78]\"" | grep -qx 2
'
test_expect_success '--cc sets FLUX_JOB_CC, --bcc does not; {cc} fills option values too' '
    flux submit --dry-run --cc=3 true | grep -q "\"FLUX_JOB_CC\":\"3\"" &&
    flux submit --dry-run --bcc=3 true >js && ! grep -q FLUX_JOB_CC js &&
    flux submit --dry-run --bcc=4-5 --job-name=n{cc} echo {cc} | tail -1 >js &&
    grep -q "\"name\":\"n5\"" js && grep -q "\"command\":\[\"echo\",\"5\"\]" js &&
    flux submit --dry-run --cc=2 -n {cc} true | grep -q "\"count\":2," &&
    test_must_fail flux submit --dry-run -n {cc} true 2>err &&
    grep -q "invalid --ntasks .{cc}." err &&
    flux submit --cc=1-2 --watch sh -c "echo {cc}=\$FLUX_JOB_CC" | grep "=" | sort >out &&
    printf "1=1\n2=2\n" >expected && cmp expected out
'
test_expect_success '--log appends the ids to a file; with {cc}, a file per copy' '
    flux submit --log=ids.log --cc=1-2 true >out && test_must_be_empty out &&
    test $(wc -l <ids.log) -eq 2 &&
    flux submit --log=ids.log true >out && test $(wc -l <ids.log) -eq 3 &&
    flux submit --log=job{cc}.id --cc=1-2 true >out && test_must_be_empty out &&
    test $(wc -l <job1.id) -eq 1 && test $(wc -l <job2.id) -eq 1 &&
    test_expect_code 1 flux submit --log=bad/dir/x true 2>err &&
    grep -q "flux-submit: --log: bad/dir/x: No such file or directory" err
'
test_expect_success '--wait-event waits for an event; a job that never posts it fails' '
    flux submit --quiet --wait-event=start true &&
    test_must_fail flux submit --quiet --wait-event=nosuch true 2>err &&
    grep -q "ended without event nosuch" err &&
    flux submit --quiet --wait-event=exec.shell.init true &&
    test_must_fail flux submit --wait-event=exec. true 2>err &&
    grep -q "expected an event name after exec." err
'
test_expect_success 'flux submit --progress is accepted without a terminal, adding nothing' '
    flux submit --progress --cc=1-3 true >ids 2>err &&
    test $(wc -l <ids) -eq 3 && test_must_be_empty err &&
    test_expect_code 3 flux submit --progress --jps --wait sh -c "exit 3" >ids 2>err &&
    test $(wc -l <ids) -eq 1 && test_must_be_empty err
'
test_expect_success SCRIPT 'flux submit --progress on a terminal shows submission, then states' '
    script -qc "flux submit --progress --cc=1-4 true" /dev/null >tty.out &&
    grep -q "Submitting 4 jobs \[#*\] 100%  4/4" tty.out &&
    script -qc "flux submit --progress --wait --quiet --cc=1-2 true" /dev/null >tty.out &&
    grep -q "PD:0 R:0 CD:2 \[#*\] 100%" tty.out
'
test_expect_success '1000 --cc jobs are all accepted with distinct ids' '
    flux submit --cc=1-1000 --quiet true &&
    flux submit --cc=1-1000 true >ids1000 &&
    test $(sort -u ids1000 | wc -l) -eq 1000
'
test_expect_success 'unsatisfiable requests are refused at submit' '
    test_must_fail flux submit -n $((2 * ncores + 1)) true 2>err &&
    grep -q "unsatisfiable request: $((2 * ncores + 1)) cores requested, $((2 * ncores)) available" err &&
    test_must_fail flux submit -N 3 true 2>err &&
    grep -q "3 nodes requested, 2 available" err &&
    test_must_fail flux submit -c $((ncores + 1)) true 2>err &&
    grep -q "does not fit on any node" err &&
    test_must_fail flux submit -g 1 true 2>err &&
    grep -q "1 gpu requested, 0 available" err
'
test_expect_success 'bad options are rejected with the option named' '
    test_must_fail flux submit -n 0 true 2>err && grep -q "invalid --ntasks" err &&
    test_must_fail flux submit -c x true 2>err && grep -q "invalid --cores-per-task" err &&
    test_must_fail flux submit --urgency=32 true 2>err && grep -q "urgency" err &&
    test_must_fail flux submit --bogus true 2>err &&
    test_must_fail flux submit 2>err && grep -q Usage err &&
    test_must_fail flux submit -N 3 -n 2 true 2>err
'
test_expect_success 'flux job submit takes a YAML jobspec' '
    cat >js.yaml <<-EOT &&
	version: 1
	resources:
	  - type: slot
	    count: 1
	    label: task
	    with:
	      - type: core
	        count: 1
	tasks:
	  - command: [ "hostname" ]
	    slot: task
	    count:
	      per_slot: 1
	attributes:
	  system:
	    duration: 0
	EOT
    flux job submit js.yaml | grep -Eq "^(ƒ|f)"
'
test_expect_success 'an invalid jobspec is rejected naming the problem' '
    sed "s/count: 1$/count: 0/" js.yaml >bad.yaml &&
    test_must_fail flux job submit bad.yaml 2>err &&
    grep -q "resources\\[0\\].count: must be >= 1" err &&
    echo "{\"version\": 2}" >bad.json &&
    test_must_fail flux job submit bad.json 2>err &&
    grep -q "version" err &&
    echo "not: [valid" >bad2.yaml &&
    test_must_fail flux job submit bad2.yaml 2>err &&
    grep -q "invalid jobspec" err
'
test_expect_success 'malformed submit requests are rejected; the broker stays up' '
    test_must_fail rpc job-ingest.submit "{}" 2>err &&
    grep -q "expected {\"jobspec\"" err &&
    test_must_fail rpc job-ingest.submit "{\"jobspec\":5}" 2>err &&
    grep -q "must be an object or a string" err &&
    test_must_fail rpc job-ingest.submit "{\"jobspec\":{},\"urgency\":99}" 2>err &&
    grep -q "urgency must be between 0 and 31" err &&
    flux ping --count=1 1
'
test_expect_success 'job ids keep increasing across a restart (same statedir)' '
    mkdir -p state &&
    a=$(flux start -Sstatedir=$PWD/state flux submit true) &&
    b=$(flux start -Sstatedir=$PWD/state flux submit true) &&
    test $(flux job id $b) -gt $(flux job id $a) &&
    flux start -Sstatedir=$PWD/state flux kvs get $(flux job id --to=kvs $a).eventlog | grep -q submit
'
test_expect_success 'flux job id rejects junk' '
    test_must_fail flux job id nope 2>err &&
    grep -q "invalid job id" err
'
test_expect_success 'the stored jobspec is the one submitted (spliced or encoded again)' '
    flux submit --dry-run --cc=2-2 --urgency=20 printenv FLUX_JOB_CC >dry.json &&
    id=$(flux submit --cc=1-2 --urgency=20 printenv FLUX_JOB_CC | tail -1) &&
    flux kvs get $(flux job id --to=kvs $id).jobspec >stored.json &&
    test_cmp dry.json stored.json &&
    jq . dry.json >pretty.json &&
    id2=$(flux job submit pretty.json) &&
    flux kvs get $(flux job id --to=kvs $id2).jobspec | jq -S . >stored2.json &&
    jq -S . dry.json >expected2.json && test_cmp expected2.json stored2.json
'
test_done
