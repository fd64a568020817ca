#!/bin/bash
# Build each libFuzzer target (tests/fuzz/fuzz_<module>_<name>.c) into build/fuzz/
# with clang -fsanitize=fuzzer,address,undefined, linking its module's sources and
# the modules listed in the Makefile's DEPS_<module>, then run it for FUZZ_SECONDS
# (default 10) on a seed corpus made from tests/fixtures/<module>/.
# Prints a line per target and "fuzz: N passed, N failed"; exits 1 on any failure.
# Usage: tests/fuzz/run.sh [tests/fuzz/fuzz_*.c ...]   (default: all)
set -u
cd "$(dirname "$0")/../.." || exit 1
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
# Inputs longer than this are cut: large seeds (a whole smaps) would otherwise make
# every run slow; 16 KiB still holds dozens of mappings or a whole meminfo.
FUZZ_MAX_LEN=${FUZZ_MAX_LEN:-16384}
CLANG=${CLANG:-clang}
OUT=build/fuzz
mkdir -p "$OUT/artifacts"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(tests/fuzz/fuzz_*.c)
pkgflags=$(pkg-config --cflags libvirt json-c inih libsystemd libmicrohttpd 2>/dev/null)
pkglibs=$(pkg-config --libs libvirt json-c inih libsystemd libmicrohttpd 2>/dev/null)
pass=0
fail=0

# Seed files for a target: its own seeds in tests/fixtures/fuzz/<target>/ when that
# directory exists; else fixtures of its module whose path mentions one of the
# target's keywords (all of the module's small fixtures if none does).
seeds_for() {
	local module=$1 name=$2 kw
	if [ -d "tests/fixtures/fuzz/fuzz_${module}_${name}" ]; then
		find "tests/fixtures/fuzz/fuzz_${module}_${name}" -type f -size -512k
		return
	fi
	case "$module/$name" in
	collect/meminfo) kw='meminfo' ;;
	collect/psi) kw='pressure|psi' ;;
	collect/ksm) kw='/ksm' ;;
	collect/zswap) kw='zswap' ;;
	collect/smaps) kw='/smaps$' ;;
	collect/procpid) kw='ksm_stat|/status' ;;
	collect/cgroup) kw='cgroup' ;;
	collect/damon) kw='damon' ;;
	*) kw='.' ;;
	esac
	find "tests/fixtures/$module" -type f -size -512k 2>/dev/null | grep -E "$kw"
}

for src in "${targets[@]}"; do
	base=$(basename "$src" .c)
	rest=${base#fuzz_}
	module=${rest%%_*}
	name=${rest#*_}
	deps=$(sed -n "s/^DEPS_${module}[[:space:]]*:=[[:space:]]*//p" Makefile)
	[ -z "$deps" ] && deps="$module"
	srcs=()
	for m in $deps; do
		for f in src/"$m"/*.c; do
			[ -e "$f" ] && [ "$(basename "$f")" != main.c ] && srcs+=("$f")
		done
	done
	bin="$OUT/$base"
	if ! $CLANG -g -O1 -std=gnu11 -D_GNU_SOURCE -Isrc $pkgflags \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o "$bin" "$src" "${srcs[@]}" $pkglibs -lm >"$OUT/$base.build.log" 2>&1; then
		fail=$((fail + 1))
		echo "FAIL $base (build; see $OUT/$base.build.log)"
		continue
	fi
	corpus="$OUT/corpus/$base"
	mkdir -p "$corpus"
	# A raw seed plus a copy prefixed with a selector byte or two (targets that
	# take a file name or MEMSZ from the first bytes).
	while read -r f; do
		[ -n "$f" ] || continue
		h=$(echo "$f" | md5sum | cut -c1-12)
		cp "$f" "$corpus/seed-$h"
		{ printf '\x00\x02'; cat "$f"; } >"$corpus/seed-$h-p"
	done < <(seeds_for "$module" "$name")
	log="$OUT/$base.log"
	if "$bin" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 -max_len="$FUZZ_MAX_LEN" \
		-artifact_prefix="$OUT/artifacts/$base-" -print_final_stats=1 "$corpus" \
		>"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		pass=$((pass + 1))
		echo "ok   $base (${runs:-?} runs in ${FUZZ_SECONDS}s)"
	else
		fail=$((fail + 1))
		echo "FAIL $base (see $log)"
		grep -E "ERROR|SUMMARY|runtime error" "$log" | head -5
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
