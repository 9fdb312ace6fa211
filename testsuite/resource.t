#!/bin/bash
# The resource service and flux resource: R from hwloc on every rank,
# drain/undrain (persisted), exclude, acquire, and errors.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 4

ncores=$(nproc)

test_expect_success 'flux resource info counts every rank' '
    flux resource info >out &&
    echo "4 Nodes, $((4 * ncores)) Cores, 0 GPUs" >expected &&
    cmp expected out
'
test_expect_success 'flux resource list shows all nodes free' '
    flux resource list >out &&
    grep -Eq "^ +free +4 +$((4 * ncores)) +0 " out &&
    grep -Eq "^ +down +0 +0 +0" out
'
test_expect_success 'flux resource list -o FORMAT: Flux field names, -n' '
    flux resource list -n -s free -o "{state} {nnodes} {ncores} {ngpus} {ranks}" >out &&
    echo "free 4 $((4 * ncores)) 0 0-3" >expected && test_cmp expected out &&
    flux resource list -s free -o "{state:>10} {ranks:<5}|" | head -1 >hdr &&
    echo "     STATE RANKS|" >expected && test_cmp expected hdr &&
    flux resource list -n -s free -o "{rlist}" | grep -q "^rank0/core" &&
    test_must_fail flux resource list -o "{bogus}" 2>err &&
    grep -q "unknown field .bogus." err
'
test_expect_success 'flux resource list: a running job'"'"'s cores are allocated, not free' '
    id=$(flux submit -n1 -c1 sleep 300) && flux job wait-event -t 20 $id start &&
    flux resource list -n -s allocated -o "{state} {nnodes} {ncores}" >out &&
    echo "allocated 1 1" >expected && test_cmp expected out &&
    test "$(flux resource list -n -s free -o "{ncores}")" -eq $((4 * ncores - 1)) &&
    flux cancel $id && flux job wait-event -t 20 $id clean &&
    test "$(flux resource list -n -s allocated -o "{ncores}")" -eq 0
'
test_expect_success 'R from resource.list decodes with a rank per broker' '
    rpc resource.list >list.json &&
    grep -q "\"rank\":\"0-3\"" list.json &&
    grep -q "\"up\":\"0-3\"" list.json
'
test_expect_success 'drain a rank with a reason' '
    flux resource drain 3 disk failure &&
    flux resource drain >out &&
    grep -q "drained  disk failure" out &&
    flux resource list -s down >out &&
    grep -Eq "^ +down +1 +$ncores " out
'
test_expect_success 'draining a drained rank needs --force' '
    test_must_fail flux resource drain 3 again 2>err &&
    grep -q "already drained" err &&
    flux resource drain --force 3 new reason &&
    flux resource drain | grep -q "new reason"
'
test_expect_success 'drain is stored in the KVS' '
    flux kvs get resource.drain >out &&
    grep -q "\"3\"" out && grep -q "new reason" out
'
test_expect_success 'status shows avail and drained' '
    flux resource status >out &&
    grep -Eq "^ +avail +y +3 " out &&
    grep -Eq "^ +drained +y +1 " out
'
test_expect_success 'undrain returns the rank' '
    flux resource undrain 3 &&
    flux resource list -s free | grep -Eq "free +4 " &&
    test_must_fail flux resource undrain 3 2>err &&
    grep -q "is not drained" err
'
test_expect_success 'drain by hostname drains every rank on that host' '
    flux resource drain "$(flux getattr hostname)" whole host &&
    flux resource list -s down | grep -Eq "down +4 " &&
    flux resource undrain "$(flux getattr hostname)"
'
test_expect_success 'bad targets are rejected clearly' '
    test_must_fail flux resource drain 7 2>err &&
    grep -q "rank 7 is not in the instance (size 4)" err &&
    test_must_fail flux resource drain "x[" 2>err &&
    grep -q "neither an idset of ranks nor a hostlist" err &&
    test_must_fail flux resource drain nosuchhost 2>err &&
    grep -q "no rank has a host" err &&
    test_must_fail flux resource list -s bogus 2>err &&
    grep -q "unknown state" err
'
test_expect_success 'a scheduler acquires R, then sees drains as down' '
    { rpc -s resource.acquire >acq.out 2>acq.err & echo $! >acq.pid; } &&
    wait_for 5 grep -q resources acq.out &&
    grep -q "\"up\":\"0-3\"" acq.out &&
    flux resource drain 2 acquire test &&
    wait_for 5 grep -q "\"down\":\"2\"" acq.out &&
    flux resource undrain 2 &&
    wait_for 5 grep -q "\"up\":\"2\"" acq.out &&
    kill $(cat acq.pid)
'
test_expect_success 'acquire without streaming is refused' '
    test_must_fail rpc resource.acquire 2>err &&
    grep -q "requires a streaming request" err
'
test_expect_success 'a lost rank goes down and the acquirer hears of it' '
    { rpc -s resource.acquire >acq2.out & echo $! >acq2.pid; } &&
    wait_for 5 grep -q resources acq2.out &&
    kill -9 $(on_rank 3 flux getattr broker.pid) &&
    wait_for 10 grep -q "\"down\":\"3\"" acq2.out &&
    flux resource status | grep -Eq "offline +n +1 " &&
    kill $(cat acq2.pid)
'
test_expect_success 'drain state survives a restart with the same statedir' '
    mkdir -p state &&
    flux start -Sstatedir=$PWD/state --test-size=2 flux resource drain 1 kept &&
    flux start -Sstatedir=$PWD/state --test-size=2 flux resource drain >out &&
    grep -q "kept" out
'
test_expect_success 'resource.exclude removes ranks from what is available' '
    flux start --test-size=3 -Sresource.exclude=1 flux resource status >out &&
    grep -Eq "^ +avail +y +2 " out && grep -Eq "^ +exclude +y +1 " out &&
    test_must_fail flux start --test-size=2 -Sresource.exclude=5 true 2>err &&
    grep -q "resource.exclude: rank 5 is beyond the instance size" err
'
test_expect_success 'resource.path supplies R from a file' '
    cat >R.json <<-EOT &&
	{"version":1,"execution":{"R_lite":[{"rank":"0-1","children":{"core":"0-7","gpu":"0-1"}}],"starttime":0,"expiration":0,"nodelist":["big[0-1]"]}}
	EOT
    flux start --test-size=2 -Sresource.path=$PWD/R.json flux resource info >out &&
    echo "2 Nodes, 16 Cores, 4 GPUs" >expected && cmp expected out &&
    echo "{\"version\":2}" >bad.json &&
    test_must_fail flux start -Sresource.path=$PWD/bad.json true 2>err &&
    grep -q "version 2 is not supported" err
'
test_done
