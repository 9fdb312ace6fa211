#!/bin/bash
# flux kvs in a size-4 instance: put/get/ls/dir/unlink, errors, atomic commits, watches, namespaces.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 4

FIXTURES="$TEST_DIRECTORY/fixtures"

# Version of namespace NS from flux kvs namespace list.  Tests that count
# versions use their own namespace: services may commit to primary.
ns_version() {
    flux kvs namespace list | awk -v ns="$1" '$1 == ns { print $3 }'
}

test_expect_success 'put and get string values' '
    flux kvs put s1=hello "s2=two words" s3= "s4=a=b" &&
    flux kvs get s1 >out && test "$(cat out)" = hello &&
    flux kvs get s2 >out && test "$(cat out)" = "two words" &&
    flux kvs get s3 >out && test "$(cat out)" = "" && test $(wc -l <out) -eq 1 &&
    flux kvs get s4 >out && test "$(cat out)" = "a=b"
'
test_expect_success 'put without -j stores JSON-looking text as strings' '
    flux kvs put n1=42 n2=true n3="[1]" &&
    flux kvs get -j n1 n2 n3 >out &&
    printf "%s\n" "\"42\"" "\"true\"" "\"[1]\"" >expected &&
    cmp expected out
'
test_expect_success 'get of several keys prints one value per line' '
    flux kvs get s1 n1 s2 >out &&
    printf "%s\n" hello 42 "two words" >expected &&
    cmp expected out
'
test_expect_success 'put -j stores JSON values of every type; get prints them as JSON' '
    flux kvs put -j j.int=42 j.neg=-7 j.real=3.5 j.t=true j.f=false \
        j.str="\"quoted\"" j.arr="[1,\"two\",[3]]" j.obj="{\"k\":{\"x\":null}}" j.empty="{}" &&
    flux kvs get j.int j.neg j.real j.t j.f j.str j.arr j.obj j.empty >out &&
    printf "%s\n" 42 -7 3.5 true false quoted "[1,\"two\",[3]]" "{\"k\":{\"x\":null}}" "{}" >expected &&
    cmp expected out &&
    flux kvs get -j j.str >out && test "$(cat out)" = "\"quoted\""
'
test_expect_success 'put -j of JSON null stores null (it is a value, not an unlink)' '
    flux kvs put -j j.null=null &&
    flux kvs get j.null >out &&
    test "$(cat out)" = null
'
test_expect_success 'several pairs in one put are one commit' '
    flux kvs namespace create vns &&
    test "$(ns_version vns)" = 0 &&
    flux kvs put -N vns multi.a=1 multi.b=2 multi.c=3 &&
    test "$(ns_version vns)" = 1 &&
    flux kvs put -N vns -j multi.d=4 &&
    test "$(ns_version vns)" = 2
'
test_expect_success 'every rank reads the same value (the service is on rank 0)' '
    flux kvs put -j ranks.v="{\"from\":0}" &&
    for r in 0 1 2 3; do
        on_rank $r flux kvs get ranks.v >out.$r &&
        test "$(cat out.$r)" = "{\"from\":0}" || exit 1
    done
'
test_expect_success 'a put from rank 3 is seen at once from ranks 0 and 1' '
    on_rank 3 flux kvs put ranks.w=from3 &&
    flux kvs get ranks.w >out && test "$(cat out)" = from3 &&
    on_rank 1 flux kvs get ranks.w >out && test "$(cat out)" = from3 &&
    on_rank 2 flux kvs unlink ranks.w &&
    test_must_fail on_rank 3 flux kvs get ranks.w
'
test_expect_success 'keys are normalized: extra dots do not matter' '
    flux kvs put "..norm...a.b.."=x &&
    flux kvs get norm.a.b >out && test "$(cat out)" = x &&
    flux kvs get .norm.a.b. >out && test "$(cat out)" = x &&
    rpc kvs.lookup "{\"key\":\"norm..a..b\"}" >out &&
    grep -q "\"key\": *\"norm.a.b\"" out
'
test_expect_success 'invalid keys are rejected' '
    test_must_fail flux kvs put a/b=1 2>err &&
    grep -q "invalid key .a/b." err &&
    test_must_fail flux kvs get a/b 2>err &&
    grep -q "invalid key .a/b." err
'

