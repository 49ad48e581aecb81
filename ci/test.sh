#!/usr/bin/env bash
# `make test`: host unit tests, then build everything that is stale, boot the board in QEMU,
# load the module, self-test every device, run the lifecycle and stress tests, and check the
# serial log (kept in $OUT/logs/serial.log); then boot every malformed board of dts/bad/
# (ci/dt-matrix.sh). Prints one line per check and closes with "N passed, N failed".
#
# BOARD=lpae (make test BOARD=lpae) tests the LPAE board instead, carveouts above 4 GiB, and
# BOARD=arm64 the 64-bit ARM board: the same checks on the board's own kernel, module,
# userspace program and trees (log: $OUT/logs/serial-lpae.log, serial-arm64.log), without the
# malformed-board matrix, which is the armv7 board's (and the LPAE board without the Buildroot
# kernel check: it has no image).
#
# Each board runs 100 unbind/bind and load/unload cycles (the LPAE board 30: docs/ci.md), and
# the races 3 x and 1/2 x as many. QUICK=1: 10 cycles, and no malformed-board matrix.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
logs=$OUT/logs
mkdir -p "$logs"
finish() {
	summary ""
	exit
}

start=$SECONDS
# First: on a fresh machine it installs what is missing, and says what to run where it cannot.
"$ROOT/ci/setup.sh"
host_line=$("$ROOT/ci/host-test.sh" 2>&1 | tee "$logs/host-test.txt" | tail -n1) || true
read -r host_passed host_failed < <(sed -n 's/^host: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' <<<"$host_line")
if [ -n "${host_passed:-}" ] && [ "$host_failed" -eq 0 ]; then
	passed=$((passed + host_passed))
	echo "PASS host unit tests ($host_passed cases)"
else
	fail "host unit tests: ${host_line:-no summary} (see $logs/host-test.txt)"
	finish
fi

"$ROOT/ci/build-kernel.sh"
load_env
# One kernel: the Buildroot image's configuration is this kernel's savedefconfig (the armv7
# and the arm64 image; the LPAE board has none).
if [ -z "$BR_LINUX_CONFIG" ]; then
	log "board $BOARD_NAME: no Buildroot image; its kernel configuration is not compared"
elif diff -u <(grep -v '^# [^C]' "$ROOT/$BR_LINUX_CONFIG") "$LINUX_BUILD/defconfig" >"$logs/buildroot-kconfig.diff"; then
	pass "Buildroot image kernel: $BR_LINUX_CONFIG is the savedefconfig of this kernel"
else
	cat "$logs/buildroot-kconfig.diff"
	fail "Buildroot image kernel: $BR_LINUX_CONFIG differs from this kernel's savedefconfig (above); copy $LINUX_BUILD/defconfig below its header"
fi
# The module must build clean with clippy. A build that compiled nothing says nothing: judge
# the output of the last build that compiled the module, kept in module-build-last.txt.
build_log=$logs/module-build$board_suffix.txt
# shellcheck disable=SC2119 # no make arguments: its whole output is judged below
if build_module >"$build_log" 2>&1; then
	if grep -qE '^ +(CLIPPY|RUSTC|CC) \[M\]' "$build_log"; then
		cp "$build_log" "${build_log%.txt}-last.txt"
	fi
	if grep -E '(^| )(warning|error)(\[|:)' "${build_log%.txt}-last.txt"; then
		fail "module builds without warnings (see ${build_log%.txt}-last.txt)"
	else
		pass "module builds without warnings (CLIPPY=1, board $BOARD_NAME)"
	fi
else
	cat "$build_log"
	rm -f "${build_log%.txt}-last.txt"
	fail "module build"
	finish
fi
"$ROOT/ci/build-userspace.sh"
"$ROOT/ci/build-board.sh"

