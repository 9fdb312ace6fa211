#!/bin/bash
# flux bulksubmit: inputs from stdin, ::: lists (cartesian product, :::+
# links, :::: files), replacement fields in the command and option values,
# --cc/--bcc, --dry-run, --wait exit codes, --log, --progress, bad input.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 2

T="-S exec.test.run_duration=0.01s"
script -qc true /dev/null >/dev/null 2>&1 && test_set_prereq SCRIPT

test_expect_success 'stdin: one job per line, ids in input order' '
    printf "a\nb\nc\n" | flux bulksubmit --job-name={} $T echo {} >ids &&
    test $(wc -l <ids) -eq 3 &&
    grep -Eq "^(ƒ|f)" ids &&
    flux jobs -a -n -c 3 -o "{id} {name}" | tac >names &&
    printf "%s a\n%s b\n%s c\n" $(cat ids) >expected && cmp expected names
'
test_expect_success 'stdin: the command gets the input (real execution)' '
    printf "one\ntwo\n" | flux bulksubmit --watch echo got-{} >out &&
    grep -qx got-one out && grep -qx got-two out &&
    test $(grep -c "^got-" out) -eq 2
'
test_expect_success '::: lists: the cartesian product, the first list slowest' '
    flux bulksubmit --dry-run echo {0}{1} ::: 1 2 ::: a b c >out &&
    cat >expected <<-EOF &&
	bulksubmit: submit echo 1a
	bulksubmit: submit echo 1b
	bulksubmit: submit echo 1c
	bulksubmit: submit echo 2a
	bulksubmit: submit echo 2b
	bulksubmit: submit echo 2c
	EOF
    test_cmp expected out
'
test_expect_success '::: lists: the product submits in the same order' '
    flux bulksubmit $T --job-name={1}{0} true ::: 1 2 ::: a b >ids &&
    for id in $(cat ids); do flux job wait $id || exit 1; done &&
    flux jobs -a -n -c 4 -o "{name}" | tac >names &&
    printf "a1\nb1\na2\nb2\n" >expected && cmp expected names
'
test_expect_success '{} is the inputs joined by a space; {1} {0} reorders' '
    flux bulksubmit --dry-run echo {} ::: x y ::: 1 | tail -1 >out &&
    grep -qx "bulksubmit: submit echo '"'"'y 1'"'"'" out &&
    flux bulksubmit --dry-run echo {1} {0} ::: 1 2 ::: 3 4 | head -1 |
        grep -qx "bulksubmit: submit echo 3 1"
'
test_expect_success ':::+ links a list to the one before, cycling it' '
    flux bulksubmit --dry-run echo {0} {1} ::: 1 2 3 :::+ a b >out &&
    printf "bulksubmit: submit echo %s\n" "1 a" "2 b" "3 a" >expected &&
    test_cmp expected out
'
test_expect_success ':::: reads a list from a file, - is stdin' '
    printf "f1\nf2\n" >inputs &&
    flux bulksubmit --dry-run echo {0} {1} :::: inputs ::: x >out &&
    printf "bulksubmit: submit echo %s\n" "f1 x" "f2 x" >expected &&
    test_cmp expected out &&
    echo s1 | flux bulksubmit --dry-run echo {} :::: - | grep -qx "bulksubmit: submit echo s1"