# listings (fixtures: testsuite/fixtures/kvs-*.expected)
test_expect_success 'set up a tree for listings' '
    flux kvs put tree.b=2 tree.a.x=1 tree.a.y.z=deep "tree.c=hello world" &&
    flux kvs put -j tree.n=3.5 tree.arr="[1,\"two\"]" tree.obj="{\"k\":true}"
'
test_expect_success 'flux kvs ls DIR: names, subdirectories end in .' '
    flux kvs ls tree >out &&
    cmp "$FIXTURES/kvs-ls.expected" out
'
test_expect_success 'flux kvs ls -R DIR: full paths, then each subdirectory' '
    flux kvs ls -R tree >out &&
    cmp "$FIXTURES/kvs-ls-R.expected" out
'
test_expect_success 'flux kvs ls DIR1 DIR2 prints a header per directory' '
    flux kvs ls tree.a tree >out &&
    cmp "$FIXTURES/kvs-ls-multi.expected" out
'
test_expect_success 'flux kvs dir DIR: KEY = JSON lines for values' '
    flux kvs dir tree >out &&
    cmp "$FIXTURES/kvs-dir.expected" out
'
test_expect_success 'flux kvs dir -R DIR: values of the whole subtree' '
    flux kvs dir -R tree >out &&
    cmp "$FIXTURES/kvs-dir-R.expected" out
'
test_expect_success 'flux kvs ls with no key lists the root; -N lists another namespace' '
    flux kvs namespace create lsns &&
    flux kvs put -N lsns zz=1 top.x=1 mm=2 &&
    flux kvs ls -N lsns >out &&
    printf "%s\n" mm top. zz >expected &&
    cmp expected out &&
    flux kvs ls -N lsns . >out &&
    cmp expected out &&
    flux kvs dir -N lsns -R >out &&
    printf "%s\n" "mm = \"2\"" "zz = \"1\"" "top.x = \"1\"" >expected &&
    cmp expected out
'
test_expect_success 'flux kvs ls lists names in name order' '
    flux kvs put -N lsns sorted.a.x=1 sorted.a-b=2 sorted.a0=3 &&
    flux kvs ls -N lsns sorted >out &&
    printf "%s\n" a. a-b a0 >expected &&
    cmp expected out
'
test_expect_success 'kvs.dir reports entry types' '
    rpc kvs.dir "{\"key\":\"tree.a\"}" >out &&
    grep -q "\"entries\": *{\"x\": *\"val\", *\"y\": *\"dir\"}" out
'
test_expect_success 'ls and dir of a value or a missing key fail' '
    test_must_fail flux kvs ls tree.b 2>err &&
    grep -q "'\''tree.b'\'' is not a directory" err &&
    test_must_fail flux kvs dir tree.b 2>err &&
    grep -q "is not a directory" err &&
    test_must_fail flux kvs ls nosuchdir 2>err &&
    grep -q "nosuchdir" err
'

# replacement and unlink
test_expect_success 'a value replaces a directory, and a key below replaces a value' '
    flux kvs put r.a.b=1 r.a.c=2 r.keep=3 &&
    flux kvs put r.a=val &&
    flux kvs get r.a >out && test "$(cat out)" = val &&
    test_must_fail flux kvs get r.a.b &&
    test_must_fail flux kvs get r.a.c &&
    flux kvs ls r >out && printf "%s\n" a keep >expected && cmp expected out &&
    flux kvs put r.a.new.leaf=4 &&
    test_must_fail flux kvs get r.a 2>err &&
    grep -q "'\''r.a'\'' is a directory" err &&
    flux kvs ls -R r.a >out && printf "%s\n" r.a.new. r.a.new.leaf >expected && cmp expected out &&
    flux kvs get r.keep >out && test "$(cat out)" = 3
'
test_expect_success 'replacing a key does not touch siblings with the same prefix' '
    flux kvs put pre.ab=1 pre.a.x=2 &&
    flux kvs put pre.a=3 &&
    flux kvs get pre.ab >out && test "$(cat out)" = 1 &&
    flux kvs unlink pre.a &&
    flux kvs get pre.ab >out && test "$(cat out)" = 1
'
test_expect_success 'unlink removes a key and a whole subtree' '
    flux kvs put u.one=1 u.two=2 u.sub.a=3 u.sub.deep.b=4 &&
    flux kvs unlink u.one &&
    test_must_fail flux kvs get u.one &&
    flux kvs unlink u.sub &&
    test_must_fail flux kvs get u.sub.deep.b &&
    test_must_fail flux kvs ls u.sub &&
    flux kvs ls u >out && test "$(cat out)" = two
