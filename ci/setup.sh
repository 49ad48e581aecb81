#!/usr/bin/env bash
# Installs and checks everything the build needs, then writes $OUT/env.sh.
#
# Each piece is taken from the first place that has it, and the script says which:
#   host packages    apt-get (Debian 12 / Ubuntu 24.04), when running as root or with sudo
#   kernel source    $LINUX_SRC if set; Debian's linux-source-7.3; kernel.org tarball (pinned sha256)
#   rust-src         rustc's sysroot; `rustup component add rust-src`; Debian's rust-src of the same version
#   bindgen          bindgen on PATH if >= $BINDGEN_MIN; else `cargo install bindgen-cli`
#   libclang         $LIBCLANG_PATH if set; else PyPI's `libclang` wheel
#   busybox          Debian's busybox-static for the board's architecture (armhf, arm64)
# Debian suites other than the host's are used download-only, through a private apt state in $OUT/apt (or the cache's),
# on the mirror the host's apt sources already name: the host system is never upgraded.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

HOST_PACKAGES=(
	bc bison cpio device-tree-compiler file flex libelf-dev
	libssl-dev make python3 python3-pip qemu-system-arm rsync shellcheck xz-utils gcc
	# The board's cross compiler and C library (BOARD; qemu-system-arm has aarch64 too).
	"gcc-$GCC_MACHINE" "libc6-dev-$DEB_ARCH-cross"
	# The host's C headers: userspace/build.rs compiles consts.c for host builds (cargo test).
	libc6-dev
)

mkdir -p "$OUT" "$TOOLS"

install_host_packages() {
	local missing=() p
	command -v dpkg-query >/dev/null || {
		log "not a Debian-like host: make sure these are installed: ${HOST_PACKAGES[*]}"
		return
	}
	for p in "${HOST_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || die "missing host packages (${missing[*]}) and not root: install them"
		sudo=(sudo)
	fi
	log "installing host packages: ${missing[*]}"
	"${sudo[@]}" apt-get update -q
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

SIDE_APT=${CACHE:-$OUT}/apt
side_apt_ready=
# apt-get/apt-cache on the extra Debian suites, with a private state directory.
side_apt() {
	local tool=$1
	shift
	APT_CONFIG=$SIDE_APT/apt.conf "$tool" "$@"
}
setup_side_apt() {
	[ -n "$side_apt_ready" ] && return 0
	local mirror suite
	mirror=$(debian_mirror)
	[ -n "$mirror" ] || {
		log "no Debian mirror in the host's apt sources: Debian route unavailable"
		return 1
	}
	mkdir -p "$SIDE_APT"/{lists/partial,cache/archives/partial,debs}
	: >"$SIDE_APT/status"
	cat >"$SIDE_APT/apt.conf" <<-EOF
		Dir::State "$SIDE_APT";
		Dir::State::Lists "$SIDE_APT/lists";
		Dir::State::status "$SIDE_APT/status";
		Dir::Cache "$SIDE_APT/cache";
		Dir::Etc::SourceList "$SIDE_APT/sources.list";
		Dir::Etc::SourceParts "/dev/null";
		APT::Sandbox::User "root";
		APT::Architecture "$(dpkg --print-architecture)";
		APT::Architectures { "$(dpkg --print-architecture)"; "armhf"; "arm64"; };
	EOF
	# armhf and arm64 are needed only for busybox-static, from the first (stable) suite.
	local arch host_arch
	host_arch=$(dpkg --print-architecture)
	arch="$host_arch,armhf,arm64"
	: >"$SIDE_APT/sources.list"
	for suite in $DEBIAN_EXTRA_SUITES; do
		echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" \
			>>"$SIDE_APT/sources.list"
		arch=$host_arch
	done
	# Refresh the lists at most once a day; a mirror caught mid-sync gets one more try.
	local stamp=$SIDE_APT/updated
	if ! cmp -s "$SIDE_APT/sources.list" "$stamp" ||
		[ -z "$(find "$stamp" -mtime -1 -print 2>/dev/null)" ]; then
		rm -f "$stamp"
		log "updating package lists for $DEBIAN_EXTRA_SUITES from $mirror (private apt state)"
		side_apt apt-get update -q -o APT::Update::Error-Mode=any >"$SIDE_APT/update.log" 2>&1 ||
			{ sleep 5 && side_apt apt-get update -q -o APT::Update::Error-Mode=any >"$SIDE_APT/update.log" 2>&1; } ||
			die "apt-get update for $DEBIAN_EXTRA_SUITES failed: see $SIDE_APT/update.log"
		cp "$SIDE_APT/sources.list" "$stamp"
	fi
	side_apt_ready=1
}

# side_version PKG VERSION-GLOB: the newest version of PKG matching the glob.
side_version() {
	local pkg=$1 glob=$2 ver
	ver=$(side_apt apt-cache madison "$pkg" | awk -F'|' '{gsub(/ /, "", $2); print $2}' |
		while read -r v; do
			# shellcheck disable=SC2254 # $glob is a pattern on purpose
			case $v in $glob) echo "$v" ;; esac
		done | sort -V | tail -n1)
	[ -n "$ver" ] || die "Debian has no $pkg matching '$glob' in $DEBIAN_EXTRA_SUITES"
	printf '%s\n' "$ver"
}