'
test_expect_success '{seq} {seq1} and the path fields {.%} {./} {.//} {./%}' '
    flux bulksubmit --dry-run echo {seq} {seq1} {.%} {./} {.//} {./%} \
        ::: d/a.tar.gz b.txt >out &&
    cat >expected <<-EOF &&
	bulksubmit: submit echo 0 1 d/a.tar a.tar.gz d a.tar
	bulksubmit: submit echo 1 2 b b.txt '"'"''"'"' b
	EOF
    test_cmp expected out &&
    flux bulksubmit --dry-run echo {seq:03} ::: a b | tail -1 | grep -q "echo 001$"
'
test_expect_success 'fields fill option values; --dry-run shows those options' '
    flux bulksubmit --dry-run -n {} --job-name=j{seq} hostname ::: 1 2 >out &&
    cat >expected <<-EOF &&
	bulksubmit: submit --ntasks=1 --job-name=j0 hostname
	bulksubmit: submit --ntasks=2 --job-name=j1 hostname
	EOF
    test_cmp expected out &&
    ids=$(flux bulksubmit -n {} $T true ::: 1 2) &&
    for id in $ids; do flux job info $id jobspec && echo || return 1; done >js &&
    grep -q "\"count\":1," js && grep -q "\"count\":2," js
'
test_expect_success '--dry-run submits nothing and needs no instance; -v adds jobspecs' '
    before=$(flux jobs -a -n | wc -l) &&
    flux bulksubmit --dry-run true ::: 1 2 3 >out &&
    test $(wc -l <out) -eq 3 &&
    flux bulksubmit --dry-run -v -S user.meta="{{\"in\":\"{}\"}}" true ::: 1 2 >out &&
    test $(wc -l <out) -eq 4 &&
    grep -q "\"user\":{\"meta\":{\"in\":\"2\"}}" out &&
    test $(flux jobs -a -n | wc -l) -eq $before &&
    (unset FLUX_URI && flux bulksubmit --dry-run true ::: 1 >/dev/null)
'
test_expect_success '--cc makes copies per input, {cc} and FLUX_JOB_CC set' '
    flux bulksubmit --dry-run --cc=1-2 echo {}.{cc} ::: a b >out &&
    printf "bulksubmit: submit echo %s\n" a.1 a.2 b.1 b.2 >expected &&
    test_cmp expected out &&
    flux bulksubmit --cc=0-1 --watch sh -c "echo {}:{cc}:\$FLUX_JOB_CC" ::: x >out &&
    sort out | grep -v "^[ƒf]" >lines &&
    printf "x:0:0\nx:1:1\n" >expected && cmp expected lines
'
test_expect_success '--bcc copies without FLUX_JOB_CC; the --cc value may hold fields' '
    flux bulksubmit --bcc=1 --watch sh -c "echo {cc}:\${{FLUX_JOB_CC:-unset}}" ::: x >out &&
    grep -qx "1:unset" out &&
    flux bulksubmit --dry-run --cc=1-{} echo {cc} ::: 1 3 >out &&
    test $(wc -l <out) -eq 4 &&
    test_must_fail flux bulksubmit --dry-run --cc={} true ::: x 2>err &&
    grep -q "flux-bulksubmit: --cc=x: " err
'
test_expect_success '--wait exits with the largest exit code when one job fails' '
    flux bulksubmit --wait --quiet sh -c "exit {}" ::: 0 0 &&
    test_expect_code 3 flux bulksubmit --wait --quiet sh -c "exit {}" ::: 0 3 1
'
test_expect_success '--wait reports a job that got a fatal exception' '
    test_expect_code 137 flux bulksubmit --wait --quiet -t 0.1s \
        -S exec.test.run_duration=10s sleep 10 ::: 1 2>err &&
    grep -q "timeout" err
'
test_expect_success '--watch shows the output; exit code as --wait' '
    test_expect_code 2 flux bulksubmit --watch --quiet sh -c "echo out-{}; exit {}" ::: 1 2 >out &&
    sort out >sorted && printf "out-1\nout-2\n" >expected && cmp expected sorted
'
test_expect_success '--wait-event waits for an event in each job' '
    flux bulksubmit --quiet --wait-event=alloc $T true ::: 1 2 &&
    test_must_fail flux bulksubmit --quiet --wait-event=nosuch $T true ::: 1 2>err &&
    grep -q "ended without event nosuch" err
'
test_expect_success '--log writes the ids to a file; a field there splits it per job' '
    flux bulksubmit --log=ids.log $T true ::: 1 2 >stdout &&
    test_must_be_empty stdout &&
    test $(wc -l <ids.log) -eq 2 &&
    flux bulksubmit --log=job.{}.id $T true ::: a b >stdout &&
    test_must_be_empty stdout &&
    test $(cat job.a.id job.b.id | wc -l) -eq 2
'
test_expect_success '--quiet prints no ids; --verbose shows each job on stderr' '
    flux bulksubmit --quiet $T true ::: 1 >out && test_must_be_empty out &&
    flux bulksubmit -v --quiet $T echo {} ::: v1 2>err &&
    grep -qx "bulksubmit: submit echo v1" err
'
test_expect_success '--shuffle submits every job once, in some order' '
    flux bulksubmit --shuffle --dry-run echo {} ::: $(seq 1 20) >out &&
    test $(sort -u out | wc -l) -eq 20
'
test_expect_success '--sep splits inputs; --sep=none at whitespace' '
    printf "a,b,c" | flux bulksubmit --dry-run --sep=, echo {} >out &&
    test $(wc -l <out) -eq 3 &&
    printf "a  b\n\tc\n" | flux bulksubmit --dry-run --sep=none echo {} >out &&
    test $(wc -l <out) -eq 3 &&
    tail -1 out | grep -qx "bulksubmit: submit echo c"
'
test_expect_success 'without COMMAND the inputs are the command' '
    printf "echo 1\necho 2\n" >cmds &&
    flux bulksubmit --dry-run :::: cmds >out &&
    printf "bulksubmit: submit echo %s\n" 1 2 >expected && test_cmp expected out
'
test_expect_success '--progress is accepted without a terminal and prints nothing more' '
    flux bulksubmit --progress --jps $T true ::: 1 2 >out 2>err &&
    test $(wc -l <out) -eq 2 && test_must_be_empty err &&
    flux bulksubmit --progress --wait --quiet $T true ::: 1 2 >out 2>err &&
    test_must_be_empty out && test_must_be_empty err
'
test_expect_success SCRIPT '--progress on a terminal draws the counts and a bar' '
    script -qc "flux bulksubmit --progress --wait --quiet $T true ::: 1 2 3" /dev/null >tty.out &&
    grep -q "Submitting 3 jobs" tty.out &&
    grep -q "PD:0 R:0 CD:3 \[#*\] 100%" tty.out
'
test_expect_success '--help prints the usage, the fields and the options' '
    flux bulksubmit --help >out &&
    head -1 out | grep -q "^Usage: flux bulksubmit" &&
    grep -q "{seq}" out && grep -q -- "--shuffle" out && grep -q -- "--ntasks" out
'
test_expect_success 'an unknown option is named, with a hint' '
    test_must_fail flux bulksubmit --bogus echo ::: 1 2>err &&
    grep -q "flux-bulksubmit: unknown option .--bogus." err &&
    grep -q "flux bulksubmit --help" err &&
    test_must_fail flux bulksubmit --quiet=1 echo ::: 1 2>err &&
    grep -q "option .--quiet. takes no value" err &&
    test_must_fail flux bulksubmit --sep 2>err &&
    grep -q "option .--sep. needs a value" err
'
test_expect_success 'empty input is an error naming where inputs were expected' '
    test_must_fail flux bulksubmit echo {} </dev/null 2>err &&
    grep -q "no inputs on stdin" err &&
    printf "\n\n" | test_must_fail flux bulksubmit echo {} 2>err &&
    grep -q "no inputs on stdin" err &&
    test_must_fail flux bulksubmit echo {} ::: 2>err &&
    grep -q "'"'"':::'"'"' is followed by no inputs" err &&
    : >empty &&
    test_must_fail flux bulksubmit echo {} :::: empty 2>err &&
    grep -q "empty: no inputs" err &&
    test_must_fail flux bulksubmit echo {} :::: nosuchfile 2>err &&
    grep -q "nosuchfile: No such file" err &&
    test_must_fail flux bulksubmit echo :::+ a 2>err &&
    grep -q "links to the input list before it" err
'
test_expect_success 'bad fields and values stop the command before any submission' '
    before=$(flux jobs -a -n | wc -l) &&
    test_must_fail flux bulksubmit echo {2} ::: a ::: b 2>err &&
    grep -q "{2}.*only 2 input lists" err &&
    test_must_fail flux bulksubmit echo {bogus} ::: a 2>err &&
    grep -q "unknown name .bogus." err &&
    test_must_fail flux bulksubmit echo "{" ::: a 2>err &&
    grep -q "unmatched" err &&
    test_must_fail flux bulksubmit -n {} true ::: 1 x 2>err &&
    grep -q "invalid --ntasks .x." err &&
    test_must_fail flux bulksubmit -n 0 true ::: 1 2>err &&
    grep -q "invalid --ntasks .0." err &&
    test_must_fail flux bulksubmit --define=p=x true ::: 1 2>err &&
    grep -q "define is not supported" err &&
    test $(flux jobs -a -n | wc -l) -eq $before
'
test_expect_success 'a refused job is reported; the others are submitted' '
    test_must_fail flux bulksubmit -N {} true ::: 1 3 >ids 2>err &&
    test $(wc -l <ids) -eq 1 &&
    grep -q "flux-bulksubmit: submit: unsatisfiable request: 3 nodes requested" err
'
test_expect_success '1000 inputs are submitted pipelined, all accepted' '
    seq 1 1000 | flux bulksubmit $T true >ids &&
    test $(sort -u ids | wc -l) -eq 1000
'
test_done
