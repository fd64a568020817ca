#!/bin/bash
# The Debian package under a real systemd: a Debian 12 systemd guest (the operator
# tests' image) gets the .deb and the dependencies it lacks on a second disk, installs
# them with dpkg, and runs the shipped blimpd.service unchanged (hardening included).
# blimpd is pointed at libvirt's built-in test driver (test:///default, a drop-in in
# /etc/blimp/blimpd.conf.d: there is no libvirtd in the guest), so what is tested is the
# unit and the daemon's host side: Type=notify readiness, STATUS=, journal events, watchdog pings
# (WatchdogSec=6s for the test), the KSM sysfs and swap writes the hardening must allow,
# an orderly stop that restores them, and Restart=on-failure after a SIGKILL.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslibvirt.inc"

D=blimpit-pkg
G() { sys_gexec "$D" "$@"; }
prop() { G -- systemctl show -p "$1" --value blimpd.service; }
ksm_run() { G -- cat /sys/kernel/mm/ksm/run; }
has_swap() { G -- grep -q '^/var/lib/blimp/swapfile ' /proc/swaps; }
zswap() { G -- cat /sys/module/zswap/parameters/enabled; }
zswap_is() { [ "$(zswap)" = "$1" ]; }

sys_debian_image || { it_fail "Debian guest image"; it_done; }
sys_libvirtd_start || { it_fail "system libvirtd"; it_done; }

# The package, and the .debs of its dependencies the guest image does not have (the
# package chroot's packages less the image's), fetched once into the chroot cache.
t0=$SECONDS
# The suite's package phase (tests/package/run.sh) has just built it in build/deb: used
# when no source is newer, else built here.
deb=$(ls "$IT_ROOT"/build/deb/blimp_*_amd64.deb 2>/dev/null | head -1)
if [ -z "$deb" ] || [ -n "$(cd "$IT_ROOT" && find src packaging debian tools guest Makefile \
	-newer "$deb" -print -quit)" ]; then
	"$IT_ROOT/tests/package/build-deb.sh" "$IT_DIR/deb" >"$IT_DIR/build-deb.out" 2>&1 ||
		{ cat "$IT_DIR/build-deb.out"; it_fail "build the .deb"; it_done; }
	deb=$(ls "$IT_DIR"/deb/blimp_*_amd64.deb)
fi
base=$("$IT_ROOT/tests/package/base-chroot.sh" "$deb") || { it_fail "base chroot"; it_done; }
cache=$(dirname "$base")/debs
mkdir -p "$cache" "$IT_DIR/pkgs"
ls "$SYS_IMG_DIR"/debs/*.deb | sed 's|.*/||; s|_.*||' | sort -u >"$IT_DIR/guest.pkgs"
tar -xOf "$base" ./var/lib/dpkg/status |
	awk '/^Package:/ { p = $2 } /^Status: install ok installed/ { print p }' | sort -u >"$IT_DIR/chroot.pkgs"
# man-db is in the chroot for the package phase's checks, not a dependency
need=$(comm -23 "$IT_DIR/chroot.pkgs" "$IT_DIR/guest.pkgs" | grep -vx man-db)
missing=()
for p in $need; do ls "$cache/${p}_"*.deb >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
	(cd "$cache" && apt-get download -q "${missing[@]}" >"$IT_DIR/download.out" 2>&1) ||
		{ cat "$IT_DIR/download.out"; it_fail "apt-get download ${missing[*]}"; it_done; }
fi
for p in $need; do cp "$cache/${p}_"*.deb "$IT_DIR/pkgs/"; done
cp "$deb" "$IT_DIR/pkgs/"
img=$SYS_DIR/pkgs.img
mke2fs -q -t ext4 -d "$IT_DIR/pkgs" "$img" "$(($(du -sm "$IT_DIR/pkgs" | cut -f1) + 16))M" ||
	{ it_fail "mke2fs of the package disk"; it_done; }
chmod 0644 "$img"
it_log "the .deb and $(echo $need | wc -w) dependencies on a disk ($((SECONDS - t0)) s)"

sys_define "$D" 768 0 || { it_fail "define $D"; it_done; }
sys_virsh attach-disk "$D" "$img" vdb --config --targetbus virtio --driver qemu --subdriver raw \
	--mode readonly >/dev/null || { it_fail "attach the package disk"; it_done; }
sys_start "$D" || { it_fail "start $D"; it_done; }
if boot=$(sys_wait_agent "$D" 240); then it_ok "$D boots ($boot s)"; else it_fail "$D boots"; it_done; fi

