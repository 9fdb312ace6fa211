#!/bin/bash
# make install DESTDIR=: everything lands under DESTDIR (below prefix or the
# configured systemd directories), nothing is written to the real prefix,
# the installed unit names the installed paths, and make uninstall leaves
# no file behind.
. "$(dirname "$0")/lib/test-lib.sh"

B=$FLUX_BUILD_DIR
# Our own make runs, not jobs of make check's jobserver (its pipe is closed here).
unset MAKEFLAGS MFLAGS MAKELEVEL
mkvar() { sed -n "s|^$1 = ||p" "$B/Makefile" | head -1; }
prefix=$(mkvar prefix)
unitdir=$(mkvar systemdsystemunitdir | sed "s|\${prefix}|$prefix|")
tmpfilesdir=$(mkvar tmpfilesdir | sed "s|\${prefix}|$prefix|")
D=$PWD/root

test_expect_success 'make install DESTDIR= succeeds' '
    touch stamp &&
    make -s -C "$B" install DESTDIR="$D" >install.out 2>&1
'
test_expect_success 'nothing was written to the real prefix or systemd dirs' '
    for d in "$prefix" "$unitdir" "$tmpfilesdir"; do
        test ! -d "$d" || test -z "$(find "$d" -newer stamp ! -type d 2>/dev/null | head -5)" ||
        return 1
    done
'
test_expect_success 'every installed file is below DESTDIR/prefix or a systemd dir' '
    (cd "$D" && find . ! -type d | sed "s|^\.||") >files &&
    test -s files &&
    ! grep -v -e "^$prefix/" -e "^$unitdir/" -e "^$tmpfilesdir/" files
'
test_expect_success 'the expected files are there' '
    for f in bin/flux sbin/fluxd libexec/flux/flux-shell include/flux/core.h \
            include/flux/job.h bin/srun bin/sbatch share/man/man1/flux-config.1; do
        test -e "$D$prefix/$f" || { echo "missing $f"; return 1; }
    done &&
    ls "$D$prefix"/lib*/libflux-core.so.0* &&
    ls "$D$prefix"/lib*/pkgconfig/flux-core.pc &&
    test -f "$D$unitdir/fluxd.service" && test -f "$D$tmpfilesdir/fluxd.conf" &&
    test -d "$D$prefix/etc/flux/system/conf.d"
'
test_expect_success 'the unit runs the installed fluxd on the system config dir' '
    grep "^ExecStart=$prefix/sbin/fluxd --config-path=$prefix/etc/flux/system/conf.d" \
        "$D$unitdir/fluxd.service" &&
    grep "^ExecReload=$prefix/bin/flux config reload" "$D$unitdir/fluxd.service" &&
    ! grep "@[a-z]*@\|\${" "$D$unitdir/fluxd.service"
'
test_expect_success 'the installed flux config check validates the system dir' '
    printf "[tbon]\nfanout = 0\n" >"$D$prefix/etc/flux/system/conf.d/bad.toml" &&
    test_expect_code 1 env FLUX_BROKER_PATH="$D$prefix/sbin/fluxd" \
        "$D$prefix/bin/flux" config check "$D$prefix/etc/flux/system/conf.d" 2>err &&
    grep "bad.toml:2.*tbon.fanout" err &&
    rm "$D$prefix/etc/flux/system/conf.d/bad.toml"
'
pydir=$(mkvar pyexecdir | sed "s|\${exec_prefix}|$prefix|; s|\${prefix}|$prefix|")
test_expect_success 'the installed Python package imports, and looks for libflux-core only in libdir' '
    so=$(ls "$D$pydir"/flux/_core*.so) &&
    readelf -d "$so" | grep -i runpath >runpath &&
    ! grep -q "$B" runpath &&
    grep -q "$(mkvar libdir | sed "s|\${exec_prefix}|$prefix|")" runpath &&
    PYTHONPATH="$D$pydir" LD_LIBRARY_PATH=$(dirname "$(ls "$D$prefix"/lib*/libflux-core.so.0 | head -1)") \
        python3 -c "import flux, flux.job; print(flux.__file__); print(flux.job.JobspecV1.from_command([\"true\"]).dumps())" >py.out &&
    grep -q "^$D$pydir/flux/__init__.py$" py.out &&
    grep -q "\"command\": \[\"true\"\]" py.out
'
test_expect_success 'make uninstall DESTDIR= leaves no file behind' '
    make -s -C "$B" uninstall DESTDIR="$D" >uninstall.out 2>&1 &&
    (cd "$D" && find . ! -type d) >left &&
    test_must_be_empty left
'
test_done
