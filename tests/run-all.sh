#!/bin/bash
# The whole test suite: setup, build, unit tests (plain and ASan/UBSan), fuzz smoke,
# integration tests on real libvirt + QEMU guests. Ends with "N passed, N failed".
# Env: SKIP_INTEGRATION=1, SKIP_FUZZ=1, SKIP_PACKAGE=1, FUZZ_SECONDS (default 5), ONLY=<glob> for
# integration tests.
set -uo pipefail
cd "$(dirname "$0")/.."
total_pass=0
total_fail=0
log_dir=build/test-logs
mkdir -p "$log_dir"

phase() { # name, command...: runs it, reads its "name: N passed, N failed" line
	local name=$1
	shift
	echo "=== $name"
	local out="$log_dir/$name.log"
	"$@" 2>&1 | tee "$out"
	local rc=${PIPESTATUS[0]}
	local line
	line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "$out" | tail -1)
	if [ -n "$line" ]; then
		local p f
		p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\1/')
		f=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\2/')
		total_pass=$((total_pass + p))
		total_fail=$((total_fail + f))
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then total_fail=$((total_fail + 1)); fi
	elif [ "$rc" -eq 0 ]; then
		total_pass=$((total_pass + 1))
	else
		total_fail=$((total_fail + 1))
	fi
}

# The Debian guest of the operator tests is built here (minutes on a clean machine, cached
# after), not inside a test, whose time limit it would eat.
phase setup bash -c 'scripts/deps.sh && make -j2 all && make -j2 guest &&
	{ [ "${SKIP_INTEGRATION:-0}" = 1 ] || make debian-guest; }'
phase unit make -j2 unit
phase asan make -j2 SAN=1 unit
if [ "${SKIP_FUZZ:-0}" != 1 ] && [ -x tests/fuzz/run.sh ]; then
	phase fuzz env FUZZ_SECONDS="${FUZZ_SECONDS:-5}" tests/fuzz/run.sh
fi
# The Debian package: builds, lintian, installs in a chroot, unit, man pages (~1 min).
if [ "${SKIP_PACKAGE:-0}" != 1 ]; then
	phase package tests/package/run.sh
fi
if [ "${SKIP_INTEGRATION:-0}" != 1 ]; then
	phase integration tests/integration/run.sh
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
