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
# Only what Kbuild needs: not a local build's objects, the other trees or
# userspace (rsync takes the first rule that matches).
CARVEOUT_MODULE_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = \
	--exclude=*.o --exclude=*.ko --exclude=*.mod --exclude=*.mod.c \
	--exclude=.*.cmd --exclude=modules.order --exclude=Module.symvers \
	--include=/Kbuild --include=/Makefile --include=/LICENSE --include=/src/*** --exclude=*

$(eval $(kernel-module))
$(eval $(generic-package))
