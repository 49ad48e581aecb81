################################################################################
#
# Device tree base dumped from host-qemu, for custom trees to include
#
################################################################################

ifeq ($(BR2_LINUX_KERNEL_EXT_QEMU_DTS),y)

# check-package TypoInPackageVariable
LINUX_DEPENDENCIES += host-qemu host-dtc

define LINUX_QEMU_DTS_DUMP
	$(HOST_DIR)/bin/qemu-system-$(HOST_QEMU_SYS_ARCH) \
		$(call qstrip,$(BR2_LINUX_KERNEL_EXT_QEMU_DTS_ARGS)) \
		-machine dumpdtb=$(@D)/qemu-virt-base.dtb -display none
	$(HOST_DIR)/bin/dtc -q -I dtb -O dts \
		-o $(LINUX_ARCH_PATH)/boot/dts/qemu-virt-base.dts \
		$(@D)/qemu-virt-base.dtb
endef
# check-package TypoInPackageVariable
LINUX_PRE_BUILD_HOOKS += LINUX_QEMU_DTS_DUMP

endif
