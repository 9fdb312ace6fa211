#!/bin/bash
# flux config check|get|reload (flux-config(1)): a config directory is
# validated offline with boot's own parser (errors name file and line), a
# running broker serves its config, and reload applies what may change at
# run time, refuses what may not (naming the keys) and keeps the broker up.
. "$(dirname "$0")/lib/test-lib.sh"

mkdir -p good bad1 bad2 bad3 conf
cat >good/10-tbon.toml <<'EOT'
[tbon]
fanout = 4
EOT
cat >good/20-broker.toml <<'EOT'
[broker]
shutdown-timeout = 7
[site]
name = "lab"
EOT
printf '[tbon]\nfanout = 4\n\n[broker\nquorum = 1\n' >bad1/a.toml
printf '[tbon]\nfanout = 0\n' >bad2/fanout.toml
printf '[broker]\nquorum = 1\n' >bad3/a.toml
printf '[broker]\nshutdown-timeout = 3\n' >bad3/b.toml

test_expect_success 'config check accepts a valid directory, silently' '
    flux config check good >out 2>err &&
    test_must_be_empty out && test_must_be_empty err
'
test_expect_success 'config check accepts a single file' '
    flux config check good/10-tbon.toml
'
test_expect_success 'config check names file and line of a TOML syntax error' '
    test_expect_code 1 flux config check bad1 2>err &&
    grep "^flux-config: .*bad1/a.toml:4:" err
'
test_expect_success 'config check names file, line and key of a bad value' '
    test_expect_code 1 flux config check bad2 2>err &&
    grep "bad2/fanout.toml" err | grep ":2" | grep "tbon.fanout"
'
test_expect_success 'config check refuses a table defined in two files' '
    test_expect_code 1 flux config check bad3 2>err &&
    grep "bad3/b.toml: table .broker. is also defined in another file" err
'
test_expect_success 'config check refuses a path that does not exist' '
    test_expect_code 1 flux config check nosuch 2>err &&
    grep "^flux-config: config path nosuch: No such file or directory" err
'
test_expect_success 'fluxd refuses to boot on a config that check refuses' '
    test_must_fail flux start --test-size=1 -c bad2 true 2>err &&
    grep "tbon.fanout" err
'
test_expect_success 'a .json config file holds the same tables (as Flux brokers take)' '
    printf "{\"tbon\": {\"fanout\": 3}, \"site\": {\"name\": \"lab\"}}\n" >c.json &&
    flux config check c.json &&
    test "$(flux start --test-size=1 -c c.json flux config get tbon.fanout)" = 3
'
test_expect_success 'a .json config: bad JSON, a bad value and null are refused, naming the file' '
    printf "{\"tbon\": \n" >badsyntax.json &&
    test_expect_code 1 flux config check badsyntax.json 2>err &&
    grep "badsyntax.json:2:" err &&
    printf "{\"tbon\": {\"fanout\": \"x\"}}\n" >badvalue.json &&
    test_expect_code 1 flux config check badvalue.json 2>err &&
    grep "badvalue.json: tbon.fanout" err &&
    printf "{\"a\": {\"b\": null}}\n" >null.json &&
    test_expect_code 1 flux config check null.json 2>err &&
    grep "null.json: a.b: null has no TOML form" err &&
    printf "[1, 2]\n" >array.json &&
    test_expect_code 1 flux config check array.json 2>err &&
    grep "array.json: must be a JSON object" err
'

test_expect_success 'config get prints the whole config as JSON, and one key' '
    flux start --test-size=1 -c good sh -c "
        flux config get >all &&
        flux config get tbon.fanout >fanout &&
        flux config get site.name >name &&
        flux config get site >site &&
        ! flux config get site.nokey 2>nokey.err &&
        flux config get --default=none site.nokey >dflt
    " &&
    test "$(cat fanout)" = 4 && test "$(cat name)" = lab &&
    test "$(cat site)" = "{\"name\":\"lab\"}" && test "$(cat dflt)" = none &&
    grep "site.nokey. is not set" nokey.err &&
    python3 -c "import json,sys; c=json.load(open(\"all\")); \
        sys.exit(not (c[\"tbon\"][\"fanout\"] == 4 and c[\"broker\"][\"shutdown-timeout\"] == 7))"
'
test_expect_success 'config get on an instance without a config prints {}' '
    flux start --test-size=1 flux config get >empty &&
    test "$(cat empty)" = "{}"
'
test_expect_success 'config reload without a config path says so' '
    test_must_fail flux start --test-size=1 flux config reload 2>err &&
    grep "not started with a config path" err
'

cp good/*.toml conf/
cat >reload.sh <<'EOT'
#!/bin/sh
# Runs inside the instance booted from ./conf; each step's result in a file.
set -e
d=$(dirname "$0")
# A runtime setting changes: applied, and served by config get.
sed -i "s/shutdown-timeout = 7/shutdown-timeout = 9/" "$d/conf/20-broker.toml"
printf '[extra]\nkey = "new"\n' >"$d/conf/30-extra.toml"
flux config reload
flux getattr broker.shutdown-timeout >"$d/sdt.1"
flux config get extra.key >"$d/extra.1"
# A setting read once at start: refused, nothing changed.
sed -i "s/fanout = 4/fanout = 8/" "$d/conf/10-tbon.toml"
sed -i "s/shutdown-timeout = 9/shutdown-timeout = 11/" "$d/conf/20-broker.toml"
if flux config reload 2>"$d/refused.err"; then exit 1; fi
flux getattr broker.shutdown-timeout >"$d/sdt.2"
flux config get tbon.fanout >"$d/fanout.2"
sed -i "s/fanout = 8/fanout = 4/" "$d/conf/10-tbon.toml"
# A file that does not parse: refused, the broker keeps running.
printf '[broken\n' >"$d/conf/40-broken.toml"
if flux config reload 2>"$d/broken.err"; then exit 1; fi
rm "$d/conf/40-broken.toml"
flux config get broker.shutdown-timeout >"$d/sdt.3"
flux config reload
flux getattr broker.shutdown-timeout >"$d/sdt.4"
EOT
chmod +x reload.sh
test_expect_success 'config reload applies, refuses and survives bad files' '
    flux start --test-size=1 -c conf ./reload.sh &&
    test "$(cat sdt.1)" = 9 && test "$(cat extra.1)" = new &&
    grep "tbon.fanout: may not change while fluxd runs" refused.err &&
    test "$(cat sdt.2)" = 9 && test "$(cat fanout.2)" = 4 &&
    grep "40-broken.toml:1:" broken.err &&
    test "$(cat sdt.3)" = 9 && test "$(cat sdt.4)" = 11
'
test_done
