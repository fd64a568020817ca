#!/bin/bash
# The daemon stopping leaves no QEMU behind unless told to keep VMs; a daemon started
# again finds VMs that kept running, also after SIGKILL.
. "$(dirname "$0")/lib.sh"
it_daemon_start --policy static || exit 1
it_check "guest boots" it_vm_start r1 --mem 256M
pid=$(it_qemu_pid r1)
it_daemon_stop --keep-vms
it_check "with --keep-vms the QEMU process survives" kill -0 "$pid"
it_daemon_start --policy static || exit 1
it_check "restarted daemon lists the VM" bash -c "'$BLIMP' ls | grep -qw r1"
it_check "exec works after restart" it_wait 30 "$BLIMP" exec r1 -- true
kill -9 "$IT_DAEMON_PID"; wait "$IT_DAEMON_PID" 2>/dev/null; IT_DAEMON_PID=
it_check "after SIGKILL the QEMU process survives" kill -0 "$pid"
it_daemon_start --policy static || exit 1
it_check "daemon restarted after SIGKILL finds the VM" bash -c "'$BLIMP' ls | grep -qw r1"
it_check "stats flow again" it_wait 30 bash -c "[ \$('$BLIMP' stats r1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"stats_age_ms\"])') -lt 5000 ]"
it_daemon_stop
it_check "plain stop leaves no QEMU behind" it_wait 20 bash -c "! kill -0 $pid 2>/dev/null"
it_done
