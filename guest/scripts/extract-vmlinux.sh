#!/bin/bash
# extract-vmlinux.sh BZIMAGE OUT: write the uncompressed ELF kernel inside an x86
# bzImage to OUT and check it can boot PVH (QEMU `-kernel vmlinux`).
#
# How: the x86 boot protocol (Documentation/arch/x86/boot.rst) puts setup_sects at
# byte 0x1f1, and payload_offset / payload_length (u32, relative to the protected-mode
# code at (setup_sects+1)*512) at 0x248 / 0x24c. The payload's leading magic names its
# compressor. If the header looks wrong we fall back to scanning for known magics.
set -euo pipefail

in=$1 out=$2

u8() { od -An -t u1 -j "$2" -N 1 "$1" | tr -d ' '; }
u32() { od -An -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }
hexat() { od -An -t x1 -j "$2" -N "$3" "$1" | tr -d ' \n'; }

# decompress_at FILE OFFSET LENGTH(0=to end) -> ELF on stdout, or fail
decompress_at() {
	local f=$1 off=$2 len=$3 magic
	magic=$(hexat "$f" "$off" 6)
	local cut=(tail -c +$((off + 1)) "$f")
	case $magic in
	fd377a585a00*) dec=(xz -dc --single-stream) ;;
	1f8b08*) dec=(gzip -dc) ;;
	28b52ffd*) dec=(zstd -dcq) ;;
	02214c18*) dec=(lz4 -dc) ;;
	425a68*) dec=(bzip2 -dc) ;;
	5d0000*) dec=(xz -dc --format=lzma) ;;
	*) return 1 ;;
	esac
	if [ "$len" -gt 0 ]; then
		"${cut[@]}" | head -c "$len" | "${dec[@]}" 2>/dev/null || true
	else
		# Unknown length: trailing bytes make the tool complain; keep what it wrote.
		"${cut[@]}" | "${dec[@]}" 2>/dev/null || true
	fi
}

is_elf() { [ "$(hexat "$1" 0 4)" = 7f454c46 ]; }

tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
found=
if [ "$(hexat "$in" 514 4)" = 48647253 ]; then # "HdrS": a bzImage
	setup_sects=$(u8 "$in" $((0x1f1)))
	[ "$setup_sects" -eq 0 ] && setup_sects=4
	pm=$(((setup_sects + 1) * 512))
	poff=$(u32 "$in" $((0x248)))
	plen=$(u32 "$in" $((0x24c)))
	if decompress_at "$in" $((pm + poff)) "$plen" >"$tmp" && is_elf "$tmp"; then
		found="header payload at $((pm + poff)), $plen bytes"
	fi
fi
if [ -z "$found" ]; then
	for magic in '\xfd7zXZ\x00' '\x28\xb5\x2f\xfd' '\x1f\x8b\x08' '\x02\x21\x4c\x18' 'BZh' '\x5d\x00\x00'; do
		for off in $(LC_ALL=C grep -obUaP "$magic" "$in" | cut -d: -f1 | head -20); do
			if decompress_at "$in" "$off" 0 >"$tmp" && is_elf "$tmp"; then
				found="scanned payload at $off"
				break 2
			fi
		done
	done
fi
[ -n "$found" ] || { echo "extract-vmlinux: no ELF kernel found in $in" >&2; exit 1; }
# XEN_ELFNOTE_PHYS32_ENTRY (type 18 = 0x12) is what makes the ELF PVH-bootable.
if ! readelf -n "$tmp" | grep -A0 '^ *Xen' | grep -q '(0x00000012)'; then
	echo "extract-vmlinux: $in: ELF has no Xen PVH entry note; QEMU cannot boot it" >&2
	exit 1
fi
mv "$tmp" "$out"
trap - EXIT
echo "extract-vmlinux: $found -> $out"
