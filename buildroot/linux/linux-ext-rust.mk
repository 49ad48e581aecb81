################################################################################
#
# Rust for Linux: build the kernel with CONFIG_RUST=y
#
################################################################################

ifeq ($(BR2_LINUX_KERNEL_EXT_RUST),y)

# The toolchain `make test` uses: host-rustc, the rust-src of the same release,
# bindgen from crates.io and a prebuilt libclang (no LLVM build). kconfig
# already decides whether Rust is usable (scripts/rust_is_available.sh), so the
# tools are kconfig dependencies (and with that, build dependencies).
# check-package TypoInPackageVariable
LINUX_KCONFIG_DEPENDENCIES += host-rustc host-rust-src host-bindgen-cli host-libclang-bin

# check-package TypoInPackageVariable
LINUX_MAKE_FLAGS += \
	RUSTC=$(HOST_DIR)/bin/rustc \
	HOSTRUSTC=$(HOST_DIR)/bin/rustc \
	BINDGEN=$(HOST_DIR)/bin/bindgen

# check-package TypoInPackageVariable
LINUX_MAKE_ENV += \
	RUST_LIB_SRC=$(HOST_DIR)/lib/rustlib/src/rust/library \
	LIBCLANG_PATH=$(HOST_DIR)/lib/libclang-bin

# check-package TypoInPackageVariable
PACKAGES_LINUX_CONFIG_FIXUPS += $(call KCONFIG_ENABLE_OPT,CONFIG_RUST)$(sep)

# CONFIG_RUST silently drops out when a dependency is missing: fail loudly.
define LINUX_RUST_CHECK_CONFIG
	if ! grep -qx 'CONFIG_RUST=y' $(LINUX_DIR)/.config; then \
		echo "CONFIG_RUST=y did not survive kconfig; the kernel says:"; \
		$(LINUX_MAKE_ENV) $(BR2_MAKE) $(LINUX_MAKE_FLAGS) -C $(LINUX_DIR) rustavailable; \
		exit 1; \
	fi
endef
# check-package TypoInPackageVariable
LINUX_POST_CONFIGURE_HOOKS += LINUX_RUST_CHECK_CONFIG

endif
