#!/usr/bin/env bash
# Cross-compiles the userspace program for armv7 as a static binary, building std from rust-src
# (no rust-std for the target is needed): $OUT/userspace/armv7-unknown-linux-gnueabihf/release/carveout.
# The crate's build.rs compiles (never runs) consts.c with the cross compiler to read the C
# constants it needs: CC_<target> names it.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
load_env
target=armv7-unknown-linux-gnueabihf
command -v "${CROSS_COMPILE}gcc" >/dev/null || die "${CROSS_COMPILE}gcc not found: run ci/setup.sh"
[ -f "$(rustc --print sysroot)/lib/rustlib/src/rust/library/Cargo.lock" ] ||
	die "rust-src is missing from $(rustc --print sysroot): run ci/setup.sh"

export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_LINKER="${CROSS_COMPILE}gcc"
export CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_RUSTFLAGS="-C target-feature=+crt-static"
export CC_armv7_unknown_linux_gnueabihf="${CROSS_COMPILE}gcc"
log "building userspace/ for $target"
cargo build --quiet --release --locked --manifest-path "$ROOT/userspace/Cargo.toml" \
	--target "$target" --target-dir "$OUT/userspace" -Zbuild-std=std,panic_abort
bin=$OUT/userspace/$target/release/carveout
file "$bin" | grep -q 'statically linked' || die "$bin is not statically linked"
log "userspace: $bin"
