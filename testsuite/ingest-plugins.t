#!/bin/bash
# Validators and frobnicators (flux-ingest-plugins(7)): the built-in
# defaults/constraints/setattr frobnicators and limit validators from
# [policy] and [queues], an out-of-tree C plugin built with pkg-config,
# executable validators in Python and in shell run as a long-lived worker
# pool (one call per job array), a hanging validator killed at its time
# limit, a crashing one, frobnicators before validators, and config errors
# that stop the instance naming the key.
. "$(dirname "$0")/lib/test-lib.sh"

DIR=$FLUX_TEST_TRASH
# The out-of-tree C plugin, built against the source tree's headers with
# the build tree's flux-core.pc (as an installed one would be).
if ! test -f "$DIR/site.so"; then
    PKG_CONFIG_PATH=$FLUX_BUILD_DIR/etc pkg-config \
        --define-variable=includedir="$FLUX_SOURCE_DIR/include" --cflags flux-core \
        >"$DIR/site.cflags" &&
        cc -shared -fPIC -Wall -Werror $(cat "$DIR/site.cflags") \
            -o "$DIR/site.so" "$FLUX_SOURCE_DIR/testsuite/ingest/site.c" 2>"$DIR/site.cc-err"
fi

# check.py: a validator in Python.  It logs "pid name" per call, refuses
# jobs named bad-py, crashes (SIGSEGV) on crash-py, and checks that the
# frobnicators ran first.
cat >"$DIR/check.py" <<'EOF'
#!/usr/bin/env python3
import json, os, signal, sys
log = sys.argv[1]
for line in sys.stdin:
    req = json.loads(line)
    js = req["jobspec"]
    name = js.get("attributes", {}).get("system", {}).get("job", {}).get("name", "")
    with open(log, "a") as f:
        f.write("%d %s %d\n" % (os.getpid(), name, req["userid"]))
    if name == "crash-py":
        os.kill(os.getpid(), signal.SIGSEGV)
    if name == "bad-py":
        ans = {"errnum": 1, "errstr": "site-check: jobs named bad-py are not allowed"}
    elif js["attributes"].get("user", {}).get("site", {}).get("project") != "ops":
        ans = {"errnum": 22, "errstr": "check.py: the frobnicators did not run first"}
    else:
        ans = {"errnum": 0}
    print(json.dumps(ans), flush=True)
EOF
# check.sh: a validator in shell.
cat >"$DIR/check.sh" <<'EOF'
#!/bin/sh
while read -r line; do
    case $line in
    *'"name":"bad-sh"'*)
        echo '{"errnum": 22, "errstr": "shell-check: jobs named bad-sh are not allowed"}' ;;
    *'"name":"garbage"'*)
        echo 'this is not json' ;;
    *)
        echo '{"errnum": 0}' ;;
    esac
done
EOF
# hang.sh: never answers a job named hang (its child holds the socket).
cat >"$DIR/hang.sh" <<'EOF'
#!/bin/sh
while read -r line; do
    case $line in
    *'"name":"hang"'*) sleep 313 ;;
    *) echo '{"errnum": 0}' ;;
    esac
done
EOF
# frob.py: a frobnicator in Python: sets FROB_PY=1 in the environment.
cat >"$DIR/frob.py" <<'EOF'
#!/usr/bin/env python3
import json, sys
for line in sys.stdin:
    js = json.loads(line)["jobspec"]
    js["attributes"]["system"].setdefault("environment", {})["FROB_PY"] = "1"
    print(json.dumps({"errnum": 0, "jobspec": js}), flush=True)
EOF
chmod +x "$DIR/check.py" "$DIR/check.sh" "$DIR/hang.sh" "$DIR/frob.py"

# The instance's own R with the properties "debug" and "big" on its node, so that
# jobs of queue debug (requires = ["debug"]) can be scheduled: the
# scheduler honours the constraint the queue adds.
if ! test -f "$DIR/R.json"; then
    flux start "$FLUX_BUILD_DIR/testsuite/helpers/rpc" resource.list |
        jq '.R | .execution.properties = {"debug": "0", "big": "0"}' >"$DIR/R.json"
fi

cat >"$DIR/main.toml" <<EOF
[resource]
path = "$DIR/R.json"

[queues.batch]
[queues.debug]
requires = ["debug"]
[queues.debug.policy.jobspec.defaults.system]
duration = "10m"
[queues.debug.policy.limits.job-size.max]
nnodes = 2

[policy.jobspec.defaults.system]
queue = "batch"
duration = "1h"

