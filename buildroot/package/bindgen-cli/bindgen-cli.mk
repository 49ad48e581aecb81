################################################################################
#
# bindgen-cli
#
################################################################################

# The crates.io release, which carries its Cargo.lock (Buildroot's own
# rust-bindgen builds the same release from GitHub, with host-clang).
BINDGEN_CLI_VERSION = 0.72.1
BINDGEN_CLI_SITE = https://static.crates.io/crates/bindgen-cli
BINDGEN_CLI_SOURCE = bindgen-cli-$(BINDGEN_CLI_VERSION).crate
BINDGEN_CLI_LICENSE = BSD-3-Clause
BINDGEN_CLI_LICENSE_FILES = LICENSE

# bindgen loads libclang at run time: a host package can only say so as a
# build dependency.
HOST_BINDGEN_CLI_DEPENDENCIES = host-libclang-bin

# A .crate is a gzipped tarball, under a suffix Buildroot has no extractor for.
define HOST_BINDGEN_CLI_EXTRACT_CMDS
	$(ZCAT) $(HOST_BINDGEN_CLI_DL_DIR)/$(HOST_BINDGEN_CLI_SOURCE) | \
		$(TAR) --strip-components=1 -C $(@D) $(TAR_OPTIONS) -
endef

$(eval $(host-cargo-package))
