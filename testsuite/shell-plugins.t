#!/bin/bash
# Shell plugins (flux/shell.h): topics fire in order, a plugin sets the
# task environment, site plugins load from FLUX_SHELL_PLUGINS and job
# plugins from -o plugins=, and a bad plugin fails the job naming the file.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 1

PLUGDIR=$FLUX_BUILD_DIR/testsuite/shell-plugins/.libs

# line N of LOG where TOPIC first appears
at() { grep -nx "$2" "$1" | head -1 | cut -d: -f1; }

test_expect_success 'every topic fires, in lifecycle order' '
    flux run -n2 -o plugins=$PLUGDIR/order.so -o order-log=$PWD/order.log true &&
    cat order.log &&
    for t in shell.init shell.post-init "task.init 0" "task.exec 0" "task.fork 0" \
             "task.exit 0" "task.init 1" "task.exec 1" "task.fork 1" "task.exit 1" \
             shell.start shell.exit; do
        test -n "$(at order.log "$t")" || { echo "missing $t"; return 1; }
    done &&
    test $(at order.log shell.init) -lt $(at order.log shell.post-init) &&
    test $(at order.log shell.post-init) -lt $(at order.log "task.init 0") &&
    test $(at order.log "task.init 0") -lt $(at order.log "task.exec 0") &&
    test $(at order.log "task.init 0") -lt $(at order.log "task.fork 0") &&
    test $(at order.log "task.fork 0") -lt $(at order.log "task.init 1") &&
    test $(at order.log "task.fork 0") -lt $(at order.log "task.exit 0") &&
    test $(at order.log "task.fork 1") -lt $(at order.log shell.start) &&
    test $(at order.log "task.fork 1") -lt $(at order.log "task.exit 1") &&
    test $(at order.log "task.exit 0") -lt $(at order.log shell.exit) &&
    test $(at order.log "task.exit 1") -lt $(at order.log shell.exit) &&
    test "$(tail -1 order.log)" = shell.exit &&
    test $(wc -l <order.log) -eq 12
'
test_expect_success 'a signal sent before a task is forked still reaches it' '
    # job-exec posts "start" before the shell forks its tasks, so flux job
    # kill can signal the group while task 1 is not in it yet (held here in
    # its task.init): the shell hands it on at shell.start
    id=$(flux submit -n2 -o plugins=$PLUGDIR/order.so -o order-log=$PWD/hold.log \
            -o order-hold=$PWD/hold.go \
            sh -c "trap \"touch $PWD/hold.term.\$FLUX_TASK_RANK; exit 0\" TERM; touch $PWD/hold.ready.\$FLUX_TASK_RANK; while :; do sleep 0.1; done") &&
    test_when_finished "touch $PWD/hold.go; flux job kill -s KILL $id 2>/dev/null; true" &&
    wait_for 30 test -f hold.ready.0 &&
    wait_for 30 grep -qx "task.init 1" hold.log &&
    flux job kill $id &&
    wait_for 30 test -f hold.term.0 &&
    touch hold.go &&
    flux job wait-event -t 30 $id clean &&
    grep -qx shell.start hold.log
'
test_expect_success 'handlers registered during a walk run in that walk' '
    flux run -n2 -o plugins=$PLUGDIR/nested.so -o nested-log=$PWD/nested.log true &&
    cat nested.log &&
    test "$(sed -n 1p nested.log)" = first &&
    test "$(sed -n 2p nested.log)" = second &&
    grep -qx "task 0" nested.log &&
    grep -qx "task 1" nested.log &&
    test $(wc -l <nested.log) -eq 4
'
test_expect_success 'a plugin sets job-wide and per-task environment, and its settings win' '
    flux run -n2 -l -o plugins=$PLUGDIR/order.so -o order-nnodes=42 \
        sh -c "echo \$TEST_ORDER_JOB \$TEST_ORDER_TASK \$FLUX_JOB_NNODES" | sort >penv &&
    printf "0: 1 0 42\n1: 1 1 42\n" >penv.exp &&
    test_cmp penv.exp penv
'
test_expect_success 'site plugins load from FLUX_SHELL_PLUGINS in the broker environment' '
    FLUX_SHELL_PLUGINS=/nonexistent-first.so:$PLUGDIR/order.so \
        test_must_fail flux start flux run true 2>site.err &&
    grep -q "plugin /nonexistent-first.so" site.err &&
    FLUX_SHELL_PLUGINS=$PLUGDIR/order.so \
        flux start flux run -o order-log=$PWD/site.log printenv TEST_ORDER_JOB >site.out &&
    grep -qx 1 site.out &&
    grep -qx shell.exit site.log
