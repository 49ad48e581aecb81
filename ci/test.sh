#!/usr/bin/env bash
# `make test`: host unit tests, then build everything that is stale, boot the board in QEMU,
# load the module, self-test every device, unload, and check the serial log. The log is kept in
# $OUT/logs/serial.log. Prints one line per check and closes with "N passed, N failed".
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
logs=$OUT/logs
mkdir -p "$logs"
passed=0
failed=0
pass() {
	passed=$((passed + 1))
	echo "PASS $*"
}
fail() {
	failed=$((failed + 1))
	echo "FAIL $*"
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit
}

start=$SECONDS
host_line=$("$ROOT/ci/host-test.sh" 2>&1 | tee "$logs/host-test.txt" | tail -n1) || true
read -r host_passed host_failed < <(sed -n 's/^host: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' <<<"$host_line")
if [ -n "${host_passed:-}" ] && [ "$host_failed" -eq 0 ]; then
	passed=$((passed + host_passed))
	echo "PASS host unit tests ($host_passed cases)"
else
	fail "host unit tests: ${host_line:-no summary} (see $logs/host-test.txt)"
	finish
fi

"$ROOT/ci/setup.sh"
"$ROOT/ci/build-kernel.sh"
# The module must build clean with clippy.
if make -C "$ROOT" --no-print-directory modules CLIPPY=1 >"$logs/module-build.txt" 2>&1; then
	if grep -E '(^| )(warning|error)(\[|:)' "$logs/module-build.txt"; then
		fail "module builds without warnings (see $logs/module-build.txt)"
	else
		pass "module builds without warnings (CLIPPY=1)"
	fi
else
	cat "$logs/module-build.txt"
	fail "module build"
	finish
fi
"$ROOT/ci/build-userspace.sh"
"$ROOT/ci/build-board.sh"

serial=$logs/serial.log
rm -f "$serial"
boot_start=$SECONDS
if "$ROOT/ci/boot.sh" --test "$serial"; then
	pass "board booted and powered off ($((SECONDS - boot_start)) s)"
else
	fail "board boot (serial log: $serial)"
fi
[ -f "$serial" ] || finish
sed -i 's/\r$//' "$serial"

# What the board printed: one line per self-test case and per board check.
grep -E '^(PASS|FAIL) ' "$serial" || true
board_passed=$(grep -c '^PASS ' "$serial" || true)
board_failed=$(grep -c '^FAIL ' "$serial" || true)
passed=$((passed + board_passed))
failed=$((failed + board_failed))

if grep -q '^BOARD-TEST-DONE' "$serial"; then
	pass "board test ran to the end"
else
	fail "board test did not finish (see $serial)"
fi
if grep -qE '^[0-9]+ passed, 0 failed$' "$serial"; then
	pass "selftest summary: $(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$serial")"
else
	fail "selftest summary missing or failing"
fi
for dev in carveout-fb carveout-dsp carveout-mbox; do
	if grep -qE "carveout carveout-[a-z]+: /dev/$dev: " "$serial"; then
		pass "probe of /dev/$dev in the serial log"
	else
		fail "no probe of /dev/$dev in the serial log"
	fi
done
splats=$(grep -E 'WARNING:|BUG:|Oops|Kernel panic|Unable to handle|kmemleak: [0-9]+ new suspected' "$serial" || true)
if [ -z "$splats" ]; then
	pass "no WARNING/BUG/Oops/panic in the serial log"
else
	fail "kernel splat in the serial log: $splats"
fi
log "serial log: $serial; total time $((SECONDS - start)) s"
finish
