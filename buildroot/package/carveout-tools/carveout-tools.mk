################################################################################
#
# carveout-tools
#
################################################################################

# The userspace/ crate of the repository that holds this br2-external tree.
# Buildroot vendors crates only for downloaded cargo packages; this one has no
# dependencies (Cargo.lock lists only itself), so it builds offline as it is.
CARVEOUT_TOOLS_VERSION = 0.1.0
CARVEOUT_TOOLS_SITE = $(BR2_EXTERNAL_CARVEOUT_PATH)/../userspace
CARVEOUT_TOOLS_SITE_METHOD = local
CARVEOUT_TOOLS_LICENSE = GPL-2.0
CARVEOUT_TOOLS_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = --exclude=/target

$(eval $(cargo-package))
