#!/bin/bash
# collect-modules.sh MODDIR OUTDIR MODULE... : copy MODULEs and everything they need
# from an unpacked kernel tree (MODDIR = .../lib/modules/<release>) into OUTDIR as
# plain .ko files, and write OUTDIR/load.order ("<name> <file>" lines, dependencies
# first) for the guest's /init to insmod one by one.
#
# Hard dependencies come from `modinfo -F depends`, resolved recursively. Soft
# "pre:" dependencies (ext4 -> crypto-crc32c) name aliases: they are looked up in a
# modules.alias that `depmod -b` writes into the (build-cache) tree, preferring a
# *_generic implementation (works on any CPU, including TCG's). Modules built into
# the kernel (modules.builtin) are skipped. .ko.xz/.ko.zst/.ko.gz are decompressed
# here because busybox insmod loads plain ELF objects.
set -euo pipefail

moddir=$1 outdir=$2
shift 2
release=$(basename "$moddir")
root=$(dirname "$(dirname "$(dirname "$moddir")")")

norm() { echo "${1//-/_}"; }

declare -A path_of builtin state
while IFS= read -r f; do
	n=${f##*/}
	n=${n%%.ko*}
	path_of[$(norm "$n")]=$f
done < <(cd "$moddir" && find kernel -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')
if [ -f "$moddir/modules.builtin" ]; then
	while IFS= read -r f; do
		n=${f##*/}
		builtin[$(norm "${n%.ko}")]=1
	done <"$moddir/modules.builtin"
fi
if [ ! -s "$moddir/modules.alias" ]; then
	# Writes only into the unpacked tree under our build cache, never the host's.
	depmod -b "$root" "$release"
fi

resolve_alias() {
	local alias=$1 cands
	cands=$(awk -v a="$alias" '$1 == "alias" && $2 == a { print $3 }' "$moddir/modules.alias")
	[ -n "$cands" ] || return 1
	local c
	for c in $cands; do case $c in *_generic) norm "$c"; return 0 ;; esac; done
	norm "$(echo "$cands" | head -1)"
}

order=()
visit() {
	local name
	name=$(norm "$1")
	case ${state[$name]:-} in loaded | skip) return 0 ;; busy) echo "collect-modules: dependency cycle at $name" >&2; return 1 ;; esac
	if [ -n "${builtin[$name]:-}" ]; then
		state[$name]=skip
		echo "collect-modules: $name is built in" >&2
		return 0
	fi
	local rel=${path_of[$name]:-}
	if [ -z "$rel" ]; then
		local real
		if real=$(resolve_alias "$1"); then
			visit "$real"
			state[$name]=skip
			return 0
		fi
		echo "collect-modules: no module '$1' for $release" >&2
		return 1
	fi
	state[$name]=busy
	# Decompress first: modinfo may lack a decompressor, busybox insmod surely does.
	local ko=$outdir/$name.ko
	case $rel in
	*.ko.xz) xz -dc "$moddir/$rel" >"$ko" ;;
	*.ko.zst) zstd -dcq "$moddir/$rel" >"$ko" ;;
	*.ko.gz) gzip -dc "$moddir/$rel" >"$ko" ;;
	*) cp "$moddir/$rel" "$ko" ;;
	esac
	local deps soft d
	deps=$(modinfo -F depends "$ko" | tr ',' ' ')
	# softdep looks like "pre: a b post: c": keep every name, the order we load in
	# (all before this module) is fine for both.
	soft=$(modinfo -F softdep "$ko" | tr ' ' '\n' | grep -v -e ':$' -e '^$' || true)
	for d in $deps $soft; do visit "$d"; done
	state[$name]=loaded
	order+=("$name")
}

mkdir -p "$outdir"
for m in "$@"; do visit "$m"; done

: >"$outdir/load.order"
for name in "${order[@]}"; do
	echo "$name $name.ko" >>"$outdir/load.order"
done
echo "collect-modules: ${#order[@]} modules: ${order[*]}" >&2
