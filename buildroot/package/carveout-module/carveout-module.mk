################################################################################
#
# carveout-module
#
################################################################################

# The module is the top of the repository that holds this br2-external tree.
CARVEOUT_MODULE_VERSION = 0.1.0
CARVEOUT_MODULE_SITE = $(BR2_EXTERNAL_CARVEOUT_PATH)/..
CARVEOUT_MODULE_SITE_METHOD = local
CARVEOUT_MODULE_LICENSE = GPL-2.0
CARVEOUT_MODULE_LICENSE_FILES = LICENSE
# Only what Kbuild, the UAPI header and its C test need: not a local build's
# objects or generated files, the other trees or userspace (rsync takes the
# first rule that matches).
CARVEOUT_MODULE_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = \
	--exclude=*.o --exclude=*.ko --exclude=*.mod --exclude=*.mod.c \
	--exclude=.*.cmd --exclude=modules.order --exclude=Module.symvers \
	--exclude=/src/uapi_header.s --exclude=/src/uapi_header_generated.rs \
	--include=/Kbuild --include=/Makefile --include=/LICENSE --include=/src/*** \
	--include=/include/*** --include=/tests/ --include=/tests/carveout-ctest.c \
	--exclude=*

# <linux/carveout.h> for programs built against the staging tree.
CARVEOUT_MODULE_INSTALL_STAGING = YES

define CARVEOUT_MODULE_INSTALL_STAGING_CMDS
	$(INSTALL) -D -m 0644 $(@D)/include/uapi/linux/carveout.h \
		$(STAGING_DIR)/usr/include/linux/carveout.h
endef

# carveout-ctest: the C test of the header, built as a C user would. The
# kernel-module infrastructure builds and installs the module in its hooks.
define CARVEOUT_MODULE_BUILD_CMDS
	$(TARGET_CC) $(TARGET_CFLAGS) $(TARGET_LDFLAGS) -Wall -Wextra \
		-D_FILE_OFFSET_BITS=64 -I$(@D)/include/uapi \
		$(@D)/tests/carveout-ctest.c -o $(@D)/tests/carveout-ctest
endef

define CARVEOUT_MODULE_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 $(@D)/tests/carveout-ctest \
		$(TARGET_DIR)/usr/bin/carveout-ctest
endef

$(eval $(kernel-module))
$(eval $(generic-package))
