#!/bin/bash
# Free page reporting returns freed guest memory without any balloon target:
# CONSUMED falls within 15 s of the guest freeing 300 MiB.
. "$(dirname "$0")/lib.sh"
it_daemon_start --policy static || exit 1
it_check "guest boots (free page reporting on by default)" it_vm_start f1 --mem 512M
"$BLIMP" exec f1 -- memhog 300 --hold 3 >/dev/null &
hog=$!
high() { [ "$(it_stat f1 consumed)" -ge $((300 * 1024 * 1024)) ]; }
it_check "CONSUMED rises while the guest holds 300 MiB" it_wait 60 high
wait $hog
t0=$SECONDS
low() { [ "$(it_stat f1 consumed)" -le $((150 * 1024 * 1024)) ]; }
it_wait 15 low
rc=$?
it_log "CONSUMED after free: $(( $(it_stat f1 consumed) / 1048576 )) MiB, $((SECONDS - t0)) s"
it_check "CONSUMED fell below 150 MiB within 15 s" [ $rc -eq 0 ]
mctl=$(it_stat f1 mctlsz)
it_check "no balloon was used (MCTLSZ $mctl)" [ "$mctl" -eq 0 ]
it_done
