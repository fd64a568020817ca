#!/bin/bash
# Runs every tests/integration/t_*.sh (or those matching $ONLY) with a time limit each.
cd "$(dirname "$0")"
pass=0
fail=0
for t in t_*.sh; do
	case "$t" in ${ONLY:-*}) ;; *) continue ;; esac
	start=$SECONDS
	if timeout -k 10 "${IT_TIMEOUT:-900}" bash "$t"; then
		pass=$((pass + 1))
		echo "ok   $t ($((SECONDS - start)) s)"
	else
		fail=$((fail + 1))
		echo "FAIL $t ($((SECONDS - start)) s)"
	fi
done
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
