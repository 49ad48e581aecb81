################################################################################
#
# carveout-tools
#
################################################################################

# The userspace/ crate of the repository that holds this br2-external tree. Its
# build.rs compiles (never runs) userspace/consts.c, which includes
# include/uapi/linux/carveout.h, with the target's C compiler (CC, which
# TARGET_CONFIGURE_OPTS sets): so the site is the repository's top, trimmed to
# userspace/ and include/ (rsync takes the first rule that matches),
# and cargo runs in the userspace/ subdirectory.
# Buildroot vendors crates only for downloaded cargo packages; this one has no
# dependencies (Cargo.lock lists only itself), so it builds offline as it is.
CARVEOUT_TOOLS_VERSION = 0.1.0
CARVEOUT_TOOLS_SITE = $(BR2_EXTERNAL_CARVEOUT_PATH)/..
CARVEOUT_TOOLS_SITE_METHOD = local
CARVEOUT_TOOLS_SUBDIR = userspace
# The library and the program: Apache-2.0 or MIT (userspace/LICENSE-*). The UAPI
# header they are built against: GPL-2.0 WITH Linux-syscall-note.
CARVEOUT_TOOLS_LICENSE = Apache-2.0 or MIT
CARVEOUT_TOOLS_LICENSE_FILES = userspace/LICENSE-APACHE userspace/LICENSE-MIT
CARVEOUT_TOOLS_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = \
	--exclude=/userspace/target \
	--include=/userspace/*** --include=/include/*** --exclude=*

$(eval $(cargo-package))