'
test_expect_success 'unlink of a missing key fails and unlinks nothing' '
    test_must_fail flux kvs unlink u.missing 2>err &&
    grep -q "key '\''u.missing'\'' not found" err &&
    test_must_fail flux kvs unlink u.two u.missing &&
    flux kvs get u.two >out && test "$(cat out)" = 2
'
test_expect_success 'unlink of several keys at once' '
    flux kvs put m.a=1 m.b=2 m.c=3 &&
    flux kvs unlink m.a m.c &&
    flux kvs ls m >out && test "$(cat out)" = b
'

# errors
test_expect_success 'get of a missing key: key not found' '
    test_must_fail flux kvs get x 2>err &&
    grep -q "key '\''x'\'' not found" err &&
    test_must_fail flux kvs get tree.a.nope 2>err &&
    grep -q "key '\''tree.a.nope'\'' not found" err
'
test_expect_success 'get of a directory: is a directory' '
    test_must_fail flux kvs get tree 2>err &&
    grep -q "'\''tree'\'' is a directory" err &&
    test_must_fail flux kvs get . 2>err &&
    grep -q "is a directory" err
'
test_expect_success 'put without = fails and writes nothing' '
    test_must_fail flux kvs put noeq.ok=1 noeq 2>err &&
    grep -q "expected KEY=VALUE" err &&
    test_must_fail flux kvs put =value 2>err &&
    grep -q "expected KEY=VALUE" err &&
    test_must_fail flux kvs get noeq.ok
'
test_expect_success 'put -j with invalid JSON fails and writes nothing' '
    test_must_fail flux kvs put -j badj.ok=1 badj.bad="{nope" 2>err &&
    grep -q "not valid JSON" err &&
    test_must_fail flux kvs put -j badj.word=hello 2>err &&
    grep -q "not valid JSON" err &&
    test_must_fail flux kvs get badj.ok
'
test_expect_success 'usage errors' '
    test_must_fail flux kvs 2>err && grep -q "Usage: flux kvs" err &&
    test_must_fail flux kvs get 2>err && grep -q "Usage: flux kvs" err &&
    test_must_fail flux kvs put 2>err && grep -q "Usage: flux kvs" err &&
    test_must_fail flux kvs bogus 2>err && grep -q "unknown subcommand" err &&
    test_must_fail flux kvs watch a b 2>err && grep -q "exactly one key" err
'

# append
test_expect_success 'put -A appends to a string value (and creates it)' '
    flux kvs put -A ev.log=one &&
    flux kvs put -A ev.log=" two" &&
    flux kvs put -A ev.log=" three" ev.log=" four" &&
    flux kvs get ev.log >out && test "$(cat out)" = "one two three four"
'
test_expect_success 'put -A to a non-string value fails and changes nothing' '
    flux kvs put -j ev.num=1 &&
    test_must_fail flux kvs put -A ev.num=x 2>err &&
    grep -q "append to '\''ev.num'\'': not a string value" err &&
    flux kvs get ev.num >out && test "$(cat out)" = 1
'

# commits through the raw protocol
test_expect_success 'kvs.commit returns versions that increase by one' '
    rpc kvs.commit "{\"namespace\":\"vns\",\"ops\":[{\"key\":\"ver\",\"value\":1}]}" >v1 &&
    rpc kvs.commit "{\"namespace\":\"vns\",\"ops\":[{\"key\":\"ver\",\"value\":2}]}" >v2 &&
    a=$(sed "s/.*\"version\": *\([0-9]*\).*/\1/" v1) &&
    b=$(sed "s/.*\"version\": *\([0-9]*\).*/\1/" v2) &&
    test $a -eq 3 && test $b -eq 4 &&
    test "$(ns_version vns)" = 4 &&
    flux kvs get -N vns ver >out && test "$(cat out)" = 2
'
test_expect_success 'a commit whose second op is invalid is rejected whole' '
    test_must_fail rpc kvs.commit \
        "{\"ops\":[{\"key\":\"atom.ok\",\"value\":1},{\"key\":\"\",\"value\":2}]}" 2>err &&
    grep -q "^Invalid argument: cannot store a value at the root directory" err &&
    test_must_fail flux kvs get atom.ok &&
    test_must_fail rpc kvs.commit \
        "{\"ops\":[{\"key\":\"atom.ok\",\"value\":1},{\"key\":\"a/b\",\"value\":2}]}" 2>err &&
    grep -q "^Invalid argument: ops\[1\]: invalid key .a/b." err &&
    test_must_fail flux kvs get atom.ok
