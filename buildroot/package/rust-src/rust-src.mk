################################################################################
#
# rust-src
#
################################################################################

# The same release as the host Rust compiler: the kernel's Rust must be built
# from the standard library source of exactly that compiler.
ifeq ($(BR2_PACKAGE_HOST_RUST),y)
RUST_SRC_VERSION = $(RUST_VERSION)
else
RUST_SRC_VERSION = $(RUST_BIN_VERSION)
endif
RUST_SRC_SITE = https://static.rust-lang.org/dist
RUST_SRC_SOURCE = rust-src-$(RUST_SRC_VERSION).tar.xz
RUST_SRC_LICENSE = Apache-2.0 or MIT

HOST_RUST_SRC_DEPENDENCIES = host-rustc

define HOST_RUST_SRC_INSTALL_CMDS
	mkdir -p $(HOST_DIR)/lib/rustlib
	rm -rf $(HOST_DIR)/lib/rustlib/src/rust
	cp -a $(@D)/rust-src/lib/rustlib/src $(HOST_DIR)/lib/rustlib/
endef

# Fail now, not deep in the kernel build, if the compiler is another release.
define HOST_RUST_SRC_CHECK_RUSTC_VERSION
	rustc_version=`$(HOST_DIR)/bin/rustc --version | cut -d' ' -f2`; \
	if [ "$${rustc_version}" != "$(RUST_SRC_VERSION)" ]; then \
		echo "rust-src $(RUST_SRC_VERSION) does not match host rustc $${rustc_version}"; \
		exit 1; \
	fi
endef
HOST_RUST_SRC_POST_INSTALL_HOOKS += HOST_RUST_SRC_CHECK_RUSTC_VERSION

$(eval $(host-generic-package))
