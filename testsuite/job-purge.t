#!/bin/bash
# Purging inactive jobs (as Flux): flux job purge [--age-limit] [--num-limit]
# [--force] [ID...] and [job-manager] inactive-age-limit / inactive-num-limit.
# A purged job leaves the job manager and the KVS (flux job info says
# unknown job id), the oldest go first, jobtap plugins hear
# job.inactive-remove, and the limits hold across a restart.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 1

RECORD=$FLUX_BUILD_DIR/testsuite/jobtap/.libs/record.so
ninactive() { flux jobs -a -n -o "{id}" --filter=inactive | wc -l; }

test_expect_success 'ten jobs end' '
    flux submit --cc=1-10 --quiet true &&
    flux queue drain &&
    test "$(ninactive)" = 10
'
test_expect_success 'without --force, purge only says how many it would take' '
    flux job purge >out &&
    echo "use --force to purge 10 inactive jobs" >expected &&
    test_cmp expected out &&
    flux job purge --num-limit=4 >out &&
    echo "use --force to purge 6 inactive jobs" >expected &&
    test_cmp expected out &&
    test "$(ninactive)" = 10
'
test_expect_success 'purge --num-limit --force keeps the newest, and the KVS forgets the rest' '
    flux jobs -a -n -o "{id}" | sort >before &&
    oldest=$(flux jobs -a -n -o "{id}" | tail -1) &&
    newest=$(flux jobs -a -n -o "{id}" | head -1) &&
    flux job purge --num-limit=4 --force >out &&
    echo "purged 6 inactive jobs" >expected &&
    test_cmp expected out &&
    test "$(ninactive)" = 4 &&
    test_expect_code 1 flux job info $oldest eventlog 2>err &&
    grep -q "unknown job id" err &&
    test_must_fail flux kvs get "$(flux job id --to=kvs $oldest).eventlog" &&
    flux job info $newest eventlog >/dev/null
'
test_expect_success 'purge by id: an inactive job goes; an active one is refused by name' '
    id=$(flux jobs -a -n -o "{id}" | tail -1) &&
    flux job purge --force $id >out &&
    echo "purged 1 inactive job" >expected &&
    test_cmp expected out &&
    test "$(ninactive)" = 3 &&
    run=$(flux submit sleep 300) &&
    test_expect_code 1 flux job purge --force $run 2>err &&
    grep -q "$run: job is not inactive" err &&
    flux cancel $run &&
    flux job wait-event -t 30 $run clean
'
test_expect_success 'bad options are refused' '
    test_must_fail flux job purge --num-limit=x 2>err &&
    grep -q "num-limit" err &&
    test_must_fail flux job purge --batch=0 2>err &&
    grep -q "batch" err &&
    test_must_fail flux job purge --age-limit=1h $(flux jobs -a -n -o "{id}" | head -1) 2>err &&
    grep -q "mutually exclusive" err
'
test_expect_success 'jobtap plugins hear job.inactive-remove for each purged job' '
    flux jobtap load $RECORD log=$PWD/rec.log &&
    id=$(flux submit true) &&
    flux job wait-event -t 30 $id clean &&
    flux job purge --force $id &&
    dec=$(flux job id --to=dec $id) &&
    grep -q "^$dec job.inactive-remove$" rec.log &&
    flux jobtap remove record
'
test_expect_success 'purge --force in batches takes them all' '
    flux submit --cc=1-120 --quiet true &&
    flux queue drain &&
    flux job purge --force --batch=7 >out &&
    grep -q "^purged [0-9]* inactive jobs$" out &&
    test "$(ninactive)" = 0
'

cat >limits.toml <<'EOT'
[job-manager]
inactive-num-limit = 3
EOT
test_expect_success '[job-manager] inactive-num-limit keeps at most that many, also after a restart' '
    mkdir -p state &&
    flux start -Sstatedir=$PWD/state sh -c "flux submit --cc=1-8 --quiet true && flux queue drain" &&
    flux start -Sstatedir=$PWD/state -c limits.toml sh -c \
        "flux jobs -a -n -o {id} | wc -l >after-restart &&
         flux submit --cc=1-5 --quiet true && flux queue drain && sleep 0.5 &&
         flux jobs -a -n -o {id} | wc -l >after-more" &&
    test "$(cat after-restart)" -le 3 &&
    test "$(cat after-more)" = 3
'
cat >age.toml <<'EOT'
[job-manager]
inactive-age-limit = "1s"
EOT
test_expect_success '[job-manager] inactive-age-limit purges jobs older than the limit' '
    flux start -c age.toml sh -c \
        "flux submit --quiet true && flux queue drain && flux jobs -a -n -o {id} | wc -l >age-now &&
         sleep 3.5 && flux jobs -a -n -o {id} | wc -l >age-later" &&
    test "$(cat age-now)" = 1 &&
    test "$(cat age-later)" = 0
'
test_expect_success 'bad limits in the config are refused, naming the key' '
    printf "[job-manager]\ninactive-num-limit = -1\n" >bad1.toml &&
    test_must_fail flux start -c bad1.toml true 2>err &&
    grep -q "job-manager.inactive-num-limit: expected an integer >= 0" err &&
    printf "[job-manager]\ninactive-age-limit = \"soon\"\n" >bad2.toml &&
    test_must_fail flux start -c bad2.toml true 2>err &&
    grep -q "job-manager.inactive-age-limit" err
'
test_done
