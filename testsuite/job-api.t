#!/bin/bash
# The client job API (flux/job.h) end to end: a C program on it (event
# watch, list with attributes, job arrays, the journal), job ids in every
# form (RFC 19 words, the KVS form), the exit code of every flux job
# subcommand on a job that does not exist, the bound on --cc, and flux
# submit reporting the jobs it could not confirm when the connection drops.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 1

JOBAPI="$FLUX_BUILD_DIR/testsuite/helpers/jobapi"
FLUXCMD="$FLUX_BUILD_DIR/src/cmd/flux"
SOCKPATH=${FLUX_URI#local://}
T="-S exec.test.run_duration=0s"

test_expect_success 'flux job id: RFC 19 words both ways, the KVS form as input' '
    test "$(flux job id --to=words 0)" = "academy-academy-academy--academy-academy-academy" &&
    test "$(flux job id --to=words 18446744073709551615)" = \
        "natural-analyze-verbal--natural-analyze-verbal" &&
    test "$(flux job id airline-alibi-index--tuna-maximum-adam)" = 48483451480834048 &&
    test "$(flux job id job.0000.0000.25c2.e156)" = 633528662 &&
    test "$(flux job id --to=kvs 633528662)" = job.0000.0000.25c2.e156 &&
    test "$(flux job id --to=f58plain 6731191091817518)" = fuZZybuNNy &&
    id=$(flux submit $T true) &&
    w=$(flux job id --to=words $id) &&
    test "$(flux job id --to=f58 $w)" = "$id" &&
    printf "42\n 0x2a \n" | flux job id >out && printf "42\n42\n" >expected && test_cmp expected out
'
test_expect_success 'flux job id: bad words and bad formats are errors naming the input' '
    test_expect_code 1 flux job id bad-words 2>err &&
    grep -q "flux-job: invalid job id .bad-words." err &&
    test_expect_code 1 flux job id academy-academy-academy 2>err &&
    test_expect_code 1 flux job id --to=emoji 1 2>err &&
    grep -q "unknown format .emoji." err
'
test_expect_success 'every flux job subcommand exits 1 on an unknown job id' '
    nosuch=$(flux job id --to=f58 12345) &&
    for cmd in "job attach" "job eventlog" "job wait-event" "job wait" "job kill" \
               "job urgency" "job raise" "job info" "job status" "job timeleft" \
               "cancel" "update"; do
        case $cmd in
        "job wait-event") args="$nosuch clean" ;;
        "job urgency") args="$nosuch 1" ;;
        "job info") args="$nosuch jobspec" ;;
        "update") args="$nosuch duration=1m" ;;
        *) args=$nosuch ;;
        esac &&
        test_expect_code 1 timeout 20 flux $cmd $args 2>err &&
        test -s err || return 1
    done
'
test_expect_success 'flux job attach of an unknown job says so, as Flux does' '
    nosuch=$(flux job id --to=f58 12345) &&
    test_expect_code 1 timeout 20 flux job attach $nosuch 2>err &&
    echo "flux-job: attach: $nosuch: unknown job id" >expected &&
    test_cmp expected err
'
test_expect_success 'flux job info: an unknown id says so; a key a job lacks is named' '
    nosuch=$(flux job id --to=f58 12345) &&
    test_expect_code 1 flux job info $nosuch R 2>err &&
    echo "flux-job: info: $nosuch: unknown job id" >expected &&
    test_cmp expected err &&
    id=$(flux submit --urgency=hold $T true) &&
    test_expect_code 1 flux job info $id R 2>err &&
    grep -q "has no R" err &&
    flux cancel $id
'
test_expect_success 'event watch (C API): every entry of an eventlog, then ENODATA' '
    id=$(flux submit $T true) &&
    "$JOBAPI" watch $id eventlog >out &&
    sed -e "s/.*\"name\":\"\([a-z]*\)\".*/\1/" out >names &&
    printf "submit\nvalidate\ndepend\npriority\nalloc\nstart\nfinish\nrelease\nfree\nclean\nENODATA\n" \
        >expected &&
    test_cmp expected names
'
test_expect_success 'event watch (C API): a job'"'"'s output, waiting for it to appear' '
    id=$(flux submit --urgency=hold echo hello-from-the-job) &&
    { "$JOBAPI" watch $id guest.output >out & } &&
    pid=$! &&
    sleep 0.5 &&
    flux job urgency $id default &&
    wait $pid &&
    grep -q "hello-from-the-job" out &&
    tail -1 out | grep -qx ENODATA
'
test_expect_success 'event watch (C API): an unknown job is ENOENT, unknown job id' '
    test_must_fail "$JOBAPI" watch 12345 eventlog 2>err &&
    grep -q "jobapi: watch: 2: unknown job id" err
