#!/bin/bash
# `blimp stats --json` carries every vocabulary key, and the guest figures match the
# guest's own /proc/meminfo (read through the agent) within 2%.
. "$(dirname "$0")/lib.sh"
it_daemon_start --policy static || exit 1
it_check "guest boots" it_vm_start s1 --mem 512M
sleep 3 # let a stats period pass after boot
"$BLIMP" exec s1 -- cat /proc/meminfo >"$IT_DIR/meminfo"
"$BLIMP" stats s1 --json >"$IT_DIR/stats.json"
it_check "stats --json is valid JSON" python3 -c "import json; json.load(open('$IT_DIR/stats.json'))"
for k in memsz consumed ovhd mctl mctlsz mctltgt mctlmax shrd zero swcur swtgt actv actvs actvf \
	guest_free guest_available guest_caches guest_total stats_age_ms; do
	it_check "key $k present" python3 -c "import json,sys; sys.exit(0 if '$k' in json.load(open('$IT_DIR/stats.json')) else 1)"
done
cmp_meminfo() { # json key, meminfo field
	python3 - "$IT_DIR/stats.json" "$IT_DIR/meminfo" "$1" "$2" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
mi = {l.split(':')[0]: int(l.split()[1]) * 1024 for l in open(sys.argv[2]) if ':' in l}
a, b = st[sys.argv[3]], mi[sys.argv[4]]
tol = 0.02 * max(b, 0.1 * mi['MemTotal'])
print(f"    {sys.argv[3]}={a} /proc {sys.argv[4]}={b} diff={abs(a-b)} tol={int(tol)}")
sys.exit(0 if abs(a - b) <= tol else 1)
PY
}
it_check "guest_total matches MemTotal" cmp_meminfo guest_total MemTotal
it_check "guest_free matches MemFree" cmp_meminfo guest_free MemFree
it_check "guest_available matches MemAvailable" cmp_meminfo guest_available MemAvailable
it_check "guest_caches matches Cached" cmp_meminfo guest_caches Cached
age=$(it_stat s1 stats_age_ms)
it_check "stats are fresh (age $age ms)" [ "$age" -lt 5000 ]
it_check "text stats name the vocabulary" bash -c "'$BLIMP' stats s1 | grep -q CONSUMED && '$BLIMP' stats s1 | grep -q MCTLMAX"
it_done
