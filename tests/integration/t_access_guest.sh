#!/bin/bash
# blimp's access collector (src/collect/access.c) on a real kernel that has DAMON:
# inside the built-in guest booted with Debian's 6.12 kernel (Debian 12's 6.1 is built
# without DAMON; on the dev box the host's DAMON is taken by a machine kdamond). A
# process maps 400 MiB, writes all of it, then keeps touching 100 MiB; the collector,
# run against its pid, must estimate 75-125 MiB with DAMON (vaddr), with the
# referenced-bit method (clear_refs + smaps Referenced) and with ESX-style sampling
# (soft-dirty of 100 random pages per window, mean of 12 windows). The guest runs under QEMU
# directly (no libvirt: nothing here needs blimpd), TCG or KVM as the host allows.
. "$(dirname "$0")/lib.sh"

gdir=$IT_ROOT/build/guest-6.12
it_log "building the 6.12 guest in $gdir (cached) and the static probe"
if ! BLIMP_GUEST_DIR=$gdir BLIMP_GUEST_KERNEL=linux-image-6.12-amd64 \
	"$IT_ROOT/guest/build.sh" >"$IT_DIR/guest-build.log" 2>&1; then
	tail -5 "$IT_DIR/guest-build.log"
	it_fail "guest with a DAMON kernel builds"
	it_done
fi
make -s -C "$IT_ROOT" access-probe >"$IT_DIR/probe-build.log" 2>&1
it_check "the static access probe builds" [ -x "$IT_ROOT/build/guest-tools/access_probe" ]
it_check "the guest kernel is built with DAMON sysfs and vaddr" \
	grep -qx 'CONFIG_DAMON_VADDR=y' "$gdir"/cache/kernel/boot/config-*

# The probe goes in as a second cpio appended to the initrd (the kernel unpacks both).
stage=$IT_DIR/stage
mkdir -p "$stage/usr/bin"
install -m 0755 "$IT_ROOT/build/guest-tools/access_probe" "$stage/usr/bin/access_probe"
(cd "$stage" && find . -mindepth 1 | cpio --quiet -o -H newc -R 0:0 | gzip -1) >"$IT_DIR/probe.cpio.gz"
cat "$gdir/initrd.img" "$IT_DIR/probe.cpio.gz" >"$IT_DIR/initrd.img"

args="--alloc-mib 400 --touch-mib 100 --interval-ms 2000 --samples 5"
cmd="echo probe-start; uname -r; ls /sys/kernel/mm/damon/admin/kdamonds;
access_probe --method damon $args; access_probe --method refs $args;
access_probe --method sample --pages 100 --alloc-mib 400 --touch-mib 100 --interval-ms 1000 --samples 12;
echo probe-end; poweroff -f"
hex=$(printf %s "$cmd" | od -An -v -tx1 | tr -d ' \n')
accel=tcg
[ -w /dev/kvm ] && [ ! -e /sys/module/kvm_pvm ] && accel=kvm
it_log "booting (accel $accel)"
start=$SECONDS
timeout -k 5 300 qemu-system-x86_64 -accel $accel -M pc -m 768 -smp 2 -nographic -nodefaults \
	-no-reboot -name "probe,debug-threads=on" \
	-kernel "$gdir/vmlinux" -initrd "$IT_DIR/initrd.img" \
	-append "console=ttyS0 quiet blimp.cmd=$hex" -serial "file:$IT_DIR/console.log" \
	-pidfile "$IT_DIR/qemu.pid" >"$IT_DIR/qemu.out" 2>&1
it_log "guest ran $((SECONDS - start)) s"
grep -E 'access_probe|6\.12' "$IT_DIR/console.log"

it_check "the guest runs a 6.12 kernel" grep -q '^6\.12' "$IT_DIR/console.log"
it_check "the probe ran to the end" grep -q '^probe-end' "$IT_DIR/console.log"
for m in damon clear_refs sample; do
	line=$(grep "^access_probe result method=$m " "$IT_DIR/console.log" | head -1)
	# one window of 100 sampled pages is within 25% only ~85% of the time (binomial):
	# judge sampling by its mean over 12 windows, the others by their median
	key=median
	[ $m = sample ] && key=mean
	mib=$(echo "$line" | sed -n "s/.*${key}_active_mib=\([0-9]*\).*/\1/p")
	it_check "$m: the estimates were made (${line:-no result})" [ -n "$mib" ]
	it_check "$m: 100 MiB touched of 400 MiB estimated at ${mib:-?} MiB (75-125)" \
		[ "${mib:-0}" -ge 75 -a "${mib:-0}" -le 125 ]
done
it_done
