#!/bin/bash
# guest/build.sh: build blimp's built-in guest from Debian's own packages.
#
# Outputs in $BLIMP_GUEST_DIR (default build/guest):
#   vmlinux      uncompressed ELF kernel (PVH entry note) from linux-image-amd64's package
#   initrd.img   reproducible gzip'd newc cpio: busybox, modules, /init, blimp tools
#   data.img     reproducible ext4 image with ~400 MiB of deterministic random files
#   bin/         the static guest tools (also usable on the host)
#   manifest.txt package versions and sha256 of every output
# Each output carries a key (hash of its inputs) in .keys/; a run that finds every key
# unchanged prints "guest: up to date" and does nothing. Debs are fetched with
# `apt-get download` into cache/ and unpacked with dpkg-deb -x: nothing is installed.
set -euo pipefail
umask 022
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
out=${BLIMP_GUEST_DIR:-$root/build/guest}
cache=$out/cache
keys=$out/.keys
# Fixed timestamps for reproducible images (override to taste; it is part of the keys).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
data_mib=${BLIMP_GUEST_DATA_MIB:-400}
data_seed=${BLIMP_GUEST_DATA_SEED:-20240501}
# Fixed identities so two builds of data.img are byte-identical.
data_uuid=5b1a1b1a-0000-4000-8000-000000000001
data_hash_seed=5b1a1b1a-0000-4000-8000-000000000002
CC=${CC:-gcc}
TOOL_CFLAGS="-static -O2 -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral -D_GNU_SOURCE -ffile-prefix-map=$root/="
modules_wanted="virtio_pci virtio_balloon virtio_blk virtio_console ext4"
# The kernel's meta-package: linux-image-amd64 (Debian 12: 6.1, built without DAMON),
# or e.g. linux-image-6.12-amd64 (6.12, with DAMON) for tests that need a newer kernel.
kmeta=${BLIMP_GUEST_KERNEL:-linux-image-amd64}

log() { echo "guest: $*"; }
die() {
	echo "guest: error: $*" >&2
	exit 1
}
for tool in apt-cache apt-get dpkg-deb cpio gzip mke2fs modinfo depmod readelf sha256sum flock "$CC"; do
	command -v "$tool" >/dev/null || die "missing tool: $tool"
done

mkdir -p "$out" "$cache" "$keys"
# Integration tests may call `make guest` in parallel: one builder at a time.
exec 9>"$out/.lock"
flock 9

# --- what to build from ---------------------------------------------------------
# One apt-cache call (~0.5 s), skipped while apt's package lists are unchanged.
apt_state=$( (echo "$kmeta"; stat -c '%n %Y %s' /var/lib/apt/lists/* 2>/dev/null) | sha256sum | cut -d' ' -f1)
if [ "$(head -1 "$keys/apt" 2>/dev/null)" = "$apt_state" ]; then
	read -r kpkg kver bbver < <(sed -n 2p "$keys/apt")
else
	read -r kpkg kver bbver < <(apt-cache show --no-all-versions "$kmeta" busybox-static 2>/dev/null |
		awk -v meta="$kmeta" '/^Package:/ { p = $2 }
		     p == meta && /^Depends:/ {
			for (i = 2; i <= NF; i++) if ($i ~ /^linux-image-[0-9]/) { k = $i; kv = $(i + 2); sub(/[),].*/, "", kv); break } }
		     p == "busybox-static" && /^Version:/ { b = $2 }
		     END { print k, kv, b }')
	[ -n "${bbver:-}" ] || die "cannot resolve $kmeta / busybox-static (apt-get update?)"
	printf '%s\n%s %s %s\n' "$apt_state" "$kpkg" "$kver" "$bbver" >"$keys/apt"
fi
if [ -z "${kpkg:-}" ] || [ -z "${kver:-}" ] || [ -z "${bbver:-}" ]; then
	die "cannot find the kernel / busybox-static packages"
fi

