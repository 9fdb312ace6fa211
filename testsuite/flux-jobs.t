#!/bin/bash
# flux jobs ID...: the named jobs in any state, in argument order; unknown
# ids are reported and make the command fail; {ncores} is the allocated
# core count.  Flux's named formats and --format=help, the fields of
# flux-jobs(1) ({nodelist}, {id.*}, conversions, "h", "+", "?:"), the INFO
# column, --stats and --stats-only, and allocations listed after a restart;
# {cwd}, {project}, {bank} from the jobspec, {uri} of an instance job and
# the {instance.*} fields of a running one.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 1

test_expect_success 'flux jobs ID lists that job even once inactive' '
    a=$(flux submit true) && b=$(flux submit true) &&
    flux job wait-event -t 20 $a clean && flux job wait-event -t 20 $b clean &&
    flux jobs -n -o "{id}" $b $a >out &&
    printf "%s\n%s\n" $b $a >expected &&
    test_cmp expected out
'
test_expect_success 'ids in any form are accepted' '
    a=$(flux submit true) && flux job wait-event -t 20 $a clean &&
    flux jobs -n -o "{id}" $(flux job id --to=dec $a) >out &&
    echo $a >expected && test_cmp expected out
'
test_expect_success 'an unknown id is reported, the others listed, exit 1' '
    a=$(flux submit true) && flux job wait-event -t 20 $a clean &&
    test_expect_code 1 flux jobs -n -o "{id}" $a f3abcdef >out 2>err &&
    echo $a >expected && test_cmp expected out &&
    grep -q "flux-jobs: f3abcdef: unknown job id" err &&
    test_must_fail flux jobs notanid 2>err &&
    grep -q "invalid job id" err
'
test_expect_success '{ncores} is the allocated core count' '
    a=$(flux submit -n1 -c1 true) && flux job wait-event -t 20 $a clean &&
    flux jobs -n -o "{ncores}" $a >out && echo 1 >expected && test_cmp expected out &&
    flux jobs -o "{ncores}" $a | head -1 >hdr && echo NCORES >expected && test_cmp expected hdr
