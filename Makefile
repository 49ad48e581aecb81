# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree build of the carveout module, plus the project's board targets.
#
#   make KDIR=<kernel build dir>   modules | modules_install | clean | rust-analyzer
#   make setup | kernel | board | run | test [QUICK=1] | dt-matrix | bench | host-test | lint
#   make dev-up | dev-test [CMD='...'] | dev-down: the edit loop on a board kept running (ci/dev.sh)
#   BOARD=lpae|arm64 (kernel, userspace, board, run, test): the LPAE board, carveouts above
#     4 GiB, or the 64-bit ARM board (default: armv7)
#   BENCH_KERNEL=debug (bench): measure on make test's debug kernel instead of a production one
#   BOARD=arm64 (bench): the mappings of a 256 MiB carveout, block entries against page entries;
#   BENCH_UDMABUF=PATH adds a u-dma-buf.ko you built against build/linux-bench-arm64
#   make buildroot-check BUILDROOT=<Buildroot checkout>   (the br2-external tree in buildroot/)
#
# Without KDIR, the module builds against the board kernel in build/linux (see `make kernel`).

OUT      ?= $(CURDIR)/build
KDIR     ?= $(OUT)/linux
ARCH     ?= arm
CROSS_COMPILE ?= arm-linux-gnueabihf-
# The board kernel was built with the bindgen/libclang ci/setup.sh picked; use them too, for
# that kernel only: a build against your KDIR uses the tools on your PATH, as your kernel did.
ENV_SH   := $(OUT)/env.sh
KENV      = $(if $(and $(wildcard $(ENV_SH)),$(filter $(abspath $(OUT)/linux),$(abspath $(KDIR)))),. $(ENV_SH) &&,)

KMAKE = $(MAKE) -C $(KDIR) M=$(CURDIR) ARCH=$(ARCH) CROSS_COMPILE=$(CROSS_COMPILE)

.PHONY: all modules modules_install clean rust-analyzer setup kernel module userspace board run \
	test dt-matrix bench buildroot-check host-test lint distclean dev-up dev-test dev-down

all: modules

modules modules_install clean rust-analyzer:
	$(KENV) $(KMAKE) $(if $(filter-out 0,$(CLIPPY)),CLIPPY=1) $@

# Everything below drives the QEMU board; scripts live in ci/.
setup:
	ci/setup.sh

kernel: setup
	ci/build-kernel.sh

# The armv7 board's module is built here, in the tree; another board's by ci/build-board.sh,
# beside that board's kernel.
module: kernel
	$(if $(filter-out armv7,$(BOARD)),@echo "module: board $(BOARD): built by ci/build-board.sh",$(MAKE) modules)

userspace: setup
	ci/build-userspace.sh

board: module userspace
	ci/build-board.sh

run: board
	ci/boot.sh

dt-matrix: board
	ci/dt-matrix.sh

bench: board
	ci/bench.sh

buildroot-check:
	ci/buildroot.sh check $(if $(BUILDROOT),$(BUILDROOT),$(error BUILDROOT=<Buildroot checkout> is missing))

host-test:
	ci/host-test.sh

test:
	ci/test.sh

lint:
	ci/lint.sh

dev-up:
	ci/dev.sh up

dev-test:
	ci/dev.sh test $(if $(CMD),'$(CMD)')

dev-down:
	ci/dev.sh down

distclean:
	rm -rf $(OUT)
