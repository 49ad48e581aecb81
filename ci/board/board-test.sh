#!/bin/sh
# Runs on the board (busybox sh). One PASS/FAIL line per check, then a summary.
#   board-test.sh full    load, self-test, the kernel's mm/pfnmap selftest, dma-bufs with vivid
#                         (ABI, frames, unbind and rmmod while streaming), doorbells, lifecycle (unload
#                         refused, unbind revokes, 100 bind cycles of every device, 100 load
#                         cycles, contents kept), stress, races (carveout race), kmemleak
#   board-test.sh race    load, then only the races against unbind/bind and rmmod/insmod
#   board-test.sh dmabuf  load, then only the dma-bufs with vivid, rmmod, kmemleak
#   board-test.sh doorbell load, then only the doorbells, rmmod, kmemleak
#   board-test.sh matrix  load and self-test whatever probed (a board with a malformed node)
#   board-test.sh bench   load, then benchmark every device against /dev/mem, UIO and RAM (arm64:
#                         the mappings of carveout-pool, block entries against page entries)
case "${1:-}" in -h | --help)
	awk 'NR > 1 && /^#/ && !/^# shellcheck / { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
	exit 0
	;;
esac
mode=${1:-full}
# From the kernel command line (carveout_cycles=N), through init's environment.
cycles=${carveout_cycles:-100}
case $cycles in '' | *[!0-9]*) cycles=100 ;; esac
passed=0
failed=0
check() { # check NAME COMMAND...
	name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "PASS board: $name"
	else
		failed=$((failed + 1))
		echo "FAIL board: $name"
	fi
}
finish() {
	stage ""
	echo "board: $passed passed, $failed failed"
	exit 0
}
# What each part of the test took on the board's clock: one "TIME board: NAME S s" line when
# the next part starts (test.sh prints them as the board's stage times).
stage_name=
stage_start=0
stage() { # stage NAME (or "" to end the last)
	now=$(cut -d' ' -f1 /proc/uptime)
	[ -z "$stage_name" ] || awk -v a="$stage_start" -v b="$now" -v n="$stage_name" \
		'BEGIN { printf "TIME board: %s %.1f s\n", n, b - a }'
	stage_name=$1
	stage_start=$now
}

driver=/sys/bus/platform/drivers/carveout
kmemleak=/sys/kernel/debug/kmemleak
# A word list: expanded unquoted on purpose (SC2086).
devices="carveout-fb carveout-dsp carveout-mbox carveout-doorbell"
# The board's well-formed carveout nodes: those four and carveout-log, cached and not exported,
# which only the self-test and the dma-buf tests use.
good_nodes=5
# Platform device (DT node) name of each device file.
node_of() {
	case $1 in
	carveout-mbox) echo carveout-mailbox ;;
	*) echo "$1" ;;
	esac
}
bound_count() { find $driver/ -mindepth 1 -maxdepth 1 -type l -name '*-*' | wc -l; }
# Each device's physical base on this board (carveout_board from the kernel command line, set
# by ci/boot.sh): dts/qemu-virt-carveout.dts (armv7 and arm64), or dts/lpae/qemu-virt-carveout.dts
# above 4 GiB.
base_of() {
	case ${carveout_board:-armv7}:$1 in
	armv7:carveout-fb | arm64:carveout-fb) echo 0x58000000 ;;
	armv7:carveout-dsp | arm64:carveout-dsp) echo 0x59000000 ;;
	armv7:carveout-mbox | arm64:carveout-mbox) echo 0x59100000 ;;
	armv7:carveout-doorbell | arm64:carveout-doorbell) echo 0x59110000 ;;
	lpae:carveout-fb) echo 0x120000000 ;;
	lpae:carveout-dsp) echo 0x121000000 ;;
	lpae:carveout-mbox) echo 0x121100000 ;;
	lpae:carveout-doorbell) echo 0x121110000 ;;
	*) echo "unknown board or device: ${carveout_board:-armv7}:$1" >&2 ;;
	esac
}