'
test_expect_success 'a commit whose last op fails at apply time leaves nothing' '
    flux kvs put -N vns -j atom.num=5 &&
    v=$(ns_version vns) &&
    test_must_fail rpc kvs.commit \
        "{\"namespace\":\"vns\",\"ops\":[{\"key\":\"atom.a\",\"value\":1},{\"key\":\"atom.b.c\",\"value\":\"s\"},{\"key\":\"atom.num\",\"value\":\"x\",\"append\":true}]}" \
        2>err &&
    grep -q "not a string value" err &&
    test_must_fail flux kvs get -N vns atom.a &&
    test_must_fail flux kvs get -N vns atom.b.c &&
    flux kvs get -N vns atom.num >out && test "$(cat out)" = 5 &&
    test "$(ns_version vns)" = $v
'
test_expect_success 'an ordered commit is answered before it is stored, and lands in order' '
    rpc kvs.commit "{\"namespace\":\"vns\",\"flags\":16,\"ops\":[{\"key\":\"ord\",\"value\":\"a\"}]}" >o1 &&
    ! grep -q version o1 &&
    rpc kvs.commit "{\"namespace\":\"vns\",\"flags\":16,\"ops\":[{\"key\":\"ord\",\"value\":\"b\",\"append\":true}]}" >o2 &&
    rpc kvs.commit "{\"namespace\":\"vns\",\"ops\":[{\"key\":\"ord\",\"value\":\"c\",\"append\":true}]}" >o3 &&
    grep -q version o3 &&
    flux kvs get -N vns ord >out && test "$(cat out)" = abc &&
    test_must_fail rpc kvs.commit "{\"flags\":32,\"ops\":[{\"key\":\"x\",\"value\":1}]}" 2>err &&
    grep -q "unknown flags 32" err
'
test_expect_success 'malformed commits are protocol errors' '
    test_must_fail rpc kvs.commit "{\"ops\":[{\"key\":\"x\"}]}" 2>err &&
    grep -q "^Protocol error: ops\[0\]" err &&
    test_must_fail rpc kvs.commit "{\"ops\":{}}" 2>err &&
    grep -q "^Protocol error" err &&
    test_must_fail rpc kvs.commit "{}" 2>err &&
    grep -q "^Protocol error" err &&
    test_must_fail rpc kvs.commit "{\"ops\":[{\"key\":\"x\",\"value\":1,\"append\":true}]}" 2>err &&
    grep -q "append needs a string value" err
'
test_expect_success 'concurrent commits all land, each with its own version' '
    v=$(ns_version vns) &&
    for i in $(seq 1 20); do
        { rpc kvs.commit "{\"namespace\":\"vns\",\"ops\":[{\"key\":\"par.k$i\",\"value\":$i}]}" \
            >ver.$i & } || return 1
    done &&
    wait &&
    test $(flux kvs ls -N vns par | wc -l) -eq 20 &&
    cat ver.* | sed "s/.*\"version\": *\([0-9]*\).*/\1/" | sort -n >versions &&
    seq $((v + 1)) $((v + 20)) >expected &&
    cmp expected versions &&
    test "$(ns_version vns)" = $((v + 20)) &&
    flux kvs get -N vns par.k17 >out && test "$(cat out)" = 17
'
test_expect_success '1000 keys in one put command' '
    args=$(seq 1 1000 | while read i; do printf "big.k%04d=%d\n" $i $i; done) &&
    test $(echo "$args" | wc -l) -eq 1000 &&
    flux kvs put $args &&
    test $(flux kvs ls big | wc -l) -eq 1000 &&
    test $(flux kvs dir big | wc -l) -eq 1000 &&
    flux kvs get big.k0001 big.k0500 big.k1000 >out &&
    printf "%s\n" 1 500 1000 >expected &&
    cmp expected out
'

# watches
test_expect_success 'watch -c 3 from rank 3 prints exactly three values' '
    flux kvs put wk=v1 &&
    { FLUX_URI=$(rank_uri 3) flux kvs watch -c 3 wk >watch.out 2>watch.err & } &&
    pid=$! &&
    wait_for 10 grep -qx v1 watch.out &&
    flux kvs put wk=v2 &&
    on_rank 2 flux kvs put wk=v3 &&
    wait $pid &&
    printf "%s\n" v1 v2 v3 >expected &&
    cmp expected watch.out
