# Common settings and helpers for the scripts in ci/. Source it; do not run it.
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables here are used by the scripts that source this file

# script_help FILE: the comment block at the top of a script (its usage), without the '#'.
script_help() {
	awk 'NR == 1 && /^#!/ { next }
		/^# shellcheck / { next }
		/^#/ { sub(/^# ?/, ""); print; next }
		{ exit }' "$1"
}
# Every script that sources this file answers -h/--help with its header, and does nothing else.
case "${1:-}" in -h | --help)
	script_help "$0"
	exit 0
	;;
esac

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$ROOT/build}
# shellcheck source=ci/versions.env
. "$ROOT/ci/versions.env"

# CARVEOUT_CACHE: a directory kept from one run to the next, outside the clone (.ci/run uses
# ~/.cache/carveout-ci), for what is slow to make and can be keyed: the toolchain (directories
# named by version), the private apt state and the kernel source (by its package version), and
# the kernel builds (by their configuration, source and toolchain: ci/build-kernel.sh). Without
# it, all of these live under $OUT.
CACHE=${CARVEOUT_CACHE:-}
if [ -n "$CACHE" ]; then
	mkdir -p "$CACHE"
	CACHE=$(cd "$CACHE" && pwd)
fi
TOOLS=${CACHE:-$OUT}/toolchain
# Cargo's target directories: cargo keys what it keeps (compiler, flags, sources) itself, so
# they are kept in the cache too (one run at a time, .ci/run's lock).
CARGO_OUT=${CACHE:-$OUT}/cargo