G -- mount -o ro /dev/vdb /mnt || { it_fail "mount the package disk"; it_done; }
t0=$SECONDS
if G --timeout 400 -- sh -c 'dpkg --force-unsafe-io --path-exclude="/usr/share/doc/*" \
	--path-exclude="/usr/share/locale/*" -i /mnt/*.deb >/tmp/dpkg.log 2>&1 || { tail -20 /tmp/dpkg.log; exit 1; }'; then
	it_ok "dpkg -i blimp and its dependencies under systemd ($((SECONDS - t0)) s)"
else
	it_fail "dpkg -i"
	it_done
fi
not_started() {
	[ "$(G -- systemctl is-enabled blimpd.service)" = disabled ] &&
		[ "$(G -- systemctl is-active blimpd.service)" = inactive ]
}
it_check "installed, neither enabled nor started" not_started

G -- sh -c 'mkdir -p /etc/blimp/blimpd.conf.d /etc/systemd/system/blimpd.service.d &&
	printf "[blimpd]\nconnect_uri = test:///default\nhost_mem = 256M\nswapfile_size = 64M\n" \
		>/etc/blimp/blimpd.conf.d/test.conf &&
	printf "[Service]\nWatchdogSec=6s\n" >/etc/systemd/system/blimpd.service.d/watchdog.conf &&
	systemctl daemon-reload' || it_fail "test drop-ins"
ksm0=$(ksm_run)
zswap0=$(zswap)
it_log "before: KSM run $ksm0, zswap enabled $zswap0"

# Type=notify: systemctl start returns once blimpd sent READY=1.
if G --timeout 150 -- systemctl start blimpd.service; then
	it_ok "systemctl start blimpd (returned on READY=1)"
else
	it_fail "systemctl start blimpd"
	G -- journalctl -u blimpd --no-pager -n 30
	it_done
fi
it_check "active (running)" [ "$(prop SubState)" = running ]
ls_test() { G -- blimp ls | grep -q '^test .*running'; }
it_check "the control socket serves: blimp ls lists the test driver's domain" ls_test
status_ok() { prop StatusText | grep -q '^1 VMs running, budget 256.0M, host state [a-z]'; }
it_check "STATUS= line" it_wait 20 status_ok
it_log "status: $(prop StatusText)"
# structured events reach the journal from inside the sandbox (AF_UNIX to journald)
adopted_event() { G -- journalctl -q -o cat _SYSTEMD_UNIT=blimpd.service BLIMP_EVENT=vm_adopted | grep -q .; }
it_check "journal event BLIMP_EVENT=vm_adopted" it_wait 10 adopted_event
ksm_is() { [ "$(ksm_run)" = "$1" ]; }
it_check "KSM sysfs written through the hardening (run 1)" it_wait 20 ksm_is 1
it_check "swap file made and swapped on through the hardening" it_wait 30 has_swap
it_check "zswap enabled (/sys/module/zswap)" zswap_is Y
# WatchdogSec=6s: without WATCHDOG=1 pings systemd would kill it within 6 s.
sleep 15
running_no_restart() { [ "$(prop SubState)" = running ] && [ "$(prop NRestarts)" = 0 ]; }
it_check "still running after 15 s with WatchdogSec=6s, no restart" running_no_restart

# An orderly stop restores the host.
it_check "systemctl stop blimpd" G --timeout 150 -- systemctl stop blimpd.service
clean_exit() { [ "$(prop Result)" = success ] && [ "$(prop ExecMainStatus)" = 0 ]; }
it_check "stopped cleanly: Result=success, exit status 0" clean_exit
it_check "KSM run back to $ksm0" ksm_is "$ksm0"
swap_gone() { ! has_swap && ! G -- test -e /var/lib/blimp/swapfile; }
it_check "swap off, swap file removed" swap_gone
it_check "zswap back to $zswap0" zswap_is "$zswap0"

# Restart=on-failure: a SIGKILL (nothing restored) brings a new blimpd, which finds
# what the killed one changed in /var/lib/blimp/host-originals and restores it on stop.
it_check "start again" G --timeout 150 -- systemctl start blimpd.service
it_wait 20 ksm_is 1
it_check "systemctl kill -s KILL" G -- systemctl kill -s KILL blimpd.service
restarted() { [ "$(prop NRestarts)" = 1 ] && [ "$(prop SubState)" = running ]; }
it_check "restarted by Restart=on-failure" it_wait 60 restarted
it_check "stop" G --timeout 150 -- systemctl stop blimpd.service
it_check "the restarted blimpd restored KSM (run $ksm0)" ksm_is "$ksm0"
it_check "and removed the killed one's swap file" swap_gone
if [ "$IT_FAILS" -ne 0 ]; then G -- journalctl -u blimpd --no-pager -n 40; fi
it_done
