#!/usr/bin/env bash
# Proves `.ci/run` from nothing: builds a Debian 12 root with debootstrap (minbase, from the
# mirror the host's apt sources already name), copies in only what a new machine of this kind
# has besides Debian (rustup's default toolchain, without rust-src, and the machine-wide
# registry settings: the CA bundle and local CAs, pip.conf, npmrc), clones this repository's HEAD
# into it, and runs `CI=true bash .ci/run` there with no standard input and a clean
# environment. The root is made anew each time; its log is kept in $OUT/fresh-debian.log.
# With --again, a second run follows in the same root from a new clone, as CI's next run on the
# same machine (it reuses the cache the first left in the root's ~/.cache/carveout-ci); its
# log is $OUT/fresh-debian-again.log.
#
#   ci/fresh-debian.sh [--again] [ROOT_DIR]    (as root; default $OUT/fresh-debian)
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "run as root: debootstrap, mount and chroot need it"
again=0
if [ "${1:-}" = --again ]; then
	again=1
	shift
fi
root=${1:-$OUT/fresh-debian}
root=$(mkdir -p "$root" && cd "$root" && pwd)
log_file=$OUT/fresh-debian.log
rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
cargo_home=${CARGO_HOME:-$HOME/.cargo}
toolchain=$(rustup show active-toolchain | cut -d' ' -f1) || die "no active rustup toolchain to copy in"

if ! command -v debootstrap >/dev/null; then
	log "installing debootstrap"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
fi
mirror=$(debian_mirror)
[ -n "$mirror" ] || die "no Debian mirror in the host's apt sources"

mounts=()
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local m
	for ((m = ${#mounts[@]} - 1; m >= 0; m--)); do umount -l "${mounts[m]}" 2>/dev/null || true; done
}
trap cleanup EXIT
bind() { # bind SOURCE TARGET: mount, and unmount on exit
	mkdir -p "$2"
	mount --bind "$1" "$2"
	mounts+=("$2")
}

start=$SECONDS
log "making a fresh Debian 12 root in $root from $mirror"
# Anything still mounted from an interrupted run would be deleted through: refuse.
if grep -q " $root/" /proc/mounts; then die "something is still mounted under $root"; fi
rm -rf "$root"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$log_file" 2>&1 ||
	die "debootstrap failed (see $log_file)"

log "copying in rustup's $toolchain (without rust-src) and the registry settings"
mkdir -p "$root/root/.rustup/toolchains" "$root/root/.cargo/bin"
cp -a "$rustup_home/settings.toml" "$root/root/.rustup/"
cp -a "$rustup_home/toolchains/$toolchain" "$root/root/.rustup/toolchains/"
cp -a "$cargo_home/bin/." "$root/root/.cargo/bin/"
rm -rf "$root/root/.rustup/toolchains/$toolchain/lib/rustlib/src"
sed -i "s/^default_toolchain = .*/default_toolchain = \"$toolchain\"/" "$root/root/.rustup/settings.toml"
# The CA bundle and the local CAs it is made from (Debian's ca-certificates, which the run
# installs, rebuilds the bundle from them), pip's and npm's machine-wide settings (npm reads
# $prefix/etc/npmrc), and the resolver. No one's own settings: they may hold credentials.
for f in /etc/ssl/certs/ca-certificates.crt /usr/local/share/ca-certificates/*.crt \
	/etc/pip.conf /etc/npmrc /usr/etc/npmrc /etc/resolv.conf; do
	[ -f "$f" ] || continue
	mkdir -p "$root$(dirname "$f")"
	cp -L "$f" "$root$f"
done

log "cloning HEAD ($(git -C "$ROOT" rev-parse --short HEAD)) into the root"
git clone -q --no-local "$ROOT" "$root/work/carveout"

bind /proc "$root/proc"
bind /sys "$root/sys"
bind /dev "$root/dev"
bind /dev/pts "$root/dev/pts"

# run_ci CLONE LOG: CI=true .ci/run in the clone, in the root; its exit status.
run_ci() {
	local status=0 begin=$SECONDS
	log "running CI=true .ci/run in the root's $1 (log: $2)"
	chroot "$root" /usr/bin/env -i HOME=/root CI=true LANG=C.UTF-8 \
		PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash -c "cd $1 && bash .ci/run" </dev/null >>"$2" 2>&1 || status=$?
	grep -E '^(lint: )?[0-9]+ passed, [0-9]+ failed$|^\.ci/run: .* took ' "$2" || true
	log ".ci/run exited $status after $((SECONDS - begin)) s in $1"
	return "$status"
}
status=0
run_ci /work/carveout "$log_file" || status=$?
log "a fresh Debian 12 root and .ci/run in it: $((SECONDS - start)) s"
if [ "$again" = 1 ]; then
	log "cloning HEAD again, for the next run on the same machine"
	git clone -q --no-local "$ROOT" "$root/work/carveout-again"
	: >"$OUT/fresh-debian-again.log"
	run_ci /work/carveout-again "$OUT/fresh-debian-again.log" || status=$?
fi
exit "$status"