# Every way a process uses a device (open, mmap, fork, mremap, pread/pwrite, a held mapping,
# SIGKILL mid-use), against unbind/bind of every device, then against unload/load of the module.
# A number of cycles, each with a watchdog for a hang: 900 s for 300 unbind/bind cycles and
# 600 s for 50 unload/load cycles, over twice the slowest runs measured on the 2-core machine
# (347 s and 147 s, docs/testing.md), so a slow machine gives no verdict, a hang a TIMEOUT line.
races() {
	pairs=
	for dev in $devices; do pairs="$pairs $dev=$(node_of "$dev")"; done
	stage race-unbind
	# shellcheck disable=SC2086
	carveout race 900 $((cycles * 3)) unbind $pairs
	check "race against unbind/bind (exit $?)" [ $? -eq 0 ]
	stage race-rmmod
	# shellcheck disable=SC2086
	carveout race 600 $((cycles / 2)) rmmod /lib/modules/carveout.ko $devices
	check "race against rmmod/insmod (exit $?)" [ $? -eq 0 ]
}

# The kernel's own PFN-mapping selftest (mm/pfnmap.c) on every device of two pages or more (it
# maps two); its TAP output goes to the serial log.
kernel_pfnmap_test() {
	for dev in carveout-fb carveout-dsp carveout-mbox; do
		pfnmap -- "/dev/$dev" >/tmp/pfnmap.out 2>&1
		status=$?
		cat /tmp/pfnmap.out
		totals=$(grep '^# Totals:' /tmp/pfnmap.out)
		passed_all=no
		case $totals in "# Totals: pass:"[1-9]*" fail:0 "*" error:0") passed_all=yes ;; esac
		check "kernel selftest mm/pfnmap on /dev/$dev (exit $status; $totals)" \
			[ $status -eq 0 -a $passed_all = yes ]
	done
}

