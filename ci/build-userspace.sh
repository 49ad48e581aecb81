#!/usr/bin/env bash
# Cross-compiles the userspace program for the board (armv7-unknown-linux-gnueabihf, or
# aarch64-unknown-linux-gnu for BOARD=arm64) as a static binary, building std from rust-src
# (no rust-std for the target is needed): $CARGO_OUT/userspace/<target>/release/carveout
# ($OUT/cargo, or the cache's: ci/lib.sh); with USERSPACE_PROFILE=dev-board (ci/dev.sh), the
# edit loop's quicker build in .../dev-board/carveout. With the release profile, also the Rust
# example (examples/rust/, a crate on the library as a user's would be) beside it:
# .../release/carveout-map-sync.
# The crate's build.rs compiles (never runs) consts.c with the cross compiler to read the C
# constants it needs: CC_<target> names it.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
load_env
target=$RUST_TARGET
check_cross_compiler
[ -f "$(rustc --print sysroot)/lib/rustlib/src/rust/library/Cargo.lock" ] ||
	die "rust-src is missing from $(rustc --print sysroot): run ci/setup.sh"

export RUSTC_BOOTSTRAP=1
cargo_target=$(tr a-z- A-Z_ <<<"$target")
export "CARGO_TARGET_${cargo_target}_LINKER=${CROSS_COMPILE}gcc"
export "CARGO_TARGET_${cargo_target}_RUSTFLAGS=-C target-feature=+crt-static"
export "CC_${target//-/_}=${CROSS_COMPILE}gcc"
log "building userspace/ for $target"
cargo build --quiet --profile "$USERSPACE_PROFILE" --locked --manifest-path "$ROOT/userspace/Cargo.toml" \
	--target "$target" --target-dir "$CARGO_OUT/userspace" -Zbuild-std=std,panic_abort
bin=$USERSPACE_BIN
file "$bin" | grep -q 'statically linked' || die "$bin is not statically linked"
log "userspace: $bin"
# The edit loop pushes the program alone; the board image has the example too.
[ "$USERSPACE_PROFILE" = release ] || exit 0
log "building examples/rust/ for $target"
# The same target directory: the std built for the program serves the example.
cargo build --quiet --release --locked --manifest-path "$ROOT/examples/rust/Cargo.toml" \
	--target "$target" --target-dir "$CARGO_OUT/userspace" -Zbuild-std=std,panic_abort
file "$EXAMPLE_BIN" | grep -q 'statically linked' || die "$EXAMPLE_BIN is not statically linked"
log "example: $EXAMPLE_BIN"
