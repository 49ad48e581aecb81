#!/usr/bin/env bash
# The Buildroot image of the board: ci/buildroot.sh check|build|boot BUILDROOT_DIR [OUTPUT_DIR]
#   check  load the br2-external tree (buildroot/), resolve its defconfig, fail on options
#          kconfig dropped (support/scripts/check-dotconfig.py), evaluate every package's
#          make code (show-info), list every download with its pinned hash and what is built
#          from source, resolve the packages on another board's defconfig, and run
#          utils/check-package on the tree. Needs no network.
#   build  check, then build the image (downloads sources: needs network, and hours the
#          first time).
#   boot   boot the image with its start-qemu.sh, log in on the console, run
#          'carveout selftest' and exit with its status (ci/console-test.py).
#   userland  without building Buildroot: configure make test's kernel source the way the
#          image does (board/qemu-arm-virt/linux.config, or linux-arm64.config, + linux-image.config, merged as
#          Buildroot merges them), build it and the module in OUTPUT_DIR/image-kernel, and boot
#          it with Buildroot's own init files (its initramfs /init, inittab, fstab and init
#          scripts, from BUILDROOT_DIR) and Debian's busybox: log in on the console, check the
#          mounts, syslogd and the module, run 'carveout selftest'. Needs `make board` first.
# BUILDROOT_DIR is a Buildroot checkout (the CI clones $BUILDROOT_VERSION of ci/versions.env);
# OUTPUT_DIR defaults to $OUT/buildroot (arm64: $OUT/buildroot-arm64).
# BOARD=arm64 takes the arm64 image (carveout_qemu_aarch64_virt_defconfig) instead of the
# armv7 one (carveout_qemu_arm_virt_defconfig); the LPAE board has none.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"
# The board's defconfig, and a defconfig of Buildroot's own for the same architecture, to try
# the packages on (check_foreign_board). Its kernel configuration is BR_LINUX_CONFIG (lib.sh).
case $BOARD_NAME in
armv7)
	defconfig=carveout_qemu_arm_virt_defconfig
	foreign=qemu_arm_vexpress_defconfig
	;;
arm64)
	defconfig=carveout_qemu_aarch64_virt_defconfig
	foreign=qemu_aarch64_virt_defconfig
	;;
*) die "the Buildroot image is the armv7 and the arm64 board's; BOARD=$BOARD_NAME has none" ;;
esac

what=${1:-}
br=${2:-}
out=${3:-$OUT/buildroot$board_suffix}
if [ -z "$what" ] || [ -z "$br" ]; then
	die "usage: ci/buildroot.sh check|build|boot|userland BUILDROOT_DIR [OUTPUT_DIR]"
fi
if [ ! -f "$br/Makefile" ] || [ ! -f "$br/support/scripts/check-dotconfig.py" ]; then
	die "$br is not a Buildroot checkout"
