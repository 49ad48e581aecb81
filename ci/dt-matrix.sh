#!/usr/bin/env bash
# The probe-error matrix: boots every malformed board of dts/bad/ (built by ci/build-board.sh)
# and checks that the bad node's probe fails with exactly the one error its source announces
# ("expect:"), that the five good nodes still probe and pass their self-test, and that the
# kernel logged no splat. Boards boot MATRIX_JOBS at a time (default: one per core), each with a
# watchdog of BOOT_TIMEOUT seconds (300; a TIMEOUT line when it fires). Serial logs go to
# $OUT/logs/dt-matrix/. Prints one line per check and "dt-matrix: N passed, N failed".
# Arguments name boards to run alone (default: all).
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
armv7_only "the malformed-board matrix (dts/bad/)"
logs=$OUT/logs/dt-matrix
mkdir -p "$logs"
result() { # result NAME CHECK-DESCRIPTION STATUS
	if [ "$3" = 0 ]; then pass "dt-matrix $1: $2"; else fail "dt-matrix $1: $2"; fi
}

# Every board of dts/bad/, or those named on the command line (ci/dt-matrix.sh 16-above-4gib).
boards=("$ROOT"/dts/bad/*.dts)
[ $# -eq 0 ] || boards=("$@")
# field NAME KEY: the value of a " * KEY: value" line of board NAME's source.
field() { sed -n "s/^ \* $2: //p" "$ROOT/dts/bad/$1.dts"; }
names=()
for dts in "${boards[@]}"; do
	name=$(basename "${dts%.dts}")
	[ -f "$ROOT/dts/bad/$name.dts" ] || die "no malformed board $ROOT/dts/bad/$name.dts"
	[ -n "$(field "$name" expect)" ] || die "$ROOT/dts/bad/$name.dts has no ' * expect: <message>' line"
	names+=("$name")
done

# Boots one board and keeps its serial log and boot.sh's exit status (124: its watchdog fired).
boot_one() { # boot_one NAME
	local serial=$logs/$1.log status=0
	rm -f "$serial"
	BOOT_TIMEOUT=${BOOT_TIMEOUT:-300} BOARD_TEST=matrix BOARD_MEM=$(field "$1" qemu-mem) \
		"$ROOT/ci/boot.sh" --test "$serial" "$BOARD/bad/$1.dtb" >/dev/null 2>&1 || status=$?
	[ -f "$serial" ] && sed -i 's/\r$//' "$serial"
	[ -f "$serial" ] || touch "$serial"
	echo "$status" >"$logs/$1.status"
}

# The boards boot MATRIX_JOBS at a time (default: one per core): each keeps about one core busy
# (a boot, then one self-test process). Each is judged on its own log afterwards, in order.
jobs_max=${MATRIX_JOBS:-$(nproc)}
for name in "${names[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
	boot_one "$name" &
done
wait

for name in "${names[@]}"; do
	serial=$logs/$name.log
	expect=$(field "$name" expect)
	mem=$(field "$name" qemu-mem)
	boot_status=$(cat "$logs/$name.status")
	status=0
	[ "$boot_status" = 0 ] || status=1
	grep -q '^BOARD-TEST-DONE' "$serial" || status=1
	if [ "$boot_status" = 124 ]; then
		timed_out "dt-matrix $name: still running when the ${BOOT_TIMEOUT:-300} s watchdog fired (serial log: $serial)"
	else
		result "$name" "booted${mem:+ with $mem}, ran the board test, powered off" $status
	fi

	# Exactly one error from the bad node, and it is the announced one. The driver core's own
	# "probe with driver carveout failed" line is not ours and not counted. Kernel lines may
	# start mid-line, after console output of the board test: take them from anywhere.
	ours=$(grep -oE '\[ *[0-9.]+\] carveout carveout-bad: .*' "$serial" |
		grep -v 'probe with driver carveout failed with error' || true)
	hits=$(grep -cF -- "$expect" <<<"$ours" || true)
	others=$(grep -vcF -- "$expect" <<<"$ours" || true)
	[ -z "$ours" ] && others=0
	status=0
	[ "$hits" = 1 ] && [ "$others" = 0 ] || status=1
	result "$name" "one error: '$expect' (got $hits, and $others other lines)" $status

	good=$(grep -cE 'carveout carveout-(fb|dsp|mailbox|doorbell|log): /dev/carveout-(fb|dsp|mbox|doorbell|log): ' "$serial" || true)
	status=0
	[ "$good" = 5 ] || status=1
	result "$name" "the five good nodes probed (got $good)" $status

	board=$(grep -E '^board: [0-9]+ passed, [0-9]+ failed$' "$serial" || echo "board: no summary")
	selftest=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$serial" || echo "no summary")
	status=0
	[[ $board =~ ^board:\ [1-9][0-9]*\ passed,\ 0\ failed$ && $selftest =~ ^[1-9][0-9]*\ passed,\ 0\ failed$ ]] || status=1
	result "$name" "good devices pass their self-test ($selftest; $board)" $status

	splats=$(grep -E "$SPLAT_RE|$KMEMLEAK_RE" "$serial" || true)
	status=0
	[ -z "$splats" ] || status=1
	result "$name" "no WARNING/BUG/Oops/stack dump in the serial log${splats:+: $splats}" $status
done
summary dt-matrix
