#!/usr/bin/env bash
# Configures (allnoconfig + the board's fragments: ci/kernel.config, then its architecture's,
# ci/kernel-arm.config or ci/kernel-arm64.config, then for BOARD=lpae ci/kernel-lpae.config) and
# builds the board's kernel in $OUT/linux (lpae: $OUT/linux-lpae, arm64: $OUT/linux-arm64); with
# KERNEL_FLAVOUR=bench, the production kernel make bench measures (the fragments without
# ci/kernel.config's debug section) in $OUT/linux-bench.
# Reconfigures only when the fragment, the source tree or the toolchain changed; make does the rest.
# With CARVEOUT_CACHE, the build is kept there under that key (below).
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
load_env
src=$(linux_src)
check_cross_compiler
# The board's fragments one after the other; for the production kernel, each up to its
# "make test only" line.
mkdir -p "$OUT"
fragment_new=$OUT/kernel-$(basename "$LINUX_BUILD").config.new
for f in "${KERNEL_FRAGMENTS[@]}"; do
	if [ "${KERNEL_FLAVOUR:-test}" = bench ]; then sed '/^# --- make test only/,$d' "$f"; else cat "$f"; fi
done >"$fragment_new"

# The key of this build: what it is made of (configuration, source tree, compilers).
want=$({
	cat "$fragment_new"
	echo "$src"
	rustc --version
	"$BINDGEN" --version
	"${CROSS_COMPILE}gcc" --version | head -n1
})
want=$(echo "$want" | sha256sum | cut -d' ' -f1)

# With a cache (CARVEOUT_CACHE), the build lives there in a directory named by its key, and
# $LINUX_BUILD links to it: a run from another clone finds it built; a changed fragment or
# toolchain names another directory, built from nothing. This key and the most recently used
# other finished one of each build are kept (prune_cache).
if [ -n "$CACHE" ]; then
	keyed=$CACHE/kernels/$(basename "$LINUX_BUILD")-${want:0:16}
	if [ -d "$LINUX_BUILD" ] && [ ! -L "$LINUX_BUILD" ]; then
		log "$LINUX_BUILD is a directory of its own: building there, not in $CACHE (remove it to use the cache)"
	else
		mkdir -p "$keyed"
		touch "$keyed"
		ln -sfn "$keyed" "$LINUX_BUILD"
		log "kernel build: $keyed ($([ -f "$keyed/.build-stamp" ] && echo "built before" || echo "a new key"))"
	fi
fi
# prune_cache: once this build is done, keeps it and the most recently used other finished
# build of the same name; removes the rest (older keys, and ones that never finished).
prune_cache() {
	[ -n "$CACHE" ] && [ -L "$LINUX_BUILD" ] || return 0
	local kept=0 dir
	find "$CACHE/kernels" -mindepth 1 -maxdepth 1 -type d \
		-name "$(basename "$LINUX_BUILD")-$(printf '?%.0s' {1..16})" -printf '%T@ %p\n' |
		sort -rn | cut -d' ' -f2- | while read -r dir; do
		[ "$dir" = "$keyed" ] && continue
		if [ "$kept" = 0 ] && [ -f "$dir/.build-stamp" ]; then
			kept=1
			continue
		fi
		log "removing an older kernel build from the cache: $dir"
		rm -rf "$dir"
	done
}
mkdir -p "$LINUX_BUILD/"
fragment=$LINUX_BUILD/kernel.config
cmp -s "$fragment_new" "$fragment" || mv "$fragment_new" "$fragment"
rm -f "$fragment_new"

kmake() { kernel_make "$LINUX_BUILD" "$@"; }

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
prune_cache