# What the standard tools and a C program see: lseek through dd, hexdump and cmp, the sysfs
# attributes and the device link, the UAPI header (carveout-ctest), an mdev rule on the node.
device_interface() {
	dev=/dev/carveout-fb
	printf 'carveout-seek-ok' >/tmp/seek.pattern
	dd if=/tmp/seek.pattern of=$dev bs=1 seek=100 2>/tmp/dd.err
	check "dd of=$dev bs=1 seek=100 (exit $?: $(tail -n1 /tmp/dd.err))" [ $? -eq 0 ]
	got=$(dd if=$dev bs=1 skip=100 count=16 2>/dev/null)
	check "dd if=$dev bs=1 skip=100 count=16 reads it back ($got)" [ "$got" = carveout-seek-ok ]
	dd if=/tmp/seek.pattern of=$dev bs=4096 seek=1 conv=notrunc 2>/dev/null
	hexdump -C -s 4096 -n 16 $dev | tee /tmp/hexdump.out
	check "hexdump -C -s 4096 -n 16 $dev" grep -q '^00001000  63 61 72 76 .*|carveout-seek-ok|$' /tmp/hexdump.out
	check "cmp -n 16 /tmp/seek.pattern $dev 0 4096" cmp -n 16 /tmp/seek.pattern $dev 0 4096
	check "cmp -n 16 /tmp/seek.pattern $dev 0 100" cmp -n 16 /tmp/seek.pattern $dev 0 100
	cmp -n 16 /tmp/seek.pattern $dev 0 200 >/dev/null
	check "cmp at offset 200, where the pattern is not, differs (exit $?)" [ $? -eq 1 ]

	for dev in $devices; do
		sys=/sys/class/misc/$dev
		echo "sysfs $dev: phys_addr=$(cat "$sys/phys_addr") size=$(cat "$sys/size")" \
			"memory_type=$(cat "$sys/memory_type") device=$(readlink -f "$sys/device")"
		node=/sys/devices/platform/$(node_of "$dev")
		check "$dev: device link is its platform device $node" [ "$(readlink -f "$sys/device")" = "$node" ]
		check "$dev: the parent is bound to carveout and has its DT node" \
			[ "$(basename "$(readlink "$sys/device/driver")")" = carveout -a -f "$sys/device/of_node/compatible" ]
		modes=$(stat -c %a "$sys/phys_addr" "$sys/size" "$sys/memory_type" | tr '\n' ' ')
		check "$dev: the attributes are read-only ($modes)" [ "$modes" = "444 444 444 " ]
	done
	attrs() {
		sys=/sys/class/misc/$1
		echo "$(cat "$sys/phys_addr") $(cat "$sys/size") $(cat "$sys/memory_type")"
	}
	check "sysfs of carveout-fb: $(attrs carveout-fb)" [ "$(attrs carveout-fb)" = "$(base_of carveout-fb) 16777216 write-combine" ]
	check "sysfs of carveout-dsp: $(attrs carveout-dsp)" [ "$(attrs carveout-dsp)" = "$(base_of carveout-dsp) 1048576 cached" ]
	check "sysfs of carveout-mbox: $(attrs carveout-mbox)" [ "$(attrs carveout-mbox)" = "$(base_of carveout-mbox) 65536 device" ]
	check "sysfs of carveout-doorbell: $(attrs carveout-doorbell)" [ "$(attrs carveout-doorbell)" = "$(base_of carveout-doorbell) 4096 device" ]
	# The full addresses in /proc/iomem and in `carveout info` too (above 4 GiB on the LPAE
	# board: no bit of them may be lost on the way).
	for dev in $devices; do
		base=$(base_of "$dev")
		size=$(cat "/sys/class/misc/$dev/size")
		range=$(printf '%08x-%08x' "$base" $((base + size - 1)))
		line=$(grep -F " : $dev" /proc/iomem | sed 's/^ *//')
		check "/proc/iomem: $line" [ "$line" = "$range : $dev" ]
		info=$(carveout info "$dev" | tr '\n' ' ')
		case " $info" in
		*" phys $base-"*" phys_addr $base,"*) named=yes ;;
		*) named=no ;;
		esac
		check "carveout info $dev names $base: $info" [ $named = yes ]
	done

	# shellcheck disable=SC2086
	carveout-ctest $devices
	check "carveout-ctest, the C program on <linux/carveout.h> (exit $?)" [ $? -eq 0 ]

	# The examples of the README, as a user runs them: each stores a word, syncs, reads it
	# back with pread, puts the old word back, and says so in one line.
	for dev in $devices; do
		before=$(carveout checksum "$dev")
		for example in map-sync carveout-map-sync; do
			out=$($example "$dev" 2>&1)
			status=$?
			echo "$out"
			case $out in
			*": $dev: "*"stored 0xc0ffee00 through mmap, synced, read 0xc0ffee00 with pread"*) said=yes ;;
			*) said=no ;;
			esac
			check "example $example $dev (exit $status): stored, synced, read back" \
				[ $status -eq 0 -a $said = yes ]
		done
		check "examples left $dev as they found it" [ "$(carveout checksum "$dev")" = "$before" ]
	done

	# mdev as the kernel's hotplug helper, with examples/mdev.conf: a rebind sends real uevents.
	# The kernel starts one mdev per uevent, concurrently; with /dev/mdev.seq holding the next
	# event's number, each waits for its turn (SEQNUM), so the unbind's "remove" cannot run after
	# the bind's "add" and delete the node it made (busybox's docs/mdev.txt).
	echo $(($(cat /sys/kernel/uevent_seqnum) + 1)) >/dev/mdev.seq
	echo /bin/mdev >/proc/sys/kernel/hotplug
	echo carveout-mailbox >$driver/unbind
	echo carveout-mailbox >$driver/bind
	# The kernel runs mdev asynchronously, once per uevent: give it up to 30 s (the LPAE board,
	# with 4.5 GiB under kmemleak, once took more than 5).
	i=0
	while [ ! -c /dev/carveout/mailbox ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	want=$(cat /sys/class/misc/carveout-mbox/dev)
	got=$(stat -c '%a %t %T' /dev/carveout/mailbox 2>/dev/null)
	# A word list: mode, major and minor in hex (SC2086).
	# shellcheck disable=SC2086
	set -- $got
	[ $# -eq 3 ] && got="$1 $((0x$2)):$((0x$3))"
	check "mdev rule on the DT node made /dev/carveout/mailbox ($got; carveout-mbox is $want)" [ "$got" = "640 $want" ]
	made=$(find /dev/carveout -mindepth 1 | tr '\n' ' ')
	check "the rule matched no other carveout (/dev/carveout: $made)" [ "$made" = "/dev/carveout/mailbox " ]
	echo carveout-mailbox >$driver/unbind
	i=0
	while [ -e /dev/carveout/mailbox ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	check "mdev removed /dev/carveout/mailbox on unbind" [ ! -e /dev/carveout/mailbox ]
	echo >/proc/sys/kernel/hotplug
	echo carveout-mailbox >$driver/bind
	check "carveout-mbox bound again" [ -c /dev/carveout-mbox ]
}

# dma-bufs exported from the carveouts and imported by vivid (tests/carveout-vivid.c, vivid's
# devices from ci/boot.sh: /dev/video0 allocates with vmalloc, /dev/video1 with dma-contig):
# the export ABI, vivid's frames in the write-combine and the cached region, then unbind and
# rmmod while vivid streams into exported buffers that a process also maps.
dma_bufs() {
	stage dma-buf
	for video in /dev/video0 /dev/video1; do
		check "vivid capture node $video ($(cat /sys/class/video4linux/"${video#/dev/}"/name 2>/dev/null))" [ -c $video ]
	done
	for dev in carveout-fb carveout-dsp; do
		carveout-vivid abi $dev
		check "dma-buf export ABI of $dev (exit $?)" [ $? -eq 0 ]
		for video in /dev/video0 /dev/video1; do
			carveout-vivid frames $dev $video
			check "vivid $video streams into dma-bufs of $dev (exit $?)" [ $? -eq 0 ]
		done
	done
	for dev in carveout-mbox carveout-log; do
		carveout-vivid unexportable $dev
		check "$dev (no linux,dma-buf-export) exports nothing (exit $?)" [ $? -eq 0 ]
	done

	# The contract (docs/abi.md), through both of vivid's allocators (dma-contig holds a DMA
	# mapping of the buffers across the unbind; it cannot reach the LPAE board's regions).
	unbind_while_streaming carveout-dsp /dev/video0
	[ "${carveout_board:-armv7}" = lpae ] || unbind_while_streaming carveout-fb /dev/video1
}

# wait_for_line PATTERN FILE PID: waits until a line of FILE matches PATTERN (what process PID
# prints once it is ready), PID has exited, or 10 s have passed.
wait_for_line() {
	i=0
	while ! grep -q "$1" "$2" && kill -0 "$3" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# The doorbells (tests/carveout-doorbell.c): carveout-mbox's edge line (GIC SPI 100) and
# carveout-doorbell's level line (SPI 101), rung through the kernel's interrupt injection. The
# ABI, one event per ring, a burst with several waiters, masking, the mailbox pattern, then
# unbind and rmmod with waiters, and rings and listeners during unbind/bind cycles.
doorbells() {
	stage doorbell
	carveout-doorbell abi carveout-mbox 100
	check "doorbell ABI of carveout-mbox (exit $?)" [ $? -eq 0 ]
	carveout-doorbell none carveout-fb
	check "carveout-fb (no interrupt) has no doorbell (exit $?)" [ $? -eq 0 ]
	carveout-doorbell count carveout-mbox 100
	check "one event per ring on carveout-mbox (exit $?)" [ $? -eq 0 ]
	carveout-doorbell burst carveout-mbox 100 10000 4
	check "10000 rings, 4 waiters, counts exact on carveout-mbox (exit $?)" [ $? -eq 0 ]
	carveout-doorbell level carveout-doorbell 101
	check "level line of carveout-doorbell masked until unmasked (exit $?)" [ $? -eq 0 ]
	carveout-doorbell mask carveout-mbox 100
	check "edge line of carveout-mbox masked on request (exit $?)" [ $? -eq 0 ]
	carveout-doorbell mailbox carveout-mbox 100 carveout-doorbell 101
	check "mailbox pattern between two processes (exit $?)" [ $? -eq 0 ]
	# The Rust library's Doorbell, through `carveout wait`, rung from the shell.
	carveout wait carveout-mbox 3 >/tmp/wait-rust 2>&1 &
	waiter=$!
	wait_for_line 'doorbell (edge)' /tmp/wait-rust $waiter
	irq=$(irq_of_spi 100)
	for i in 1 2 3; do echo trigger >"/sys/kernel/debug/irq/irqs/$irq"; done
	wait $waiter
	status=$?
	cat /tmp/wait-rust
	heard=no
	[ $status -eq 0 ] && grep -q ' 3 of 3$' /tmp/wait-rust && heard=yes
	check "carveout wait (the Rust library) heard 3 rings of carveout-mbox (exit $status)" [ $heard = yes ]
	unbind_with_waiter carveout-mbox
	# The level line rung once more and left masked across the unbind: the rebound doorbell's
	# line must be unmasked (its first ring is an event).
	irq=$(irq_of_spi 101)
	echo trigger >"/sys/kernel/debug/irq/irqs/$irq"
	unbind_with_waiter carveout-doorbell
	carveout-doorbell level carveout-doorbell 101 >/dev/null
	check "carveout-doorbell's line, masked at the unbind, rings after the rebind (exit $?)" [ $? -eq 0 ]
	# Rings, listeners, masks and unmasks against unbind/bind of both, for as long as the
	# hammers run.
	carveout-doorbell hammer carveout-mbox 100 10 >/tmp/hammer-edge 2>&1 &
	hammer_edge=$!
	carveout-doorbell hammer carveout-doorbell 101 10 >/tmp/hammer-level 2>&1 &
	hammer_level=$!
	# Each finds its interrupt while its device is bound, before the cycles begin.
	wait_for_line '^ringing' /tmp/hammer-edge $hammer_edge
	wait_for_line '^ringing' /tmp/hammer-level $hammer_level
	n=0
	while kill -0 $hammer_edge 2>/dev/null || kill -0 $hammer_level 2>/dev/null; do
		for node in carveout-mailbox carveout-doorbell; do
			echo $node >$driver/unbind
			echo $node >$driver/bind
		done
		n=$((n + 1))
	done
	wait $hammer_edge
	status_edge=$?
	wait $hammer_level
	status_level=$?
	cat /tmp/hammer-edge /tmp/hammer-level
	check "rings and listeners during $n unbind/bind cycles of carveout-mbox (exit $status_edge)" [ $status_edge -eq 0 ]
	check "and of carveout-doorbell, its level line masked and unmasked meanwhile (exit $status_level)" [ $status_level -eq 0 ]
	check "both bound after the cycles" [ -c /dev/carveout-mbox -a -c /dev/carveout-doorbell ]
	carveout-doorbell count carveout-mbox 100 >/dev/null
	check "the edge doorbell rings as before (exit $?)" [ $? -eq 0 ]
	carveout-doorbell level carveout-doorbell 101 >/dev/null
	check "the level doorbell too (exit $?)" [ $? -eq 0 ]
}

# The Linux interrupt number of GIC SPI $1: the /proc/interrupts line of hardware number 32 + $1.
irq_of_spi() {
	awk -v hw=$((32 + $1)) '{ for (i = 2; i < NF; i++) if ($i ~ /^GIC/ && $(i + 1) == hw) { sub(":", "", $1); print $1 } }' /proc/interrupts
}

# unbind_with_waiter DEV: a process waits in poll and epoll on DEV's doorbell; rmmod is refused
# while it does, and an unbind wakes it with POLLERR | POLLHUP, then ENODEV.
unbind_with_waiter() {
	dev=$1
	node=$(node_of "$dev")
	carveout-doorbell wait "$dev" >/tmp/wait 2>&1 &
	waiter=$!
	wait_for_line '^waiting' /tmp/wait $waiter
	sleep 0.2
	rmmod carveout 2>/dev/null
	check "rmmod refused while a process waits on the doorbell of $dev (exit $?)" [ -d /sys/module/carveout ]
	echo "$node" >$driver/unbind
	wait $waiter
	status=$?
	grep -v '^waiting' /tmp/wait
	check "the process waiting on the doorbell of $dev woke at the unbind, with an error (exit $status)" [ $status -eq 0 ]
	echo "$node" >$driver/bind
	check "rebind $dev" [ -c "/dev/$dev" ]
}

# unbind_while_streaming DEV VIDEO: the dma-bufs keep the region claimed after an unbind, so
# vivid goes on streaming into them, a rebind is refused and rmmod too, until they are closed;
# nothing else in the region changes. DEV is also its node's name.
unbind_while_streaming() {
	dev=$1
	video=$2
	# vivid's frames land in the first 512 KiB; what was there is put back at the end.
	dd if="/dev/$dev" of=/tmp/stream-saved bs=4096 count=128 2>/dev/null
	carveout-vivid stream "$dev" "$video" >/tmp/stream 2>&1 &
	streamer=$!
	wait_for_line '^streaming' /tmp/stream $streamer
	check "vivid $video streams into dma-bufs of $dev, mapped by the process" grep -q '^streaming' /tmp/stream
	outside=$(sed -n 's/^outside //p' /tmp/stream)
	rmmod carveout 2>/dev/null
	check "rmmod refused while dma-bufs are exported (exit $?)" [ -d /sys/module/carveout ]
	echo "$dev" >$driver/unbind
	check "unbind $dev while vivid streams into its dma-bufs" [ ! -e "/dev/$dev" ]
	frames() { sed -n 's/^frames //p' /tmp/stream | tail -n 1; }
	n1=$(frames)
	sleep 2
	n2=$(frames)
	check "vivid still streams into the buffers after the unbind (frames ${n1:-0} -> ${n2:-0})" [ "${n2:-0}" -gt "${n1:-0}" ]
	sh -c "echo $dev >$driver/bind" 2>/dev/null
	refused=$?
	check "rebind refused while the dma-bufs hold the region (exit $refused)" [ $refused -ne 0 -a ! -e "/dev/$dev" ]
	check "the refusal says why: $(dmesg | grep "carveout $dev: .*already claimed" | tail -n 1)" sh -c "dmesg | grep 'carveout $dev: ' | grep -q 'dma-bufs exported before an unbind'"
	rmmod carveout 2>/dev/null
	check "rmmod refused after the unbind too (exit $?)" [ -d /sys/module/carveout ]
	kill -TERM $streamer
	wait $streamer
	status=$?
	grep -v '^frames ' /tmp/stream
	check "the streaming process saw every frame equal the first, and exited (exit $status)" [ $status -eq 0 ]
	echo "$dev" >$driver/bind
	check "rebind $dev once the dma-bufs are closed" [ -c "/dev/$dev" ]
	# shellcheck disable=SC2086
	set -- $outside
	now=$(carveout-vivid checksum "$dev" "${1:-0}" | sed -n 's/^outside //p')
	check "$dev outside the buffers is untouched (from byte ${1:-?}: ${2:-?} -> ${now#* })" [ -n "$outside" -a "$now" = "$outside" ]
	dd if=/tmp/stream-saved of="/dev/$dev" bs=4096 conv=notrunc 2>/dev/null
	check "$dev: the first 512 KiB put back as they were" cmp -n 524288 /tmp/stream-saved "/dev/$dev"
}

# kmemleak reports objects unreferenced for 5 s or more: wait, then scan.
kmemleak_scan() {
	stage kmemleak
	if [ -w $kmemleak ]; then
		sleep 6
		echo scan >$kmemleak
		echo scan >$kmemleak
		leaks=$(grep -c '^unreferenced object' $kmemleak)
		[ "$leaks" -eq 0 ] || cat $kmemleak
		check "kmemleak: $leaks unreferenced objects after the cycles" [ "$leaks" -eq 0 ]
	else
		check "kmemleak is available ($kmemleak)" false
	fi
}

# Forget what boot itself allocated, so that a scan at the end reports only what we leak.
[ -w $kmemleak ] && echo clear >$kmemleak

# The arm64 bench (dts/qemu-virt-bench-blocks.dts): mappings of the 256 MiB carveout-pool with
# block entries and with page entries, against u-dma-buf (when the bench was given its module),
# a ramfs file and RAM, for 2 MiB, 16 MiB and 256 MiB.
if [ "$mode" = bench ] && [ "$(uname -m)" = aarch64 ]; then
	check "insmod carveout.ko" insmod /lib/modules/carveout.ko
	[ -w $kmemleak ] && echo scan=off >$kmemleak
	mkdir -p /tmp/bench-ramfs
	check "mount a ramfs at /tmp/bench-ramfs" mount -t ramfs ramfs /tmp/bench-ramfs
	set -- --ramfs /tmp/bench-ramfs
	if [ -f /lib/modules/u-dma-buf.ko ]; then
		if insmod /lib/modules/u-dma-buf.ko udmabuf0=0x10000000 && [ -e /dev/udmabuf0 ]; then
			set -- "$@" --udmabuf /dev/udmabuf0
		else
			fail "u-dma-buf: insmod with a 256 MiB buffer (udmabuf0=0x10000000)"
		fi
	else
		echo "INFO board: no u-dma-buf module in this image (make bench BENCH_UDMABUF=...): measured without it"
	fi
	taskset 1 carveout bench-maps "$@" "${carveout_reps:-9}" carveout-pool 0x200000 0x1000000 0x10000000
	check "mapping benchmark (exit $?)" [ $? -eq 0 ]
	finish
fi

if [ "$mode" = bench ]; then
	check "insmod carveout.ko" insmod /lib/modules/carveout.ko
	uio=$(find /sys/class/uio/ -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	check "three UIO devices over the carveouts (got $uio)" [ "$uio" -eq 3 ]
	# Quieter measurements: no kmemleak scans meanwhile, and the benchmark on one CPU.
	[ -w $kmemleak ] && echo scan=off >$kmemleak
	# The anchor for pread/pwrite and for a lazily mapped file: a file in a ramfs.
	mkdir -p /tmp/bench-ramfs
	check "mount a ramfs at /tmp/bench-ramfs" mount -t ramfs ramfs /tmp/bench-ramfs
	# The three devices with a UIO twin (dts/qemu-virt-bench.dts).
	taskset 1 carveout bench --ramfs /tmp/bench-ramfs "${carveout_reps:-9}" \
		carveout-fb carveout-dsp carveout-mbox
	check "benchmark (exit $?)" [ $? -eq 0 ]
	# A frame vivid captures: straight into a dma-buf of the carveout, or into vivid's own
	# buffer and then copied in with pwrite (the CPU time of the process per frame).
	# The doorbell's wake-up against UIO's, on another line of the same GIC (SPI 102), rung
	# the same way, with the UIO device over carveout-mbox's range (dts/qemu-virt-bench.dts).
	for u in /sys/class/uio/uio*; do
		[ "$(cat "$u/maps/map0/addr" 2>/dev/null)" = "$(base_of carveout-mbox)" ] && uio_mbox=${u##*/}
	done
	carveout-doorbell bench carveout-mbox 100 "${uio_mbox:-uio2}" 102 "${carveout_rings:-2000}"
	check "doorbell wake-up benchmark against UIO (exit $?)" [ $? -eq 0 ]
	for dev in carveout-fb carveout-dsp; do
		taskset 1 carveout-vivid bench $dev /dev/video0 "${carveout_frames:-120}"
		check "vivid frame benchmark on $dev (exit $?)" [ $? -eq 0 ]
	done
	finish
fi

if [ "$mode" = race ]; then
	stage load
	check "insmod carveout.ko" insmod /lib/modules/carveout.ko
	races
	check "rmmod carveout" rmmod carveout
	kmemleak_scan
	finish
fi

if [ "$mode" = dmabuf ]; then
	stage load
	check "insmod carveout.ko" insmod /lib/modules/carveout.ko
	dma_bufs
	check "rmmod carveout" rmmod carveout
	kmemleak_scan
	finish
fi

if [ "$mode" = doorbell ]; then
	stage load
	check "insmod carveout.ko" insmod /lib/modules/carveout.ko
	doorbells
	check "rmmod carveout" rmmod carveout
	kmemleak_scan
	finish
fi

if [ "$mode" = matrix ]; then
	stage load
	check "insmod carveout.ko" insmod /lib/modules/carveout.ko
	check "the well-formed nodes bound (got $(bound_count))" [ "$(bound_count)" -eq $good_nodes ]
	stage selftest
	# shellcheck disable=SC2086
	carveout selftest $devices
	check "selftest of the well-formed devices (exit $?)" [ $? -eq 0 ]
	check "rmmod carveout" rmmod carveout
	finish
fi

nodes=$(grep -l '^linux,carveout' /proc/device-tree/*/compatible 2>/dev/null | wc -l)
fb_base=$(base_of carveout-fb)
marker_before=0x5aa5c33c

stage load
# Whatever a bootloader left in a carveout must survive probe: write it through /dev/mem first.
check "write a bootloader marker through /dev/mem" devmem "$fb_base" 32 $marker_before
check "insmod carveout.ko" insmod /lib/modules/carveout.ko
bound=$(bound_count)
check "all $nodes carveout nodes bound (got $bound)" [ "$nodes" -ge 2 -a "$bound" -eq "$nodes" ]
check "bootloader marker survived probe" sh -c "carveout read carveout-fb 0 4 | grep -q '^00000000  3c c3 a5 5a '"
# The claim is exclusive (IORESOURCE_EXCLUSIVE): where the kernel filters /dev/mem
# (CONFIG_STRICT_DEVMEM, arm64's default), /dev/mem may not reach a bound region, though it
# reached it before probe (the marker above). Whether it filters shows on the first page of RAM,
# which it refuses then.
if devmem 0x40000000 32 >/dev/null 2>&1; then
	echo "INFO board: /dev/mem reaches RAM: this kernel does not filter /dev/mem (no CONFIG_STRICT_DEVMEM), so an exclusive claim has nothing to refuse"
else
	check "/dev/mem refuses a bound carveout (exclusive claim)" sh -c "! devmem $fb_base 32 >/dev/null 2>&1"
fi
for dev in $devices; do
	mode=$(stat -c '%a %u:%g' "/dev/$dev")
	check "/dev/$dev is root-only (mode, uid:gid: $mode)" [ "$mode" = "600 0:0" ]
done

stage selftest
carveout selftest
check "selftest of every device (exit $?)" [ $? -eq 0 ]
stage interfaces
kernel_pfnmap_test
device_interface
dma_bufs
doorbells
stage holders-revoke

# Unloading is refused while a process holds a device open, or only mapped.
for how in open map; do
	carveout hold carveout-dsp $how >/tmp/hold &
	holder=$!
	i=0
	while ! grep -q holding /tmp/hold && kill -0 $holder 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	check "a process holds /dev/carveout-dsp $how" grep -q holding /tmp/hold
	rmmod carveout 2>/dev/null
	refused=$?
	check "rmmod refused while a process holds a device $how (rmmod exit $refused)" [ $refused -ne 0 -a -d /sys/module/carveout -a -e /dev/carveout-dsp ]
	kill $holder
	wait $holder
done

# Unbinding revokes every mapping (SIGBUS), then a rebind sees the same contents.
for dev in $devices; do
	carveout revoke "$dev" "$(node_of "$dev")"
	check "revoke test of $dev (exit $?)" [ $? -eq 0 ]
done

sums() { for dev in $devices; do carveout checksum "$dev" || echo "no-$dev"; done | tr '\n' ' '; }
before=$(sums)
echo "contents before the cycles: $before"

# Meanwhile, a process reads every sysfs attribute, seeks (dd skip=) and syncs on every device,
# so that attribute calls, lseek and the sync ioctl race the removal and re-creation of the device.
stage unbind-cycles
rm -f /tmp/stop-readers
(
	n=0
	while [ ! -e /tmp/stop-readers ]; do
		for dev in $devices; do
			sys=/sys/class/misc/$dev
			cat "$sys/phys_addr" "$sys/size" "$sys/memory_type" >/dev/null 2>&1
			dd if="/dev/$dev" of=/dev/null bs=1 skip=4095 count=1 2>/dev/null
			carveout sync "$dev" >/dev/null 2>&1
		done
		n=$((n + 1))
	done
	echo $n >/tmp/readers.count
) &
readers=$!
ok=0
i=0
while [ $i -lt "$cycles" ]; do
	i=$((i + 1))
	all=yes
	for dev in $devices; do
		node=$(node_of "$dev")
		echo "$node" >$driver/unbind && echo "$node" >$driver/bind && [ -e "/dev/$dev" ] || all=no
	done
	[ $all = yes ] && ok=$((ok + 1))
done
touch /tmp/stop-readers
wait $readers
check "$ok of $cycles unbind/bind cycles of every device" [ $ok -eq "$cycles" ]
check "sysfs, lseek and sync readers ran against the cycles ($(cat /tmp/readers.count) rounds)" [ "$(cat /tmp/readers.count)" -gt 0 ]
check "contents survived $cycles unbind/bind cycles" [ "$(sums)" = "$before" ]

stage load-cycles
# These cycles race nothing: they check that every unload and load keeps the contents and leaks
# nothing. An unload waits for about ten RCU grace periods (the module's memory, lockdep's keys,
# each device's revocation); expedited grace periods, a setting of the kernel's own
# (/sys/kernel/rcu_expedited), cut the 100 cycles on the armv7 board from 233 s to 201 s.
# Everything that races an unload runs with normal grace periods.
echo 1 >/sys/kernel/rcu_expedited
ok=0
i=0
while [ $i -lt "$cycles" ]; do
	i=$((i + 1))
	rmmod carveout && insmod /lib/modules/carveout.ko && [ "$(bound_count)" -eq $good_nodes ] && ok=$((ok + 1))
done
echo 0 >/sys/kernel/rcu_expedited
check "$ok of $cycles unload/load cycles" [ $ok -eq "$cycles" ]
check "contents survived $cycles unload/load cycles" [ "$(sums)" = "$before" ]

stage stress
# shellcheck disable=SC2086
carveout stress 5 $devices
check "stress (exit $?)" [ $? -eq 0 ]
check "contents survived the stress" [ "$(sums)" = "$before" ]

races
check "contents survived the races" [ "$(sums)" = "$before" ]
stage reload

check "write a marker before unload" carveout write carveout-dsp 0x100 survives-reload
check "rmmod carveout" rmmod carveout
check "device files gone after rmmod" [ ! -e /dev/carveout-fb ]
check "insmod again" insmod /lib/modules/carveout.ko
check "marker survived unload and reload" sh -c "carveout read carveout-dsp 0x100 15 | grep -q '|survives-reload|'"
check "bootloader marker survived everything" sh -c "carveout read carveout-fb 0 4 | grep -q '^00000000  3c c3 a5 5a '"
check "rmmod carveout at the end" rmmod carveout

kmemleak_scan
finish