'
# The host the job ran on, from its R.
R_hosts() { flux job info $1 R | grep -o "\"nodelist\":\[\"[^\"]*\"" | cut -d\" -f4; }

test_expect_success '--format=help lists the named formats and every field' '
    flux jobs --format=help >help &&
    for name in default long deps endreason; do
        grep -q "^  $name " help || return 1
    done &&
    for f in id.words id.kvs nodelist ncores contextual_info inactive_reason t_remaining \
             returncode exception.occurred dependencies; do
        grep -q "^  $f " help || return 1
    done
'
test_expect_success 'named formats: default is the plain output, long and deps their columns' '
    a=$(flux submit true) && flux job wait-event -t 20 $a clean &&
    flux jobs -a >plain && flux jobs -a --format=default >named && test_cmp plain named &&
    flux jobs -a -o long | head -1 | grep -q "STATUS .*T_REMAINING" &&
    flux jobs -a -o deps | head -1 | grep -q "URG PRI .*DEPENDENCIES" &&
    flux jobs -a -o endreason -n $a | grep -q "Exit 0$"
'
test_expect_success '{nodelist} is where the job ran; the id fields match flux job id' '
    a=$(flux submit true) && flux job wait-event -t 20 $a clean &&
    host=$(R_hosts $a) && test -n "$host" &&
    test "$(flux jobs -n -o "{nodelist}" $a)" = "$host" &&
    flux jobs -n -o "{id.dec} {id.hex} {id.dothex} {id.kvs} {id.words} {id.f58}" $a >ids &&
    echo "$(flux job id --to=dec $a) $(flux job id --to=hex $a) $(flux job id --to=dothex $a)" \
         "$(flux job id --to=kvs $a) $(flux job id --to=words $a) $(flux job id --to=f58 $a)" >expected &&
    test_cmp expected ids
'
test_expect_success 'INFO: the nodelist once run, held for a held job' '
    a=$(flux submit true) && flux job wait-event -t 20 $a clean &&
    test "$(flux jobs -n -o "{contextual_info}" $a)" = "$(R_hosts $a)" &&
    flux jobs -a -n $a | grep -q " $(R_hosts $a)\$" &&
    held=$(flux submit --urgency=hold true) &&
    flux job wait-event -t 20 $held priority &&
    test "$(flux jobs -n -o "{contextual_info}" $held)" = held &&
    flux jobs -n $held | grep -q " held\$" &&
    r=$(flux submit sleep 300) && flux job wait-event -t 20 $r start &&
    test "$(flux jobs -n -o "{contextual_info}" $r)" = "$(R_hosts $r)" &&
    flux cancel $held $r && flux job wait-event -t 20 $r clean
'
test_expect_success 'conversions and specs: !D !H !F, h, +, and ?: columns' '
    a=$(flux submit --job-name=abcdefgh true) && flux job wait-event -t 20 $a clean &&
    flux jobs -n -o "{t_depend!D}" $a | grep -Eqx "[0-9]{4}-.*" &&
    flux jobs -n -o "{t_submit!D}" $a | grep -Eqx "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}" &&
    flux jobs -n -o "{runtime!H}" $a | grep -Eqx "0:00:0[0-9]" &&
    flux jobs -n -o "{runtime!F}" $a | grep -Eqx "[0-9.]+(ms|s)" &&
    test "$(flux jobs -n -o "{name:<5.5+}|" $a)" = "abcd+|" &&
    test "$(flux jobs -n -o "{t_remaining:h}" $a)" = "-" &&
    flux jobs -o "{id} ?:{dependencies:<8} {name}" $a | head -1 >hdr &&
    echo "JOBID NAME" >expected && test_cmp expected hdr &&
    test_must_fail flux jobs -o "{name!Z}" 2>err && grep -q "unknown conversion" err
'
test_expect_success 'returncode and the end reason as Flux: -128 canceled before it ran' '
    held=$(flux submit --urgency=hold true) && flux cancel $held &&
    flux job wait-event -t 20 $held clean &&
    test "$(flux jobs -n -o "{returncode}" $held)" = -128 &&
    flux jobs -n -o "{inactive_reason}" $held | grep -q "^Canceled" &&
    bad=$(flux submit sh -c "exit 3") && flux job wait-event -t 20 $bad clean &&
    test "$(flux jobs -n -o "{returncode} {success} {exception.occurred} {inactive_reason}" $bad)" = \
         "3 False False Exit 3"
'
test_expect_success '--stats counts the jobs; --stats-only exits 1 with none active' '
    flux jobs --stats -a -n -c 0 | head -1 >stats &&
    grep -Eqx "[0-9]+ running, [0-9]+ completed, [0-9]+ failed, [0-9]+ pending" stats &&
    test_expect_code 1 flux jobs --stats-only >none &&
    grep -q "^0 running, .* 0 pending" none &&
    ncd=$(sed "s/.* running, \([0-9]*\) completed.*/\1/" none) &&
    a=$(flux submit true) && flux job wait-event -t 20 $a clean &&
    test_expect_code 1 flux jobs --stats-only >after &&
    grep -q ", $((ncd + 1)) completed," after &&
    held=$(flux submit --urgency=hold true) &&
    flux jobs --stats-only >one && grep -q " 1 pending" one &&
    flux cancel $held
'
test_expect_success 'an ended job keeps its cores and nodes in listings after a restart' '
    mkdir -p state &&
    flux start -Sstatedir=$PWD/state \
        bash -c "id=\$(flux submit -n1 -c1 true) && flux job wait \$id && flux jobs -n -o \"{ncores} {nodelist}\" \$id" >before &&
    test -n "$(cut -d" " -f2 before)" &&
    flux start -Sstatedir=$PWD/state flux jobs -a -n -o "{ncores} {nodelist}" >after &&
    test_cmp before after
'
test_expect_success 'annotation fields by path: {annotations}, {sched}, {sched.KEY}, {user}' '
    flux start -Ssched-module=sched-graph sh -c "
        id=\$(flux submit -n2 sleep 30) && flux job wait-event -t 20 \$id start >/dev/null &&
        a=\$(flux submit -n2 true) &&
        flux job wait-event -t 20 \$a priority >/dev/null && sleep 0.3 &&
        flux jobs -o \"{annotations.sched.reason_pending}|{sched}|{user}\" \$a &&
        flux jobs -n -o \"{annotations}\" \$a && flux cancel \$id \$a" >ann.out &&
    sed -n 1p ann.out | grep -q "^REASON|SCHED|USER$" &&
    sed -n 2p ann.out | grep -q "^insufficient resources|{\"reason_pending\":\"insufficient resources\"" &&
    sed -n 2p ann.out | grep -q "|$" &&
    sed -n 3p ann.out | jq -e ".sched.reason_pending == \"insufficient resources\"" &&
    test_must_fail flux jobs -o "{annotationsx}" 2>err &&
    grep -q "unknown field" err
'
test_expect_success '{cwd}, {project} and {bank} come from the jobspec, also after a restart' '
    mkdir -p wd state2 &&
    (cd wd && flux start -Sstatedir=$PWD/../state2 bash -c "
        id=\$(flux submit --setattr=system.project=physics --setattr=system.bank=b42 true) &&
        flux job wait \$id && plain=\$(flux submit true) && flux job wait \$plain &&
        flux jobs -a -n -o \"{cwd}|{project}|{bank}|{name}\"") >acct.out &&
    printf "%s\n%s\n" "$PWD/wd|||true" "$PWD/wd|physics|b42|true" >acct.exp &&
    test_cmp acct.exp acct.out &&
    (cd wd && flux start -Sstatedir=$PWD/../state2 \
        flux jobs -a -o "{project:<8} {bank}") >acct2.out &&
    grep -q "^PROJECT  BANK$" acct2.out &&
    grep -q "^physics  b42$" acct2.out
'
test_expect_success '{uri} is the URI of an instance job, empty for other jobs' '
    plain=$(flux submit true) && flux job wait-event -t 20 $plain clean &&
    id=$(flux alloc --bg -n1) &&
    flux jobs -n -o "{id} {uri}" $id $plain >uri.out &&
    cat uri.out &&
    echo "$id $(flux uri $id)" >uri.exp &&
    echo "$plain" >>uri.exp &&
    test_cmp uri.exp uri.out &&
    FLUX_URI=$(flux uri $id) flux getattr size &&
    flux jobs -o "{id} ?:{uri}" $plain >nouri.out &&
    test "$(head -1 nouri.out)" = "JOBID" &&
    flux cancel $id && flux job wait-event -t 30 $id clean
'
test_expect_success '{instance.*}: a running instance job'"'"'s own jobs and cores, asked over its URI' '
    id=$(flux alloc --bg -n1) &&
    child=$(flux uri $id) &&
    done=$(FLUX_URI=$child flux submit true) &&
    FLUX_URI=$child flux job wait-event -t 20 $done clean &&
    FLUX_URI=$child flux submit --urgency=hold true >/dev/null &&
    plain=$(flux submit --urgency=hold true) &&
    flux jobs -o "{id} {instance.stats} {instance.stats.total} {instance.progress!P} {instance.utilization} {instance.resources.all.ncores} {instance.resources.free.ncores} {instance.resources.down.ncores}" $id $plain >inst.out &&
    cat inst.out &&
    head -1 inst.out | grep -q "^JOBID STATS NJOBS PROG CORE% CORES FREE DOWN$" &&
    sed -n 2p inst.out | grep -qx "$id PD:1 R:0 CD:1 F:0 2 50% 0 1 1 0" &&
    sed -n 3p inst.out | grep -qx "$plain" &&
    flux cancel $id $plain && flux job wait-event -t 30 $id clean &&
    flux jobs -n -o "{id} ?:{instance.stats}" $id >ended.out &&
    echo $id >ended.exp && test_cmp ended.exp ended.out
'
test_done
