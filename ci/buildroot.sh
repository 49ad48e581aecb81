#!/usr/bin/env bash
# The Buildroot image of the board: ci/buildroot.sh check|build|boot BUILDROOT_DIR [OUTPUT_DIR]
#   check  load the br2-external tree (buildroot/), resolve its defconfig, fail on options
#          kconfig dropped (support/scripts/check-dotconfig.py), evaluate every package's
#          make code (show-info) and run utils/check-package on the tree. Needs no network.
#   build  check, then build the image (downloads sources: needs network, and hours the
#          first time).
#   boot   boot the image with its start-qemu.sh, log in on the console, run
#          'carveout selftest' and exit with its status (ci/console-test.py).
# BUILDROOT_DIR is a Buildroot checkout (the CI clones $BUILDROOT_VERSION of ci/versions.env);
# OUTPUT_DIR defaults to $OUT/buildroot.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

what=${1:-}
br=${2:-}
out=${3:-$OUT/buildroot}
if [ -z "$what" ] || [ -z "$br" ]; then
	die "usage: ci/buildroot.sh check|build|boot BUILDROOT_DIR [OUTPUT_DIR]"
fi
if [ ! -f "$br/Makefile" ] || [ ! -f "$br/support/scripts/check-dotconfig.py" ]; then
	die "$br is not a Buildroot checkout"
fi
# Absolute paths: Buildroot resolves a relative O= against its own directory, and the checks
# below run from other directories.
br=$(cd "$br" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
defconfig=carveout_qemu_arm_virt_defconfig
external=$ROOT/buildroot

check_tree() {
	log "Buildroot $(make -s -C "$br" print-version 2>/dev/null || echo '?') in $br"
	make -s -C "$br" O="$out" BR2_EXTERNAL="$external" "$defconfig" >/dev/null ||
		die "the br2-external tree does not load, or $defconfig does not resolve"
	python3 "$br/support/scripts/check-dotconfig.py" "$out/.config" "$external/configs/$defconfig" ||
		die "kconfig dropped options of $defconfig (see above)"
	log "$defconfig resolves with no option dropped"
	make -s -C "$out" show-info >"$out/show-info.json" || die "a package's make code does not evaluate"
	python3 - "$out/show-info.json" <<'PY' || die "package graph check failed"
import json, sys
info = json.load(open(sys.argv[1]))
want = {"linux": {"host-rustc", "host-rust-src", "host-rust-bindgen", "host-qemu", "host-dtc"},
        "carveout-module": {"linux"}, "carveout-tools": {"host-rustc"}, "host-rust-src": {"host-rustc"}}
for pkg, deps in want.items():
    missing = deps - set(info.get(pkg, {}).get("dependencies", []))
    if pkg not in info or missing:
        sys.exit(f"{pkg}: missing from the build or lacks {sorted(missing)}")
    print(f"[buildroot.sh] {pkg} {info[pkg]['version']}: depends on {', '.join(sorted(deps))}")
PY
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
*) die "unknown step '$what': check, build or boot" ;;
esac
