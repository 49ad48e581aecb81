#!/usr/bin/env bash
# Configures (allnoconfig + the board's fragments: ci/kernel.config, then its architecture's,
# ci/kernel-arm.config or ci/kernel-arm64.config, then for BOARD=lpae ci/kernel-lpae.config) and
# builds the board's kernel in $OUT/linux (lpae: $OUT/linux-lpae, arm64: $OUT/linux-arm64); with
# KERNEL_FLAVOUR=bench, the production kernel make bench measures (the fragments without
# ci/kernel.config's debug section) in $OUT/linux-bench.
# Reconfigures only when the fragment, the source tree or the toolchain changed; make does the rest.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
load_env
src=$(linux_src)
check_cross_compiler
mkdir -p "$LINUX_BUILD"
# The board's fragments one after the other; for the production kernel, each up to its
# "make test only" line.
fragment=$LINUX_BUILD/kernel.config
for f in "${KERNEL_FRAGMENTS[@]}"; do
	if [ "${KERNEL_FLAVOUR:-test}" = bench ]; then sed '/^# --- make test only/,$d' "$f"; else cat "$f"; fi
done >"$fragment.new"
cmp -s "$fragment.new" "$fragment" || mv "$fragment.new" "$fragment"
rm -f "$fragment.new"

kmake() { kernel_make "$LINUX_BUILD" "$@"; }

want=$({
	cat "$fragment"
	echo "$src"
	rustc --version
	"$BINDGEN" --version
})
want=$(echo "$want" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$LINUX_BUILD/.fragment-stamp" 2>/dev/null)" != "$want" ]; then
	log "checking the Rust toolchain against $(basename "$src")"
	kmake -s rustavailable >&2 || die "the kernel does not accept this Rust toolchain (see above)"
	log "configuring: allnoconfig + ${KERNEL_FRAGMENTS[*]#"$ROOT"/}"
	kmake -s KCONFIG_ALLCONFIG="$fragment" allnoconfig
	kconfig_kept "$fragment" "$LINUX_BUILD/.config" ||
		die "kconfig dropped options from $fragment (a dependency is missing)"
	echo "$want" >"$LINUX_BUILD/.fragment-stamp"
fi
# The minimal form of this configuration: the Buildroot image's kernel starts from it
# (buildroot/board/qemu-arm-virt/linux.config), and make test checks that they agree.
[ "$LINUX_BUILD/defconfig" -nt "$LINUX_BUILD/.config" ] || kmake -s savedefconfig

# The kernel sources under $OUT are not edited: once built for this stamp, skip make's long no-op walk.
# FORCE_KERNEL=1 runs make anyway.
if [ "${FORCE_KERNEL:-0}" = 1 ] || [ "$(cat "$LINUX_BUILD/.build-stamp" 2>/dev/null)" != "$want" ] ||
	[ ! -f "$KERNEL_IMAGE_PATH" ]; then
	log "building $KERNEL_IMAGE and modules in $LINUX_BUILD"
	kmake -s "$KERNEL_IMAGE" modules
	echo "$want" >"$LINUX_BUILD/.build-stamp"
fi
log "kernel: $KERNEL_IMAGE_PATH ($(cat "$LINUX_BUILD/include/config/kernel.release"))"
