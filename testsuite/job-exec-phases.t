#!/bin/bash
# job-exec owns a job's launch: one job-exec.start per job to rank 0, which
# fans the shells out to each rank with the task layout it computed from R
# and the jobspec, releases each rank as its shell exits (partial release),
# then posts finish and the final release.  Bad requests to its topics are
# refused with a message and do not hurt the broker.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 2

export PATH="$FLUX_BUILD_DIR/testsuite/helpers:$PATH"

test_expect_success 'a rank whose shell exits first is released before finish' '
    id=$(flux submit -N2 -n2 sh -c "test \$FLUX_TASK_RANK = 1 || sleep 2") &&
    flux job wait $id &&
    flux job eventlog $id >log &&
    grep -n "release ranks=\"1\" final=false" log &&
    grep -n "release ranks=\"0\" final=true" log &&
    partial=$(grep -n "final=false" log | cut -d: -f1) &&
    finish=$(grep -n " finish " log | cut -d: -f1) &&
    last=$(grep -n "final=true" log | cut -d: -f1) &&
    test $partial -lt $finish && test $finish -lt $last
'
test_expect_success 'a one-node job has a single final release after finish' '
    id=$(flux submit true) && flux job wait $id &&
    flux job eventlog $id >log1 &&
    test $(grep -c " release " log1) -eq 1 &&
    grep -q "release ranks=\"0\" final=true" log1
'
cat >fake-shell <<'EOT'
#!/bin/sh
# Keep the shell's input (one file per rank) and succeed.
cat >"$(dirname "$0")/input.$$"
EOT
chmod +x fake-shell
test_expect_success 'each rank with tasks gets a shell, with R and its rank on stdin' '
    flux start --test-size=2 -Sconf.shell_path=$PWD/fake-shell flux run -N2 -n3 true &&
    test $(ls input.* | wc -l) -eq 2 &&
    cat input.* | jq -c "[.rank, .tasks]" | sort >layout &&
    printf "[0,null]\n[1,null]\n" >expected && test_cmp expected layout &&
    for f in input.*; do
        jq -e ".R.version == 1 and .R.execution.starttime > 0" $f &&
        jq -e "[.R.execution.R_lite[].rank] == [\"0-1\"]" $f &&
        jq -e ".jobspec.version == 1 and (.cpus | type) == \"string\"" $f || return 1
    done
'
test_expect_success 'a shell that cannot start: exec exception naming the rank, job ends' '
    flux start -Sconf.shell_path=/nonexistent/flux-shell bash -c "
        id=\$(flux submit true) &&
        ! flux job wait \$id &&
        flux job eventlog \$id | grep exception | grep -q \"rank 0: job-exec: cannot start /nonexistent/flux-shell\" &&
        flux job wait-event -t 10 \$id clean &&
        flux job eventlog \$id | grep -q \"release ranks=\\\"0\\\" final=true\"
    "
'
test_expect_success 'bad job-exec requests are refused with a message; the broker stays up' '
    test_must_fail rpc -r 0 job-exec.start "{}" 2>err &&
    grep -q "expected {\"id\", \"jobspec\": {...}, \"R\": {...}}" err &&
    test_must_fail rpc -r 0 job-exec.start "{\"id\":1,\"jobspec\":{},\"R\":{\"version\":9}}" 2>err &&
    grep -q "job-exec.start: R: " err &&
    test_must_fail rpc -r 0 job-exec.start "{\"id\":1,\"jobspec\":{},\"R\":{\"version\":1,\"execution\":{\"R_lite\":[]}}}" 2>err &&
    grep -q "R holds no rank" err &&
    test_must_fail rpc -r 1 job-exec.shell "{\"id\":1}" 2>err &&
    grep -q "job-exec.shell: malformed request" err &&
    test_must_fail rpc -r 0 job-exec.kill "{\"id\":1,\"signal\":99}" 2>err &&
    grep -q "signal\": 1-63" err &&
    test_must_fail rpc -r 1 job-exec.signal "{}" 2>err &&
    grep -q "job-exec.signal: expected" err &&
    rpc -r 0 job-exec.kill "{\"id\":12345,\"signal\":15}" &&
    flux ping --count=1 1 && flux run true
'
test_expect_success 'a start request with a jobspec job-exec cannot lay out fails the job' '
    rpc -r 0 job-exec.start "{\"id\":7,\"jobspec\":{\"version\":1},\"R\":{\"version\":1,\"execution\":{\"R_lite\":[{\"rank\":\"0\",\"children\":{\"core\":\"0\"}}],\"starttime\":0,\"expiration\":0}}}" >event &&
    jq -e ".id == 7 and .type == \"exception\" and (.data.note | test(\"cannot work out the job.s tasks\"))" event &&
    flux ping --count=1 0
'
test_done