# The board: armv7 (the default: 32-bit ARM without LPAE, 512 MiB), lpae (32-bit ARM with
# LPAE, 4.5 GiB of RAM and the carveouts above 4 GiB) or arm64 (64-bit ARM, 512 MiB), as in
# `make test BOARD=lpae`. Below, BOARD becomes the board's build directory (an absolute path,
# which bash passes on to the scripts these scripts run, since BOARD came from the
# environment); BOARD_NAME, exported, carries the choice to them. A board name in BOARD wins
# over an inherited BOARD_NAME.
case ${BOARD:-} in
'' | /*) BOARD_NAME=${BOARD_NAME:-armv7} ;;
*) BOARD_NAME=$BOARD ;;
esac
export BOARD_NAME
# Each board: the suffix of its build directories, its architecture, the kernel configuration
# fragments it adds to ci/kernel.config (what every board needs), QEMU's options (QEMU's own
# tree is dumped for exactly these, and the board's trees, DTS_DIR/*.dts, extend it), and the
# Buildroot image's kernel configuration, which must be its kernel's savedefconfig (none for
# the LPAE board, which has no image).
case $BOARD_NAME in
armv7)
	board_suffix=
	board_arch=arm
	board_fragments=(kernel-arm.config)
	QEMU_BOARD_ARGS=(-M virt -cpu cortex-a15 -smp 2 -m 512M -nic none)
	DTS_DIR=$ROOT/dts
	BR_LINUX_CONFIG=buildroot/board/qemu-arm-virt/linux.config
	FULL_CYCLES=100
	;;
lpae)
	board_suffix=-lpae
	board_arch=arm
	board_fragments=(kernel-arm.config kernel-lpae.config)
	# RAM from 1 GiB to 5.5 GiB: QEMU's virt puts RAM at 0x40000000, and above 3 GiB of it
	# (highmem, the default) needs an LPAE CPU, which the Cortex-A15 is.
	QEMU_BOARD_ARGS=(-M virt -cpu cortex-a15 -smp 2 -m 4608M -nic none)
	DTS_DIR=$ROOT/dts/lpae
	BR_LINUX_CONFIG=
	# Every test, a third of the cycles: the board whose cycles cost most (highmem, 4.5 GiB
	# under kmemleak), whose difference from armv7 (page tables, addresses above 4 GiB) the
	# self-test covers in full (docs/ci.md, "What each board runs").
	FULL_CYCLES=30
	;;
arm64)
	board_suffix=-arm64
	board_arch=arm64
	board_fragments=(kernel-arm64.config)
	# The armv7 board's memory map (QEMU's virt puts RAM at 0x40000000 on both), so its trees
	# serve: QEMU's own part of them is dumped for these options.
	QEMU_BOARD_ARGS=(-M virt -cpu cortex-a57 -smp 2 -m 512M -nic none)
	DTS_DIR=$ROOT/dts
	BR_LINUX_CONFIG=buildroot/board/qemu-arm-virt/linux-arm64.config
	FULL_CYCLES=100
	;;
*)
	printf '[%s] error: BOARD=%s: armv7, lpae or arm64 (unset BOARD for the default, armv7)\n' \
		"$(basename "$0")" "$BOARD_NAME" >&2
	exit 1
	;;
esac
BOARD=$OUT/board$board_suffix
KERNEL_FRAGMENTS=("$ROOT/ci/kernel.config" "${board_fragments[@]/#/$ROOT/ci/}")
# The board's architecture: the kernel's (ARCH), the cross compiler (CROSS_COMPILE, which the
# environment may set; check_cross_compiler checks what it compiles for), Debian's name for it
# (busybox-static), the userspace program's Rust target, QEMU, and the kernel image QEMU boots.
case $board_arch in
arm)
	export ARCH=arm
	export CROSS_COMPILE=${CROSS_COMPILE:-arm-linux-gnueabihf-}
	GCC_MACHINE=arm-linux-gnueabihf
	DEB_ARCH=armhf
	RUST_TARGET=armv7-unknown-linux-gnueabihf
	QEMU=qemu-system-arm
	KERNEL_IMAGE=zImage
	;;
arm64)
	export ARCH=arm64
	export CROSS_COMPILE=${CROSS_COMPILE:-aarch64-linux-gnu-}
	GCC_MACHINE=aarch64-linux-gnu
	DEB_ARCH=arm64
	RUST_TARGET=aarch64-unknown-linux-gnu
	QEMU=qemu-system-aarch64
	KERNEL_IMAGE=Image
	;;
esac
BUSYBOX=$TOOLS/busybox-$DEB_ARCH
# The userspace program's Cargo profile: release (make test, the image), or dev-board (ci/dev.sh).
USERSPACE_PROFILE=${USERSPACE_PROFILE:-release}
USERSPACE_BIN=$CARGO_OUT/userspace/$RUST_TARGET/$USERSPACE_PROFILE/carveout
# The Rust example (examples/rust/), built beside it, always with the release profile.
EXAMPLE_BIN=$CARGO_OUT/userspace/$RUST_TARGET/release/carveout-map-sync
# The kernel build: make test's debug kernel, or with KERNEL_FLAVOUR=bench the production
# configuration make bench measures (the fragments without ci/kernel.config's debug section;
# armv7 and arm64).
case ${KERNEL_FLAVOUR:-test} in
test) LINUX_BUILD=$OUT/linux$board_suffix ;;
bench) LINUX_BUILD=$OUT/linux-bench$board_suffix ;;
*)
	printf '[%s] error: KERNEL_FLAVOUR=%s: test or bench\n' "$(basename "$0")" "$KERNEL_FLAVOUR" >&2
	exit 1
	;;
esac
KERNEL_IMAGE_PATH=$LINUX_BUILD/arch/$ARCH/boot/$KERNEL_IMAGE
# Where the board's module is built: in the tree for armv7 (`make modules`), beside the board's
# kernel for the others (from a copy of the sources, see module_sources).
if [ "$BOARD_NAME" = armv7 ]; then MODULE_DIR=$ROOT; else MODULE_DIR=$OUT/module$board_suffix; fi
JOBS=${JOBS:-$(nproc)}

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() {
	printf '[%s] error: %s\n' "$(basename "$0")" "$*" >&2
	exit 1
}

# The PASS/FAIL counter the test scripts share: one line per check, then a closing
# "N passed, N failed" that any CI can read. (The board's busybox script keeps its own.)
passed=0
failed=0
pass() {
	passed=$((passed + 1))
	echo "PASS $*"
}
fail() {
	failed=$((failed + 1))
	echo "FAIL $*"
}
# A watchdog that fired: a failure, told apart from a check that failed.
timed_out() {
	failed=$((failed + 1))
	echo "TIMEOUT $*"
}
# check DESCRIPTION COMMAND...: runs COMMAND; PASS or FAIL DESCRIPTION by its status.
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
# summary PREFIX: prints "PREFIX: N passed, N failed" (just the counts for an empty PREFIX);
# true when something passed and nothing failed.
summary() {
	echo "${1:+$1: }$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}

# version_ge A B: true when dotted version A >= B.
version_ge() {
	[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

# The environment every build step needs; written by ci/setup.sh.
load_env() {
	[ -f "$OUT/env.sh" ] || die "$OUT/env.sh is missing: run ci/setup.sh (or 'make setup') first"
	# shellcheck source=/dev/null
	. "$OUT/env.sh"
	# The board's busybox, whatever an env.sh written by an older setup exported.
	BUSYBOX=$TOOLS/busybox-$DEB_ARCH
}

# check_cross_compiler: stops unless ${CROSS_COMPILE}gcc exists and compiles for the board's
# architecture (CROSS_COMPILE may come from the environment, set for another board).
check_cross_compiler() {
	local machine
	machine=$("${CROSS_COMPILE}gcc" -dumpmachine 2>/dev/null) ||
		die "${CROSS_COMPILE}gcc not found: run ci/setup.sh," \
			"or set CROSS_COMPILE to the prefix of a compiler for $GCC_MACHINE"
	case $machine in
	"${GCC_MACHINE%%-*}"*) ;;
	*) die "CROSS_COMPILE=$CROSS_COMPILE compiles for $machine;" \
		"board $BOARD_NAME needs one for $GCC_MACHINE" ;;
	esac
}

# The unpacked kernel source tree, found by ci/setup.sh.
linux_src() {
	load_env
	if [ -z "${LINUX_SRC:-}" ] || [ ! -f "$LINUX_SRC/Makefile" ]; then
		die "kernel source not found (LINUX_SRC='${LINUX_SRC:-}'): run ci/setup.sh"
	fi
	printf '%s\n' "$LINUX_SRC"
}

# The kernel command line every board boots with (ci/boot.sh, ci/dev.sh): the console, a panic
# that halts, the board's name for its test, and two vivid capture devices, each a video capture
# node alone: /dev/video0 allocates with vmalloc, /dev/video1 with dma-contig, and each imports
# dma-bufs (tests/carveout-vivid.c).
BOARD_KERNEL_ARGS="console=ttyAMA0 panic=-1 carveout_board=$BOARD_NAME vivid.n_devs=2 vivid.node_types=0x1,0x1 vivid.allocators=0,1"

# The root our device-tree nodes are checked on alone (make lint: dtc and dtschema), without
# QEMU's generated tree: QEMU virt's cell sizes, and a stand-in for its GIC, the interrupt parent
# of the doorbells' `interrupts`.
# shellcheck disable=SC2034 # used by ci/lint.sh and ci/lint-dt.sh
LINT_DT_ROOT='/ {
	#address-cells = <2>;
	#size-cells = <2>;
	model = "carveout lint";
	compatible = "linux,dummy-virt";
	interrupt-parent = <&lint_gic>;

	lint_gic: interrupt-controller@8000000 {
		compatible = "arm,cortex-a15-gic";
		reg = <0x0 0x8000000 0x0 0x10000>, <0x0 0x8010000 0x0 0x10000>;
		interrupt-controller;
		#interrupt-cells = <3>;
		#address-cells = <0>;
	};
};'

# What a kernel splat looks like in a serial log (WARN, BUG, oops, panic, a stack dump), and a
# kmemleak report.
SPLAT_RE='WARNING:|BUG:|Oops|Kernel panic|Unable to handle|Call trace:'
KMEMLEAK_RE='kmemleak: [0-9]+ new suspected'

# The Debian mirror the host already uses (first deb URI that is not a security archive), or nothing.
debian_mirror() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		grep -hoE '(^URIs:[[:space:]]*|^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)[a-z]+://[^[:space:]]+' "$f" |
			grep -oE '[a-z]+://[^[:space:]]+' | grep -E '/debian/?$' | grep -v security || true
	done | head -n1
}

# pip_tool PACKAGE VERSION COMMAND: installs PyPI's PACKAGE==VERSION under $TOOLS once (unless
# COMMAND is there already) and prints the directory: its commands are in DIR/bin, its modules
# in DIR (for PYTHONPATH).
pip_tool() {
	local dir=$TOOLS/$1-$2
	if [ ! -x "$dir/bin/$3" ]; then
		log "installing $1 $2 from PyPI"
		python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
			--target "$dir" "$1==$2" >&2 || die "pip could not install $1==$2"
	fi
	printf '%s\n' "$dir"
}

# kernel_make BUILD_DIR MAKE-ARGS...: make in the kernel source ($LINUX_SRC) for the build in
# BUILD_DIR, with the board's cross compiler and bindgen. Call load_env first.
kernel_make() {
	local build=$1
	shift
	make -C "$LINUX_SRC" O="$build" ARCH="$ARCH" CROSS_COMPILE="$CROSS_COMPILE" BINDGEN="$BINDGEN" \
		-j"$JOBS" "$@"
}

# kconfig_kept FRAGMENT CONFIG: true when every CONFIG_*=* line of FRAGMENT is in CONFIG (a
# .config); logs each one kconfig dropped, with what it became.
kconfig_kept() {
	local line kept=0
	while IFS= read -r line; do
		case $line in CONFIG_*=*) ;; *) continue ;; esac
		if ! grep -qxF "$line" "$2"; then
			log "option dropped by kconfig: $line (now: $(grep -E "^(# )?${line%%=*}[= ]" "$2" || echo unset))"
			kept=1
		fi
	done <"$1"
	return "$kept"
}

# make_cpio DIR OUT: DIR as a newc cpio archive in OUT, files in a stable order, owned by root.
make_cpio() {
	(cd "$1" && find . -print0 | LC_ALL=C sort -z | cpio --quiet -o -H newc -0 -R 0:0) >"$2.new"
	mv "$2.new" "$2"
}

# module_sources DEST: the module's sources in this tree (Kbuild, Makefile, LICENSE, src/ and
# include/, which its build reads), without the objects of the build here, copied into DEST to
# build it against another kernel. Files gone from the tree go; DEST's own build products stay.
module_sources() {
	mkdir -p "$1"
	rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
		--exclude='.*.cmd' --exclude='*.order' --exclude='Module.symvers' \
		--exclude='/src/uapi_header.s' --exclude='/src/uapi_header_generated.rs' \
		--include=/Kbuild --include=/Makefile --include=/LICENSE --include='/src/***' \
		--include='/include/***' --exclude='*' "$ROOT/" "$1/"
}

# forget_stale_module DIR: cleans the module's objects in DIR when the kernel's configuration
# changed since they were built there. Kbuild's own tracking of an external module's configuration
# dependencies missed one: enabling transparent huge pages on arm64 left the module's C objects
# built against the old task_struct, and pagefault_disable() then wrote the wrong field (a
# lockdep splat on the board). Call done_module DIR once the module is built.
forget_stale_module() {
	[ "$(cat "$1/.kernel-config-stamp" 2>/dev/null)" = "$(stamp_of "$LINUX_BUILD/.config")" ] && return 0
	[ -d "$1/src" ] || return 0
	log "the kernel's configuration changed: cleaning the module's objects in $1"
	kernel_make "$LINUX_BUILD" M="$1" clean >/dev/null
}
done_module() { stamp_of "$LINUX_BUILD/.config" >"$1/.kernel-config-stamp"; }

# build_module [MAKE-ARGS...]: builds the board's module with clippy, in MODULE_DIR: in the tree
# for armv7 (`make modules`), from a copy of the sources beside the board's kernel for the others.
# Call load_env first.
build_module() {
	forget_stale_module "$MODULE_DIR"
	if [ "$BOARD_NAME" = armv7 ]; then
		make -C "$ROOT" --no-print-directory "$@" modules CLIPPY=1
	else
		module_sources "$MODULE_DIR"
		kernel_make "$LINUX_BUILD" "$@" M="$MODULE_DIR" modules CLIPPY=1
	fi
	done_module "$MODULE_DIR"
}

# armv7_only WHAT: stops a script that only the armv7 board has (WHAT names it) on another board.
armv7_only() {
	[ "$BOARD_NAME" = armv7 ] || die "$1 is the armv7 board's only; BOARD=$BOARD_NAME has none"
}

# A file's content hash, to tell when an input changed.
stamp_of() { cat "$@" | sha256sum | cut -d' ' -f1; }
