#!/bin/bash
# mkdata-img.sh MKDATA OUT_IMG TOTAL_MIB SEED FS_UUID HASH_SEED
# Build the guest's data disk: an ext4 image (mke2fs -d, no root or loop mounts
# needed) whose /files hold TOTAL_MIB of deterministic incompressible content.
# Reproducible: fixed UUID and directory hash seed, E2FSPROGS_FAKE_TIME and fixed
# source mtimes, so two builds are byte-identical.
set -euo pipefail
mkdata=$1 img=$2 mib=$3 seed=$4 uuid=$5 hash_seed=$6
: "${SOURCE_DATE_EPOCH:=1700000000}"

stage="$img.d"
rm -rf "$stage" "$img.tmp"
trap 'rm -rf "$stage" "$stage.debugfs" "$stage.err" "$img.tmp"' EXIT
mkdir -p "$stage"
"$mkdata" "$stage" "$mib" "$seed"
chmod -R u=rwX,go=rX "$stage"
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
# Room for metadata and journal: data + 1/8 + 32 MiB.
size_mib=$((mib + mib / 8 + 32))
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mke2fs -q -F -t ext4 -L blimpdata \
	-U "$uuid" -E "hash_seed=$hash_seed,root_owner=0:0" -m 0 \
	-d "$stage" "$img.tmp" "${size_mib}M" >/dev/null
# mke2fs -d copies each source inode's ctime, which no one can set: pin it with
# debugfs (under the same fake clock, so the superblock stays deterministic too).
(cd "$stage" && find . | sort | sed -e 's|^\.||' -e 's|^$|/|' |
	while IFS= read -r p; do printf 'sif "%s" ctime @%s\n' "$p" "$SOURCE_DATE_EPOCH"; done) >"$stage.debugfs"
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH debugfs -w -f "$stage.debugfs" "$img.tmp" >/dev/null 2>"$stage.err" ||
	{ cat "$stage.err" >&2; exit 1; }
if grep -v '^debugfs ' "$stage.err" | grep -q .; then
	cat "$stage.err" >&2
	exit 1
fi
rm -f "$stage.debugfs" "$stage.err"
mv "$img.tmp" "$img"
