#!/usr/bin/env bash
# `make bench` (which first runs `make board`, so nothing is stale): builds the production
# kernel (KERNEL_FLAVOUR=bench: ci/kernel.config without its debug section, in $OUT/linux-bench)
# and the module against it, boots the bench board once on it (dts/qemu-virt-bench.dts: a UIO
# device over each carveout), runs `carveout bench` on the three devices (this driver against
# /dev/mem, UIO and RAM) and turns its BENCH lines into $OUT/bench/results.tsv, results.md and
# bench.svg. BENCH_REPS sets the rounds per figure (9). The serial log is $OUT/logs/bench.log.
set -euo pipefail
# Every script below, and lib.sh's LINUX_BUILD, take the production kernel.
export KERNEL_FLAVOUR=bench
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
mkdir -p "$OUT/logs"
reps=${BENCH_REPS:-9}
case $reps in '' | *[!0-9]*) die "BENCH_REPS='$reps' is not a number" ;; esac

# The board it boots is built by `make board` (the Makefile's bench target depends on it); its
# initramfs gets the module built against the production kernel instead of the test kernel's.
"$ROOT/ci/build-kernel.sh"
load_env
module_dir=$OUT/bench-module
log "building the module against the production kernel in $module_dir"
module_sources "$module_dir"
kernel_make "$LINUX_BUILD" -s M="$module_dir" modules
rootfs=$OUT/bench/rootfs
rm -rf "$rootfs"
mkdir -p "$OUT/bench"
cp -a "$BOARD/rootfs" "$rootfs"
install -m 0644 "$module_dir/src/carveout.ko" "$rootfs/lib/modules/carveout.ko"
make_cpio "$rootfs" "$BOARD/initramfs-bench.cpio"
release=$(cat "$LINUX_BUILD/include/config/kernel.release")
debug=$(grep -cE '^CONFIG_(PROVE_LOCKING|DEBUG_VM|DEBUG_KMEMLEAK|DEBUG_ATOMIC_SLEEP)=y' "$LINUX_BUILD/.config" || true)
[ "$debug" -eq 0 ] || die "$LINUX_BUILD/.config has debug options: not a production kernel"
log "measuring on the production kernel $release ($LINUX_BUILD: no lockdep, DEBUG_VM or kmemleak)"

serial=$OUT/logs/bench.log
rm -f "$serial"
log "booting the bench board ($reps rounds per figure)"
start=$SECONDS
INITRAMFS=$BOARD/initramfs-bench.cpio BOARD_TEST=bench BOOT_TIMEOUT=${BOOT_TIMEOUT:-1800} \
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
# Which kernel was measured, at the top of the tables.
kernel_line=$(grep -m1 -o 'Linux version [^ ]*' "$serial" || echo "Linux $release")
{
	echo "Measured on $kernel_line, production configuration (ci/kernel.config without its debug"
	echo "section: no lockdep, DEBUG_VM or kmemleak), in one boot of the bench board."
	echo
	cat "$OUT/bench/results.md"
} >"$OUT/bench/results.md.new"
mv "$OUT/bench/results.md.new" "$OUT/bench/results.md"