hash_files() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }
tool_srcs=("$here"/tools/*.c "$here"/tools/*.h)
key_vmlinux=$(echo "$kpkg $kver $(hash_files "$here/scripts/extract-vmlinux.sh")" | sha256sum | cut -d' ' -f1)
key_initrd=$(echo "$kpkg $kver $bbver $SOURCE_DATE_EPOCH $modules_wanted $CC" \
	"$(hash_files "$here/build.sh" "$here/init" "$here/inittab" "$here/scripts/collect-modules.sh" "${tool_srcs[@]}")" |
	sha256sum | cut -d' ' -f1)
key_data=$(echo "$data_mib $data_seed $data_uuid $data_hash_seed $SOURCE_DATE_EPOCH" \
	"$(hash_files "$here/tools/mkdata.c" "$here/tools/toolutil.h" "$here/scripts/mkdata-img.sh")" |
	sha256sum | cut -d' ' -f1)

fresh() { [ -e "$out/$1" ] && [ "$(cat "$keys/$1" 2>/dev/null)" = "$2" ]; }
if fresh vmlinux "$key_vmlinux" && fresh initrd.img "$key_initrd" && fresh data.img "$key_data" &&
	[ -s "$out/manifest.txt" ]; then
	log "up to date"
	exit 0
fi

# --- packages --------------------------------------------------------------------
# fetch PKG VERSION: path of the .deb in the cache, downloading it if needed.
fetch() {
	local pkg=$1 ver=$2 f
	for f in "$cache/${pkg}"_*.deb; do
		[ -e "$f" ] || continue
		if [ "$(dpkg-deb -f "$f" Version)" = "$ver" ]; then
			echo "$f"
			return 0
		fi
		rm -f "$f"
	done
	log "downloading $pkg $ver" >&2
	(cd "$cache" && apt-get download -qq "$pkg=$ver" >/dev/null 2>&1) || die "apt-get download $pkg=$ver failed"
	for f in "$cache/${pkg}"_*.deb; do
		[ -e "$f" ] && { echo "$f"; return 0; }
	done
	die "downloaded $pkg but no .deb in $cache"
}
# unpack DEB DIR: dpkg-deb -x into DIR once per .deb.
unpack() {
	if [ "$(cat "$2.from" 2>/dev/null)" != "$(basename "$1")" ]; then
		rm -rf "$2" "$2.from"
		dpkg-deb -x "$1" "$2"
		basename "$1" >"$2.from"
	fi
}
kdeb=$(fetch "$kpkg" "$kver")
bbdeb=$(fetch busybox-static "$bbver")
unpack "$kdeb" "$cache/kernel"
unpack "$bbdeb" "$cache/busybox"
krel=$(find "$cache/kernel/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | head -1)
[ -n "$krel" ] || die "no lib/modules in $kdeb"

# --- vmlinux ---------------------------------------------------------------------
if ! fresh vmlinux "$key_vmlinux"; then
	log "extracting vmlinux from $kpkg $kver"
	"$here/scripts/extract-vmlinux.sh" "$cache/kernel/boot/vmlinuz-$krel" "$out/vmlinux"
	echo "$key_vmlinux" >"$keys/vmlinux"
fi

# --- tools -----------------------------------------------------------------------
build_tools() {
	mkdir -p "$out/bin"
	local t extra
	for t in agent memhog wsloop fileread memcheck; do
		extra=
		[ $t = agent ] && extra=$here/tools/agent_proto.c
		# shellcheck disable=SC2086
		$CC $TOOL_CFLAGS -o "$out/bin/$t.tmp" "$here/tools/$t.c" $extra
		mv "$out/bin/$t.tmp" "$out/bin/$t"
	done
	mv "$out/bin/agent" "$out/bin/blimp-agent"
}

# --- initrd ----------------------------------------------------------------------
if ! fresh initrd.img "$key_initrd"; then
	log "building tools"
	build_tools
	log "building initrd.img (kernel $krel, busybox $bbver)"
	stage=$out/initrd-root
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,sys,tmp,run,data,lib/modules,root}
	chmod 1777 "$stage/tmp"
	install -m 0755 "$cache/busybox/bin/busybox" "$stage/bin/busybox"
	# Applet links where busybox says each applet lives (bin/sh, sbin/insmod, ...).
	"$stage/bin/busybox" --list-full | while read -r applet; do
		[ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
	done
	install -m 0755 "$here/init" "$stage/init"
	install -m 0644 "$here/inittab" "$stage/etc/inittab"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
	printf 'root:x:0:\n' >"$stage/etc/group"
	install -m 0755 "$out/bin/blimp-agent" "$stage/sbin/blimp-agent"
	for t in memhog wsloop fileread memcheck; do
		install -m 0755 "$out/bin/$t" "$stage/usr/bin/$t"
	done
	# shellcheck disable=SC2086
	"$here/scripts/collect-modules.sh" "$cache/kernel/lib/modules/$krel" "$stage/lib/modules" $modules_wanted
	chmod 0644 "$stage"/lib/modules/*
	# The kernel opens /dev/console for init before /init runs; mknod needs root,
	# without it /init reopens the console from devtmpfs.
	if [ "$(id -u)" = 0 ]; then
		mknod -m 0600 "$stage/dev/console" c 5 1
	fi
	find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	(cd "$stage" && find . -mindepth 1 -print0 | sort -z |
		cpio --quiet --null -o -H newc --reproducible -R 0:0) | gzip -9n >"$out/initrd.img.tmp"
	mv "$out/initrd.img.tmp" "$out/initrd.img"
	rm -rf "$stage"
	echo "$key_initrd" >"$keys/initrd.img"
fi

# --- data.img --------------------------------------------------------------------
if ! fresh data.img "$key_data"; then
	log "building data.img ($data_mib MiB of files)"
	mkdir -p "$out/bin"
	# shellcheck disable=SC2086
	$CC $TOOL_CFLAGS -o "$out/bin/mkdata" "$here/tools/mkdata.c"
	"$here/scripts/mkdata-img.sh" "$out/bin/mkdata" "$out/data.img" "$data_mib" "$data_seed" \
		"$data_uuid" "$data_hash_seed"
	echo "$key_data" >"$keys/data.img"
fi

# --- manifest --------------------------------------------------------------------
log "writing manifest.txt"
{
	echo "# blimp built-in guest (guest/build.sh)"
	echo "kernel_package $kpkg $kver"
	echo "kernel_release $krel"
	echo "busybox_package busybox-static $bbver"
	echo "source_date_epoch $SOURCE_DATE_EPOCH"
	echo "modules $(cut -d' ' -f1 <(gzip -dc "$out/initrd.img" | cpio --quiet -i --to-stdout lib/modules/load.order) | tr '\n' ' ')"
	echo "data_files_mib $data_mib seed $data_seed"
	(cd "$out" && sha256sum vmlinux initrd.img data.img bin/*) | awk '{ print "sha256 " $2 " " $1 }'
} >"$out/manifest.txt.tmp"
mv "$out/manifest.txt.tmp" "$out/manifest.txt"
log "done: $out"
