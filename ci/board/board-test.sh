#!/bin/sh
# Runs on the board (busybox sh): load, self-test every device, check contents survive probe,
# unload and reload, unload. One PASS/FAIL line per check, then a summary.
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

nodes=$(grep -l '^linux,carveout' /proc/device-tree/*/compatible 2>/dev/null | wc -l)
fb_base=0x58000000
marker_before=0x5aa5c33c

# Whatever a bootloader left in a carveout must survive probe: write it through /dev/mem first.
check "write a bootloader marker through /dev/mem" devmem $fb_base 32 $marker_before
check "insmod carveout.ko" insmod /lib/modules/carveout.ko
bound=$(find /sys/bus/platform/drivers/carveout/ -mindepth 1 -maxdepth 1 -type l -name '*-*' | wc -l)
all_bound=no
[ "$nodes" -ge 2 ] && [ "$bound" -eq "$nodes" ] && all_bound=yes
check "all $nodes carveout nodes bound (got $bound)" [ "$all_bound" = yes ]
check "bootloader marker survived probe" sh -c "carveout read carveout-fb 0 4 | grep -q '^00000000  3c c3 a5 5a '"

carveout list
carveout selftest
check "selftest of every device (exit $?)" [ $? -eq 0 ]

check "write a marker before unload" carveout write carveout-dsp 0x100 survives-reload
check "rmmod carveout" rmmod carveout
check "device files gone after rmmod" [ ! -e /dev/carveout-fb ]
check "insmod again" insmod /lib/modules/carveout.ko
check "marker survived unload and reload" sh -c "carveout read carveout-dsp 0x100 15 | grep -q '|survives-reload|'"
check "bootloader marker survived selftest, unload and reload" sh -c "carveout read carveout-fb 0 4 | grep -q '^00000000  3c c3 a5 5a '"
check "rmmod carveout at the end" rmmod carveout

echo "board: $passed passed, $failed failed"