'
test_expect_success 'get -w -c 2 is the same as watch' '
    flux kvs put wg=a &&
    { flux kvs get -w -c 2 wg >watch.out & } &&
    pid=$! &&
    wait_for 10 grep -qx a watch.out &&
    flux kvs put wg=b &&
    wait $pid &&
    printf "%s\n" a b >expected &&
    cmp expected watch.out
'
test_expect_success 'watch sees a value replaced through a parent put' '
    flux kvs put wp.x.y=1 &&
    { flux kvs watch -c 2 wp.x.y >watch.out & } &&
    pid=$! &&
    wait_for 10 grep -qx 1 watch.out &&
    flux kvs put -j wp.x="{\"y\":2}" wp.x.y=3 &&
    wait $pid &&
    printf "%s\n" 1 3 >expected &&
    cmp expected watch.out
'
test_expect_success 'watch of a missing key fails' '
    test_must_fail flux kvs watch -c 1 wmissing 2>err &&
    grep -q "key '\''wmissing'\'' not found" err &&
    test_must_fail flux kvs get -w wmissing 2>err &&
    grep -q "not found" err
'
test_expect_success 'watch -W waits for a missing key and prints it once created' '
    { flux kvs watch -W -c 1 wcreate >watch.out & } &&
    pid=$! &&
    sleep 0.3 &&
    kill -0 $pid &&
    test ! -s watch.out &&
    on_rank 1 flux kvs put wcreate=born &&
    wait $pid &&
    test "$(cat watch.out)" = born
'
test_expect_success 'watch -a prints only what was appended' '
    flux kvs put wa.log="first " &&
    { flux kvs watch -a -c 3 wa.log >watch.out & } &&
    pid=$! &&
    wait_for 10 grep -q "first" watch.out &&
    flux kvs put -A wa.log="second " &&
    flux kvs put -A wa.log=third &&
    wait $pid &&
    printf "first second third" >expected &&
    cmp expected watch.out
'
test_expect_success 'watch -W -a on a missing key prints the appends as they come' '
    { flux kvs watch -W -a -c 2 wa.new >watch.out & } &&
    pid=$! &&
    sleep 0.3 &&
    flux kvs put -A wa.new=abc &&
    wait_for 10 grep -q abc watch.out &&
    flux kvs put -A wa.new=def &&
    wait $pid &&
    printf "abcdef" >expected &&
    cmp expected watch.out
'
test_expect_success 'watch -a fails when the value is overwritten, not appended to' '
    flux kvs put wa.ow=start &&
    { flux kvs watch -a wa.ow >watch.out 2>watch.err & } &&
    pid=$! &&
    wait_for 10 grep -q start watch.out &&
    flux kvs put wa.ow=other &&
    { wait $pid; rc=$?; } &&
    test $rc -eq 1 &&
    grep -q "overwritten" watch.err
'
test_expect_success 'a watch ends with an error when its key is unlinked' '
    flux kvs put wu=1 &&
    { rpc -s kvs.watch "{\"key\":\"wu\"}" >watch.out 2>watch.err & } &&
    pid=$! &&
    wait_for 10 grep -q "\"value\": *\"1\"" watch.out &&
    flux kvs unlink wu &&
    { wait $pid; rc=$?; } &&
    test $rc -eq 1 &&
    grep -q "not found" watch.err
'
test_expect_success 'kvs.watch without the streaming flag is a protocol error' '
    test_must_fail rpc kvs.watch "{\"key\":\"wk\"}" 2>err &&
    grep -qx "Protocol error: kvs.watch requires a streaming request" err