# side_download PKG VERSION-GLOB: downloads the newest version of PKG matching the glob; prints the .deb path.
side_download() {
	local pkg=$1 glob=$2 ver deb
	ver=$(side_version "$pkg" "$glob")
	# PKG:ARCH names one architecture's package; the same version of another may be here too.
	local name="${pkg%%:*}_${ver//:/%3a}_*.deb"
	case $pkg in *:*) name="${pkg%%:*}_${ver//:/%3a}_${pkg#*:}.deb" ;; esac
	deb=$(find "$SIDE_APT/debs" -name "$name" -print -quit)
	if [ -z "$deb" ]; then
		log "downloading $pkg $ver"
		(cd "$SIDE_APT/debs" && side_apt apt-get download -q "$pkg=$ver" >/dev/null)
		deb=$(find "$SIDE_APT/debs" -name "$name" -print -quit)
	fi
	[ -n "$deb" ] || die "download of $pkg $ver produced no .deb"
	printf '%s\n' "$deb"
}

setup_linux_source() {
	if [ -n "${LINUX_SRC:-}" ]; then
		[ -f "$LINUX_SRC/Makefile" ] || die "LINUX_SRC=$LINUX_SRC has no Makefile"
		log "kernel source: $LINUX_SRC (from LINUX_SRC)"
		return
	fi
	local dest=${CACHE:-$OUT}/src deb tarball ver
	mkdir -p "$dest"
	if setup_side_apt; then
		# One directory per package version: a new Debian release of the source is a new path,
		# which ci/build-kernel.sh's key includes, so the kernels rebuild.
		ver=$(side_version "linux-source-$LINUX_SERIES" "$LINUX_SERIES.*")
		dest=$dest/linux-source-${ver//:/_}
		LINUX_SRC=$dest/linux-source-$LINUX_SERIES
		if [ -f "$LINUX_SRC/.unpacked" ]; then
			log "kernel source: $LINUX_SRC (unpacked before)"
			return
		fi
		deb=$(side_download "linux-source-$LINUX_SERIES" "$ver")
		log "unpacking $(basename "$deb")"
		rm -rf "$dest"
		mkdir -p "$dest"
		dpkg-deb -x "$deb" "$dest/deb"
		tar -C "$dest" -xf "$dest/deb/usr/src/linux-source-$LINUX_SERIES.tar.xz"
		rm -rf "$dest/deb"
	else
		[ -n "$LINUX_TARBALL_SHA256" ] ||
			die "no Debian mirror and no pinned sha256 for linux-$LINUX_TARBALL_VERSION.tar.xz" \
				"(ci/versions.env): set LINUX_SRC to a 7.3 tree, or pin the tarball's checksum"
		LINUX_SRC=$dest/linux-$LINUX_TARBALL_VERSION
		if [ -f "$LINUX_SRC/.unpacked" ]; then
			log "kernel source: $LINUX_SRC (unpacked before)"
			return
		fi
		tarball=$OUT/dl/linux-$LINUX_TARBALL_VERSION.tar.xz
		mkdir -p "$OUT/dl"
		[ -f "$tarball" ] || curl -fL --retry 3 -o "$tarball.part" \
			"https://cdn.kernel.org/pub/linux/kernel/v${LINUX_SERIES%%.*}.x/linux-$LINUX_TARBALL_VERSION.tar.xz" &&
			mv "$tarball.part" "$tarball"
		echo "$LINUX_TARBALL_SHA256  $tarball" | sha256sum -c --quiet ||
			die "checksum mismatch for $tarball"
		rm -rf "$LINUX_SRC"
		tar -C "$dest" -xf "$tarball"
	fi
	touch "$LINUX_SRC/.unpacked"
	log "kernel source: $LINUX_SRC ($(make -s -C "$LINUX_SRC" kernelversion 2>/dev/null))"
}

check_rustc() {
	command -v rustc >/dev/null ||
		die "rustc not found: run 'ci/install-rust.sh' (rustup's $RUST_TOOLCHAIN, with clippy, rustfmt, rust-src), then 'export PATH=\$HOME/.cargo/bin:\$PATH'; or install Rust >= $RUSTC_MIN another way"
	RUSTC_VERSION=$(rustc --version | awk '{print $2}')
	version_ge "$RUSTC_VERSION" "$RUSTC_MIN" || die "rustc $RUSTC_VERSION is older than $RUSTC_MIN (Linux $LINUX_SERIES)"
	# The userspace crate's floor is its own rust-version (one home: userspace/Cargo.toml).
	local crate_min
	crate_min=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' "$ROOT/userspace/Cargo.toml")
	[ -n "$crate_min" ] || die "userspace/Cargo.toml names no rust-version"
	version_ge "$RUSTC_VERSION" "$crate_min" ||
		die "rustc $RUSTC_VERSION is older than $crate_min (userspace/Cargo.toml's rust-version)"
	SYSROOT=$(rustc --print sysroot)
	log "rustc: $RUSTC_VERSION at $SYSROOT"
}

# rust-src must sit in rustc's sysroot: the kernel reads it there (RUST_LIB_SRC) and so does
# `cargo -Zbuild-std` for the userspace program. It must be the same version as rustc.
setup_rust_src() {
	local lib=$SYSROOT/lib/rustlib/src/rust deb tmp
	if [ -f "$lib/library/core/src/lib.rs" ]; then
		log "rust-src: $lib"
		return
	fi
	if command -v rustup >/dev/null && timeout 120 rustup component add rust-src >/dev/null 2>&1 &&
		[ -f "$lib/library/core/src/lib.rs" ]; then
		log "rust-src: installed by rustup"
		return
	fi
	setup_side_apt || die "rust-src $RUSTC_VERSION is missing: rustup cannot fetch it and no Debian mirror is set up"
	deb=$(side_download rust-src "$RUSTC_VERSION+*")
	tmp=$SIDE_APT/rust-src-unpacked
	rm -rf "$tmp"
	dpkg-deb -x "$deb" "$tmp"
	[ -f "$tmp/usr/lib/rustlib/src/rust/library/core/src/lib.rs" ] || die "$(basename "$deb") has no library/core"
	mkdir -p "$(dirname "$lib")"
	rm -rf "$lib"
	# Debian's rustlib/src/rust is a relative link into /usr/src/rustc-<version>: move what it points at.
	mv "$(readlink -f "$tmp/usr/lib/rustlib/src/rust")" "$lib"
	rm -rf "$tmp"
	log "rust-src: Debian's $(basename "$deb") installed into $lib"
}

setup_bindgen() {
	local v
	if command -v bindgen >/dev/null; then
		v=$(bindgen --version | awk '{print $2}')
		if version_ge "$v" "$BINDGEN_MIN"; then
			BINDGEN=$(command -v bindgen)
			log "bindgen: $v at $BINDGEN"
			return
		fi
		log "bindgen $v on PATH is older than $BINDGEN_MIN: installing bindgen-cli $BINDGEN_CLI_VERSION"
	fi
	BINDGEN=$TOOLS/bin/bindgen
	if [ ! -x "$BINDGEN" ] || [ "$("$BINDGEN" --version | awk '{print $2}')" != "$BINDGEN_CLI_VERSION" ]; then
		log "building bindgen-cli $BINDGEN_CLI_VERSION from crates.io (about 90 s)"
		cargo install --quiet --locked --root "$TOOLS" "bindgen-cli@$BINDGEN_CLI_VERSION"
	fi
	log "bindgen: $BINDGEN_CLI_VERSION at $BINDGEN"
}

setup_libclang() {
	if [ -n "${LIBCLANG_PATH:-}" ]; then
		[ -d "$LIBCLANG_PATH" ] || die "LIBCLANG_PATH=$LIBCLANG_PATH is not a directory"
		log "libclang: $LIBCLANG_PATH (from LIBCLANG_PATH)"
		return
	fi
	local dir=$TOOLS/libclang-$LIBCLANG_PYPI_VERSION
	if [ ! -f "$dir/clang/native/libclang.so" ]; then
		log "installing libclang $LIBCLANG_PYPI_VERSION from PyPI"
		python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --only-binary=:all: \
			--target "$dir" "libclang==$LIBCLANG_PYPI_VERSION"
	fi
	[ -f "$dir/clang/native/libclang.so" ] || die "the libclang wheel has no clang/native/libclang.so"
	LIBCLANG_PATH=$dir/clang/native
	log "libclang: $LIBCLANG_PYPI_VERSION at $LIBCLANG_PATH"
}

setup_busybox() {
	# BUSYBOX (ci/lib.sh) is the board's.
	if [ -x "$BUSYBOX" ]; then
		log "busybox: $BUSYBOX (cached)"
		return
	fi
	setup_side_apt || die "busybox-static for $DEB_ARCH is missing and no Debian mirror is set up"
	local deb tmp=$SIDE_APT/busybox-unpacked
	deb=$(side_download "busybox-static:$DEB_ARCH" "*")
	rm -rf "$tmp"
	dpkg-deb -x "$deb" "$tmp"
	install -m 0755 "$(find "$tmp" -path '*bin/busybox' -type f -print -quit)" "$BUSYBOX"
	rm -rf "$tmp"
	log "busybox: $(basename "$deb")"
}

install_host_packages
check_rustc
setup_linux_source
setup_rust_src
setup_bindgen
setup_libclang
setup_busybox

cat >"$OUT/env.sh.new" <<EOF
# Written by ci/setup.sh: the toolchain this build uses.
export LINUX_SRC='$LINUX_SRC'
export LIBCLANG_PATH='$LIBCLANG_PATH'
export BINDGEN='$BINDGEN'
export PATH='$(dirname "$BINDGEN")':"\$PATH"
EOF
mv "$OUT/env.sh.new" "$OUT/env.sh"
log "toolchain ready: $OUT/env.sh"
