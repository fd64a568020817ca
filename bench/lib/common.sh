# shellcheck shell=bash
# Shared helpers for bench/*/run.sh: build, a private blimpd, libvirtd for
# qemu:///system, CPU accounting from /proc, cleanup. Source it, then call
# bench_init NAME. Everything a benchmark starts is stopped by the EXIT trap.
set -uo pipefail
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BLIMP="$BENCH_ROOT/build/blimp"
BLIMPD="$BENCH_ROOT/build/blimpd"
CLK_TCK=$(getconf CLK_TCK)
BENCH_DIR=
BENCH_NAME=
BENCH_DAEMON_PID=
BENCH_STARTED_LIBVIRTD=0
BENCH_WROTE_QEMU_CONF=0
BENCH_URI=
BENCH_ETC_BEFORE=

bench_log() { echo "[$BENCH_NAME] $*" >&2; }
bench_die() {
	bench_log "error: $*"
	exit 1
}

# bench_init NAME: work dir under /var/tmp, cleanup trap.
bench_init() {
	BENCH_NAME=$1
	BENCH_DIR=$(mktemp -d "/var/tmp/bbench-$BENCH_NAME.XXXXXX")
	# QEMU runs as libvirt-qemu and must search down to the state dir
	chmod 711 "$BENCH_DIR"
	export BLIMP_SOCKET="$BENCH_DIR/blimpd.sock"
	export BLIMPD_CONFIG= # never the host's /etc/blimp/blimpd.conf
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

# Build blimpd, blimp and the guest (cached when nothing changed), then run private
# copies: others rebuilding build/ in the same tree must not swap a binary mid-run.
bench_build() {
	bench_log "building (make all guest)"
	if ! make -C "$BENCH_ROOT" -j2 all >"$BENCH_DIR/build.log" 2>&1; then
		tail -5 "$BENCH_DIR/build.log" >&2
		{ [ -x "$BLIMPD" ] && [ -x "$BLIMP" ]; } || bench_die "make all failed"
		bench_log "make all failed (tree mid-edit?): using the binaries already in build/"
	fi
	"$BENCH_ROOT/guest/build.sh" >>"$BENCH_DIR/build.log" 2>&1 ||
		{ tail -20 "$BENCH_DIR/build.log"; bench_die "guest build failed"; }
	mkdir -p "$BENCH_DIR/bin"
	cp "$BLIMPD" "$BLIMP" "$BENCH_DIR/bin/" || bench_die "cannot copy the binaries"
	BLIMPD="$BENCH_DIR/bin/blimpd"
	BLIMP="$BENCH_DIR/bin/blimp"
}

# QEMU under this host's accelerator: TCG where /dev/kvm is kvm_pvm (nested software
# virt) or missing. Only for the table; blimpd decides by itself.
bench_accel() {
	if [ -d /sys/module/kvm_pvm ] || [ ! -c /dev/kvm ]; then echo tcg; else echo kvm; fi
}

# libvirtd for qemu:///system. Started (and later stopped) only if none answers.
# Without systemd there is no virtlogd, so QEMU's stdio must go to a file; a
# missing /etc/libvirt/qemu.conf is written for the run and removed afterwards.
bench_libvirtd_start() {
	BENCH_URI=qemu:///system
	if virsh -c "$BENCH_URI" version >/dev/null 2>&1; then
		bench_log "using the running libvirtd"
		return 0
	fi
	"$BENCH_ROOT/scripts/deps.sh" >/dev/null || bench_die "scripts/deps.sh failed"
	if [ ! -e /etc/libvirt/qemu.conf ]; then
		printf '%s\n' '# written by blimp bench (removed when the benchmark ends)' \
			'user = "root"' 'group = "root"' 'stdio_handler = "file"' >/etc/libvirt/qemu.conf
		BENCH_WROTE_QEMU_CONF=1
	fi
	mkdir -p /var/log/libvirt/qemu
	BENCH_ETC_BEFORE=$(ls -A /etc/libvirt)
	libvirtd -d || bench_die "libvirtd -d failed"
	BENCH_STARTED_LIBVIRTD=1
	local _
	for _ in $(seq 1 50); do
		virsh -c "$BENCH_URI" version >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	bench_die "libvirtd did not answer"
}

bench_libvirtd_pid() { cat /run/libvirtd.pid 2>/dev/null || pgrep -xo libvirtd; }

bench_libvirtd_stop() {
	[ "$BENCH_STARTED_LIBVIRTD" = 1 ] || return 0
	local pid _
	pid=$(bench_libvirtd_pid)
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$pid" 2>/dev/null
	fi
	BENCH_STARTED_LIBVIRTD=0
	# empty directories libvirtd made under /etc/libvirt (nwfilter, secrets, ...)
	local e
	for e in /etc/libvirt/*; do
		grep -qxF "${e##*/}" <<<"$BENCH_ETC_BEFORE" || rmdir "$e" 2>/dev/null
	done
	if [ "$BENCH_WROTE_QEMU_CONF" = 1 ]; then
		rm -f /etc/libvirt/qemu.conf
		BENCH_WROTE_QEMU_CONF=0
	fi
}

