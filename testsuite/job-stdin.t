#!/bin/bash
# Standard input of jobs (RFC 24 guest.input): flux run and flux job attach
# forward their stdin to the tasks (all of them, or --input=RANKS), flux
# run/submit --input=FILE gives every task the file, bytes come through
# unchanged, the end of input closes the tasks' stdin, and a job whose
# tasks never read stdin still ends.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 2

test_expect_success 'echo hi | flux run cat' '
    echo hi | flux run cat >hi.out &&
    echo hi >hi.exp &&
    test_cmp hi.exp hi.out
'
test_expect_success 'the end of input closes the task stdin' '
    printf "x\n" | flux run sh -c "cat; echo done" >eof.out &&
    printf "x\ndone\n" >eof.exp &&
    test_cmp eof.exp eof.out
'
test_expect_success 'stdin goes to every task by default, on both nodes' '
    printf "a\nb\n" >in.txt &&
    flux run -N2 -n2 -l cat <in.txt | sort >all.out &&
    printf "0: a\n0: b\n1: a\n1: b\n" >all.exp &&
    test_cmp all.exp all.out
'
test_expect_success 'flux run --input=0: task 0 gets stdin, task 1 /dev/null' '
    flux run -N2 -n2 -l --input=0 sh -c "cat; echo end" <in.txt | sort >r0.out &&
    printf "0: a\n0: b\n0: end\n1: end\n" >r0.exp &&
    test_cmp r0.exp r0.out
'
test_expect_success 'flux run --input=FILE: each task reads FILE (relative to the cwd)' '
    echo ignored | flux run -N2 -n2 -l --input=in.txt cat | sort >file.out &&
    test_cmp all.exp file.out
'
test_expect_success 'flux submit --input=FILE' '
    id=$(flux submit --input=$PWD/in.txt cat) &&
    flux job attach $id >sub.out &&
    printf "a\nb\n" >sub.exp &&
    test_cmp sub.exp sub.out
'
test_expect_success 'a missing --input file fails the job, naming it' '
    test_must_fail flux run --input=nosuchfile cat 2>missing.err &&
    grep "input nosuchfile: No such file or directory" missing.err
'
test_expect_success 'a bad input.stdin.type is refused, naming it' '
    test_must_fail flux run -o input.stdin.type=pipe cat 2>type.err &&
    grep "input.stdin.type: .pipe. is not one of service, file" type.err
'
test_expect_success 'all 256 byte values and random bytes come through unchanged' '
    for i in $(seq 0 255); do printf "\\$(printf %03o $i)"; done >bytes &&
    head -c 300000 /dev/urandom >>bytes &&
    cksum <bytes >bytes.sum &&
    flux run cksum <bytes >run.sum &&
    test_cmp bytes.sum run.sum
'
test_expect_success 'binary input is stored base64 in guest.input, with a header and an eof' '
    printf "\377\0text" | flux run cat >/dev/null &&
    id=$(flux job last) &&
    flux job info $id guest.input >input.ev &&
    head -1 input.ev | grep -q "\"name\":\"header\"" &&
    grep -q "\"stream\":\"stdin\",\"rank\":\"all\",\"data\":\"/wB0ZXh0\",\"encoding\":\"base64\"" input.ev &&
    tail -1 input.ev | grep -q "{\"stream\":\"stdin\",\"rank\":\"all\",\"eof\":true}"
'
test_expect_success '10 MB of input reaches the task whole' '
    head -c 10000000 /dev/urandom >big &&
    cksum <big >big.sum &&
    flux run cksum <big >bigrun.sum &&
    test_cmp big.sum bigrun.sum
'
test_expect_success 'flux submit, then flux job attach with input piped' '
    id=$(flux submit -n2 -N2 cat) &&
    printf "foo\n" | flux job attach -l $id | sort >att.out &&
    printf "0: foo\n1: foo\n" >att.exp &&
    test_cmp att.exp att.out
'
test_expect_success 'flux job attach -i 1 sends to task 1 only' '
    id=$(flux submit -n2 -N2 -o input.stdin.ranks=1 cat) &&
    printf "one\n" | flux job attach -l -i 1 $id >att1.out &&
    printf "1: one\n" >att1.exp &&
    test_cmp att1.exp att1.out
'
test_expect_success 'each shell writes an entry to the tasks its rank idset names only' '
    id=$(flux submit -N2 -n2 sh -c "read x; echo \$x") &&
    flux job wait-event -t 30 $id start &&
    key=$(flux job id --to=kvs $id).guest.input &&
    flux kvs put --append $key="{\"timestamp\":1,\"name\":\"data\",\"context\":{\"stream\":\"stdin\",\"rank\":\"1\",\"data\":\"one\\n\"}}
" &&
    flux kvs put --append $key="{\"timestamp\":1,\"name\":\"data\",\"context\":{\"stream\":\"stdin\",\"rank\":\"0\",\"data\":\"zero\\n\"}}
" &&
    flux job attach -r -l $id >idset.raw &&
    sort idset.raw >idset.out &&
    printf "0: zero\n1: one\n" >idset.exp &&
    test_cmp idset.exp idset.out
'
test_expect_success 'flux job attach --stdin-ranks rejects junk' '
    test_must_fail flux job attach -i x1 $(flux job last) 2>junk.err &&
    grep "is not \"all\" or an idset" junk.err
'
test_expect_success 'tasks that never read stdin: the job ends, the writer is not waited for' '
    (yes | timeout 60 flux run -N2 -n2 sleep 0.2) &&
    head -c 3000000 /dev/zero | timeout 60 flux run true
'
test_expect_success 'stdin /dev/null: the tasks read /dev/null, no guest.input' '
    flux run cat </dev/null >null.out &&
    test_must_be_empty null.out &&
    id=$(flux job last) &&
    test_must_fail flux job info $id guest.input &&
    flux job info $id jobspec | grep -q "\"input\":{\"stdin\":{\"type\":\"file\",\"path\":\"/dev/null\"}}" &&
    flux run -o input.stdin.ranks=0 true </dev/null &&
    flux job info $(flux job last) jobspec >ov.json &&
    ! grep -q /dev/null ov.json
'
test_done