[ingest.frobnicator]
plugins = ["defaults", "constraints", "setattr", "$DIR/site.so", "$DIR/frob.py"]
[ingest.frobnicator.setattr]
"user.site.project" = "ops"
[ingest.frobnicator.site]
tag = "blue"

[ingest.validator]
plugins = ["jobspec", "feasibility", "limit-job-size", "$DIR/site.so", "$DIR/check.py",
           "$DIR/check.sh", "$DIR/hang.sh"]
workers = 2
[ingest.validator.site]
max-tasks = 4
[ingest.validator."check.py"]
args = ["$DIR/check.log"]
[ingest.validator."hang.sh"]
timeout = "3s"
EOF

guest=fluxguest
if test_have_prereq ROOT && command -v runuser >/dev/null &&
    { id -u $guest >/dev/null 2>&1 || useradd --system --no-create-home $guest 2>/dev/null; } &&
    runuser -u $guest -- test -x "$FLUX_BUILD_DIR/src/cmd/flux"; then
    test_set_prereq GUEST
    chmod 755 "$FLUX_TEST_TRASH"
fi
test_under_flux 1 -c "$DIR/main.toml" -Saccess.allow-guest-user=true

# attr ID PATH: the jobspec's attributes.PATH (dotted) as JSON.
attr() {
    flux job info $1 jobspec | python3 -c '
import json, sys
o = json.load(sys.stdin)["attributes"]
for k in sys.argv[1].split("."):
    o = o.get(k) if isinstance(o, dict) else None
print(json.dumps(o, sort_keys=True))' "$2"
}

test_expect_success 'the C plugin was built out of tree with pkg-config flux-core' '
    grep -q -- "-I$FLUX_SOURCE_DIR/include" site.cflags &&
    test -f site.so
'
test_expect_success 'defaults: a job naming no queue gets the default queue and its duration' '
    id=$(flux submit -n1 true) &&
    test "$(attr $id system.queue)" = "\"batch\"" &&
    test "$(attr $id system.duration)" = "3600.0" &&
    test "$(attr $id system.constraints)" = null
'
test_expect_success 'defaults and constraints: queue debug brings its duration and required property' '
    id=$(flux submit --queue=debug -n1 true) &&
    test "$(attr $id system.duration)" = "600.0" &&
    test "$(attr $id system.constraints)" = "{\"properties\": [\"debug\"]}"
'
test_expect_success 'constraints: the job'"'"'s own constraints are and-ed with the queue'"'"'s' '
    id=$(flux submit --queue=debug -n1 -S constraints="{\"properties\":[\"big\"]}" true) &&
    echo "{\"and\": [{\"properties\": [\"big\"]}, {\"properties\": [\"debug\"]}]}" >expected &&
    attr $id system.constraints >out &&
    test_cmp expected out
'
test_expect_success 'defaults: a duration the job gives is kept' '
    id=$(flux submit -t 5m -n1 true) &&
    test "$(attr $id system.duration)" = "300.0"
'
test_expect_success 'setattr, the C frobnicator (its conf) and the Python frobnicator all ran' '
    id=$(flux submit -n1 true) &&
    test "$(attr $id user.site.project)" = "\"ops\"" &&
    test "$(attr $id system.environment.SITE_TAG)" = "\"blue\"" &&
    test "$(attr $id system.environment.FROB_PY)" = "\"1\""
'
test_expect_success 'a frobnicated job runs' '
    id=$(flux submit -n1 -S exec.test.run_duration=0s true) &&
    flux job wait $id
'
test_expect_success 'an unknown queue is refused, naming the queues' '
    test_must_fail flux submit --queue=nope true 2>err &&
    grep -q "invalid queue .nope. (queues: batch, debug)" err
'
test_expect_success 'the C validator refuses with its message, verbatim' '
    test_must_fail flux submit -n5 true 2>err &&
    grep -qx "flux: submit: site: at most 4 tasks per job" err
'
test_expect_success 'the Python validator refuses with its message, verbatim' '
    test_must_fail flux submit --job-name=bad-py true 2>err &&
    grep -qx "flux: submit: site-check: jobs named bad-py are not allowed" err
'
test_expect_success 'the shell validator refuses with its message, verbatim' '
    test_must_fail flux submit --job-name=bad-sh true 2>err &&
    grep -qx "flux: submit: shell-check: jobs named bad-sh are not allowed" err
'
test_expect_success 'an answer that is not JSON refuses the job, naming the validator' '
    test_must_fail flux submit --job-name=garbage true 2>err &&
    grep -q "validator check.sh: invalid answer" err
