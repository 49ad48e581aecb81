#!/usr/bin/env bash
# The edit loop: a board kept running, a changed module or program brought in without a reboot.
#   ci/dev.sh up          boot the board (BOARD=armv7, lpae or arm64) in the background, with
#                         its serial console and a virtio console port on sockets, and wait
#                         for its shell
#   ci/dev.sh test [CMD]  rebuild the module and the program if their sources changed, copy
#                         what changed to the board through the virtio port (over the serial
#                         console if its kernel has none), reload the module and run
#                         CMD there (default: carveout selftest carveout-dsp); prints its output,
#                         the time taken, and exits with its status
#   ci/dev.sh run CMD     run CMD on the board as it is, rebuilding and copying nothing
#   ci/dev.sh down        power the board off
# `make dev-up`, `make dev-test [CMD='...']` and `make dev-down` call these. The board is the
# one `make board` builds (kernel, tree, initramfs); `up` builds what is missing. The full
# `make test` stays the gate: this runs one focused part of it. Console output: $OUT/dev*/console.log.
set -euo pipefail
# The program's quicker build (userspace/Cargo.toml, profile dev-board): seconds, not a dozen.
export USERSPACE_PROFILE=${USERSPACE_PROFILE:-dev-board}
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

dev=$OUT/dev$board_suffix
sock=$dev/console.sock
# The virtio console port files are copied through (dev-console.py --port).
port=$dev/push.sock
pidfile=$dev/qemu.pid
console() { python3 "$ROOT/ci/dev-console.py" "$@"; }
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

up() {
	if running; then
		log "board $BOARD_NAME is up already (pid $(cat "$pidfile"))"
		return
	fi
	if [ ! -f "$BOARD/initramfs.cpio" ] || [ ! -f "$KERNEL_IMAGE_PATH" ]; then
		USERSPACE_PROFILE=release make -C "$ROOT" --no-print-directory board
	fi
	mkdir -p "$dev"
	rm -f "$sock" "$port" "$pidfile"
	local start=$SECONDS
	"$QEMU" "${QEMU_BOARD_ARGS[@]}" -kernel "$KERNEL_IMAGE_PATH" -dtb "$BOARD/qemu-virt-carveout.dtb" \
		-initrd "$BOARD/initramfs.cpio" -no-reboot -display none -monitor none \
		-chardev "socket,id=console,path=$sock,server=on,wait=off,logfile=$dev/console.log" \
		-serial chardev:console -daemonize -pidfile "$pidfile" \
		-device virtio-serial-device -chardev "socket,id=push,path=$port,server=on,wait=off" \
		-device virtserialport,chardev=push,name=carveout-push \
		-append "$BOARD_KERNEL_ARGS"
	console --timeout 120 "$sock" true || die "board $BOARD_NAME did not answer (console log: $dev/console.log)"
	# What the board has now, its initramfs's: the hashes `test` compares against.
	sha256sum "$BOARD/rootfs/lib/modules/carveout.ko" "$BOARD/rootfs/bin/carveout" | cut -d' ' -f1 >"$dev/pushed"
	log "board $BOARD_NAME up in $((SECONDS - start)) s (pid $(cat "$pidfile"), console log $dev/console.log)"
}

# stale_pushes: rebuilds the module and the program (each only if stale) and lists the copies of the
# files that changed since the board got them, as dev-console.py's --push arguments.
stale_pushes() {
	# shellcheck disable=SC2119 # no make arguments
	build_module >"$dev/module-build.txt" 2>&1 || {
		cat "$dev/module-build.txt" >&2
		die "module build failed"
	}
	if grep -E '(^| )(warning|error)(\[|:)' "$dev/module-build.txt" >&2; then
		die "the module builds with warnings (above)"
	fi
	"$ROOT/ci/build-userspace.sh" >"$dev/userspace-build.txt" 2>&1 || {
		cat "$dev/userspace-build.txt" >&2
		die "userspace build failed"
	}
	local file remote
	for file in "$MODULE_DIR/src/carveout.ko" "$USERSPACE_BIN"; do
		case $file in *.ko) remote=/lib/modules/carveout.ko ;; *) remote=/bin/carveout ;; esac
		grep -qxF "$(sha256sum "$file" | cut -d' ' -f1)" "$dev/pushed" || echo "--push=$file=$remote"
	done
}

test_cmd() {
	running || die "board $BOARD_NAME is not up: run 'ci/dev.sh up' (make dev-up) first"
	local start=$SECONDS cmd=${1:-carveout selftest carveout-dsp} pushes status=0
	load_env
	stale_pushes >"$dev/pushes"
	mapfile -t pushes <"$dev/pushes"
	local built=$SECONDS
	# Reload the module whether or not it changed: the test starts from a fresh probe.
	console --port "$port" "${pushes[@]}" "$sock" \
		"rmmod carveout 2>/dev/null; insmod /lib/modules/carveout.ko && $cmd" || status=$?
	if [ "$status" -ne 124 ] && [ "$status" -ne 125 ]; then
		sha256sum "$MODULE_DIR/src/carveout.ko" "$USERSPACE_BIN" | cut -d' ' -f1 >"$dev/pushed"
	fi
	log "board $BOARD_NAME: built in $((built - start)) s, copied ${#pushes[@]} file(s), ran '$cmd': exit $status, $((SECONDS - start)) s in all"
	return "$status"
}

case ${1:-} in
up) up ;;
test) test_cmd "${2:-}" ;;
run)
	running || die "board $BOARD_NAME is not up: run 'ci/dev.sh up' first"
	console "$sock" "${2:?run needs a command}"
	;;
down)
	if running; then
		console --timeout 10 "$sock" "poweroff -f" >/dev/null 2>&1 || true
		for _ in $(seq 50); do running || break; sleep 0.1; done
		running && kill "$(cat "$pidfile")"
		log "board $BOARD_NAME down"
	fi
	rm -f "$sock" "$port" "$pidfile"
	;;
*) die "usage: ci/dev.sh up|test [CMD]|run CMD|down (ci/dev.sh --help)" ;;
esac
