#!/bin/bash
# Runs every unit test binary in DIR; prints one line per binary and a total.
dir=${1:-build/tests}
label=${2:-unit}
pass=0; fail=0
for t in "$dir"/test_*; do
	[ -x "$t" ] || continue
	if out=$("$t" 2>&1); then
		pass=$((pass + 1)); echo "ok   $(basename "$t")"
	else
		fail=$((fail + 1)); echo "FAIL $(basename "$t")"; echo "$out" | tail -30
	fi
done
# The project names runs by date and commit, not by work session.
if out=$("$(dirname "$0")/../scripts/check-wording.sh" 2>&1); then
	pass=$((pass + 1)); echo "ok   check-wording"
else
	fail=$((fail + 1)); echo "FAIL check-wording"; echo "$out" | tail -30
fi
echo "$label: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