'
test_expect_success 'the Python validator is one long-lived process: one pid for three jobs' '
    for i in 1 2 3; do
        flux submit --job-name=seq$i true >/dev/null || return 1
    done &&
    grep " seq" check.log | cut -d" " -f1 | sort -u >pids &&
    test $(wc -l <pids) -eq 1
'
test_expect_success 'a job array (--cc) goes through the chain once' '
    flux submit --cc=1-5 --job-name=arr true >ids &&
    test $(wc -l <ids) -eq 5 &&
    grep -c " arr " check.log >n &&
    echo 1 >expected &&
    test_cmp expected n
'
test_expect_success 'a hanging validator is killed at its limit; the job is refused with a message' '
    test_must_fail flux submit --job-name=hang true 2>err &&
    grep -qx "flux: submit: validator hang.sh: no answer within 3s (the worker was killed)" err
'
test_expect_success 'the hanging worker and its child are gone' '
    sleep 0.5 &&
    ! pgrep -f "sleep 313"
'
test_expect_success 'the pool recovers: the next job is accepted' '
    flux submit --job-name=after-hang true
'
test_expect_success 'a crashing validator refuses the job with how it died' '
    test_must_fail flux submit --job-name=crash-py true 2>err &&
    grep -q "validator check.py was killed by signal 11" err &&
    flux dmesg | grep -q "validator check.py was killed by signal 11"
'
test_expect_success 'the pool recovers after the crash: a new worker takes the next job' '
    flux submit --job-name=after-crash true &&
    grep " after-crash " check.log | cut -d" " -f1 >new &&
    grep " crash-py " check.log | cut -d" " -f1 >old &&
    ! test_cmp old new 2>/dev/null
'
test_expect_success GUEST 'limit-job-size refuses a guest over the queue limit, in its words' '
    test_must_fail runuser -u $guest -- flux submit --queue=debug -N3 -n3 true 2>err &&
    grep -qx "flux: submit: job-size: at most 2 nodes in queue debug" err
'
test_expect_success GUEST 'a guest within the limit is accepted' '
    runuser -u $guest -- flux submit --queue=debug -n1 true
'
test_expect_success 'the instance owner is exempt from limits (the scheduler answers instead)' '
    test_must_fail flux submit --queue=debug -N3 -n3 true 2>err &&
    ! grep -q "job-size" err &&
    grep -q "unsatisfiable" err
'

# fails CONF: flux start with CONF fails; its stderr in err.
fails() {
    test_must_fail env -u FLUX_URI flux start -c "$1" true 2>err
}
test_expect_success 'config: an unknown validator stops the instance, naming it' '
    printf "[ingest.validator]\nplugins = [\"nope\"]\n" >bad1.toml &&
    fails bad1.toml &&
    grep -q "ingest.validator.plugins: unknown validator .nope." err
'
test_expect_success 'config: a validator is not a frobnicator' '
    printf "[ingest.frobnicator]\nplugins = [\"limit-job-size\"]\n" >bad2.toml &&
    fails bad2.toml &&
    grep -q "unknown frobnicator .limit-job-size." err
'
test_expect_success 'config: a missing executable is named' '
    printf "[ingest.validator]\nplugins = [\"/no/such/check\"]\n" >bad3.toml &&
    fails bad3.toml &&
    grep -q "/no/such/check: No such file or directory" err
'
test_expect_success 'config: a .so that is not an ingest plugin is named' '
    printf "[ingest.validator]\nplugins = [\"%s\"]\n" \
        "$FLUX_BUILD_DIR/testsuite/jobtap/.libs/record.so" >bad4.toml &&
    fails bad4.toml &&
    grep -q "record.so is not a job-ingest plugin: it does not export flux_ingest_plugin_info" err
'
test_expect_success 'config: an unknown key names the file and line' '
    printf "[ingest.validator]\ntimeot = \"1s\"\n" >bad5.toml &&
    fails bad5.toml &&
    grep -q "bad5.toml:2:.*ingest.validator.timeot: unknown key" err
'
test_expect_success 'config: a bad default duration names the key' '
    printf "[policy.jobspec.defaults.system]\nduration = \"soon\"\n" >bad6.toml &&
    fails bad6.toml &&
    grep -q "policy.jobspec.defaults.system.duration: invalid duration .soon." err
'
test_expect_success 'config: a bad timeout names the file and line' '
    printf "[ingest.validator]\ntimeout = \"-1s\"\n" >bad7.toml &&
    fails bad7.toml &&
    grep -q "bad7.toml:2:.*ingest.validator.timeout: invalid duration" err
'
test_done
