#!/usr/bin/env bash
# Builds what the board boots, in $OUT/board ($OUT/board-lpae, $OUT/board-arm64 for the other
# boards): device trees
# (QEMU's own tree, the board's trees: dts/*.dts and the malformed dts/bad/*.dts, or
# dts/lpae/*.dts) and the initramfs (busybox, the module, the userspace program, the kernel's
# mm/pfnmap selftest, the C test of the UAPI header, the C and Rust examples, examples/mdev.conf,
# the test runner). The
# module of a board other than armv7 is built here, beside its kernel.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
load_env
check_cross_compiler
mkdir -p "$BOARD"

if [ "$BOARD_NAME" != armv7 ]; then
	log "building the module against $LINUX_BUILD in $MODULE_DIR"
	# As test.sh builds it, so that one build serves both.
	build_module -s
fi
module=$MODULE_DIR/src/carveout.ko
tool=$USERSPACE_BIN
[ -f "$module" ] || die "$module is missing: run 'make module'"
[ -x "$tool" ] || die "$tool is missing: run 'make userspace'"
[ -x "$EXAMPLE_BIN" ] || die "$EXAMPLE_BIN is missing: run 'make userspace'"

# QEMU's tree for the board's options, regenerated when QEMU or the options change.
base=$BOARD/qemu-virt-base.dts
want="$("$QEMU" --version | head -n1) ${QEMU_BOARD_ARGS[*]}"
if [ ! -f "$base" ] || [ "$(cat "$base.stamp" 2>/dev/null)" != "$want" ]; then
	log "dumping QEMU's device tree for: ${QEMU_BOARD_ARGS[*]}"
	"$QEMU" "${QEMU_BOARD_ARGS[@]}" -machine dumpdtb="$BOARD/qemu-virt-base.dtb" \
		-display none >/dev/null 2>&1 || die "$QEMU could not dump its device tree"
	dtc -q -I dtb -O dts -o "$base" "$BOARD/qemu-virt-base.dtb"
	echo "$want" >"$base.stamp"
fi
# The board's trees, and the malformed ones of the probe-error matrix in $BOARD/bad.
mkdir -p "$BOARD/bad"
shopt -s nullglob
for dts in "$DTS_DIR"/*.dts "$DTS_DIR"/bad/*.dts; do
	dir=$BOARD
	[ "$(basename "$(dirname "$dts")")" = bad ] && dir=$BOARD/bad
	dtb=$dir/$(basename "${dts%.dts}").dtb
	# QEMU's own nodes trip dtc's style checks; ours must not (see ci/lint.sh).
	dtc -q -I dts -O dtb -i "$BOARD" -o "$dtb" "$dts" || die "dtc failed on $dts"
done

# The kernel's own PFN-mapping selftest (tools/testing/selftests/mm/pfnmap.c: madvise, split
# munmap, mremap, fork), built from the board kernel's source against its UAPI headers.
src=$(linux_src)
selftests=$src/tools/testing/selftests
pfnmap=$BOARD/pfnmap
if [ ! -x "$pfnmap" ] || [ "$pfnmap" -ot "$KERNEL_IMAGE_PATH" ]; then
	log "building the kernel's mm/pfnmap selftest"
	make -s -C "$LINUX_BUILD" headers_install INSTALL_HDR_PATH="$BOARD/uapi"
	# Upstream's code: its 32-bit pointer-cast warnings are not ours to fix.
	"${CROSS_COMPILE}gcc" -static -O2 -w -isystem "$BOARD/uapi/include" -I "$selftests" \
		-I "$src/tools/include" -I "$selftests/mm" "$selftests/mm/pfnmap.c" \
		"$selftests/mm/vm_util.c" -o "$pfnmap.new" || die "cannot build $selftests/mm/pfnmap.c"
	mv "$pfnmap.new" "$pfnmap"
fi

# The C program on the UAPI header, built as a C user would: <linux/carveout.h> from include/uapi.
ctest=$BOARD/carveout-ctest
"${CROSS_COMPILE}gcc" -static -O2 -Wall -Wextra -Werror -D_FILE_OFFSET_BITS=64 \
	-I "$ROOT/include/uapi" "$ROOT/tests/carveout-ctest.c" -o "$ctest" ||
	die "cannot build tests/carveout-ctest.c"
# The dma-buf test with vivid, on the same header and the kernel's own (<linux/videodev2.h>,
# <linux/dma-buf.h>, as installed above).
vivid_test=$BOARD/carveout-vivid
"${CROSS_COMPILE}gcc" -static -O2 -Wall -Wextra -Werror -D_FILE_OFFSET_BITS=64 \
	-isystem "$BOARD/uapi/include" -I "$ROOT/include/uapi" "$ROOT/tests/carveout-vivid.c" \
	-o "$vivid_test" || die "cannot build tests/carveout-vivid.c"
# The doorbell test, on the same header alone.
doorbell_test=$BOARD/carveout-doorbell
"${CROSS_COMPILE}gcc" -static -O2 -Wall -Wextra -Werror -D_FILE_OFFSET_BITS=64 -pthread \
	-I "$ROOT/include/uapi" "$ROOT/tests/carveout-doorbell.c" -o "$doorbell_test" ||
	die "cannot build tests/carveout-doorbell.c"
# The C example, built as its comment tells a user to build it (plus -static -Werror).
c_example=$BOARD/map-sync
"${CROSS_COMPILE}gcc" -static -O2 -Wall -Werror -I "$ROOT/include/uapi" \
	"$ROOT/examples/c/map-sync.c" -o "$c_example" || die "cannot build examples/c/map-sync.c"

# The initramfs, as a newc cpio archive (uncompressed: the kernel needs no decompressor).
root=$BOARD/rootfs
rm -rf "$root"
mkdir -p "$root"/{bin,dev,etc,proc,sys,tmp,lib/modules}
install -m 0755 "$BUSYBOX" "$root/bin/busybox"
install -m 0755 "$tool" "$root/bin/carveout"
install -m 0755 "$pfnmap" "$root/bin/pfnmap"
install -m 0755 "$ctest" "$root/bin/carveout-ctest"
install -m 0755 "$vivid_test" "$root/bin/carveout-vivid"
install -m 0755 "$doorbell_test" "$root/bin/carveout-doorbell"
install -m 0755 "$c_example" "$root/bin/map-sync"
install -m 0755 "$EXAMPLE_BIN" "$root/bin/carveout-map-sync"
install -m 0644 "$ROOT/examples/mdev.conf" "$root/etc/mdev.conf"
install -m 0644 "$module" "$root/lib/modules/carveout.ko"
install -m 0755 "$ROOT/ci/board/init" "$root/init"
install -m 0755 "$ROOT/ci/board/board-test.sh" "$root/board-test.sh"
make_cpio "$root" "$BOARD/initramfs.cpio"
log "board $BOARD_NAME: $BOARD/initramfs.cpio and the device trees of ${DTS_DIR#"$ROOT"/}/ in $BOARD"
