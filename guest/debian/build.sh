#!/bin/bash
# Builds the "operator's" guest: a plain Debian 12 (bookworm) systemd system made with
# mmdebstrap from Debian's packages only, as an operator would run under libvirt.
#
# Outputs (in $BLIMP_DEBIAN_DIR, default /var/cache/blimp/debian-guest, outside the
# repository so fresh clones on the same machine share one build):
#   rootfs.raw   sparse raw ext4 filesystem (no partition table), root=/dev/vda
#   vmlinuz      the image's own kernel, for libvirt direct kernel boot
#   initrd.img   the image's own initramfs (virtio_pci, virtio_blk, ext4, ... included)
#   manifest.txt inputs, package versions, sizes, sha256 of the outputs
#   key          hash of the inputs the current outputs were built from
#
# Never modify rootfs.raw from a test: give each domain a qcow2 overlay
# (qemu-img create -f qcow2 -b rootfs.raw -F raw overlay.qcow2).
#
# Cached: the key is a hash of this script and the candidate versions of the packages
# (apt-cache policy). Resolving versions costs about a second, so a stamp of the apt
# lists' mtimes plus this script's hash short-cuts it: unchanged input prints
# "debian-guest: up to date" in a few milliseconds.
#
# Environment: BLIMP_DEBIAN_DIR, SOURCE_DATE_EPOCH (default 1700000000),
# BLIMP_DEBIAN_SIZE_MIB (filesystem size, default 2048), BLIMP_DEBIAN_FORCE=1 to rebuild,
# BLIMP_DEBIAN_KEEP=1 to keep the work tree (the unpacked root) for debugging.
set -euo pipefail

OUT=${BLIMP_DEBIAN_DIR:-/var/cache/blimp/debian-guest}
SIZE_MIB=${BLIMP_DEBIAN_SIZE_MIB:-2048}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
SUITE=bookworm
VARIANT=apt
# What the guest runs. udev is listed because systemd's device units (the agent's
# virtio port, the serial getty) depend on it and mmdebstrap installs no Recommends.
PKGS=(systemd-sysv udev linux-image-amd64 initramfs-tools kmod qemu-guest-agent
	stress-ng procps util-linux e2fsprogs)
INITRD_MODULES=(virtio_pci virtio_blk virtio_balloon virtio_console ext4)
SELF=$(readlink -f "${BASH_SOURCE[0]}")