fi
# Absolute paths: Buildroot resolves a relative O= against its own directory, and the checks
# below run from other directories.
br=$(cd "$br" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
external=$ROOT/buildroot

# Every file the build downloads, with its first URL and the hash its .hash file pins; fails
# if one has no hash (BR2_DOWNLOAD_FORCE_CHECK_HASHES would stop the build there).
downloads() {
	python3 - "$out/show-info.json" "$br" <<'PY' || die "a download has no pinned hash"
import json, os, re, sys
info = json.load(open(sys.argv[1]))
missing = 0
print("[buildroot.sh] downloads (package, file, URL, pinned hash):")
for name, pkg in sorted(info.items()):
    hashes = {}
    for path in pkg.get("hashes", []):
        for line in open(os.path.join(sys.argv[2], path)):
            m = re.match(r"(sha256|sha512|sha1|md5)\s+([0-9a-f]+)\s+(\S+)", line)
            if m and (m.group(3) not in hashes or m.group(1) == "sha256"):
                hashes[m.group(3)] = f"{m.group(1)} {m.group(2)}"
    for dl in pkg.get("downloads", []):
        method, _, uri = dl["uris"][0].rpartition("+")
        if method == "local":
            continue  # this repository's own packages: nothing is downloaded
        sha = hashes.get(dl["source"])
        missing += sha is None
        print(f"  {name:28} {dl['source']}\n  {'':28} {uri}/{dl['source']}\n  {'':28} {sha or 'no hash'}")
sys.exit(1 if missing else 0)
PY
}

# What the build compiles from source, with an estimate of its minutes on a 4-core hosted runner
# (scaled from builds on this project's 2-core machine where there are some, else guessed).
from_source() {
	python3 - "$out/show-info.json" <<'PY'
import json, sys
info = json.load(open(sys.argv[1]))
# Minutes, cold, 4 cores. Prebuilt downloads (rust-bin, the Bootlin toolchain, the libclang wheel)
# only unpack. Measured here: the kernel (allnoconfig + fragment, with Rust) 2-3 min and
# bindgen-cli 80 s on 2 cores.
minutes = {"host-qemu": 10, "host-cmake": 5, "host-python3": 3, "linux": 3, "host-libglib2": 2,
           "host-bindgen-cli": 1.5, "host-util-linux": 1.5, "busybox": 1, "carveout-tools": 1,
           "host-rust-bin": 1, "toolchain-external-bootlin": 1, "host-libclang-bin": 0.5,
           "carveout-module": 0.5, "rootfs-cpio": 0.5}
prebuilt = {"host-rust-bin", "toolchain-external-bootlin", "host-libclang-bin", "host-rust-src"}
total = 0.0
print("[buildroot.sh] built from source (estimated minutes on a 4-core runner, cold):")
for name, pkg in sorted(info.items(), key=lambda kv: -minutes.get(kv[0], 0.3)):
    if pkg.get("virtual") or not pkg.get("downloads"):
        continue
    m = minutes.get(name, 0.3)
    total += m
    kind = "unpacked" if name in prebuilt else "compiled"
    print(f"  {name:28} {pkg['version']:24} {kind:20} {m:4.1f}")
print(f"[buildroot.sh] about {total:.0f} minutes in all (an estimate), plus the downloads")
PY
}

# resolve DIR DEFCONFIG NAME: configures Buildroot with this br2-external tree in DIR from the
# file DEFCONFIG, fails if kconfig dropped any of its options, and evaluates every package's make
# code into DIR/show-info.json. NAME says which configuration, in messages.
resolve() {
	make -s -C "$br" O="$1" BR2_EXTERNAL="$external" BR2_DEFCONFIG="$2" defconfig >/dev/null ||
		die "the br2-external tree does not load, or $3 does not resolve"
	python3 "$br/support/scripts/check-dotconfig.py" "$1/.config" "$2" ||
		die "kconfig dropped options of $3 (see above)"
	make -s -C "$1" show-info >"$1/show-info.json" || die "a package's make code does not evaluate with $3"
}

# The packages and the kernel extension on another board, without this tree's board files:
# Buildroot's own $foreign plus the symbols the README names. This checks kconfig and the
# packages' make code; that board's kernel is not 7.3, so nothing is built.
check_foreign_board() {
	local dir=$out/foreign-board base=$br/configs/$foreign
	[ -f "$base" ] || die "$base is missing: cannot try the packages on another board"
	mkdir -p "$dir"
	{
		cat "$base"
		printf '%s\n' BR2_LINUX_KERNEL_EXT_RUST=y BR2_PACKAGE_CARVEOUT_MODULE=y BR2_PACKAGE_CARVEOUT_TOOLS=y
	} >"$dir/defconfig"
	resolve "$dir" "$dir/defconfig" "$foreign with the carveout symbols"
	log "BR2_LINUX_KERNEL_EXT_RUST, BR2_PACKAGE_CARVEOUT_MODULE and _TOOLS resolve on Buildroot's $foreign too"
}

check_tree() {
	log "Buildroot $(make -s -C "$br" print-version 2>/dev/null || echo '?') in $br"
	resolve "$out" "$external/configs/$defconfig" "$defconfig"
	log "$defconfig resolves with no option dropped"
	python3 - "$out/show-info.json" <<'PY' || die "package graph check failed"
import json, sys
info = json.load(open(sys.argv[1]))
want = {"linux": {"host-rustc", "host-rust-src", "host-bindgen-cli", "host-libclang-bin", "host-qemu", "host-dtc"},
        "host-bindgen-cli": {"host-rustc", "host-libclang-bin"},
        "carveout-module": {"linux"}, "carveout-tools": {"host-rustc"}, "host-rust-src": {"host-rustc"}}
for pkg, deps in want.items():
    missing = deps - set(info.get(pkg, {}).get("dependencies", []))
    if pkg not in info or missing:
        sys.exit(f"{pkg}: missing from the build or lacks {sorted(missing)}")
    print(f"[buildroot.sh] {pkg} {info[pkg]['version']}: depends on {', '.join(sorted(deps))}")
if "host-clang" in info or "host-llvm" in info:
    sys.exit("host-clang or host-llvm is in the build: LLVM would be built from source")
PY
	downloads
	from_source
	check_foreign_board
	# check-package needs python-magic and flake8: from PyPI, into $OUT, if absent.
	local pydeps=$OUT/toolchain/check-package-py
	if ! python3 -c 'import magic, flake8' 2>/dev/null; then
		if [ ! -d "$pydeps/magic" ] || [ ! -d "$pydeps/flake8" ]; then
			python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
				--target "$pydeps" python-magic flake8 || die "cannot install python-magic and flake8 from PyPI"
		fi
		export PYTHONPATH=$pydeps${PYTHONPATH:+:$PYTHONPATH}
	fi
	(cd "$external" && find . -type f -print0 | sort -z | xargs -0 "$br/utils/check-package" -b) ||
		die "utils/check-package reports problems in buildroot/"
}

# The image's kernel and Buildroot's init files, booted without building Buildroot.
userland() {
	load_env
	local dir=$out/image-kernel board=$ROOT/buildroot/board/qemu-arm-virt kdir root release
	kdir=$dir/linux
	root=$dir/rootfs
	mkdir -p "$kdir"
	cp "$ROOT/$BR_LINUX_CONFIG" "$kdir/.config"
	(cd "$kdir" && "$LINUX_SRC/scripts/kconfig/merge_config.sh" -m -O "$kdir" .config "$board/linux-image.config" >/dev/null) ||
		die "merge_config.sh failed"
	kernel_make "$kdir" -s olddefconfig
	local fragment
	for fragment in "$ROOT/$BR_LINUX_CONFIG" "$board/linux-image.config"; do
		kconfig_kept "$fragment" "$kdir/.config" || die "kconfig dropped options of $fragment in $kdir/.config"
	done
	log "building the image's kernel in $kdir"
	kernel_make "$kdir" -s "$KERNEL_IMAGE" modules
	log "building the module against it"
	rm -rf "$dir/module"
	module_sources "$dir/module"
	make -s -C "$kdir" M="$dir/module" ARCH="$ARCH" CROSS_COMPILE="$CROSS_COMPILE" BINDGEN="$BINDGEN" modules
	release=$(cat "$kdir/include/config/kernel.release")

	log "assembling a root from Buildroot's own init files in $root"
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,root,etc/init.d,etc/modules-load.d,usr/bin} \
		"$root/lib/modules/$release/updates"
	install -m 0755 "$BUSYBOX" "$root/bin/busybox"
	# Buildroot's /init mounts devtmpfs before init runs; the rest is linked by busybox itself.
	mkdir -p "$root/usr/sbin" "$root/var"
	ln -s busybox "$root/bin/sh"
	ln -s busybox "$root/bin/mount"
	ln -s ../bin/busybox "$root/sbin/init"
	ln -s ../tmp "$root/var/log"
	install -m 0755 "$br/fs/cpio/init" "$root/init"
	# Buildroot's inittab, with the getty line its busybox package writes for the board's port,
	# after a line that links every applet, as Buildroot's busybox install does.
	{
		echo '::sysinit:/bin/busybox --install -s'
		sed '/# GENERIC_SERIAL$/s|^.*#|ttyAMA0::respawn:/sbin/getty -L ttyAMA0 0 vt100 #|' \
			"$br/package/busybox/inittab"
	} >"$root/etc/inittab"
	grep -q '^ttyAMA0::respawn' "$root/etc/inittab" || die "no getty line in $br/package/busybox/inittab"
	grep -v '^/dev/root' "$br/package/skeleton-init-sysv/skeleton/etc/fstab" >"$root/etc/fstab"
	install -m 0755 "$br"/package/initscripts/init.d/* "$br"/package/busybox/S01syslogd \
		"$br"/package/busybox/S02klogd "$br"/package/busybox/S02sysctl "$root/etc/init.d/"
	echo carveout >"$root/etc/hostname"
	echo 'root::0:0:root:/root:/bin/sh' >"$root/etc/passwd"
	printf 'root:x:0:\ntty:x:5:\n' >"$root/etc/group"
	cp "$ROOT/buildroot/board/qemu-arm-virt/rootfs-overlay/etc/modules-load.d/carveout.conf" "$root/etc/modules-load.d/"
	install -m 0644 "$dir/module/src/carveout.ko" "$root/lib/modules/$release/updates/"
	echo 'updates/carveout.ko:' >"$root/lib/modules/$release/modules.dep"
	install -m 0755 "$USERSPACE_BIN" "$root/usr/bin/"
	make_cpio "$root" "$dir/rootfs.cpio"

	cat >"$dir/start-qemu.sh" <<-EOF
		#!/bin/sh
		exec $QEMU ${QEMU_BOARD_ARGS[*]} -kernel $kdir/arch/$ARCH/boot/$KERNEL_IMAGE \\
			-initrd $dir/rootfs.cpio -dtb $BOARD/qemu-virt-carveout.dtb -nographic -append console=ttyAMA0
	EOF
	chmod +x "$dir/start-qemu.sh"
	[ -f "$BOARD/qemu-virt-carveout.dtb" ] || die "$BOARD/qemu-virt-carveout.dtb is missing: run 'make board' first"
	# shellcheck disable=SC2016 # the command is expanded by the board's shell
	"$ROOT/ci/console-test.py" --timeout "${BOOT_TIMEOUT:-300}" \
		--run 'grep -E " (tmpfs|devpts) " /proc/mounts && test "$(grep -cE " (/dev/shm|/tmp|/run|/dev/pts) " /proc/mounts)" = 4 && pidof syslogd && lsmod | grep "^carveout " && carveout selftest' \
		"$dir/console.log" -- "$dir/start-qemu.sh"
}

case $what in
check) check_tree ;;
build)
	check_tree
	make -C "$out"
	;;
boot)
	[ -x "$out/images/start-qemu.sh" ] || die "$out/images/start-qemu.sh is missing: run 'ci/buildroot.sh build' first"
	"$ROOT/ci/console-test.py" --timeout "${BOOT_TIMEOUT:-900}" "$out/images/console.log" -- "$out/images/start-qemu.sh"
	;;
userland) userland ;;
*) die "unknown step '$what': check, build, boot or userland" ;;
esac