serial=$logs/serial$board_suffix.log
rm -f "$serial"
boot_start=$SECONDS
# What the board took to build (setup, host tests, kernel, module, userspace, initramfs), apart
# from its boot: little once build/ holds a build, most of a first run.
log "board $BOARD_NAME: built in $((boot_start - start)) s"
# The board's unbind/bind and unload/load cycles (the races run 3 x and 1/2 x as many): 100
# on armv7 and arm64, 30 on LPAE (ci/lib.sh, FULL_CYCLES); 10 with QUICK=1.
cycles=${BOARD_CYCLES:-$FULL_CYCLES}
[ "${QUICK:-0}" = 0 ] || cycles=10
log "board $BOARD_NAME: $cycles unbind/bind and unload/load cycles, races of $((cycles * 3)) and $((cycles / 2))"
boot_status=0
BOARD_CYCLES=$cycles "$ROOT/ci/boot.sh" --test "$serial" || boot_status=$?
if [ "$boot_status" = 0 ]; then
	pass "board $BOARD_NAME booted and powered off ($((SECONDS - boot_start)) s)"
elif [ "$boot_status" = 124 ]; then
	timed_out "board $BOARD_NAME: still running when the ${BOOT_TIMEOUT:-2400} s watchdog fired (serial log: $serial)"
else
	fail "board boot (serial log: $serial)"
fi
[ -f "$serial" ] || finish
sed -i 's/\r$//' "$serial"

# What the board printed: one line per self-test case and per board check.
grep -E '^(PASS|FAIL|TIMEOUT) ' "$serial" || true
board_passed=$(grep -c '^PASS ' "$serial" || true)
board_failed=$(grep -cE '^(FAIL|TIMEOUT) ' "$serial" || true)
passed=$((passed + board_passed))
failed=$((failed + board_failed))

if grep -q '^BOARD-TEST-DONE' "$serial"; then
	pass "board test ran to the end"
else
	fail "board test did not finish (see $serial)"
fi
# The summaries of the on-board programs: the self-test, four revoke tests, the stress and
# the two races.
summaries=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$serial" || true)
if [ "$(grep -c . <<<"$summaries")" -ge 8 ] && ! grep -qv ' 0 failed$' <<<"$summaries"; then
	pass "on-board summaries: $(tr '\n' ';' <<<"$summaries")"
else
	fail "on-board summaries missing or failing: $(tr '\n' ';' <<<"$summaries")"
fi
for dev in carveout-fb carveout-dsp carveout-mbox carveout-doorbell carveout-log; do
	if grep -qE "carveout carveout-[a-z]+: /dev/$dev: " "$serial"; then
		pass "probe of /dev/$dev in the serial log"
	else
		fail "no probe of /dev/$dev in the serial log"
	fi
done
splats=$(grep -E "$SPLAT_RE|$KMEMLEAK_RE" "$serial" || true)
if [ -z "$splats" ]; then
	pass "no WARNING/BUG/Oops/panic/stack dump/kmemleak report in the serial log"
else
	fail "kernel splat in the serial log: $splats"
fi

if [ "${QUICK:-0}" = 0 ] && [ "$BOARD_NAME" = armv7 ]; then
	matrix_start=$SECONDS
	matrix=$("$ROOT/ci/dt-matrix.sh" | tee "$logs/dt-matrix.txt") || true
	grep -E '^(PASS|FAIL|TIMEOUT) ' <<<"$matrix" || true
	passed=$((passed + $(grep -c '^PASS ' <<<"$matrix" || true)))
	failed=$((failed + $(grep -cE '^(FAIL|TIMEOUT) ' <<<"$matrix" || true)))
	boards=$(find "$ROOT/dts/bad" -name '*.dts' | wc -l)
	if grep -qE '^dt-matrix: [0-9]+ passed, 0 failed$' <<<"$matrix" && [ "$boards" -ge 12 ]; then
		pass "malformed-board matrix: $boards boards ($((SECONDS - matrix_start)) s)"
	else
		fail "malformed-board matrix: $(tail -n1 <<<"$matrix") (logs: $logs/dt-matrix/)"
	fi
fi
log "serial log: $serial; total time $((SECONDS - start)) s"
# Where the board's time went, on its own clock (board-test.sh's stages).
stages=$(sed -n 's/^TIME board: \(.*\) s$/\1 s/p' "$serial" | paste -sd, - | sed 's/,/, /g')
log "board $BOARD_NAME stages: ${stages:-none printed}"
finish
