#!/bin/bash
# bench/metrics: what the Prometheus endpoint costs blimpd.
#
# 1. CPU of one scrape with 8 and 64 VMs: blimpd's own rendering (metrics_render, run
#    once per collection) plus its HTTP server answering one GET (metrics_http, in its
#    own thread), both from blimpd's code in driver.c on a synthetic fleet of N VMs:
#    render = process CPU over MET_RENDER_ITERS renders; serve = the server process's
#    CPU while scrape.py makes MET_SCRAPES scrapes (its main thread sleeps meanwhile).
#    scrape_ms = render + serve: the whole cost when Prometheus scrapes once a tick.
# 2. Tick lateness on a real blimpd with MET_VMS real guests, collecting every
#    MET_PERIOD_MS: a window of MET_WINDOW_S with nothing scraping, then one while
#    Debian's prometheus scrapes /metrics every second (same daemon, same run). A tick
#    is late when it starts >= 50 ms after its due time (status ticks / ticks_late).
#    The server thread's CPU per real scrape (/proc/PID/task/TID/schedstat, MHD-single)
#    is reported beside it.
# Env: MET_COUNTS ("8 64"), MET_RENDER_ITERS (500), MET_SCRAPES (300), MET_VMS (4),
# MET_MEM (256M), MET_PERIOD_MS (200), MET_WINDOW_S (60), BENCH_KEEP=1 keeps the work dir.
# shellcheck source=bench/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
bench_init metrics
BENCH_VM_PREFIX=bmet
COUNTS=${MET_COUNTS:-8 64}
RENDER_ITERS=${MET_RENDER_ITERS:-500}
SCRAPES=${MET_SCRAPES:-300}
VMS=${MET_VMS:-4}
MEM=${MET_MEM:-256M}
PERIOD_MS=${MET_PERIOD_MS:-200}
WINDOW_S=${MET_WINDOW_S:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
PROM_PID=
DRV_PID=

bench_build
REV=$(bench_rev)
make -s -C "$BENCH_ROOT" build/libdaemon.a build/libutil.a >>"$BENCH_DIR/build.log" 2>&1 ||
	bench_die "make of the daemon archives failed"
DRV="$BENCH_DIR/bin/metrics-driver"
# shellcheck disable=SC2046 # pkg-config's flags are words
cc -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$BENCH_ROOT/src" -o "$DRV" \
	"$HERE/driver.c" "$BENCH_ROOT/build/libdaemon.a" "$BENCH_ROOT/build/libutil.a" \
	$(pkg-config --libs libmicrohttpd) -lpthread -lm || bench_die "driver build failed"

metrics_cleanup() {
	local rc=$?
	if [ -n "$PROM_PID" ]; then kill "$PROM_PID" 2>/dev/null; wait "$PROM_PID" 2>/dev/null; fi
	if [ -n "$DRV_PID" ]; then kill "$DRV_PID" 2>/dev/null; wait "$DRV_PID" 2>/dev/null; fi
	(exit "$rc") # bench_cleanup exits with the status it finds
	bench_cleanup
}
trap metrics_cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
kv() { tr ' ' '\n' <"$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }

# --- 1. synthetic fleets through blimpd's render and HTTP code ---
RESULTS="$BENCH_DIR/results.txt"
: >"$RESULTS"
for n in $COUNTS; do
	port=$(free_port)
	fifo="$BENCH_DIR/in.$n"
	mkfifo "$fifo"
	"$DRV" "$n" "$RENDER_ITERS" "$port" <"$fifo" >"$BENCH_DIR/drv.$n" 2>&1 &
	DRV_PID=$!
	exec 3>"$fifo"
	bench_wait 30 grep -q '^ready' "$BENCH_DIR/drv.$n" || bench_die "driver: $(cat "$BENCH_DIR/drv.$n")"
	python3 "$HERE/scrape.py" "http://127.0.0.1:$port/metrics" "$SCRAPES" >"$BENCH_DIR/client.$n" ||
		bench_die "scrapes failed"
	echo go >&3
	exec 3>&-
	wait "$DRV_PID"
	DRV_PID=
	tr '\n' ' ' <"$BENCH_DIR/drv.$n" >"$BENCH_DIR/kv.$n"
	cat "$BENCH_DIR/client.$n" >>"$BENCH_DIR/kv.$n"
	render_ns=$(kv "$BENCH_DIR/kv.$n" render_ns)
	served=$(kv "$BENCH_DIR/kv.$n" scrapes)
	serve_cpu=$(kv "$BENCH_DIR/kv.$n" serve_cpu_ns)
	ok=$(kv "$BENCH_DIR/kv.$n" ok)
	if [ "$ok" != "$SCRAPES" ] || [ "$served" -lt "$SCRAPES" ]; then
		bench_die "N=$n: $ok of $SCRAPES scrapes answered"
	fi
	serve_ns=$((serve_cpu / served))
	echo "$n $(kv "$BENCH_DIR/kv.$n" bytes) $render_ns $serve_ns $((render_ns + serve_ns)) $(kv "$BENCH_DIR/kv.$n" wall_ms)" >>"$RESULTS"
	bench_log "N=$n: render $render_ns ns, serve $serve_ns ns CPU per scrape"
done

# --- 2. a real blimpd with real guests: tick lateness without and with a Prometheus ---
MPORT=$(free_port)
PPORT=$(free_port)
cat >"$BENCH_DIR/blimpd.conf" <<CONF
[blimpd]
collect_period_ms = $PERIOD_MS
balance_period_ms = 1000
dry_run = true
manage_ksm = false
manage_cgroups = false
metrics_listen = 127.0.0.1:$MPORT
log_level = info
CONF
bench_daemon_start --config "$BENCH_DIR/blimpd.conf"
DPID=$BENCH_DAEMON_PID
for i in $(seq 1 "$VMS"); do
	bench_vm_start "$BENCH_VM_PREFIX$i" --mem "$MEM" || bench_die "VM $i did not boot"
done
sleep 5
MHD_TID=
for t in /proc/"$DPID"/task/*; do
	[ "$(cat "$t/comm")" = MHD-single ] && MHD_TID=${t##*/}
done
[ -n "$MHD_TID" ] || bench_die "no MHD-single thread in blimpd"
# the HTTP thread's CPU, from schedstat (ns on CPU): /proc/.../stat counts 10 ms ticks,
# too coarse for a thread that works ~0.1 ms a second
thread_cpu_us() { awk '{print int($1 / 1000)}' "/proc/$DPID/task/$MHD_TID/schedstat"; }
scrapes() { curl -s -m 5 "http://127.0.0.1:$MPORT/metrics" | awk '$1 == "blimp_metrics_scrapes_total" {print $2}'; }
# window NAME: ticks and late ticks over WINDOW_S
window() {
	local t0 l0 t1 l1
	t0=$(bench_json ticks status)
	l0=$(bench_json ticks_late status)
	sleep "$WINDOW_S"
	t1=$(bench_json ticks status)
	l1=$(bench_json ticks_late status)
	echo "$((t1 - t0)) $((l1 - l0))"
}
bench_log "window without scraping (${WINDOW_S} s, collect every ${PERIOD_MS} ms, $VMS VMs)"
read -r ticks_ns late_ns <<<"$(window)"

cat >"$BENCH_DIR/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: blimp
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
YML
prometheus --config.file="$BENCH_DIR/prometheus.yml" --storage.tsdb.path="$BENCH_DIR/prom" \
	--web.listen-address="127.0.0.1:$PPORT" --log.level=warn >>"$BENCH_DIR/prometheus.log" 2>&1 &
PROM_PID=$!
up() {
	curl -s -m 5 -G --data-urlencode 'query=up{job="blimp"}' "http://127.0.0.1:$PPORT/api/v1/query" |
		grep -q '"value":\[[0-9.]*,"1"\]'
}
bench_wait 60 up || bench_die "prometheus does not scrape blimpd"
bench_log "window with prometheus scraping every 1 s"
sc0=$(scrapes)
th0=$(thread_cpu_us)
read -r ticks_s late_s <<<"$(window)"
th1=$(thread_cpu_us)
sc1=$(scrapes)
kill "$PROM_PID"
wait "$PROM_PID" 2>/dev/null
PROM_PID=
real_scrapes=$((sc1 - sc0 - 1)) # one of them is ours (the first curl)
real_serve_us=$(awk -v c="$((th1 - th0))" -v n="$real_scrapes" 'BEGIN {printf "%.0f", (n > 0) ? c / n : 0}')
pct() { awk -v l="$1" -v t="$2" 'BEGIN {printf "%.2f", t ? 100 * l / t : 0}'; }
late_pct=$(pct "$late_s" "$ticks_s")
late_pct_ns=$(pct "$late_ns" "$ticks_ns")
tick_max=$(bench_json tick_late_max_ms status)

# table
ms() { awk -v x="$1" 'BEGIN {printf "%.3f", x / 1e6}'; }
echo
echo "bench/metrics: CPU of one /metrics scrape, tree $REV, $(nproc) cores, $(date -u +%Y-%m-%d)"
printf '%-4s %8s %10s %10s %10s %12s\n' N bytes render_ms serve_ms scrape_ms client_wall_ms
while read -r n bytes r s t w; do
	printf '%-4s %8s %10s %10s %10s %12s\n' "$n" "$bytes" "$(ms "$r")" "$(ms "$s")" "$(ms "$t")" "$w"
done <"$RESULTS"
echo "render = metrics_render (once per collection, main thread), serve = the HTTP thread's CPU per"
echo "  GET (${SCRAPES} scrapes, one connection each); scrape = render + serve. Synthetic fleets, blimpd's code."
echo
echo "real blimpd, $VMS guests of $MEM ($(bench_accel)), collect every ${PERIOD_MS} ms, windows of ${WINDOW_S} s:"
printf '%-22s %7s %6s %8s\n' window ticks late late_pct
printf '%-22s %7s %6s %8s\n' "no scraping" "$ticks_ns" "$late_ns" "$late_pct_ns"
printf '%-22s %7s %6s %8s\n' "prometheus every 1 s" "$ticks_s" "$late_s" "$late_pct"
echo "HTTP thread CPU per real scrape: ${real_serve_us} us over $real_scrapes scrapes; largest tick lateness since start ${tick_max} ms"
read -r _ _ _ _ t64 _ <<<"$(awk '$1 == 64' "$RESULTS")"
s8=$(awk '$1 == 8 {printf "%.3f", $5 / 1e6}' "$RESULTS")
s64=$(awk '$1 == 64 {printf "%.3f", $5 / 1e6}' "$RESULTS")
met=$(awk -v t="${t64:-0}" 'BEGIN {print (t > 0 && t <= 2e6) ? 1 : 0}')
echo "target: one scrape with 64 VMs <= 2 ms CPU: ${s64:-?} ms -> $(bench_verdict "$met")"
echo "RESULT scrape_ms_8=${s8:-?} scrape_ms_64=${s64:-?} late_ticks_pct=$late_pct late_ticks_pct_noscrape=$late_pct_ns ticks_scrape=$ticks_s ticks_noscrape=$ticks_ns real_vms=$VMS real_serve_us=$real_serve_us target_64=$(bench_verdict "$met")"
