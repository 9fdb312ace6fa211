#!/bin/bash
# Task output is bytes: NUL bytes, invalid UTF-8, every byte value and
# megabytes of random data come back byte for byte through flux run,
# flux job attach and --output files (RFC 24 data events, base64 when the
# chunk is not text); each task's stream ends with an RFC 24 eof entry.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 1

test_expect_success 'a NUL byte loses nothing around it' '
    flux run sh -c "echo before; printf \"a\\0b\\n\"; echo after" >nul.out &&
    printf "before\na\0b\nafter\n" >nul.exp &&
    cmp nul.exp nul.out
'
test_expect_success 'invalid UTF-8 comes back as it was written' '
    flux run printf "x\377\376y\n" >bad.out &&
    printf "x\377\376y\n" >bad.exp &&
    cmp bad.exp bad.out
'
test_expect_success 'binary chunks are stored base64 with an encoding, text stays plain' '
    id=$(flux submit sh -c "echo plain; sleep 0.3; printf \"\\377\"") && flux job wait $id &&
    flux job info $id guest.output >ev &&
    grep -q "\"data\":\"plain\\\\n\"" ev &&
    grep -q "\"encoding\":\"base64\"" ev
'
test_expect_success 'all 256 byte values, on stdout and stderr' '
    for i in $(seq 0 255); do printf "\\$(printf %03o $i)"; done >all &&
    test $(wc -c <all) -eq 256 &&
    flux run cat $PWD/all >all.out &&
    cmp all all.out &&
    flux run sh -c "cat $PWD/all >&2" 2>all.err &&
    cmp all all.err
'
test_expect_success 'flux job attach -l labels binary lines too' '
    id=$(flux submit -n2 printf "\\377\\0\\n") && flux job wait $id &&
    flux job attach -l $id | sort >lab.out &&
    printf "0: \377\0\n1: \377\0\n" >lab.exp &&
    cmp lab.exp lab.out
'
test_expect_success '10 MB of random bytes: flux run, attach and --output agree by checksum' '
    head -c 10000000 /dev/urandom >rnd &&
    cksum <rnd >rnd.sum &&
    id=$(flux submit cat $PWD/rnd) &&
    flux job attach $id | cksum >run.sum &&
    test_cmp rnd.sum run.sum &&
    flux job attach $id | cksum >attach.sum &&
    test_cmp rnd.sum attach.sum &&
    flux run --output=$PWD/rnd.file cat $PWD/rnd &&
    cksum <rnd.file >file.sum &&
    test_cmp rnd.sum file.sum
'
test_expect_success 'a corrupt data event is reported, not printed as garbage' '
    id=$(flux submit true) && flux job wait $id &&
    key=$(flux job id --to=kvs $id).guest.output &&
    printf "{\"timestamp\":1,\"name\":\"data\",\"context\":{\"stream\":\"stdout\",\"rank\":\"0\",\"data\":\"Zg\",\"encoding\":\"base64\"}}\n" >bad.ev &&
    flux kvs put --append $key="$(cat bad.ev)
" &&
    flux job attach $id >corrupt.out 2>corrupt.err &&
    test_must_be_empty corrupt.out &&
    grep -q "base64: length 2 is not a multiple of 4" corrupt.err
'
test_expect_success 'each stream of each task rank ends with an RFC 24 eof entry' '
    id=$(flux submit -n2 sh -c "echo out; echo err >&2") &&
    flux job wait-event -t 20 $id clean &&
    flux job eventlog -p guest.output $id >ev &&
    grep -q " data stream=\"stdout\" rank=\"1\" data=\"out\\\\n\"$" ev &&
    awk "\$2 == \"data\" { last[\$3 \" \" \$4] = \$5 }
         END { for (k in last) print k, last[k] }" ev | sort >ends &&
    cat >expected <<-\EOF &&
	stream="stderr" rank="0" eof=true
	stream="stderr" rank="1" eof=true
	stream="stdout" rank="0" eof=true
	stream="stdout" rank="1" eof=true
	EOF
    test_cmp expected ends &&
    flux job eventlog -f json -p guest.output $id |
        grep -c "\"context\":{\"stream\":\"std[a-z]*\",\"rank\":\"[01]\",\"eof\":true}}$" >count &&
    echo 4 >four &&
    test_cmp four count
'
test_expect_success 'eof entries print nothing: flux run, attach and attach -l show only the data' '
    id=$(flux submit sh -c "printf \"a\\nb\"") && flux job wait $id &&
    flux job eventlog -p guest.output $id | grep -q "eof=true" &&
    flux job attach $id >plain.out &&
    printf "a\nb" >plain.exp &&
    cmp plain.exp plain.out &&
    id=$(flux submit -n2 sh -c "printf \"a\\nb\"") && flux job wait $id &&
    flux job attach -l $id | sort >lab2.out &&
    printf "0: a\n0: b\n1: a\n1: b\n" >lab2.exp &&
    cmp lab2.exp lab2.out &&
    flux run -n1 sh -c "echo x; echo y >&2" >run.out 2>run.err &&
    echo x >x.exp && echo y >y.exp &&
    test_cmp x.exp run.out && test_cmp y.exp run.err
'
test_done