'
test_expect_success 'event watch (C API): the main eventlog ends by itself after clean' '
    id=$(flux submit $T true) && flux job wait-event -t 20 $id clean &&
    timeout 30 "$JOBAPI" follow $id eventlog >out &&
    tail -2 out | sed -e "s/.*\"name\":\"\([a-z]*\)\".*/\1/" >names &&
    printf "clean\nENODATA\n" >expected &&
    test_cmp expected names
'
test_expect_success 'event watch (C API): another log ends once the job is inactive, all of it read' '
    id=$(flux submit sh -c "echo one; sleep 1; echo two >&2") &&
    timeout 30 "$JOBAPI" follow $id guest.output >out &&
    tail -1 out | grep -qx ENODATA &&
    flux job info $id guest.output >stored &&
    sed -e "\$d" out >entries &&
    test_cmp stored entries &&
    grep -q "\"data\":\"two\\\\n\"" entries
'
test_expect_success 'event watch (C API): a log never written ends empty once the job is inactive' '
    id=$(flux submit --urgency=hold true) &&
    { timeout 30 "$JOBAPI" follow $id guest.output >out & } &&
    pid=$! &&
    flux cancel $id &&
    wait $pid &&
    echo ENODATA >expected &&
    test_cmp expected out
'
test_expect_success 'event watch (C API): another log of an unknown job is ENOENT, unknown job id' '
    test_must_fail timeout 30 "$JOBAPI" follow 12345 guest.output 2>err &&
    grep -q "jobapi: follow: 2: unknown job id" err
'
test_expect_success 'list (C API): attribute selection keeps id and the attributes asked for' '
    id=$(flux submit $T --job-name=listme true) && flux job wait $id &&
    "$JOBAPI" list "[\"name\",\"state\"]" 127 >out &&
    grep -q "\"name\":\"listme\",\"state\":\"INACTIVE\"" out &&
    ! grep -q "\"urgency\"" out &&
    "$JOBAPI" list "[\"all\"]" 127 | grep -q "\"urgency\"" &&
    test_must_fail "$JOBAPI" list "{\"not\":\"an array\"}" 127 2>err &&
    grep -q "list: 22" err
'
test_expect_success 'submit array (C API): one job per id, each with its FLUX_JOB_CC' '
    flux submit --dry-run $T printenv FLUX_JOB_CC >js &&
    "$JOBAPI" array 7-9 <js >ids &&
    test $(sort -u ids | wc -l) -eq 3 &&
    for id in $(cat ids); do flux job info $id jobspec && echo || return 1; done >specs &&
    grep -q "\"FLUX_JOB_CC\":\"7\"" specs && grep -q "\"FLUX_JOB_CC\":\"9\"" specs &&
    echo "not json" | test_must_fail "$JOBAPI" array 1-2 2>err &&
    grep -q "submit array: 22" err
'
test_expect_success 'journal (C API): the backlog holds every job, then the end marker' '
    n=$(flux jobs -a -n -o "{id}" | wc -l) &&
    test $("$JOBAPI" journal) -ge $n
'
test_expect_success 'flux submit --cc refuses more copies than it may ask for, at once' '
    test_expect_code 1 timeout 10 flux submit --cc=0-100000000 --dry-run hostname 2>err &&
    grep -q "flux-submit: --cc: 100000001 copies asked for; at most 1000000 per command" err &&
    test_expect_code 1 timeout 10 flux submit --bcc=1-2000000 hostname 2>err &&
    grep -q "flux-submit: --bcc: 2000000 copies" err
'
test_expect_success 'flux submit --cc makes copies as it goes: a million in 256 MiB' '
    ( ulimit -v 262144 &&
      flux submit --cc=1-1000000 --dry-run true | head -2 >out ) &&
    test $(wc -l <out) -eq 2 &&
    ( ulimit -v 262144 &&
      flux submit --cc=1-1000000 --dry-run --job-name=copy{cc} true | head -1 >first ) &&
    grep -q "\"name\":\"copy1\"" first
'
# An ssh connector whose client-to-instance direction is cut after 20 KB:
# the connection drops in the middle of the submission (dd bs=1 passes each
# byte on at once; head -c would hold the first request until it had 20 KB).
cat >cutssh <<'EOF'
#!/bin/bash
while test $# -gt 0; do case $1 in -p) shift 2 ;; -*) shift ;; *) break ;; esac; done
shift
dd bs=1 count=20000 status=none | "$@"
EOF
chmod +x cutssh
test_expect_success 'flux submit reports the jobs it could not confirm when the connection drops' '
    test_expect_code 1 env FLUX_SSH=./cutssh FLUX_SSH_RCMD="$FLUXCMD" \
        FLUX_URI="ssh://localhost$SOCKPATH" timeout 60 flux submit --quiet --cc=1-20000 $T true \
        2>err &&
    cat err &&
    test $(grep -c "^flux: submit: " err) -eq 1 &&
    grep -Eq "^flux: [0-9]+ (not acknowledged .may or may not be submitted.|not submitted): copies [0-9]+-[0-9]+" err &&
    grep -q -- "-20000\$" err
'
test_done
