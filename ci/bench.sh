#!/usr/bin/env bash
# `make bench` (which first runs `make board`, so nothing is stale): builds the production
# kernel (KERNEL_FLAVOUR=bench: the board's kernel configuration without ci/kernel.config's debug
# section, in $OUT/linux-bench, or linux-bench-arm64) and the module against it, boots the bench
# board once on it and turns the BENCH lines of its serial log into $OUT/bench/results.tsv,
# results.md and bench.svg (arm64: $OUT/bench-arm64/).
# - armv7 (dts/qemu-virt-bench.dts: a UIO device over each carveout): `carveout bench` on three
#   devices (this driver against /dev/mem, UIO and RAM), the doorbell's wake-up against UIO's, a
#   vivid frame.
# - arm64 (dts/qemu-virt-bench-blocks.dts, 2 GiB of RAM and the 256 MiB carveout-pool):
#   `carveout bench-maps`, the mappings with block entries against page entries, u-dma-buf, a
#   ramfs file and RAM. BENCH_UDMABUF=PATH adds u-dma-buf: a u-dma-buf.ko built by you against
#   $OUT/linux-bench-arm64 (this project neither ships nor builds it), loaded with a 256 MiB
#   buffer from the kernel's CMA area.
# BENCH_REPS sets the rounds per figure (9; 3 on arm64). The serial log is $OUT/logs/bench.log
# (bench-arm64.log). BENCH_KERNEL=debug measures on make test's debug kernel instead (lockdep,
# DEBUG_VM, kmemleak), to compare with figures taken there: results in $OUT/bench-debug, log
# $OUT/logs/bench-debug.log.
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
case $BOARD_NAME in
armv7)
	bench_dtb=$BOARD/qemu-virt-bench.dtb
	bench_mem=
	reps=${BENCH_REPS:-9}
	;;
arm64)
	bench_dtb=$BOARD/qemu-virt-bench-blocks.dtb
	bench_mem=2G
	reps=${BENCH_REPS:-3}
	;;
*) die "BOARD=$BOARD_NAME has no bench board (armv7 or arm64)" ;;
esac
mkdir -p "$OUT/logs"
# What this bench writes is named by the board and the kernel: bench, bench-debug, bench-arm64...
out=$board_suffix$suffix
case $reps in '' | *[!0-9]*) die "BENCH_REPS='$reps' is not a number" ;; esac

# The board it boots is built by `make board` (the Makefile's bench target depends on it); its
# initramfs gets the module built against the production kernel instead of the test kernel's.
"$ROOT/ci/build-kernel.sh"
load_env
module_dir=$OUT/bench-module$out
log "building the module against $LINUX_BUILD in $module_dir"
forget_stale_module "$module_dir"
module_sources "$module_dir"
kernel_make "$LINUX_BUILD" -s M="$module_dir" modules
done_module "$module_dir"
results=$OUT/bench$out
rootfs=$results/rootfs
rm -rf "$rootfs"
mkdir -p "$results"
cp -a "$BOARD/rootfs" "$rootfs"
install -m 0644 "$module_dir/src/carveout.ko" "$rootfs/lib/modules/carveout.ko"
if [ -n "${BENCH_UDMABUF:-}" ]; then
	[ "$BOARD_NAME" = arm64 ] || die "BENCH_UDMABUF: the arm64 bench's only"
	[ -f "$BENCH_UDMABUF" ] || die "BENCH_UDMABUF=$BENCH_UDMABUF: no such file (a u-dma-buf.ko built against $LINUX_BUILD)"
	install -m 0644 "$BENCH_UDMABUF" "$rootfs/lib/modules/u-dma-buf.ko"
fi
make_cpio "$rootfs" "$BOARD/initramfs-bench$out.cpio"
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

serial=$OUT/logs/bench$out.log
rm -f "$serial"
log "booting the bench board ($reps rounds per figure)"
start=$SECONDS
INITRAMFS=$BOARD/initramfs-bench$out.cpio BOARD_TEST=bench BOOT_TIMEOUT=${BOOT_TIMEOUT:-1800} \
	BOARD_MEM=$bench_mem \
	BOARD_CMDLINE="uio_pdrv_genirq.of_id=generic-uio iomem=relaxed carveout_reps=$reps${BENCH_UDMABUF:+ cma=320M}" \
	"$ROOT/ci/boot.sh" --test "$serial" "$bench_dtb"
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
