#!/bin/bash
# flux-shell starts once per job per node, so what the dynamic loader does
# before main() is on the per-job path (doc/design/shell-startup.md): the
# shell must not load yaml-cpp or the shared C++ runtime, and it exports
# the flux_* C API its plugins call and nothing else.
. "$(dirname "$0")/lib/test-lib.sh"

SHELL_BIN=$FLUX_BUILD_DIR/src/shell/flux-shell

# The libraries the shell needs, one a line.
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
# The symbols the shell defines and exports (copy-relocated libc data,
# written NAME@VERSION, are libc's, not the shell's).
exports() { readelf --dyn-syms -W "$1" | awk 'NR > 3 && $7 != "UND" && $5 != "LOCAL" {print $8}' | grep -v @; }

test_expect_success 'flux-shell needs neither yaml-cpp nor the shared C++ runtime' '
    needed "$SHELL_BIN" >needed &&
    cat needed &&
    grep -q "^libc\.so" needed &&
    ! grep -E "yaml|libstdc\+\+|libgcc_s|libhwloc" needed
'
test_expect_success 'flux-shell loads libevent_core, not all of libevent' '
    grep -q "^libevent_core" needed &&
    ! grep -q "^libevent-" needed
'
test_expect_success 'flux-shell exports the flux_shell_* and flux_* C API and nothing else' '
    exports "$SHELL_BIN" >exports &&
    grep -qx flux_shell_add_handler exports &&
    grep -qx flux_shell_log exports &&
    grep -qx flux_shell_get_flux exports &&
    ! grep -v "^flux_" exports
'
test_expect_success 'a job runs with this shell (the loader finds everything it needs)' '
    flux start flux run -n2 printenv FLUX_JOB_SIZE >size.out &&
    printf "2\n2\n" >size.exp &&
    test_cmp size.exp size.out
'

# Every flux command pays its own start (doc/design/cli-startup.md): with
# yaml-cpp's archive installed (libyaml-cpp-dev ships it), the flux
# command links it and the C++ runtime in.
FLUX_BIN=$FLUX_BUILD_DIR/src/cmd/flux
yamlcpp_a=$(pkg-config --variable=libdir yaml-cpp 2>/dev/null)/libyaml-cpp.a
test -f "$yamlcpp_a" && test_set_prereq YAMLCPP_ARCHIVE
test_expect_success YAMLCPP_ARCHIVE 'flux needs neither yaml-cpp nor the shared C++ runtime' '
    needed "$FLUX_BIN" >flux-needed &&
    cat flux-needed &&
    grep -q "^libc\.so" flux-needed &&
    ! grep -E "yaml|libstdc\+\+|libgcc_s|^libevent-" flux-needed
'
test_expect_success 'flux still reads a YAML jobspec' '
    cat >js.yaml <<-EOF &&
	version: 1
	resources:
	  - type: slot
	    count: 1
	    label: task
	    with:
	      - type: core
	        count: 1
	tasks:
	  - command: ["true"]
	    slot: task
	    count:
	      per_slot: 1
	attributes:
	  system:
	    duration: 0
	EOF
    flux start sh -c "flux job submit js.yaml >/dev/null && flux job wait --all"
'
test_done