# bench_daemon_start [blimpd flags...]: blimpd with state in BENCH_STATE (default
# BENCH_DIR/state), waits for its socket.
bench_daemon_start() {
	local state="${BENCH_STATE:-$BENCH_DIR/state}"
	"$BLIMPD" --state-dir "$state" --socket "$BLIMP_SOCKET" \
		--guest-dir "$BENCH_ROOT/build/guest" "$@" >>"$BENCH_DIR/blimpd.log" 2>&1 &
	BENCH_DAEMON_PID=$!
	local _
	for _ in $(seq 1 100); do
		[ -S "$BLIMP_SOCKET" ] && "$BLIMP" status >/dev/null 2>&1 && return 0
		kill -0 "$BENCH_DAEMON_PID" 2>/dev/null || break
		sleep 0.2
	done
	tail -20 "$BENCH_DIR/blimpd.log" >&2
	bench_die "blimpd did not come up"
}

# Orderly stop (blimpd stops its VMs unless --keep-vms), then the hard way.
# shellcheck disable=SC2120 # arguments are optional (--keep-vms)
bench_daemon_stop() {
	[ -n "$BENCH_DAEMON_PID" ] || return 0
	kill -CONT "$BENCH_DAEMON_PID" 2>/dev/null
	"$BLIMP" shutdown "$@" >/dev/null 2>&1 || kill "$BENCH_DAEMON_PID" 2>/dev/null
	local _
	for _ in $(seq 1 150); do
		kill -0 "$BENCH_DAEMON_PID" 2>/dev/null || break
		sleep 0.2
	done
	kill -9 "$BENCH_DAEMON_PID" 2>/dev/null
	wait "$BENCH_DAEMON_PID" 2>/dev/null
	BENCH_DAEMON_PID=
}

# QEMU processes whose command line names this benchmark's work dir.
bench_qemu_pids() { pgrep -f "qemu-system.*$BENCH_DIR" || true; }

bench_cleanup() {
	local rc=$?
	bench_daemon_stop
	local p
	for p in $(bench_qemu_pids); do kill -9 "$p" 2>/dev/null; done
	# domains of this run still known to a libvirtd we talk to
	if [ -n "$BENCH_URI" ] && [ -n "${BENCH_VM_PREFIX:-}" ]; then
		local d
		for d in $(virsh -c "$BENCH_URI" list --all --name 2>/dev/null | grep "^$BENCH_VM_PREFIX"); do
			virsh -c "$BENCH_URI" destroy "$d" >/dev/null 2>&1
			virsh -c "$BENCH_URI" undefine "$d" >/dev/null 2>&1
		done
	fi
	bench_libvirtd_stop
	if [ -n "${BENCH_KEEP:-}" ]; then
		bench_log "kept $BENCH_DIR"
	else
		rm -rf "$BENCH_DIR"
	fi
	exit "$rc"
}

# Start a VM and wait until its agent answers.
bench_vm_start() {
	local name=$1
	shift
	"$BLIMP" start "$name" "$@" >"$BENCH_DIR/start.$name.out" 2>&1 ||
		{ bench_log "start $name: $(cat "$BENCH_DIR/start.$name.out")"; return 1; }
	bench_wait 180 "$BLIMP" exec "$name" --timeout 10 -- true
}

