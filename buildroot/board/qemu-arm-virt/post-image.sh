#!/usr/bin/env bash
# Buildroot post-image script: writes start-qemu.sh next to the images. It boots
# them with the QEMU and the machine options the device tree was dumped for
# (BR2_LINUX_KERNEL_EXT_QEMU_DTS_ARGS), so the tree matches the machine.
set -euo pipefail
case "${1:-}" in -h | --help)
	awk 'NR > 1 && /^#/ && !/^# shellcheck / { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
	exit 0
	;;
esac

images=${BINARIES_DIR:?run by Buildroot as a post-image script}
config=${BR2_CONFIG:?run by Buildroot as a post-image script}
machine=$(sed -n 's/^BR2_LINUX_KERNEL_EXT_QEMU_DTS_ARGS="\(.*\)"$/\1/p' "$config")
[ -n "$machine" ] || {
	echo "post-image.sh: BR2_LINUX_KERNEL_EXT_QEMU_DTS_ARGS is not set in $config" >&2
	exit 1
}
# The board's architecture: 32-bit ARM boots a zImage, arm64 an Image.
if grep -qx 'BR2_aarch64=y' "$config"; then
	qemu=qemu-system-aarch64 kernel=Image
else
	qemu=qemu-system-arm kernel=zImage
fi
for f in "$kernel" qemu-virt-carveout.dtb rootfs.cpio; do
	[ -f "$images/$f" ] || {
		echo "post-image.sh: $images/$f is missing" >&2
		exit 1
	}
done

cat >"$images/start-qemu.sh" <<START
#!/bin/sh
# Boots the carveout board: log in as root on the console, then run
# 'carveout selftest'. Ctrl-a x leaves QEMU. Extra arguments go to QEMU.
# Written by board/qemu-arm-virt/post-image.sh.
IMAGE_DIR="\${0%/*}"
exec "$HOST_DIR/bin/$qemu" $machine \\
	-kernel "\$IMAGE_DIR/$kernel" \\
	-dtb "\$IMAGE_DIR/qemu-virt-carveout.dtb" \\
	-initrd "\$IMAGE_DIR/rootfs.cpio" \\
	-append "console=ttyAMA0" \\
	-nographic -no-reboot "\$@"
START
chmod +x "$images/start-qemu.sh"
echo "post-image.sh: $images/start-qemu.sh"
