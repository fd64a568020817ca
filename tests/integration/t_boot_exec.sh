#!/bin/bash
# The built-in guest boots under blimp; `blimp exec` returns the guest command's output
# and exit status; `blimp ls` and `blimp status` show it; stop removes the QEMU process.
. "$(dirname "$0")/lib.sh"
it_daemon_start || exit 1
it_check "guest boots and its agent answers" it_vm_start vm1 --mem 256M
out=$("$BLIMP" exec vm1 -- echo hello-from-guest)
it_check "exec prints the guest's output" [ "$out" = "hello-from-guest" ]
"$BLIMP" exec vm1 -- sh -c 'echo out; exit 3' >/dev/null
it_check "exec exits with the guest command's status (3)" [ $? -eq 3 ]
kernel=$("$BLIMP" exec vm1 -- uname -r)
it_check "guest runs the Debian kernel ($kernel)" grep -q "$kernel" "$IT_ROOT/build/guest/manifest.txt"
it_check "ls lists the VM" bash -c "'$BLIMP' ls | grep -qw vm1"
it_check "status names the accelerator" bash -c "'$BLIMP' status | grep -Eqi 'accel.*(tcg|kvm)'"
pid=$(it_qemu_pid vm1)
it_check "a QEMU process runs for vm1" [ -n "$pid" ]
it_check "stop succeeds" "$BLIMP" stop vm1
it_check "QEMU process gone after stop" it_wait 20 bash -c "! kill -0 $pid 2>/dev/null"
it_check "start again with the same name works" it_vm_start vm1 --mem 256M
it_daemon_stop
it_check "daemon stop leaves no QEMU behind" [ -z "$(it_qemu_pids)" ]
it_done
