#!/bin/bash
# tests/package/base-chroot.sh DEB: print the path of a cached tarball of a minimal
# Debian chroot (mmdebstrap minbase plus DEB's Depends, plus systemd and man-db, so the
# unit and its man: links can be checked in it), building it first if needed (~40 s).
# Cached in $BLIMP_PKG_CACHE (default /var/cache/blimp/package-chroot), keyed on the
# package list, the host's apt sources and the versions apt would install; older
# tarballs are removed. The host's apt sources become the chroot's, so no archive host
# name is written here.
set -euo pipefail
deb=$1
cache=${BLIMP_PKG_CACHE:-/var/cache/blimp/package-chroot}
mkdir -p "$cache"
suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/(.*)//; s/|.*//; s/ //g' | grep .)
pkgs=$(printf '%s\n' $depends systemd man-db | sort -u | paste -sd,)
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] && grep -qE '^[[:space:]]*(deb|Types:)' "$f" && sources+=("$f")
done
[ "${#sources[@]}" -gt 0 ] || { echo "base-chroot: no apt sources on the host" >&2; exit 1; }
key=$({
	echo "$suite $pkgs"
	cat "${sources[@]}"
	apt-cache policy ${pkgs//,/ } 2>/dev/null | awk '/^[^ ]/ { p = $1 } /Candidate:/ { print p, $2 }'
} | sha256sum | cut -c1-16)
base=$cache/base-$key.tar
exec 9>"$cache/.lock"
flock 9
if [ ! -s "$base" ]; then
	echo "base-chroot: building $base ($pkgs)" >&2
	log=$cache/mmdebstrap.log
	if ! mmdebstrap --quiet --mode=root --variant=minbase --format=tar --include="$pkgs" \
		--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
		--skip=essential/unlink --hook-dir=/usr/share/mmdebstrap/hooks/eatmydata \
		"$suite" "$base.tmp" "${sources[@]}" >"$log" 2>&1; then
		tail -20 "$log" >&2
		rm -f "$base.tmp"
		echo "base-chroot: mmdebstrap failed (log: $log)" >&2
		exit 1
	fi
	mv "$base.tmp" "$base"
	find "$cache" -maxdepth 1 -name 'base-*.tar' ! -name "base-$key.tar" -delete
fi
echo "$base"
