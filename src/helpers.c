// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers for the carveout driver: the macros, inline functions and the header
 * (`linux/of_reserved_mem.h`) that Rust bindings of Linux 7.3 do not reach.
 *
 * Only `src/phys.rs` calls these; each one does a single job and no policy.
 */

#include <linux/fs.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/of.h>
#include <linux/of_reserved_mem.h>
#include <linux/string.h>

#include "helpers.h"

/*
 * Resolves the first `memory-region` phandle of @dev's device-tree node to the
 * reserved-memory region the kernel set aside for it at boot.
 *
 * Returns 0 and fills @out, or:
 *  -ENOENT  the node has no `memory-region` property,
 *  -EINVAL  the phandle does not resolve to a node,
 *  -ENODEV  the target node is disabled,
 *  -ENXIO   the target is not a child of /reserved-memory that the kernel reserved
 *           (@out->name is still filled, for the message).
 */
int carveout_rmem_lookup(void *dev, struct carveout_rmem *out)
{
	struct device_node *np = ((struct device *)dev)->of_node;
	struct device_node *target, *parent;
	struct reserved_mem *rmem;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!np || !of_property_present(np, "memory-region"))
		return -ENOENT;

	target = of_parse_phandle(np, "memory-region", 0);
	if (!target)
		return -EINVAL;
	strscpy(out->name, kbasename(target->full_name), sizeof(out->name));

	parent = of_get_parent(target);
	if (!of_device_is_available(target)) {
		ret = -ENODEV;
	} else if (!parent || !of_node_name_eq(parent, "reserved-memory") ||
		   !of_node_is_root(parent->parent) ||
		   !(rmem = of_reserved_mem_lookup(target))) {
		ret = -ENXIO;
	} else {
		out->base = rmem->base;
		out->size = rmem->size;
		out->no_map = of_property_read_bool(target, "no-map");
		out->reusable = of_property_read_bool(target, "reusable");
	}
	of_node_put(parent);
	of_node_put(target);
	return ret;
}

/* The user-mapping protection for memory type @type (see `MemoryType` in src/phys.rs). */
pgprot_t carveout_pgprot(pgprot_t prot, unsigned int type)
{
	switch (type) {
	case 0:
		return pgprot_writecombine(prot);
	case 1:
		return prot;
	default:
		return pgprot_device(prot);
	}
}

void carveout_memcpy_fromio(void *dst, const void __iomem *src, size_t len)
{
	memcpy_fromio(dst, src, len);
}

void carveout_memcpy_toio(void __iomem *dst, const void *src, size_t len)
{
	memcpy_toio(dst, src, len);
}

/*
 * A Rust misc device has no `llseek`, but misc_open() installs its fops after
 * do_dentry_open() set FMODE_LSEEK for the char-dev stub: lseek() would then
 * call a NULL `llseek`. Make lseek() fail with -ESPIPE; pread()/pwrite() still work.
 */
void carveout_file_disable_lseek(void *file)
{
	((struct file *)file)->f_mode &= ~FMODE_LSEEK;
}