log() { echo "debian-guest: $*"; }
die() { echo "debian-guest: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (mmdebstrap root mode, mke2fs -d of a root-owned tree)"
command -v mmdebstrap >/dev/null || die "mmdebstrap missing (scripts/deps.sh installs it)"
mkdir -p "$OUT"

# One build at a time; a second caller waits and then finds the outputs up to date.
exec 9>"$OUT/.lock"
flock 9

outputs_present() { [ -s "$OUT/rootfs.raw" ] && [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.img" ] && [ -s "$OUT/key" ]; }

# The fast path: nothing in apt's lists or this script changed since the last check.
stamp() {
	{
		sha256sum "$SELF"
		echo "$SIZE_MIB $SOURCE_DATE_EPOCH $SUITE $VARIANT ${PKGS[*]} ${INITRD_MODULES[*]}"
		stat -c '%n %Y %s' /var/lib/apt/lists/*_Packages* 2>/dev/null || true
	} | sha256sum | cut -d' ' -f1
}
STAMP=$(stamp)
if [ -z "${BLIMP_DEBIAN_FORCE:-}" ] && outputs_present && [ "$(cat "$OUT/.stamp" 2>/dev/null)" = "$STAMP" ]; then
	log "up to date ($OUT)"
	exit 0
fi

# The real key: this script plus the versions apt would install now.
versions() {
	apt-cache policy "${PKGS[@]}" | awk '/^[^ ]/ {p=$1} /Candidate:/ {print p, $2}'
}
VERSIONS=$(versions)
if grep -q '(none)' <<<"$VERSIONS"; then
	die "packages without a candidate (apt-get update?): $(grep '(none)' <<<"$VERSIONS" | tr '\n' ' ')"
fi
KEY=$( { sha256sum "$SELF" | cut -d' ' -f1; echo "$SIZE_MIB $SOURCE_DATE_EPOCH $SUITE $VARIANT ${INITRD_MODULES[*]}"; echo "$VERSIONS"; } | sha256sum | cut -d' ' -f1)
if [ -z "${BLIMP_DEBIAN_FORCE:-}" ] && outputs_present && [ "$(cat "$OUT/key")" = "$KEY" ]; then
	echo "$STAMP" >"$OUT/.stamp"
	log "up to date ($OUT)"
	exit 0
fi

# The host's own apt sources (deb822 or one-line files) become the guest's, so the
# build uses the same archive the host already reaches and no host name is written here.
SOURCES=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] && grep -qE '^[[:space:]]*(deb|Types:)' "$f" && SOURCES+=("$f")
done
[ "${#SOURCES[@]}" -gt 0 ] || die "no apt sources on the host"

WORK=$(mktemp -d "$OUT/.build.XXXXXX")
cleanup() {
	# mmdebstrap unmounts what it mounted; make sure nothing is left before rm -rf.
	local m
	for m in $(awk -v w="$WORK" '$2 ~ "^"w {print $2}' /proc/mounts | sort -r); do umount -l "$m" || true; done
	if [ -n "${BLIMP_DEBIAN_KEEP:-}" ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
ROOT="$WORK/root"
start=$SECONDS
log "building from: ${SOURCES[*]}"
log "$(tr '\n' ' ' <<<"$VERSIONS")"

# The customize hook runs inside mmdebstrap (root mode: /proc, /sys, /dev are mounted in
# the chroot), after all packages are installed. $1 is the chroot.
HOOK="$WORK/customize.sh"
cat >"$HOOK" <<'HOOK_EOF'
#!/bin/bash
set -euo pipefail
R=$1

echo blimp-guest >"$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 blimp-guest\n' >"$R/etc/hosts"
# No fsck pass: the root is a fresh overlay every boot, and fsck under TCG is slow.
printf '/dev/vda / ext4 rw,noatime,errors=remount-ro 0 0\n' >"$R/etc/fstab"
# Empty machine-id: systemd makes a transient one per boot, so clones differ.
: >"$R/etc/machine-id"
rm -f "$R/var/lib/dbus/machine-id"
# Root without password on the serial console only, for debugging a stuck guest.
chroot "$R" passwd -d root >/dev/null

# Boot fast: nothing here has a network, and timers would add noise under the test.
for u in systemd-networkd-wait-online.service networking.service \
	apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service \
	man-db.timer man-db.service e2scrub_all.timer e2scrub_reap.service e2scrub_all.service \
	fstrim.timer dpkg-db-backup.timer logrotate.timer systemd-tmpfiles-clean.timer \
	systemd-timesyncd.service remote-fs.target cryptsetup.target \
	systemd-pstore.service; do
	chroot "$R" systemctl mask "$u" >/dev/null 2>&1 || true
done
chroot "$R" systemctl enable qemu-guest-agent.service >/dev/null 2>&1 || true
# The journal in RAM only: less I/O under TCG, and the overlay stays small.
mkdir -p "$R/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=32M\n' >"$R/etc/systemd/journald.conf.d/blimp.conf"

# Workload: blimp-stress@SIZE_MIB maps SIZE MiB, touches every page (populate, then
# a verified write/read pass), keeps it, and exits 0 when done. Result is in the
# journal and in /run/blimp-stress@SIZE.result ("<SERVICE_RESULT> <EXIT_STATUS>").
cat >"$R/etc/systemd/system/blimp-stress@.service" <<'EOF'
[Unit]
Description=blimp workload: touch %i MiB with stress-ng and finish
[Service]
Type=exec
ExecStartPre=-/bin/rm -f /run/blimp-stress@%i.result
ExecStart=/usr/bin/stress-ng --vm 1 --vm-bytes %iM --vm-keep --vm-populate --vm-method zero-one --verify --vm-ops 2 --timeout 600s --metrics-brief
ExecStopPost=/bin/sh -c 'echo "$SERVICE_RESULT $EXIT_STATUS" >/run/blimp-stress@%i.result'
StandardOutput=journal
StandardError=journal
EOF

# Page cache: blimp-cache@SIZE_MIB writes SIZE MiB of random data to /var/tmp (created
# at test time, so the image stays small) and reads it back, leaving it cached.
cat >"$R/etc/systemd/system/blimp-cache@.service" <<'EOF'
[Unit]
Description=blimp workload: fill %i MiB of page cache
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'f=/var/tmp/blimp-cache-%i.bin; [ -s $f ] || head -c %iM /dev/urandom >$f; cat $f >/dev/null; echo "cached $(du -m $f | cut -f1) MiB"'
StandardOutput=journal
EOF

# Clear what the build leaves behind that a boot does not need.
rm -rf "$R/var/cache/apt/"*.bin "$R/var/lib/apt/lists/"* "$R/var/log/"*.log
HOOK_EOF
chmod +x "$HOOK"

# Before the kernel is installed (its postinst builds the initramfs, once): the modules a
# virtio disk with ext4 needs, in files initramfs-tools reads but does not own as conffiles.
printf '#!/bin/sh\nset -e\nmkdir -p "$1/usr/share/initramfs-tools/modules.d" "$1/etc/initramfs-tools/conf.d"\nprintf "%%s\\n" %s >"$1/usr/share/initramfs-tools/modules.d/blimp"\necho COMPRESS=gzip >"$1/etc/initramfs-tools/conf.d/blimp"\n' \
	"${INITRD_MODULES[*]}" >"$WORK/initramfs-conf.sh"
chmod +x "$WORK/initramfs-conf.sh"
# .debs are kept between builds, so only a version change downloads anything.
DEBS="$OUT/debs"
mkdir -p "$DEBS"

# --variant=apt: essential packages + apt, then exactly what PKGS pulls in.
mmdebstrap --quiet --mode=root --variant="$VARIANT" --format=directory \
	--include="$(IFS=,; echo "${PKGS[*]}")" \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
	--skip=essential/unlink --hook-dir=/usr/share/mmdebstrap/hooks/eatmydata \
	--setup-hook="mkdir -p \"\$1/var/cache/apt/archives/\"" \
	--setup-hook="sync-in '$DEBS' /var/cache/apt/archives/" \
	--essential-hook="$WORK/initramfs-conf.sh \"\$1\"" \
	--customize-hook="sync-out /var/cache/apt/archives '$DEBS'" \
	--customize-hook="$HOOK \"\$1\"" \
	"$SUITE" "$ROOT" "${SOURCES[@]}" >"$WORK/mmdebstrap.log" 2>&1 ||
	{ tail -30 "$WORK/mmdebstrap.log" >&2; die "mmdebstrap failed"; }
log "mmdebstrap done in $((SECONDS - start)) s"

kver=$(ls "$ROOT/lib/modules" | sort -V | tail -1)
[ -f "$ROOT/boot/vmlinuz-$kver" ] && [ -f "$ROOT/boot/initrd.img-$kver" ] || die "no kernel/initrd for $kver"
# (Listed to a file first: grep -q closing the pipe early fails it under pipefail.)
chroot "$ROOT" lsinitramfs "/boot/initrd.img-$kver" >"$WORK/initrd.list"
for m in virtio_blk virtio_pci ext4; do
	grep -q "/$m\.ko" "$WORK/initrd.list" ||
		grep -qw "$m" "$ROOT/lib/modules/$kver/modules.builtin" || die "initrd lacks $m"
done
cp "$ROOT/boot/vmlinuz-$kver" "$WORK/vmlinuz"
cp "$ROOT/boot/initrd.img-$kver" "$WORK/initrd.img"

# ext4 straight from the tree (no loop mount). Fixed UUID, hash seed and time make
# the filesystem metadata repeatable.
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mke2fs -q -t ext4 -L blimproot \
	-U 6c0e3b1a-8d0b-4b6e-9c7a-b11f00d0cafe -E hash_seed=1f0ad3c2-5a5e-4c4e-9b1b-b11f00d0cafe,root_owner=0:0 \
	-d "$ROOT" "$WORK/rootfs.raw" "${SIZE_MIB}M"

{
	echo "suite $SUITE variant $VARIANT source_date_epoch $SOURCE_DATE_EPOCH"
	echo "kernel $kver"
	echo "initrd_modules ${INITRD_MODULES[*]}"
	echo "$VERSIONS"
	echo "rootfs_used_mib $(du -m "$WORK/rootfs.raw" | cut -f1) size_mib $SIZE_MIB"
	(cd "$WORK" && sha256sum vmlinuz initrd.img)
} >"$WORK/manifest.txt"

# Replace the outputs only now, so a failed build leaves the previous one usable.
for f in rootfs.raw vmlinuz initrd.img manifest.txt; do mv -f "$WORK/$f" "$OUT/$f"; done
echo "$KEY" >"$OUT/key"
echo "$STAMP" >"$OUT/.stamp"
log "built $kver in $((SECONDS - start)) s -> $OUT"
