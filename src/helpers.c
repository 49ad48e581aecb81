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
#include <linux/mount.h>
#include <linux/of.h>
#include <linux/of_address.h>
#include <linux/of_reserved_mem.h>
#include <linux/pseudo_fs.h>
#include <linux/string.h>

#include "helpers.h"

static_assert(sizeof(struct carveout_rmem) == 88);

/*
 * The number of entries of @dev's `memory-region` property, or -ENOENT when the node
 * has none.
 */
int carveout_rmem_count(void *dev)
{
	struct device_node *np = ((struct device *)dev)->of_node;

	if (!np)
		return -ENOENT;
	return of_count_phandle_with_args(np, "memory-region", NULL);
}

/*
 * Resolves entry @index of `memory-region` of @dev's device-tree node to the
 * reserved-memory region the kernel set aside for it at boot, and reads the
 * node's own `reg` beside it.
 *
 * Returns 0 and fills @out, or:
 *  -ENOENT  the node has no `memory-region` property,
 *  -EINVAL  the phandle does not resolve to a node,
 *  -ENODEV  the target node is disabled,
 *  -ENXIO   the target is not a child of /reserved-memory that the kernel reserved
 *           (@out->name and the `reg` facts are still filled, for the message).
 */
int carveout_rmem_lookup(void *dev, int index, struct carveout_rmem *out)
{
	struct device_node *np = ((struct device *)dev)->of_node;
	struct device_node *target, *parent;
	struct reserved_mem *rmem;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!np || !of_property_present(np, "memory-region"))
		return -ENOENT;

	target = of_parse_phandle(np, "memory-region", index);
	if (!target)
		return -EINVAL;
	strscpy(out->name, kbasename(target->full_name), sizeof(out->name));
	out->dt_reg = !of_property_read_reg(target, 0, &out->dt_base, &out->dt_size);

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

/*
 * The user-mapping protection for memory type @type (see `MemoryType` in src/phys.rs).
 *
 * On 32-bit ARM the kernel emulates the dirty bit: a clean writable page is mapped
 * read-only in hardware, so the first write to each page faults just to set the bit.
 * PFN pages are never written back, so the bit carries nothing for them: map them dirty
 * from the start, as pgprot_device() already does. (A read-only mapping stays read-only:
 * L_PTE_RDONLY decides that.) Without this, writing a fresh 16 MiB mapping took 4096
 * minor faults (make bench, minor-faults-write).
 */
pgprot_t carveout_pgprot(pgprot_t prot, unsigned int type)
{
	switch (type) {
	case 0:
		prot = pgprot_writecombine(prot);
		break;
	case 1:
		break;
	default:
		return pgprot_device(prot);
	}
#ifdef CONFIG_ARM
	prot = __pgprot(pgprot_val(prot) | L_PTE_DIRTY);
#endif
	return prot;
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

/*
 * True when every page of [@base, @base + @size) has a struct page, that is, lies in
 * RAM the kernel knows about (a no-map carveout still does). Device registers and
 * holes in the physical address space do not.
 */
bool carveout_range_is_ram(u64 base, u64 size)
{
	unsigned long first = PHYS_PFN(base);
	unsigned long last = PHYS_PFN(base + size - 1);
	unsigned long pfn;

	for (pfn = first; pfn <= last; pfn++)
		if (!pfn_valid(pfn))
			return false;
	return true;
}

/*
 * Revocable user mappings, as DRM does it: every open file of a carveout gets its
 * f_mapping pointed at one inode of a private pseudo filesystem, so every VMA of the
 * carveout sits in that inode's i_mmap tree and unmap_mapping_range() on it zaps them
 * all. A later access to a zapped VMA has no ->fault and gets SIGBUS.
 */
#define CARVEOUT_FS_MAGIC 0x63617276 /* "carv" */

static int carveout_fs_cnt;
static struct vfsmount *carveout_fs_mnt;

static int carveout_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, CARVEOUT_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner: a mount would pin this module and forbid rmmod while any device is
 * bound. The mount lives only while a carveout lives, and a carveout outlives its
 * device only while a file of it is open, which pins the module through the misc
 * fops' owner; so the module cannot go while the mount exists.
 */
static struct file_system_type carveout_fs_type = {
	.name = "carveout",
	.init_fs_context = carveout_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

int carveout_inode_new(struct inode **out)
{
	struct inode *inode;
	int ret;

	ret = simple_pin_fs(&carveout_fs_type, &carveout_fs_mnt, &carveout_fs_cnt);
	if (ret < 0)
		return ret;
	inode = alloc_anon_inode(carveout_fs_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		simple_release_fs(&carveout_fs_mnt, &carveout_fs_cnt);
		return PTR_ERR(inode);
	}
	*out = inode;
	return 0;
}

void carveout_inode_free(struct inode *inode)
{
	iput(inode);
	simple_release_fs(&carveout_fs_mnt, &carveout_fs_cnt);
}

void carveout_file_set_mapping(struct file *file, struct inode *inode)
{
	file->f_mapping = inode->i_mapping;
}

void carveout_inode_unmap_all(struct inode *inode)
{
	unmap_mapping_range(inode->i_mapping, 0, 0, 1);
}
