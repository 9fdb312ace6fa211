#!/bin/bash
# make dist, then rpmbuild -tb from the tarball (its own configure and build,
# make -j2, no debuginfo), then rpm --root of the three RPMs into a scratch
# root: each package lays down its files (doc/design/packaging.md).
# About as long as a build of the tree; FLUX_TEST_PACKAGING=0 skips it.
. "$(dirname "$0")/lib/test-lib.sh"

test "${FLUX_TEST_PACKAGING:-1}" = 0 && test_skip_all "FLUX_TEST_PACKAGING=0"
command -v rpmbuild >/dev/null && command -v rpm >/dev/null ||
    test_skip_all "rpmbuild/rpm not installed (Debian package rpm)"

B=$FLUX_BUILD_DIR
# Our own make runs, not jobs of make check's jobserver (its pipe is closed here).
unset MAKEFLAGS MFLAGS MAKELEVEL
version=$(sed -n 's|^PACKAGE_VERSION = ||p' "$B/Makefile")
T=$PWD/rpm
R=$PWD/root

test_expect_success 'make dist makes the release tarball with the spec in it' '
    make -s -C "$B" dist >dist.out 2>&1 &&
    mv "$B/fluxd-$version.tar.gz" . &&
    tar -tzf "fluxd-$version.tar.gz" >list &&
    grep -x "fluxd-$version/fluxd.spec" list &&
    grep -x "fluxd-$version/etc/fluxd.service.in" list &&
    grep -x "fluxd-$version/configure" list &&
    tar -xzf "fluxd-$version.tar.gz" "fluxd-$version/fluxd.spec" &&
    grep "^Version: *$version$" "fluxd-$version/fluxd.spec"
'
test_expect_success 'rpmbuild -tb builds the three RPMs from the tarball' '
    start=$(date +%s) &&
    rpmbuild -tb --nodeps --define "_topdir $T" --define "_smp_mflags -j2" \
        "fluxd-$version.tar.gz" >rpmbuild.out 2>&1 &&
    echo "rpmbuild: $(( $(date +%s) - start ))s" &&
    ls "$T"/RPMS/*/fluxd-$version-1*.rpm "$T"/RPMS/*/fluxd-devel-$version-1*.rpm \
        "$T"/RPMS/*/fluxd-slurm-compat-$version-1*.rpm &&
    ! ls "$T"/RPMS/*/fluxd-debuginfo* 2>/dev/null
'
test_expect_success 'rpm --root installs them into a scratch root' '
    mkdir -p "$R" &&
    rpm --root "$R" --dbpath /var/lib/rpm --initdb &&
    rpm --root "$R" --dbpath /var/lib/rpm -i --nodeps --noscripts "$T"/RPMS/*/*.rpm &&
    rpm --root "$R" --dbpath /var/lib/rpm -qa >installed &&
    test $(grep -c "^fluxd" installed) -eq 3
'
# owner PKG FILE-GLOB: FILE-GLOB exists in the root and rpm says PKG owns it.
owner() {
    local f
    f=$(cd "$R" && ls -d .$2 2>/dev/null | head -1 | sed "s|^\.||") &&
    test -n "$f" || { echo "no $2 in the root"; return 1; }
    rpm --root "$R" --dbpath /var/lib/rpm -qf "$f" --qf "%{NAME}\n" >owner.out &&
    test "$(cat owner.out)" = "$1" || { echo "$f: owned by $(cat owner.out), not $1"; return 1; }
}
test_expect_success 'fluxd holds the binaries, library, modules, shell, unit, man pages' '
    owner fluxd /usr/bin/flux &&
    owner fluxd /usr/sbin/fluxd &&
    owner fluxd /usr/libexec/flux/flux-shell &&
    owner fluxd "/usr/lib*/libflux-core.so.0*" &&
    owner fluxd "/usr/lib*/fluxd/modules/sched-simple.so" &&
    owner fluxd "/usr/lib*/fluxd/modules/sched-graph.so" &&
    owner fluxd /usr/lib/systemd/system/fluxd.service &&
    owner fluxd /usr/lib/tmpfiles.d/fluxd.conf &&
    owner fluxd "/usr/share/man/man1/flux-config.1*" &&
    owner fluxd "/usr/share/man/man1/fluxd.1*" &&
    test -d "$R/etc/flux/system/conf.d"
'
test_expect_success 'the unit starts /usr/sbin/fluxd on /etc/flux/system/conf.d' '
    grep "^ExecStart=/usr/sbin/fluxd --config-path=/etc/flux/system/conf.d" \
        "$R/usr/lib/systemd/system/fluxd.service" &&
    grep "^User=flux" "$R/usr/lib/systemd/system/fluxd.service"
'
test_expect_success 'fluxd-devel holds the headers, pkg-config file and .so link' '
    owner fluxd-devel /usr/include/flux/core.h &&
    owner fluxd-devel /usr/include/flux/job.h &&
    owner fluxd-devel /usr/include/flux/shell.h &&
    owner fluxd-devel "/usr/lib*/pkgconfig/flux-core.pc" &&
    owner fluxd-devel "/usr/lib*/libflux-core.so"
'
test_expect_success 'fluxd-slurm-compat holds the Slurm shims and their plugin' '
    for c in srun sbatch salloc squeue sinfo scancel sacct; do
        owner fluxd-slurm-compat /usr/bin/$c || return 1
    done &&
    owner fluxd-slurm-compat "/usr/share/man/man1/sbatch.1*" &&
    owner fluxd-slurm-compat "/usr/lib*/flux/slurm-compat/slurm_env.so"
'
test_expect_success 'a flux-imp, where the tree builds one, is setuid root' '
    find "$R" -name flux-imp -type f >imp &&
    for f in $(cat imp); do
        test "$(stat -c %a:%U "$f")" = 4755:root || return 1
    done
'
test_expect_success 'the installed flux runs and validates a config' '
    printf "[tbon]\nfanout = 0\n" >bad.toml &&
    test_expect_code 1 env FLUX_BROKER_PATH="$R/usr/sbin/fluxd" \
        "$R/usr/bin/flux" config check bad.toml 2>err &&
    grep "bad.toml:2.*tbon.fanout" err
'
test_done
