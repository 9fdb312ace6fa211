#!/bin/bash
# Housekeeping across a restart ([job-manager.housekeeping], flux-prolog(7)):
# an instance restarted on the same statedir while housekeeping held a
# node runs housekeeping again and does not hand the node out before it
# ends; flux housekeeping list shows the job and its nodes meanwhile.
. "$(dirname "$0")/lib/test-lib.sh"

# The script logs its start, holds while hk-hold exists, then logs the
# time it ended.
cat >hk.toml <<EOT
[job-manager.housekeeping]
command = ["sh", "-c", "echo start \$FLUX_JOB_ID >>$PWD/hk.log; while test -e $PWD/hk-hold; do sleep 0.1; done; echo end \$FLUX_JOB_ID \$(date +%s.%N) >>$PWD/hk.log"]
EOT
# starts N: wait (at most 30s) until the script has started N times.
cat >starts <<EOT
#!/bin/sh
timeout 30 sh -c "until test \\\$(cat $PWD/hk.log 2>/dev/null | grep -c ^start) -ge \$1; do sleep 0.1; done"
EOT
chmod +x starts

test_expect_success 'housekeeping holds the node when the instance stops' '
    mkdir st && touch hk-hold &&
    timeout 120 flux start -c hk.toml -Sstatedir=$PWD/st sh -c "
        id=\$(flux submit -N1 --exclusive true) && echo \$id >id &&
        flux job wait-event -t 30 \$id clean >/dev/null &&
        $PWD/starts 1 &&
        flux housekeeping list" >list1 &&
    grep -q "^ *JOBID NNODES  RUNTIME NODELIST$" list1 &&
    grep -q "^ *$(cat id) *1 " list1
'
test_expect_success 'restarted: housekeeping runs again and the next job waits for it' '
    timeout 120 flux start -c hk.toml -Sstatedir=$PWD/st sh -c "
        $PWD/starts 2 &&
        flux housekeeping list -n >list2 &&
        b=\$(flux submit -N1 --exclusive true) &&
        flux housekeeping list -n >list3 &&
        rm hk-hold &&
        flux job wait-event -t 30 \$b clean >/dev/null &&
        flux job info \$b eventlog | jq -r \"select(.name == \\\"alloc\\\") | .timestamp\" >alloc.t &&
        flux housekeeping list -n >list4" &&
    grep -q "^ *$(cat id) *1 " list2 &&
    grep -q "^ *$(cat id) *1 " list3 &&
    test_must_be_empty list4 &&
    grep "^end $(cat id) " hk.log | tail -1 | cut -d" " -f3 >end.t &&
    test -s end.t &&
    awk -v a=$(cat alloc.t) -v e=$(cat end.t) "BEGIN { exit !(a >= e) }"
'
test_expect_success 'flux housekeeping: bad usage is refused' '
    test_must_fail flux housekeeping 2>err &&
    grep -q "Usage: flux housekeeping list" err &&
    test_must_fail flux housekeeping bogus 2>err &&
    grep -q "unknown subcommand .bogus." err
'
test_done
