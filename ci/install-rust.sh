#!/usr/bin/env bash
# CI machines without Rust: installs rustup's $RUST_TOOLCHAIN (ci/versions.env) with clippy,
# rustfmt and rust-src, unless that rustc is already on PATH. On GitHub Actions it also puts
# ~/.cargo/bin on the PATH of the later steps.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

if [ "$(rustc --version 2>/dev/null | cut -d' ' -f2)" = "$RUST_TOOLCHAIN" ]; then
	log "rustc $RUST_TOOLCHAIN already on PATH"
	exit 0
fi
if ! command -v curl >/dev/null; then
	command -v apt-get >/dev/null || die "curl is missing and there is no apt-get to install it"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ca-certificates curl
fi
curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
	sh -s -- -y --no-modify-path --profile minimal --default-toolchain "$RUST_TOOLCHAIN" \
		--component clippy,rustfmt,rust-src
if [ -n "${GITHUB_PATH:-}" ]; then
	echo "$HOME/.cargo/bin" >>"$GITHUB_PATH"
fi
log "rustc $RUST_TOOLCHAIN installed in $HOME/.cargo/bin"
