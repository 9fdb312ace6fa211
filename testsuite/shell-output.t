#!/bin/bash
# Task output is bytes: NUL bytes, invalid UTF-8, every byte value and
# megabytes of random data come back byte for byte through flux run,
# flux job attach and --output files (RFC 24 data events, base64 when the
# chunk is not text).
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
test_done