# bench_wait SECONDS COMMAND...: until COMMAND succeeds.
bench_wait() {
	local t=$1
	shift
	local end=$((SECONDS + t))
	while [ "$SECONDS" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	return 1
}

# CPU time (user+sys, all threads, live and exited) of a process, microseconds.
bench_proc_cpu_us() {
	awk -v hz="$CLK_TCK" '{ sub(/^.*\) /, ""); print int(($12 + $13) * 1000000 / hz) }' \
		"/proc/$1/stat" 2>/dev/null || echo 0
}

# A JSON field of `blimp CMD --json` (dotted path), via python3.
bench_json() {
	local path=$1
	shift
	"$BLIMP" "$@" --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$path"
}

# The tree the binaries were built from (commit, "+dirty" when src/ has changes).
bench_rev() {
	local r
	r=$(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
	git -C "$BENCH_ROOT" diff --quiet HEAD -- src 2>/dev/null || r="$r+dirty"
	echo "$r"
}

# met/missed
bench_verdict() { if [ "$1" = 1 ]; then echo met; else echo missed; fi; }

# bench_vcpu_sampler OUT SECONDS VM...: every 0.5 s, per VM, its vCPU thread's
# schedstat (ns on CPU, ns runnable but waiting for a CPU), a line "t_ms VM run wait":
# under TCG on a shared 2-core host the waiting share swings with other load, and the
# analyses divide it out.
bench_vcpu_sampler() {
	local out=$1 end=$((SECONDS + $2)) vm pid t run wait
	shift 2
	declare -A task
	for vm in "$@"; do
		pid=$(bench_json pid stats "$vm" 2>/dev/null)
		for t in /proc/"$pid"/task/*; do
			[ "$(cat "$t/comm" 2>/dev/null)" = "CPU 0/TCG" ] && task[$vm]=$t
		done
	done
	while [ "$SECONDS" -le "$end" ]; do
		for vm in "${!task[@]}"; do
			read -r run wait _ 2>/dev/null <"${task[$vm]}/schedstat" &&
				echo "$(date +%s%3N) $vm $run $wait"
		done
		sleep 0.5
	done >"$out"
}

bench_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# bench_top_window OUT SECONDS: `blimp top -b` every second for SECONDS into OUT/top.csv,
# and the CPU time ksmd and blimpd took meanwhile into OUT/cpu.txt ("ksmd blimpd
# CLK_TCK": KSM scanning and blimpd's own sampling compete with the vCPU threads).
bench_top_window() {
	local out=$1 secs=$2 ksmd k0 b0
	ksmd=$(pgrep -x ksmd | head -1)
	k0=$(bench_cpu_ticks "${ksmd:-0}") b0=$(bench_cpu_ticks "$BENCH_DAEMON_PID")
	"$BLIMP" top -b -n "$secs" -d 1 >"$out/top.csv" 2>"$out/top.err"
	echo "$(($(bench_cpu_ticks "${ksmd:-0}") - k0)) $(($(bench_cpu_ticks "$BENCH_DAEMON_PID") - b0)) $(getconf CLK_TCK)" >"$out/cpu.txt"
}

# bench_guest_logs OUT LABEL VM...: once each VM's wsloop has ended, its log
# (OUT/wsloop.VM.log), kernel log (OUT/dmesg.VM.log), /proc/vmstat (OUT/vmstat.VM.log:
# oom_kill, the kernel's own count of OOM kills) and, if its QEMU died (the host's
# memcg OOM killer, say), libvirt's reason (OUT/qemu-exit.VM.log).
bench_guest_logs() {
	local out=$1 label=$2 vm
	shift 2
	for vm in "$@"; do
		bench_wait 30 "$BLIMP" exec "$vm" --timeout 30 -- sh -c '! pidof wsloop' ||
			bench_log "$label: $vm still running wsloop"
		"$BLIMP" exec "$vm" --timeout 30 -- sh -c 'cat /tmp/wsloop.log' >"$out/wsloop.$vm.log" 2>&1
		"$BLIMP" exec "$vm" --timeout 30 -- sh -c 'dmesg' >"$out/dmesg.$vm.log" 2>&1
		"$BLIMP" exec "$vm" --timeout 30 -- sh -c 'cat /proc/vmstat' >"$out/vmstat.$vm.log" 2>&1
		grep -h 'shutting down, reason=' "$out/state/libvirt/log/qemu/$vm.log" \
			>"$out/qemu-exit.$vm.log" 2>/dev/null
	done
}
