#!/bin/bash
# The README's Quick start, run literally: its code block is read from README.md and each
# line runs as written (comments cut) in the repository root, with blimpd's defaults
# (socket /run/blimp/blimpd.sock, state /var/lib/blimp), so a README that stops
# working fails here. Two liberties, both logged: `build/blimp top` (a screen that runs
# until q) gets SIGTERM after a few seconds, and `make guest` is left out when
# build/guest is a symlink to another tree's guest (guest/build.sh keys its outputs by
# its own path, so it would rebuild that tree's guest).
. "$(dirname "$0")/lib.sh"
unset BLIMP_SOCKET # the default socket, as a reader of the README has
cd "$IT_ROOT" || exit 1
QS_SOCKET=/run/blimp/blimpd.sock
QS_STATE=/var/lib/blimp
QS_PID=
qs_state_existed=false qs_run_existed=false
[ -e "$QS_STATE" ] && qs_state_existed=true
[ -e "$(dirname "$QS_SOCKET")" ] && qs_run_existed=true

# QEMU processes under the default state dir ([q]: never this script's own command lines).
qs_qemu_pids() { pgrep -f "[q]emu-system.*$QS_STATE/" || true; }

qs_cleanup() {
	if [ -n "$QS_PID" ] && kill -0 "$QS_PID" 2>/dev/null; then
		build/blimp shutdown >/dev/null 2>&1 || kill "$QS_PID" 2>/dev/null
		for _ in $(seq 1 150); do
			kill -0 "$QS_PID" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$QS_PID" 2>/dev/null
	fi
	local p
	for p in $(qs_qemu_pids); do kill -9 "$p" 2>/dev/null; done
	# What the Quick start created and nobody had before: the embedded libvirt's state.
	$qs_state_existed || rm -rf "$QS_STATE"
	# blimpd leaves its lock file (unlinking a lock file races with the next taker)
	$qs_run_existed || { rm -f "$(dirname "$QS_SOCKET")/blimpd.lock"; rmdir "$(dirname "$QS_SOCKET")" 2>/dev/null; }
	it_cleanup
}
trap qs_cleanup EXIT

# Wait up to $1 s for our blimpd to exit (a zombie until reaped); its status.
qs_wait_exit() {
	local end=$((SECONDS + $1)) st
	while [ "$SECONDS" -lt "$end" ]; do
		st=$(ps -o stat= -p "$QS_PID" 2>/dev/null)
		[ -z "$st" ] || [[ $st == Z* ]] && break
		sleep 0.5
	done
	wait "$QS_PID"
	local rc=$?
	QS_PID=
	return $rc
}

if build/blimp status >/dev/null 2>&1; then
	it_fail "a blimpd already answers on $QS_SOCKET: not touching it"
	it_done
fi

mapfile -t QS_LINES < <(awk '/^## Quick start/ { q = 1; next }
	q && /^```/ { if (inb) exit; inb = 1; next }
	inb' README.md)
it_log "Quick start: ${#QS_LINES[@]} lines"
block=$(printf '%s\n' "${QS_LINES[@]}")
for want in 'make ' 'build/blimpd &' 'build/blimp start vm1' 'build/blimp exec vm1' \
	'build/blimp stats vm1' 'build/blimp balloon vm1' 'build/blimp top' 'build/blimp shutdown'; do
	it_check "the block has '$want'" grep -qF -- "$want" <<<"$block"
done

n=0
for line in "${QS_LINES[@]}"; do
	cmd=$(sed -E 's/[[:space:]]+#.*$//; s/[[:space:]]+$//' <<<"$line")
	[ -n "$cmd" ] || continue
	n=$((n + 1))
	out="$IT_DIR/step$n.out"
	case "$cmd" in
	make\ *)
		if [ -L build/guest ] && grep -qw guest <<<"$cmd"; then
			cmd=$(sed -E 's/ guest( |$)/\1/' <<<"$cmd")
			it_log "build/guest is a symlink ($(readlink build/guest)): running '$cmd'"
		fi
		start=$SECONDS
		bash -c "$cmd >'$out' 2>&1"
		it_check "$cmd (exit $?, $((SECONDS - start)) s; fast when all is done)" [ $? -eq 0 ]
		;;
	*'&')
		# shellcheck disable=SC2086 # the README's words, as a shell splits them
		${cmd%&} >"$IT_DIR/blimpd.log" 2>&1 &
		QS_PID=$!
		it_check "$cmd: blimpd answers on $QS_SOCKET" \
			it_wait 30 build/blimp status
		;;
	'build/blimp top')
		$cmd >"$out" 2>&1 </dev/null &
		top_pid=$!
		sleep 3
		kill -TERM "$top_pid"
		it_check "$cmd: draws the screen, SIGTERM ends it with status 0" wait "$top_pid"
		it_check "$cmd: the screen shows vm1" grep -q '^vm1 ' "$out"
		it_check "build/blimp top -b -n 1: CSV with vm1" \
			bash -c "build/blimp top -b -n 1 | grep -q ',vm1,'"
		;;
	*)
		it_check "$cmd" bash -c "$cmd >'$out' 2>&1"
		;;
	esac
	case "$cmd" in
	*' exec '*) it_check "... the guest's free -m" grep -q '^Mem:' "$out" ;;
	*' stats '*) it_check "... MEMSZ 512.0M" grep -qE '^MEMSZ +512.0M' "$out" ;;
	*' balloon '*)
		it_check "... MCTLTGT follows (256 MiB ballooned)" bash -c \
			"build/blimp stats vm1 --json | python3 -c 'import json,sys; v=json.load(sys.stdin); sys.exit(0 if v[\"mctltgt\"] == 256 << 20 else 1)'"
		;;
	*' shutdown'*)
		it_check "... blimpd exits with status 0" qs_wait_exit 60
		it_check "... no QEMU left under $QS_STATE" [ -z "$(qs_qemu_pids)" ]
		;;
	esac
	[ -s "$out" ] && head -c 600 "$out" | sed 's/^/    | /' && echo
done
it_check "every line ran ($n)" [ "$n" -ge 7 ]
it_done
