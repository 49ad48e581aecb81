#!/usr/bin/env bash
# Boots the board: ci/boot.sh [--test LOG] [DTB]. Without --test: an interactive console
# (Ctrl-a x quits). With --test: runs ci/board/board-test.sh in the mode $BOARD_TEST (full, the
# default: every check; matrix: a malformed board's; race: the races alone; dmabuf: the
# dma-bufs with vivid alone; doorbell: the doorbells alone; bench: the benchmark, as
# ci/bench.sh boots it), powers off, keeps the serial log in LOG. $BOARD_CYCLES sets its
# unbind/bind and load/unload cycles (100). $BOARD_MEM replaces the board's RAM size (-m);
# $BOARD_CMDLINE adds kernel command-line words. KERNEL_FLAVOUR=bench boots the production
# kernel (ci/build-kernel.sh), and $INITRAMFS replaces $BOARD/initramfs.cpio.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

test_log=
if [ "${1:-}" = --test ]; then
	test_log=${2:?--test needs a log file}
	shift 2
fi
dtb=${1:-$BOARD/qemu-virt-carveout.dtb}
kernel=$KERNEL_IMAGE_PATH
initramfs=${INITRAMFS:-$BOARD/initramfs.cpio}
for f in "$kernel" "$dtb" "$initramfs"; do
	[ -f "$f" ] || die "$f is missing: run 'make board'"
done

board_args=("${QEMU_BOARD_ARGS[@]}")
if [ -n "${BOARD_MEM:-}" ]; then
	for i in "${!board_args[@]}"; do
		[ "${board_args[$i]}" = -m ] && board_args[i + 1]=$BOARD_MEM
	done
fi
args=("${board_args[@]}" -kernel "$kernel" -dtb "$dtb" -initrd "$initramfs" -no-reboot)
cmdline=$BOARD_KERNEL_ARGS
if [ -z "$test_log" ]; then
	exec "$QEMU" "${args[@]}" -nographic -append "$cmdline"
fi
# A hung guest must not hang CI: a watchdog of 2400 s (BOOT_TIMEOUT), over twice the slowest
# full board test measured (834 s, docs/testing.md). Exits 124 when it fires.
status=0
timeout "${BOOT_TIMEOUT:-2400}" "$QEMU" "${args[@]}" -display none -monitor none \
	-serial "file:$test_log" -append "$cmdline carveout_test=${BOARD_TEST:-full} carveout_cycles=${BOARD_CYCLES:-100} ${BOARD_CMDLINE:-}" </dev/null ||
	status=$?
case $status in
0) ;;
124)
	log "timeout: the board still ran after ${BOOT_TIMEOUT:-2400} s (serial log: $test_log)"
	exit 124
	;;
*) die "QEMU failed (exit $status; serial log: $test_log)" ;;
esac
