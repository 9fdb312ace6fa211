#!/bin/bash
# Acknowledged => persisted (flux-submit(1) "Acknowledged and persisted"):
# a --cc storm cut by kill -9 of rank 0.  Every id flux submit printed is
# found by the restarted instance; flux submit exits 1 and accounts for
# every other copy as not acknowledged (may be persisted) or not sent.
. "$(dirname "$0")/lib/test-lib.sh"

copies=1000000
cat >storm.sh <<EOT
{ flux submit --urgency=hold --cc=1-$copies true >$PWD/acked 2>$PWD/err; echo \$? >$PWD/rc; } &
i=0
while test \$(cat $PWD/acked 2>/dev/null | wc -l) -lt 1000 && test \$i -lt 600; do
    sleep 0.1; i=\$((i + 1))
done
kill -9 \$(flux getattr broker.pid)
EOT

test_expect_success 'a --cc storm is cut by kill -9 of the broker' '
    { flux start -Sstatedir=$PWD/state sh storm.sh || true; } &&
    i=0 &&
    while ! test -s rc && test $i -lt 600; do sleep 0.1 && i=$((i + 1)) || return 1; done &&
    test "$(cat rc)" = 1 &&
    cat err &&
    test $(wc -l <acked) -ge 1000
'
test_expect_success 'flux submit names the copies it could not confirm, and all of them' '
    test $(grep -c "^flux: submit: " err) -eq 1 &&
    unacked=$(sed -n "s/^flux: \([0-9]*\) not acknowledged (may or may not be submitted): copies .*/\1/p" err) &&
    unsent=$(sed -n "s/^flux: \([0-9]*\) not submitted: copies .*/\1/p" err) &&
    test $(( $(wc -l <acked) + ${unacked:-0} + ${unsent:-0} )) -eq $copies
'
test_expect_success 'every acknowledged job is persisted: the restart lists it' '
    flux start -Sstatedir=$PWD/state flux jobs -a -n -o "{id}" >persisted &&
    sort acked >a.sorted && sort persisted >p.sorted &&
    comm -23 a.sorted p.sorted >missing &&
    test_must_be_empty missing &&
    test $(wc -l <persisted) -ge $(wc -l <acked)
'
test_done
