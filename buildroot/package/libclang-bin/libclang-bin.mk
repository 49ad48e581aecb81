################################################################################
#
# libclang-bin
#
################################################################################

# PyPI's "libclang" wheel: libclang.so of LLVM 18.1.1, built for manylinux.
LIBCLANG_BIN_VERSION = 18.1.1
ifeq ($(HOSTARCH),x86_64)
LIBCLANG_BIN_SITE = https://files.pythonhosted.org/packages/1d/fc/716c1e62e512ef1c160e7984a73a5fc7df45166f2ff3f254e71c58076f7c
LIBCLANG_BIN_SOURCE = libclang-$(LIBCLANG_BIN_VERSION)-py2.py3-none-manylinux2010_x86_64.whl
else ifeq ($(HOSTARCH),aarch64)
LIBCLANG_BIN_SITE = https://files.pythonhosted.org/packages/3c/3d/f0ac1150280d8d20d059608cf2d5ff61b7c3b7f7bcf9c0f425ab92df769a
LIBCLANG_BIN_SOURCE = libclang-$(LIBCLANG_BIN_VERSION)-py2.py3-none-manylinux2014_aarch64.whl
endif
LIBCLANG_BIN_LICENSE = Apache-2.0 WITH LLVM-exception
LIBCLANG_BIN_LICENSE_FILES = libclang-$(LIBCLANG_BIN_VERSION).dist-info/LICENSE.TXT

# A wheel is a zip archive.
define HOST_LIBCLANG_BIN_EXTRACT_CMDS
	$(UNZIP) -d $(@D) $(HOST_LIBCLANG_BIN_DL_DIR)/$(HOST_LIBCLANG_BIN_SOURCE)
endef

define HOST_LIBCLANG_BIN_INSTALL_CMDS
	$(INSTALL) -D -m 0755 \
		$(@D)/libclang-$(LIBCLANG_BIN_VERSION).data/platlib/clang/native/libclang.so \
		$(HOST_DIR)/lib/libclang-bin/libclang.so
endef

$(eval $(host-generic-package))