'
test_expect_success 'a watcher killed with -9 is cleaned up; the broker keeps answering' '
    flux kvs put wkill=1 &&
    flux dmesg -C &&
    { flux kvs watch wkill >w0.out & } &&
    p0=$! &&
    { FLUX_URI=$(rank_uri 2) flux kvs watch wkill >w2.out & } &&
    p2=$! &&
    { FLUX_URI=$(rank_uri 3) flux kvs watch -a wkill >w3.out & } &&
    p3=$! &&
    wait_for 10 grep -qx 1 w0.out &&
    wait_for 10 grep -qx 1 w2.out &&
    wait_for 10 grep -q 1 w3.out &&
    kill -9 $p0 $p2 $p3 &&
    { wait $p0 $p2 $p3; true; } &&
    sleep 0.5 &&
    flux kvs put wkill=2 &&
    flux kvs put -A wkill=3 &&
    flux kvs get wkill >out && test "$(cat out)" = 23 &&
    on_rank 3 flux kvs get wkill >out && test "$(cat out)" = 23 &&
    flux dmesg >dmesg.out &&
    ! grep "dropped response kvs.watch" dmesg.out
'
test_expect_success 'after that, new watches still work' '
    { flux kvs watch -c 2 wkill >watch.out & } &&
    pid=$! &&
    wait_for 10 grep -qx 23 watch.out &&
    flux kvs put wkill=4 &&
    wait $pid &&
    printf "%s\n" 23 4 >expected &&
    cmp expected watch.out
'

# namespaces
test_expect_success 'namespace create and list' '
    flux kvs namespace create ns-a &&
    flux kvs namespace create -o 1234 ns-b &&
    flux kvs namespace list >out &&
    head -1 out | grep -Eq "^NAMESPACE +OWNER +VERSION$" &&
    grep -Eq "^ns-a +$(id -u) +0$" out &&
    grep -Eq "^ns-b +1234 +0$" out &&
    grep -Eq "^primary +$(id -u) +[0-9]+$" out
'
test_expect_success 'namespace create of an existing name fails' '
    test_must_fail flux kvs namespace create ns-a 2>err &&
    grep -q "already exists" err &&
    test_must_fail flux kvs namespace create primary 2>err &&
    grep -q "already exists" err
'
test_expect_success '-N keeps namespaces apart' '
    flux kvs put iso=primary &&
    flux kvs put -N ns-a iso=a iso2.x=only-a &&
    flux kvs get iso >out && test "$(cat out)" = primary &&
    flux kvs get -N ns-a iso >out && test "$(cat out)" = a &&
    test_must_fail flux kvs get iso2.x &&
    test_must_fail flux kvs get -N ns-b iso &&
    on_rank 3 flux kvs get -N ns-a iso2.x >out && test "$(cat out)" = only-a &&
    flux kvs namespace list >out &&
    grep -Eq "^ns-a +$(id -u) +1$" out
'
test_expect_success 'a watch in a removed namespace ends with an error' '
    { flux kvs watch -N ns-a iso >watch.out 2>watch.err & } &&
    pid=$! &&
    wait_for 10 grep -qx a watch.out &&
    flux kvs namespace remove ns-a &&
    { wait $pid; rc=$?; } &&
    test $rc -eq 1 &&
    grep -q "namespace '\''ns-a'\'' was removed" watch.err
'
test_expect_success 'namespace remove: gone from the list, its keys gone' '
    ! flux kvs namespace list | grep -q "^ns-a " &&
    test_must_fail flux kvs get -N ns-a iso 2>err &&
    flux kvs namespace create ns-a &&
    test_must_fail flux kvs get -N ns-a iso &&
    flux kvs namespace remove ns-a ns-b
'
test_expect_success 'namespace remove of a missing namespace fails' '
    test_must_fail flux kvs namespace remove ns-never 2>err &&
    grep -q "does not exist" err
'
test_expect_success 'the primary namespace cannot be removed' '
    test_must_fail flux kvs namespace remove primary 2>err &&
    grep -q "primary namespace cannot be removed" err &&
    flux kvs get iso >out && test "$(cat out)" = primary
'
test_expect_success 'a commit to a missing namespace fails' '
    test_must_fail flux kvs put -N ns-never k=v 2>err &&
    grep -q "namespace '\''ns-never'\'' does not exist" err &&
    test_must_fail flux kvs get -N ns-never k &&
    ! flux kvs namespace list | grep -q "^ns-never "
'
test_expect_success 'namespace usage errors' '
    test_must_fail flux kvs namespace 2>err && grep -q Usage err &&
    test_must_fail flux kvs namespace create 2>err && grep -q Usage err &&
    test_must_fail flux kvs namespace bogus x 2>err && grep -q Usage err
'
test_expect_success 'the broker is still healthy' '
    flux kvs put final=ok &&
    on_rank 3 flux kvs get final >out && test "$(cat out)" = ok
'
test_done