'
test_expect_success 'a plugin with the wrong API version fails the job naming the file' '
    test_must_fail flux run -o plugins=$PLUGDIR/badversion.so true 2>bv.err &&
    cat bv.err &&
    grep -q "plugin $PLUGDIR/badversion.so: shell plugin API version 2.0 is not supported" bv.err
'
test_expect_success 'a plugin without flux_plugin_init fails the job naming the file' '
    test_must_fail flux run -o plugins=$PLUGDIR/nosymbol.so true 2>ns.err &&
    grep -q "plugin $PLUGDIR/nosymbol.so: no flux_plugin_init() symbol" ns.err &&
    test_must_fail flux run -o plugins=/no/such/plugin.so true 2>nf.err &&
    grep -q "plugin /no/such/plugin.so: .*No such file" nf.err
'
test_expect_success 'an unknown topic is refused by name' '
    test_must_fail flux run -o plugins=$PLUGDIR/badtopic.so true 2>bt.err &&
    grep -q "unknown shell plugin topic .task.bogus." bt.err &&
    grep -q "plugin badtopic: init failed" bt.err
'
test_expect_success 'a failing shell.init stops the job before any task runs' '
    test_must_fail flux run -o plugins=$PLUGDIR/order.so -o order-fail=shell.init \
        -o order-log=$PWD/fail.log touch $PWD/ran 2>si.err &&
    grep -q "plugin order: shell.init failed" si.err &&
    ! test -e ran &&
    ! grep -q "^task" fail.log
'
test_expect_success 'a failing task.exec fails that task with code 126' '
    test_expect_code 126 flux run -o plugins=$PLUGDIR/order.so -o order-fail=task.exec true 2>te.err &&
    grep -q "a plugin refused to start it" te.err
'
test_expect_success 'site plugins load from [shell] plugins in the config, before the job'"'"'s' '
    printf "[shell]\nplugins = [\"%s\"]\n" $PLUGDIR/order.so >shell.toml &&
    flux start -c shell.toml flux run -o order-log=$PWD/conf.log printenv TEST_ORDER_JOB >conf.out &&
    grep -qx 1 conf.out &&
    grep -qx shell.exit conf.log &&
    printf "[shell]\nplugins = [\"/nonexistent-site.so\"]\n" >shell2.toml &&
    test_must_fail flux start -c shell2.toml flux run true 2>conf2.err &&
    grep -q "plugin /nonexistent-site.so" conf2.err
'
test_expect_success 'a bad [shell] plugins value stops the instance naming it' '
    printf "[shell]\nplugins = \"x.so\"\n" >bad1.toml &&
    test_must_fail flux start -c bad1.toml true 2>bad1.err &&
    grep -q "shell.plugins: expected an array of paths" bad1.err &&
    printf "[shell]\nplugins = [\"a:b.so\"]\n" >bad2.toml &&
    test_must_fail flux start -c bad2.toml true 2>bad2.err &&
    grep -q "shell.plugins\[0\]: expected a non-empty path without" bad2.err
'
test_expect_success 'a bad plugins option is refused' '
    test_must_fail flux run -o plugins=1 true 2>po.err
'
test_expect_success 'a plugin calling a symbol the shell does not export fails the job naming the file' '
    test_must_fail flux run -o plugins=$PLUGDIR/undefsym.so touch $PWD/undef-ran 2>us.err &&
    cat us.err &&
    grep -q "plugin $PLUGDIR/undefsym.so: cannot load: .*flux_shell_no_such_call" us.err &&
    ! test -e undef-ran
'
test_expect_success 'a plugin whose init fails stops the job naming the file and the plugin' '
    test_must_fail flux run -o plugins=$PLUGDIR/initfail.so touch $PWD/init-ran 2>if.err &&
    cat if.err &&
    grep -q "initfail: refusing to load, as asked" if.err &&
    grep -q "plugin $PLUGDIR/initfail.so: plugin initfail: init failed" if.err &&
    ! test -e init-ran
'
test_expect_success 'site plugins that fail to load name the file too' '
    FLUX_SHELL_PLUGINS=$PLUGDIR/undefsym.so \
        test_must_fail flux start flux run true 2>site-us.err &&
    grep -q "plugin $PLUGDIR/undefsym.so: cannot load: " site-us.err &&
    printf "[shell]\nplugins = [\"%s\"]\n" $PLUGDIR/badversion.so >shell3.toml &&
    test_must_fail flux start -c shell3.toml flux run true 2>conf3.err &&
    grep -q "plugin $PLUGDIR/badversion.so: shell plugin API version 2.0 is not supported (flux-shell has 1.0)" conf3.err
'
test_expect_success 'a plugin that is not a regular file is refused naming it' '
    test_must_fail flux run -o plugins=$PLUGDIR true 2>dir.err &&
    grep -q "plugin $PLUGDIR: not a regular file" dir.err
'
test_done
