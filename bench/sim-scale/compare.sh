#!/bin/bash
# Same outputs: builds the simulator of BASE (a commit) and of the work tree, both on the
# work tree's policy library, runs 18 fleets through each (every generator, all four
# policies, steps below the balance period, stats periods above the step, host overflow,
# guest OOM kills, --check, --plan, the fixture fleet) and compares the sha256 of every
# output file (CSV timelines, summaries, capacity .dat and .gp). Prints the list and
# `RESULT same=1 files=N` (or same=0 and the diff). A speed-up of the simulator must
# leave every byte as it was.
# Usage: bench/sim-scale/compare.sh BASE   (e.g. fb24757, the tree before the one-pass step)
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE=${1:?usage: compare.sh BASE-COMMIT}
ROOT=$PWD
W=$(mktemp -d /var/tmp/sim-compare.XXXXXX)
trap 'rm -rf "$W"' EXIT

build() { # build NAME: $W/NAME/src has the sources
	(cd "$W/$1" && cc -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Isrc \
		-o "$W/bin-$1" "$ROOT/bench/sim-scale/driver.c" src/sim/*.c src/policy/*.c \
		src/util/*.c -lm) &
	wait $!
}
for t in base work; do
	mkdir -p "$W/$t/src"
	cp -r src/policy src/util src/model "$W/$t/src/"
done
mkdir -p "$W/base/src/sim" "$W/work/src/sim"
git archive "$BASE" src/sim | tar x -C "$W/base"
cp src/sim/*.[ch] "$W/work/src/sim/"
build base
build work

runs() { # runs BIN: every case into $W/run (a fixed path: --plan writes it into .gp)
	local bin=$1 i=0
	rm -rf "$W/run"
	mkdir -p "$W/run"
	while read -r args; do
		[ -n "$args" ] || continue
		i=$((i + 1))
		mkdir -p "$W/run/c$i"
		# shellcheck disable=SC2086
		"$bin" $args --out "$W/run/c$i/out" >"$W/run/c$i/stdout" 2>/dev/null &
		wait $! || echo "rc=$?" >>"$W/run/c$i/stdout"
	done <<EOF
--gen diurnal --vms 300 --hours 24 --policy all
--gen bursty --vms 200 --hours 12 --policy all --step-ms 5000 --balance-ms 15000
--gen idle --vms 500 --hours 6 --policy blimp --check
--gen clones --vms 150 --hours 8 --policy all --host-swap-eager
--gen demo --hours 2 --policy all --step-ms 1000 --balance-ms 5000 --sample-ms 10000
--gen diurnal --vms 1000 --hours 4 --policy blimp --host-mem 1500G --seed 7
--gen bursty --vms 400 --hours 6 --policy blimp --host-mem 600G --no-host-swap --stats-ms 3000 --delay-ms 500
--gen diurnal --vms 200 --hours 6 --policy blimp --host-mem 300G --host-ram 400G --no-probe-scale
--gen bursty --vms 300 --hours 12 --policy all --host-mem 250G
--gen demo --vms 8 --hours 3 --policy all --host-mem 2G --step-ms 1000 --balance-ms 5000
--gen diurnal --vms 100 --hours 24 --policy all --host-mem 150G --no-host-swap
--gen idle --hours 2 --plan --max-vms 3000 --host-mem 64G
--gen bursty --vms 100 --hours 2 --policy all --step-ms 1000 --balance-ms 5000 --stats-ms 2500 --host-mem 150G
--gen diurnal --vms 300 --hours 12 --policy all --step-ms 5000 --balance-ms 15000 --stats-ms 7000 --host-mem 500G
--fleet $ROOT/bench/sim-scale/oom-fleet.csv --hours 3 --policy all --host-mem 40G --step-ms 1000 --balance-ms 5000
--fleet $ROOT/bench/sim-scale/oom-fleet.csv --hours 3 --policy all --host-mem 30G --step-ms 1000 --balance-ms 5000 --stats-ms 3000 --host-swap-eager --check
--fleet $ROOT/tests/fixtures/sim/fleet.csv --hours 3 --policy all
--fleet $ROOT/tests/fixtures/sim/fleet.csv --hours 6 --policy all --host-mem 6G --step-ms 1000 --balance-ms 3000
EOF
	(cd "$W/run" && find . -type f ! -name '*.png' | sort | xargs sha256sum)
}
runs "$W/bin-base" >"$W/base.sha"
runs "$W/bin-work" >"$W/work.sha"
cat "$W/work.sha"
if diff "$W/base.sha" "$W/work.sha"; then
	echo "RESULT same=1 files=$(wc -l <"$W/work.sha") base=$BASE"
else
	echo "RESULT same=0 files=$(wc -l <"$W/work.sha") base=$BASE"
	exit 1
fi
