#!/bin/bash
# Python bindings (src/bindings/python): the pytest suite, whose fixtures
# start their own instances with flux start, under Debian's python3 (the
# one configure builds the cffi extension for) and, when another python3
# is first on PATH with cffi and pytest, under that one too.
. "$(dirname "$0")/lib/test-lib.sh"

pydir=$FLUX_BUILD_DIR/src/bindings/python
if ! ls "$pydir"/flux/_core*.so >/dev/null 2>&1; then
    test_skip_all "Python bindings not built (python3-dev, python3-cffi missing at configure)"
fi
export FLUX_BUILD_DIR PYTHONPATH=$pydir${PYTHONPATH:+:$PYTHONPATH}
export PYTHONDONTWRITEBYTECODE=1
sys_python=/usr/bin/python3
test -x $sys_python || sys_python=$(command -v python3)
$sys_python -c "import pytest" 2>/dev/null && test_set_prereq PYTEST

run_pytest() { # PYTHON [pytest args]
    local py=$1; shift
    timeout 600 $py -m pytest -p no:cacheprovider -q -x \
        --rootdir="$pydir/test" "$pydir/test" "$@"
}

test_expect_success PYTEST 'the flux package imports and reports its API' '
    $sys_python -c "import flux, flux.job, flux.kvs; print(flux.job.FluxExecutor)"
'
test_expect_success PYTEST 'pytest suite passes under the system python3' '
    run_pytest $sys_python
'
# The extension is built once, for the system python3; another python3 of
# the same version first on PATH (pyenv, a venv) must load it too: run the
# Parsl-style script under it (it needs only cffi, not pytest).
other=$(command -v python3)
if test -n "$other" && test "$(readlink -f "$other")" != "$(readlink -f $sys_python)" &&
   "$other" -c "import cffi" 2>/dev/null; then
    test_set_prereq OTHERPY
fi
test_expect_success OTHERPY 'the same build runs under the python3 on PATH' '
    timeout 120 flux start --test-size=1 "$other" "$pydir/test/parsl_style.py" >other.out &&
    grep "parsl-style: ok" other.out
'
test_done
