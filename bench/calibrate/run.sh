#!/bin/bash
# bench/calibrate: the demo's 4-VM scenario for real (`blimp demo`, TCG or KVM, its own
# blimpd and guests) and in the simulator with the model's parameters measured from
# that run, then the per-VM CONSUMED timelines compared (calib.py: parameters and how
# each was measured, a table, RESULT calib_err_max_pct=... calib_err_mean_pct=..., and
# a gnuplot PNG of real vs simulated CONSUMED per VM).
# While the demo runs, poll.py records blimpd's `top` every 0.5 s (boot and page-cache
# fill included, which the demo's timeline leaves out) into the run's top.jsonl.
# Env: CAL_REAL=DIR reuse a real run (a `blimp demo --out` directory, top.jsonl
# optional) instead of running the demo; CAL_SECONDS (120), CAL_VMS (4), CAL_WS_MIB
# (300): the demo's options; CAL_PNG (docs/calibration.png); CAL_SIM_FLAGS (extra
# `blimp sim` flags, e.g. --host-swap-eager for the old model); BENCH_KEEP=1 keeps
# the work dir.
# shellcheck source=bench/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
bench_init calibrate
HERE=$(cd "$(dirname "$0")" && pwd)
SECS=${CAL_SECONDS:-120}
NVMS=${CAL_VMS:-4}
WS_MIB=${CAL_WS_MIB:-300}
PNG=${CAL_PNG:-$BENCH_ROOT/docs/calibration.png}
POLL_PID=
DEMO_PID=
KEEP=

cal_stop_children() {
	if [ -n "$DEMO_PID" ]; then
		# the demo shuts its blimpd and VMs down on SIGTERM
		kill -TERM "$DEMO_PID" 2>/dev/null
		wait "$DEMO_PID" 2>/dev/null
		DEMO_PID=
	fi
	if [ -n "$POLL_PID" ]; then
		kill -TERM "$POLL_PID" 2>/dev/null
		wait "$POLL_PID" 2>/dev/null
		POLL_PID=
	fi
}
trap 'cal_rc=$?; cal_stop_children; (exit $cal_rc); bench_cleanup' EXIT

bench_build
if [ -n "${CAL_REAL:-}" ]; then
	REAL=$(cd "$CAL_REAL" && pwd) || bench_die "CAL_REAL=$CAL_REAL: no such directory"
	bench_log "using the real run in $REAL"
else
	# a short directory: the demo's socket path must fit a unix socket
	REAL="$BENCH_DIR/real"
	mkdir -p "$REAL"
	bench_log "real run: blimp demo --seconds $SECS --vms $NVMS --ws $WS_MIB ($(bench_accel); ~3-4 min)"
	"$BLIMP" demo --out "$REAL" --seconds "$SECS" --vms "$NVMS" --ws "$WS_MIB" --no-top \
		--guest-dir "$BENCH_ROOT/build/guest" >"$REAL/demo.out" 2>&1 &
	DEMO_PID=$!
	python3 "$HERE/poll.py" "$REAL/blimpd.sock" "$REAL/top.jsonl" "$REAL/poll.stop" 0.5 &
	POLL_PID=$!
	wait "$DEMO_PID"
	rc=$?
	DEMO_PID=
	: >"$REAL/poll.stop"
	wait "$POLL_PID" 2>/dev/null
	POLL_PID=
	tail -20 "$REAL/demo.out" >&2
	[ -s "$REAL/timeline.csv" ] || bench_die "the demo wrote no timeline (exit $rc)"
	# whatever the demo left behind (it stops its own; this is the safety net)
	for p in $(pgrep -f "qemu-system.*$REAL" || true); do kill -9 "$p" 2>/dev/null; done
	grep -q "$REAL" /proc/swaps && swapoff "$REAL/state/swapfile" 2>/dev/null
	if [ -n "${BENCH_KEEP:-}" ]; then :; else
		# keep the record next to the results (timeline, logs, top.jsonl), not the state
		mkdir -p "$BENCH_ROOT/bench/out/calibrate"
		KEEP="$BENCH_ROOT/bench/out/calibrate/real-$(date +%Y%m%d-%H%M%S)"
		mkdir -p "$KEEP"
		cp "$REAL"/{timeline.csv,blimpd.log,summary.txt,top.jsonl,demo.out} "$KEEP"/ 2>/dev/null
		bench_log "real run kept in $KEEP (CAL_REAL=$KEEP reruns the comparison)"
	fi
fi

read -r -a extra <<<"${CAL_SIM_FLAGS:-}"
flags=()
for f in "${extra[@]}"; do flags+=("--sim-flag=$f"); done
python3 "$HERE/calib.py" --real "$REAL" --blimp "$BLIMP" --out "$BENCH_DIR/sim" \
	--png "$PNG" "${flags[@]}"
rc=$?
# the simulation's side next to the kept real run: fleet file, sim command, parameters
if [ -n "${KEEP:-}" ] && [ -d "$BENCH_DIR/sim" ]; then
	mkdir -p "$KEEP/sim"
	cp "$BENCH_DIR"/sim/{fleet.csv,sim.cmd,sim.out,params.json,compare.dat,compare.gp} \
		"$KEEP/sim/" 2>/dev/null
fi
exit "$rc"
