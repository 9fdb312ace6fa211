#!/bin/bash
# flux module load/remove/list with the echo test module, per-rank modules, module arguments and load failures.
. "$(dirname "$0")/lib/test-lib.sh"
test_under_flux 2

MODDIR=$FLUX_MODULE_PATH

# list_field RANK NAME FIELD : a field of NAME's row in flux module list
list_row() {
    flux module list --rank="$1" | awk -v n="$2" '$1 == n { print $3, $4 }'
}

test_expect_success 'flux module list shows the built-in services' '
    flux module list >out &&
    head -1 out | grep -Eq "^Module +Idle +State +Path$" &&
    for s in attr broker event log module; do
        grep -Eq "^$s +- +running +\(built-in\)$" out || exit 1
    done &&
    ! grep -q "^echo " out
'
test_expect_success 'flux module load echo finds it on FLUX_MODULE_PATH' '
    flux module load echo &&
    flux module list >out &&
    test "$(awk "\$1 == \"echo\" { print \$3, \$4 }" out)" = "running $MODDIR/echo.so"
'
test_expect_success 'echo.hello returns the request payload exactly' '
    rpc echo.hello "{\"a\":1}" >out &&
    echo "{\"a\":1}" >expected &&
    cmp expected out &&
    rpc echo.hello "{\"s\":\"x y\",\"n\":[1,2]}" >out &&
    echo "{\"s\":\"x y\",\"n\":[1,2]}" >expected &&
    cmp expected out
'
test_expect_success 'flux ping echo answers from the module' '
    flux ping --count=1 echo >out &&
    grep -q "^echo\.ping pad=0 seq=0 time=" out
'
test_expect_success 'echo.rank on rank 0 is {"rank":0}' '
    rpc echo.rank >out &&
    echo "{\"rank\":0}" >expected &&
    cmp expected out
'
test_expect_success 'a module loaded on rank 0 is not loaded on rank 1' '
    test_must_fail rpc -r 1 echo.rank 2>err &&
    grep -q "No service matching echo.rank" err &&
    ! flux module list --rank=1 | grep -q "^echo "
'
test_expect_success 'flux module load --rank=1 echo runs it on rank 1' '
    flux module load --rank=1 echo &&
    rpc -r 1 echo.rank >out &&
    echo "{\"rank\":1}" >expected &&
    cmp expected out &&
    test "$(list_row 1 echo)" = "running $MODDIR/echo.so"
'
test_expect_success 'a client of rank 1 reaches rank 1 echo' '
    on_rank 1 rpc echo.rank >out &&
    echo "{\"rank\":1}" >expected &&
    cmp expected out &&
    flux ping --count=1 "1!echo" >out &&
    grep -q "^1!echo\.ping " out
'
test_expect_success 'loading echo again fails with "already loaded"' '
    test_must_fail flux module load echo 2>err &&
    grep -q "already loaded" err &&
    test_must_fail flux module load --rank=1 echo 2>err &&
    grep -q "already loaded" err &&
    rpc echo.rank >out &&
    echo "{\"rank\":0}" >expected &&
    cmp expected out
'
test_expect_success 'flux module remove echo stops the service' '
    flux module remove echo &&
    ! flux module list | grep -q "^echo " &&
    test_must_fail rpc echo.hello "{}" 2>err &&
    grep -q "No service matching echo.hello" err
'
test_expect_success 'removing echo on rank 0 leaves it on rank 1' '
    rpc -r 1 echo.rank >out &&
    echo "{\"rank\":1}" >expected &&
    cmp expected out
'
test_expect_success 'load by absolute path works after remove' '
    flux module load $MODDIR/echo.so &&
    test "$(list_row 0 echo)" = "running $MODDIR/echo.so" &&
    rpc echo.hello "{\"b\":2}" >out &&
    echo "{\"b\":2}" >expected &&
    cmp expected out &&
    flux module remove echo
