#!/usr/bin/env bash
# `make bench` (which first runs `make board`, so nothing is stale): builds the production
# kernel (KERNEL_FLAVOUR=bench: ci/kernel.config without its debug section, in $OUT/linux-bench)
# and the module against it, boots the bench board once on it (dts/qemu-virt-bench.dts: a UIO
# device over each carveout), runs `carveout bench` on the three devices (this driver against
# /dev/mem, UIO and RAM) and turns its BENCH lines into $OUT/bench/results.tsv, results.md and
# bench.svg. BENCH_REPS sets the rounds per figure (9). The serial log is $OUT/logs/bench.log.
# BENCH_KERNEL=debug measures on make test's debug kernel instead (lockdep, DEBUG_VM, kmemleak),
# to compare with figures taken there: results in $OUT/bench-debug, log $OUT/logs/bench-debug.log.
set -euo pipefail
# Every script below, and lib.sh's LINUX_BUILD, take the kernel to measure.
case ${BENCH_KERNEL:-production} in
production)
	export KERNEL_FLAVOUR=bench
	suffix=
	;;
debug)
	export KERNEL_FLAVOUR=test
	suffix=-debug
	;;
*)
	echo "[bench.sh] error: BENCH_KERNEL=$BENCH_KERNEL: production or debug" >&2
	exit 1
	;;
esac
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
armv7_only "the bench board (dts/qemu-virt-bench.dts)"
mkdir -p "$OUT/logs"
reps=${BENCH_REPS:-9}
case $reps in '' | *[!0-9]*) die "BENCH_REPS='$reps' is not a number" ;; esac

# The board it boots is built by `make board` (the Makefile's bench target depends on it); its
# initramfs gets the module built against the production kernel instead of the test kernel's.
"$ROOT/ci/build-kernel.sh"
load_env
module_dir=$OUT/bench-module$suffix
log "building the module against $LINUX_BUILD in $module_dir"
forget_stale_module "$module_dir"
module_sources "$module_dir"
kernel_make "$LINUX_BUILD" -s M="$module_dir" modules
done_module "$module_dir"
results=$OUT/bench$suffix
rootfs=$results/rootfs
rm -rf "$rootfs"
mkdir -p "$results"
cp -a "$BOARD/rootfs" "$rootfs"
install -m 0644 "$module_dir/src/carveout.ko" "$rootfs/lib/modules/carveout.ko"
make_cpio "$rootfs" "$BOARD/initramfs-bench$suffix.cpio"
release=$(cat "$LINUX_BUILD/include/config/kernel.release")
debug=$(grep -cE '^CONFIG_(PROVE_LOCKING|DEBUG_VM|DEBUG_KMEMLEAK|DEBUG_ATOMIC_SLEEP)=y' "$LINUX_BUILD/.config" || true)
if [ -z "$suffix" ]; then
	[ "$debug" -eq 0 ] || die "$LINUX_BUILD/.config has debug options: not a production kernel"
	config="production configuration (ci/kernel.config without its debug section: no lockdep,
DEBUG_VM or kmemleak)"
else
	[ "$debug" -gt 0 ] || die "$LINUX_BUILD/.config has no debug options: not make test's kernel"
	config="debug configuration (make test's kernel: lockdep, DEBUG_VM, kmemleak), for comparison
only"
fi
log "measuring on the kernel $release in $LINUX_BUILD, ${config%%(*}"

serial=$OUT/logs/bench$suffix.log
rm -f "$serial"
log "booting the bench board ($reps rounds per figure)"
start=$SECONDS
INITRAMFS=$BOARD/initramfs-bench$suffix.cpio BOARD_TEST=bench BOOT_TIMEOUT=${BOOT_TIMEOUT:-1800} \
	BOARD_CMDLINE="uio_pdrv_genirq.of_id=generic-uio iomem=relaxed carveout_reps=$reps" \
	"$ROOT/ci/boot.sh" --test "$serial" "$BOARD/qemu-virt-bench.dtb"
sed -i 's/\r$//' "$serial"
log "benchmark took $((SECONDS - start)) s"

grep -E '^(PASS|FAIL) board: ' "$serial" || true
grep -qE '^board: [1-9][0-9]* passed, 0 failed$' "$serial" ||
	die "the bench board failed (see $serial)"
splats=$(grep -E "$SPLAT_RE" "$serial" || true)
[ -z "$splats" ] || die "kernel splat in $serial: $splats"
python3 "$ROOT/ci/bench-report.py" "$serial" "$results"
# Which kernel was measured, at the top of the tables.
kernel_line=$(grep -m1 -o 'Linux version [^ ]*' "$serial" || echo "Linux $release")
{
	echo "Measured on $kernel_line, $config, in one boot of the bench board."
	echo
	cat "$results/results.md"
} >"$results/results.md.new"
mv "$results/results.md.new" "$results/results.md"
