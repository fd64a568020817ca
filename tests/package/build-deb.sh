#!/bin/bash
# Build blimp's .deb with dpkg-buildpackage in a copy of the tree (the tree stays
# clean, uncommitted changes included): tests/package/build-deb.sh OUTDIR
# leaves OUTDIR/blimp_*.deb, .changes, .buildinfo and build.log.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
work=$(mktemp -d /tmp/blimp-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/blimp"
# the sources only: no build outputs, no git metadata
tar -C "$root" --exclude=./build --exclude='./build-*' --exclude=./.git --exclude=./demo \
	-cf - . | tar -C "$work/blimp" -xf -
rm -f "$out"/blimp_* "$out"/blimp-dbgsym_*
if ! (cd "$work/blimp" && dpkg-buildpackage -us -uc -b -j2) >"$out/build.log" 2>&1; then
	tail -30 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
fi
mv "$work"/blimp_* "$work"/blimp-dbgsym_* "$out"/ 2>/dev/null || true
ls "$out"/blimp_*.deb
