#!/bin/bash
# The package phase of the suite (tests/run-all.sh): blimp as operators install it.
#  - the .deb builds with dpkg-buildpackage (a copy of the tree, tests/package/build-deb.sh)
#    and its version is the one blimpd and blimp print;
#  - lintian reports no E: line;
#  - it installs with dpkg in a minimal Debian chroot (tests/package/base-chroot.sh:
#    mmdebstrap minbase plus the package's Depends, plus systemd and man-db so the unit
#    and its man: links can be checked there; cached in /var/cache/blimp/package-chroot,
#    keyed on its package list, apt sources and versions), and blimpd --version, blimp --version
#    and blimp-guest-build --help run from it;
#  - the installed /etc/blimp/blimpd.conf is a conffile blimpd loads: qemu:///system;
#  - the installed blimpd runs in the chroot under a notify socket (libvirt's built-in
#    test:///default driver, dry-run): READY=1 and STATUS= come, `blimp ls` lists the
#    test driver's domain, SIGTERM brings STOPPING=1 and exit status 0;
#  - systemd-analyze verify accepts the installed unit (any message fails it), and
#    systemd-analyze security rates its exposure at most 7.0 (of 10);
#  - man --warnings -l renders every installed page with no warning, and every
#    setting, flag and command is in them;
#  - make install / make uninstall with PREFIX and DESTDIR.
# Ends with "package: N passed, N failed". Env: BLIMP_PKG_CACHE (default
# /var/cache/blimp/package-chroot), IT_KEEP=1 keeps the work directory.
set -uo pipefail
unset BLIMPD_CONFIG # the installed blimpd must read its own /etc/blimp/blimpd.conf
cd "$(dirname "$0")/../.." || exit 1
root=$PWD
pass=0
fail=0
ok() {
	echo "ok   $*"
	pass=$((pass + 1))
}
bad() {
	echo "FAIL $*"
	fail=$((fail + 1))
}
finish() {
	echo "package: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

work=$(mktemp -d /tmp/blimp-package.XXXXXX)
R=$work/root
listener=
cleanup() {
	[ -n "$listener" ] && kill "$listener" 2>/dev/null && wait "$listener" 2>/dev/null
	mountpoint -q "$R/proc" 2>/dev/null && umount "$R/proc"
	if [ "${IT_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
start=$SECONDS

# --- build ---------------------------------------------------------------------------
debdir=$root/build/deb
if tests/package/build-deb.sh "$debdir" >"$work/build-deb.out" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($((SECONDS - start)) s)"
else
	cat "$work/build-deb.out"
	bad "dpkg-buildpackage"
	finish
fi
deb=$(ls "$debdir"/blimp_*_amd64.deb)
version=$(dpkg-deb -f "$deb" Version)
upstream=${version%-*}

# --- lintian ----------------------------------------------------------------------------
lintian "$debdir"/blimp_*.changes >"$work/lintian.out" 2>&1
grep -v 'running with root privileges' "$work/lintian.out" | sed 's/^/  lintian: /'
if grep -q '^E: ' "$work/lintian.out"; then
	bad "lintian: $(grep -c '^E: ' "$work/lintian.out") error(s)"
else
	ok "lintian: no errors ($(grep -c '^W: ' "$work/lintian.out") warnings)"
fi

# --- the chroot ---------------------------------------------------------------------------
suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
t0=$SECONDS
if base=$(tests/package/base-chroot.sh "$deb"); then
	ok "base chroot: $base ($((SECONDS - t0)) s)"
else
	bad "base chroot (mmdebstrap)"
	finish
fi
mkdir -p "$R" && tar -C "$R" -xf "$base"
cp "$deb" "$R/tmp/"
if chroot "$R" dpkg -i "/tmp/$(basename "$deb")" >"$work/dpkg.out" 2>&1; then
	ok "dpkg -i in a $suite minbase chroot"
else
	cat "$work/dpkg.out"
	bad "dpkg -i"
	finish
fi

out=$(chroot "$R" blimpd --version 2>&1)
[ "$out" = "blimpd $upstream" ] && ok "installed blimpd --version: $out" ||
	bad "installed blimpd --version: '$out', package version $version"
out=$(chroot "$R" blimp --version 2>&1)
[ "$out" = "blimp $upstream" ] && ok "installed blimp --version: $out" ||
	bad "installed blimp --version: '$out', package version $version"
chroot "$R" blimp-guest-build --help 2>&1 | grep -q '/var/lib/blimp/guest' &&
	ok "installed blimp-guest-build --help" || bad "blimp-guest-build --help"
conff=$(chroot "$R" dpkg-query -W -f='${Conffiles}' blimp)
uri=$(chroot "$R" blimpd --print-config 2>&1 | awk -F' = ' '$1 == "connect_uri" { print $2 }')
if grep -q '/etc/blimp/blimpd.conf' <<<"$conff" && [ "$uri" = "qemu:///system" ]; then
	ok "/etc/blimp/blimpd.conf: a conffile; blimpd loads it (connect_uri = $uri)"
else
	bad "/etc/blimp/blimpd.conf: conffiles '$conff', connect_uri '$uri'"
fi

# --- the installed blimpd under a notify socket ------------------------------------------
mount -t proc proc "$R/proc"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
while True:
    m = s.recv(4096).decode()
    print(m.replace("\n", " | "), flush=True)
    if "STOPPING=1" in m:
        break
' "$R/tmp/notify" >"$work/notify.out" 2>&1 &
listener=$!
for _ in $(seq 50); do [ -S "$R/tmp/notify" ] && break; sleep 0.1; done
NOTIFY_SOCKET=/tmp/notify chroot "$R" blimpd --connect test:///default --dry-run \
	--state-dir /tmp/state --socket /tmp/blimpd.sock >"$work/blimpd.log" 2>&1 &
bpid=$!
for _ in $(seq 100); do grep -q 'READY=1' "$work/notify.out" && break; sleep 0.1; done
if grep -q 'READY=1' "$work/notify.out" && [ -S "$R/tmp/blimpd.sock" ]; then
	ok "sd_notify READY=1 with the control socket serving"
else
	bad "no READY=1 in 10 s"
fi
sleep 6 # a STATUS= refresh after the first plans
ls_out=$(chroot "$R" blimp -s /tmp/blimpd.sock ls 2>&1)
grep -q '^test .*running' <<<"$ls_out" && ok "installed blimp ls talks to the installed blimpd" ||
	bad "blimp ls: $ls_out"
grep -q 'STATUS=1 VMs running, budget .*, host state [a-z]' "$work/notify.out" &&
	ok "sd_notify STATUS= ($(grep -o 'STATUS=[^|]*' "$work/notify.out" | tail -1))" ||
	bad "no STATUS= line"
kill -TERM "$bpid"
wait "$bpid"
rc=$?
wait "$listener"
listener=
if [ "$rc" = 0 ] && grep -q 'STOPPING=1' "$work/notify.out"; then
	ok "SIGTERM: STOPPING=1, exit status 0"
else
	bad "SIGTERM: exit status $rc, notify: $(tr '\n' ' ' <"$work/notify.out")"
	tail -5 "$work/blimpd.log"
fi
umount "$R/proc"

# --- the unit -------------------------------------------------------------------------------
unit=/lib/systemd/system/blimpd.service
# verify prints what it does not accept but exits 0 for most of it: any output fails.
vout=$(MANPATH=$R/usr/share/man systemd-analyze verify --root="$R" "$unit" 2>&1)
vrc=$?
if [ "$vrc" = 0 ] && [ -z "$vout" ]; then
	ok "systemd-analyze verify $unit (and its man: links)"
else
	bad "systemd-analyze verify: rc $vrc: $vout"
fi

# How exposed the unit is (0 safe .. 10 unsafe); blimpd has to write /sys, /proc and
# swap as root, so "MEDIUM" is where it can be. Above 7 a hardening line was lost.
exposure=$(systemd-analyze security --offline=true --root="$R" "$unit" 2>/dev/null |
	sed -n 's/.*Overall exposure level for blimpd.service: \([0-9.]*\).*/\1/p')
if [ -n "$exposure" ] && awk -v e="$exposure" 'BEGIN { exit !(e <= 7.0) }'; then
	ok "systemd-analyze security: exposure $exposure (at most 7.0)"
else
	bad "systemd-analyze security: exposure '$exposure' (more than 7.0)"
fi

# --- man pages ------------------------------------------------------------------------------
mkdir -p "$work/man"
for page in man1/blimp.1 man8/blimpd.8 man8/blimp-guest-build.8 man5/blimpd.conf.5; do
	f=$R/usr/share/man/$page.gz
	zcat "$f" >"$work/man/$(basename "$page")" 2>/dev/null
	warn=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >"$work/man.out")
	lines=$(wc -l <"$work/man.out")
	if [ -s "$f" ] && [ -z "$warn" ] && [ "$lines" -gt 10 ]; then
		ok "man -l $page: $lines lines, no warnings"
	else
		bad "man -l $page: $lines lines; $warn"
	fi
done
cp "$R/etc/blimp/blimpd.conf" "$work/man/"
if tools/mkman.sh check "$R/usr/sbin/blimpd" "$R/usr/bin/blimp" "$work/man" >"$work/check.out" 2>&1; then
	ok "every setting, flag and command is in the installed pages"
else
	cat "$work/check.out"
	bad "pages miss settings, flags or commands"
fi

# --- make install / uninstall ------------------------------------------------------------
d=$work/destdir
if make -s install DESTDIR="$d" PREFIX=/usr/local >"$work/install.out" 2>&1 &&
	[ -x "$d/usr/local/sbin/blimpd" ] && [ -x "$d/usr/local/bin/blimp" ] &&
	[ -x "$d/usr/local/lib/blimp/guest-builder/build.sh" ] &&
	[ -f "$d/usr/local/share/man/man5/blimpd.conf.5" ] && [ -f "$d/etc/blimp/blimpd.conf" ] &&
	grep -q '^ExecStart=/usr/local/sbin/blimpd$' "$d/usr/local/lib/systemd/system/blimpd.service" &&
	grep -q '/usr/local/lib/blimp/guest-builder/build.sh' "$d/usr/local/sbin/blimp-guest-build"; then
	ok "make install DESTDIR PREFIX=/usr/local ($(find "$d" -type f | wc -l) files)"
else
	cat "$work/install.out"
	bad "make install"
fi
echo '# edited' >>"$d/etc/blimp/blimpd.conf"
make -s install DESTDIR="$d" PREFIX=/usr/local >/dev/null 2>&1
grep -q '^# edited' "$d/etc/blimp/blimpd.conf" && [ -f "$d/etc/blimp/blimpd.conf.dist" ] &&
	ok "make install again keeps an edited blimpd.conf (new one: blimpd.conf.dist)" ||
	bad "make install overwrote blimpd.conf"
make -s uninstall DESTDIR="$d" PREFIX=/usr/local >/dev/null 2>&1
left=$(cd "$d" && find . -type f | sort | paste -sd' ')
[ "$left" = "./etc/blimp/blimpd.conf" ] && ok "make uninstall leaves only the config" ||
	bad "make uninstall left: $left"

echo "package phase: $((SECONDS - start)) s"
finish
