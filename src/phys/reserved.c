// SPDX-License-Identifier: GPL-2.0
/*
 * Reads the target of a `memory-region` entry: `linux/of_reserved_mem.h` and the inline
 * phandle and node helpers that Rust bindings of Linux 7.3 do not reach. Facts only: which of
 * them make a usable carveout is decided in src/phys/reserved.rs.
 */

#include <linux/build_bug.h>
#include <linux/device.h>
#include <linux/of.h>
#include <linux/of_address.h>
#include <linux/of_reserved_mem.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include "reserved.h"

/* The layout `RawReservedRegion` in src/phys/reserved.rs asserts too. */
static_assert(sizeof(struct carveout_rmem) == 88);
static_assert(offsetof(struct carveout_rmem, base) == 0);
static_assert(offsetof(struct carveout_rmem, size) == 8);
static_assert(offsetof(struct carveout_rmem, dt_base) == 16);
static_assert(offsetof(struct carveout_rmem, dt_size) == 24);
static_assert(offsetof(struct carveout_rmem, dt_reg) == 32);
static_assert(offsetof(struct carveout_rmem, has_property) == 33);
static_assert(offsetof(struct carveout_rmem, resolved) == 34);
static_assert(offsetof(struct carveout_rmem, available) == 35);
static_assert(offsetof(struct carveout_rmem, under_root_rmem) == 36);
static_assert(offsetof(struct carveout_rmem, reserved) == 37);
static_assert(offsetof(struct carveout_rmem, no_map) == 38);
static_assert(offsetof(struct carveout_rmem, reusable) == 39);
static_assert(offsetof(struct carveout_rmem, name) == 40);

/* The number of entries of @dev's `memory-region` property; 0 or less without one. */
int carveout_rmem_count(struct device *dev)
{
	if (!dev->of_node)
		return 0;
	return of_count_phandle_with_args(dev->of_node, "memory-region", NULL);
}

/* Fills @out with the facts about entry @index of @dev's `memory-region`. */
void carveout_rmem_lookup(struct device *dev, int index, struct carveout_rmem *out)
{
	struct device_node *np = dev->of_node;
	struct device_node *target, *parent;
	struct reserved_mem *rmem;

	memset(out, 0, sizeof(*out));
	out->has_property = np && of_property_present(np, "memory-region");
	if (!out->has_property)
		return;

	target = of_parse_phandle(np, "memory-region", index);
	out->resolved = target;
	if (!target)
		return;
	strscpy(out->name, kbasename(target->full_name), sizeof(out->name));
	out->dt_reg = !of_property_read_reg(target, 0, &out->dt_base, &out->dt_size);
	out->available = of_device_is_available(target);
	out->no_map = of_property_read_bool(target, "no-map");
	out->reusable = of_property_read_bool(target, "reusable");

	parent = of_get_parent(target);
	out->under_root_rmem = parent && of_node_name_eq(parent, "reserved-memory") &&
			       of_node_is_root(parent->parent);
	of_node_put(parent);

	rmem = of_reserved_mem_lookup(target);
	out->reserved = rmem;
	if (rmem) {
		out->base = rmem->base;
		out->size = rmem->size;
	}
	of_node_put(target);
}
