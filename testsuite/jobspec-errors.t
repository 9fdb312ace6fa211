#!/bin/bash
# Jobspec text that is not a jobspec at all gets an error naming the
# problem, from flux job submit FILE and from a direct job-ingest.submit,
# and the broker keeps running: binary data, NUL bytes, bad UTF-8, empty
# input, nesting past the limit (JSON and YAML, flow and block), and a
# queue this instance does not have.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 1

alive() { flux getattr rank | grep -qx 0; }

test_expect_success 'binary garbage (with NUL bytes) names the NUL byte' '
    printf "\037\213\010\000\000\000binary" >garbage.bin &&
    test_must_fail flux job submit garbage.bin 2>err &&
    grep -q "jobspec is not text: NUL byte at offset 3" err &&
    ! grep -q "jobspec is empty" err && alive
'
test_expect_success 'random bytes are refused with a text error, never "empty"' '
    head -c 4096 /dev/urandom >random.bin &&
    test_must_fail flux job submit random.bin 2>err &&
    grep -Eq "jobspec is not (text|valid UTF-8)" err && alive
'
test_expect_success 'bad UTF-8 names the byte and its offset' '
    printf "version: 1\nx: \377\376\n" >latin.yaml &&
    test_must_fail flux job submit latin.yaml 2>err &&
    grep -q "jobspec is not valid UTF-8: byte 0xff at offset 14" err && alive
'
test_expect_success 'an empty or blank file is "jobspec is empty"' '
    : >empty && printf "  \n\n" >blank &&
    test_must_fail flux job submit empty 2>err && grep -q "jobspec is empty" err &&
    test_must_fail flux job submit blank 2>err && grep -q "jobspec is empty" err
'
test_expect_success 'a 100k-deep JSON document: nesting too deep' '
    python3 -c "print(\"[\" * 100000 + \"]\" * 100000)" >deep.json &&
    test_must_fail flux job submit deep.json 2>err &&
    grep -q "jobspec nesting too deep (limit 256)" err &&
    ! grep -q "bad file" err && alive
'
test_expect_success 'a 3000-deep JSON object (the JSON parser path): nesting too deep' '
    python3 -c "print(\"{\\\"a\\\":\" * 3000 + \"1\" + \"}\" * 3000)" >deepobj.json &&
    head -c 5 deepobj.json | grep -q "^{\"a\":" &&
    test_must_fail flux job submit deepobj.json 2>err &&
    grep -q "jobspec nesting too deep (limit 256)" err && alive
'
test_expect_success 'a 100k-deep YAML flow document: nesting too deep' '
    python3 -c "print(\"a: \" + \"{b: \" * 100000 + \"1\" + \"}\" * 100000)" >deep.yaml &&
    test_must_fail flux job submit deep.yaml 2>err &&
    grep -q "jobspec nesting too deep (limit 256)" err &&
    ! grep -q "bad file" err && alive
'
test_expect_success 'deep YAML block nesting: nesting too deep' '
    python3 -c "
for i in range(1000): print(\" \" * i + \"k:\")" >block.yaml &&
    test_must_fail flux job submit block.yaml 2>err &&
    grep -q "jobspec nesting too deep (limit 256)" err && alive
'
test_expect_success 'brackets inside strings do not count as nesting' '
    cat >strings.yaml <<-EOT &&
	version: 1
	resources:
	  - type: slot
	    count: 1
	    label: task
	    with:
	      - type: core
	        count: 1
	tasks:
	  - command: ["echo", "$(python3 -c "print(\"[\" * 300)")"]
	    slot: task
	    count:
	      per_slot: 1
	attributes:
	  system:
	    duration: 0
	EOT
    id=$(flux job submit strings.yaml) && flux job attach $id >out &&
    test "$(cat out)" = "$(python3 -c "print(\"[\" * 300)")"
'
test_expect_success 'direct job-ingest.submit: the same errors' '
    test_must_fail rpc job-ingest.submit "{\"jobspec\":\"\"}" 2>err &&
    grep -q "jobspec is empty" err &&
    test_must_fail rpc job-ingest.submit "{\"jobspec\":\"a\\u0000b\"}" 2>err &&
    grep -q "jobspec is not text: NUL byte at offset 1" err &&
    python3 -c "
import json; print(json.dumps({\"jobspec\": \"[\" * 100000}))" >deep.req &&
    test_must_fail rpc job-ingest.submit "$(cat deep.req)" 2>err &&
    grep -q "jobspec nesting too deep (limit 256)" err &&
    python3 -c "print(\"{\\\"jobspec\\\":\" + \"[\" * 30000 + \"]\" * 30000 + \"}\")" >deep2.req &&
    test_must_fail rpc job-ingest.submit "$(cat deep2.req)" 2>err &&
    grep -q "jobspec nesting too deep" err && alive
'
test_expect_success 'flux run --queue=nosuch is refused, naming the queue' '
    test_must_fail flux run --queue=nosuch true 2>err &&
    grep -q "invalid queue .nosuch.: this instance has no named queues" err &&
    test_must_fail flux submit --queue=batch true 2>err &&
    grep -q "invalid queue .batch." err
'
test_expect_success 'the default queue is accepted' '
    flux run --queue=default echo ok >out && grep -qx ok out
'
test_done
