/* SPDX-License-Identifier: GPL-2.0 */
/* C helpers of the carveout driver, called from src/phys.rs only. */
#ifndef CARVEOUT_HELPERS_H
#define CARVEOUT_HELPERS_H

#include <linux/types.h>
#include <linux/pgtable.h>

struct file;
struct inode;

/*
 * Must match `RawReservedRegion` in src/phys.rs; both sides assert its size at build time.
 * @base/@size: what the kernel reserved; @dt_base/@dt_size: the first entry of the node's
 * own `reg`, read as the device tree gives it (valid when @dt_reg).
 */
struct carveout_rmem {
	u64 base;
	u64 size;
	u64 dt_base;
	u64 dt_size;
	bool dt_reg;
	bool no_map;
	bool reusable;
	char name[48];
};

int carveout_rmem_count(void *dev);
int carveout_rmem_lookup(void *dev, int index, struct carveout_rmem *out);
pgprot_t carveout_pgprot(pgprot_t prot, unsigned int type);
void carveout_memcpy_fromio(void *dst, const void __iomem *src, size_t len);
void carveout_memcpy_toio(void __iomem *dst, const void *src, size_t len);
void carveout_file_disable_lseek(void *file);
bool carveout_range_is_ram(u64 base, u64 size);
int carveout_inode_new(struct inode **out);
void carveout_inode_free(struct inode *inode);
void carveout_file_set_mapping(struct file *file, struct inode *inode);
void carveout_inode_unmap_all(struct inode *inode);

#endif
