/* SPDX-License-Identifier: GPL-2.0 */
/* The reserved-memory lookup of src/phys/reserved.rs: the struct both sides share. */
#ifndef CARVEOUT_PHYS_RESERVED_H
#define CARVEOUT_PHYS_RESERVED_H

#include <linux/types.h>

struct device;

/*
 * What the device tree and the kernel's reserved-memory table say about the target of one
 * `memory-region` entry: facts only, Rust decides what they mean. Must match
 * `RawReservedRegion` in src/phys/reserved.rs; both sides check its size and every offset at
 * build time.
 *
 * @base/@size:       what the kernel reserved (valid when @reserved).
 * @dt_base/@dt_size: the first entry of the node's own `reg`, as the device tree gives it
 *                    (valid when @dt_reg).
 * @has_property:     the device's node has a `memory-region` property.
 * @resolved:         the entry's phandle names a node (@name and @dt_* are then filled).
 * @available:        that node is not disabled.
 * @under_root_rmem:  its parent is the root's `reserved-memory` node.
 * @reserved:         the kernel reserved it at boot (`of_reserved_mem_lookup()`).
 * @no_map/@reusable: its `no-map` and `reusable` properties.
 */
struct carveout_rmem {
	u64 base;
	u64 size;
	u64 dt_base;
	u64 dt_size;
	bool dt_reg;
	bool has_property;
	bool resolved;
	bool available;
	bool under_root_rmem;
	bool reserved;
	bool no_map;
	bool reusable;
	char name[48];
};

int carveout_rmem_count(struct device *dev);
void carveout_rmem_lookup(struct device *dev, int index, struct carveout_rmem *out);

#endif
