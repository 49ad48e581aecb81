#!/usr/bin/env bash
# `make bench` (which first runs `make board`, so nothing is stale): boots the bench board once (dts/qemu-virt-bench.dts: a UIO
# device over each carveout), runs `carveout bench` on the three devices (this driver against
# /dev/mem, UIO and RAM) and turns its BENCH lines into $OUT/bench/results.tsv, results.md and
# bench.svg. BENCH_REPS sets the rounds per figure (9). The serial log is $OUT/logs/bench.log.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
mkdir -p "$OUT/logs"
reps=${BENCH_REPS:-9}
case $reps in '' | *[!0-9]*) die "BENCH_REPS='$reps' is not a number" ;; esac

# The board it boots is built by `make board` (the Makefile's bench target depends on it).

serial=$OUT/logs/bench.log
rm -f "$serial"
log "booting the bench board ($reps rounds per figure)"
start=$SECONDS
BOARD_TEST=bench BOOT_TIMEOUT=${BOOT_TIMEOUT:-1800} \
	BOARD_CMDLINE="uio_pdrv_genirq.of_id=generic-uio carveout_reps=$reps" \
	"$ROOT/ci/boot.sh" --test "$serial" "$BOARD/qemu-virt-bench.dtb"
sed -i 's/\r$//' "$serial"
log "benchmark took $((SECONDS - start)) s"

grep -E '^(PASS|FAIL) board: ' "$serial" || true
grep -qE '^board: [1-9][0-9]* passed, 0 failed$' "$serial" ||
	die "the bench board failed (see $serial)"
splats=$(grep -E "$SPLAT_RE" "$serial" || true)
[ -z "$splats" ] || die "kernel splat in $serial: $splats"
python3 "$ROOT/ci/bench-report.py" "$serial" "$OUT/bench"