'
test_expect_success 'load by relative path works and lists the real path' '
    (cd $MODDIR/.. && flux module load ./.libs/echo.so) &&
    test "$(list_row 0 echo)" = "running $MODDIR/echo.so" &&
    flux module remove echo
'
test_expect_success 'module arguments reach the module' '
    flux module load echo foo bar &&
    wait_for 10 sh -c "flux dmesg | grep -q \"echo: arg bar\$\"" &&
    flux dmesg >out &&
    grep -q "echo\.info\[0\]: echo: arg foo$" out &&
    grep -q "echo\.info\[0\]: echo: arg bar$" out &&
    test $(grep -n "echo: arg foo$" out | cut -d: -f1) -lt \
         $(grep -n "echo: arg bar$" out | cut -d: -f1) &&
    flux module remove echo
'
test_expect_success 'remove of a module that is not loaded fails' '
    test_must_fail flux module remove echo 2>err &&
    grep -q "is not loaded" err &&
    test_must_fail flux module remove nosuch 2>err &&
    grep -q "module .nosuch. is not loaded" err
'
test_expect_success 'a module with an unsupported API version is refused' '
    test_must_fail flux module load badversion 2>err &&
    grep -q "module API version 2.0 is not supported" err &&
    ! flux module list | grep -q "^badversion "
'
test_expect_success 'a .so without flux_module_init is refused' '
    test_must_fail flux module load nosymbol 2>err &&
    grep -q "does not export flux_module_init" err &&
    test_must_fail flux module load $MODDIR/nosymbol.so 2>err &&
    grep -q "does not export flux_module_init" err
'
test_expect_success 'a module whose main fails reports its error' '
    test_must_fail flux module load failmain 2>err &&
    grep -q "failmain: refusing to start" err &&
    ! flux module list | grep -q "^failmain " &&
    test_must_fail flux module load failmain 2>err &&
    grep -q "failmain: refusing to start" err
'
test_expect_success 'a module that does not exist is not found' '
    test_must_fail flux module load nonexistent 2>err &&
    grep -q "not found" err &&
    test_must_fail flux module load --rank=1 nonexistent 2>err &&
    grep -q "not found" err &&
    test_must_fail flux module load /nonexistent/dir/x.so 2>err &&
    grep -q "/nonexistent/dir/x.so" err
'
test_expect_success 'failures on rank 1 are reported too' '
    test_must_fail flux module load --rank=1 badversion 2>err &&
    grep -q "module API version 2.0 is not supported" err &&
    test_must_fail flux module load --rank=1 failmain 2>err &&
    grep -q "failmain: refusing to start" err
'
test_expect_success 'the brokers keep answering after all the failures' '
    flux ping --count=1 0 >out && grep -q "^0!broker.ping" out &&
    flux ping --count=1 1 >out && grep -q "^1!broker.ping" out &&
    rpc -r 1 echo.rank >out &&
    echo "{\"rank\":1}" >expected &&
    cmp expected out
'
test_expect_success 'echo can be loaded again after the failures, then removed everywhere' '
    flux module load echo &&
    rpc echo.rank >out &&
    echo "{\"rank\":0}" >expected &&
    cmp expected out &&
    flux module remove echo &&
    flux module remove --rank=1 echo &&
    ! flux module list --rank=1 | grep -q "^echo "
'
test_expect_success 'flux module usage errors' '
    test_must_fail flux module 2>err &&
    grep -q "Usage: flux module load" err &&
    test_must_fail flux module load 2>err &&
    grep -q "Usage: flux module load" err &&
    test_must_fail flux module remove 2>err &&
    grep -q "Usage: flux module" err &&
    test_must_fail flux module frob 2>err &&
    grep -q "unknown subcommand .frob." err &&
    test_must_fail flux module load --rank=x echo 2>err &&
    grep -q "invalid rank" err &&
    test_must_fail flux module list extra 2>err &&
    grep -q "Usage: flux module" err
'
test_done
