/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dma-buf exporter of src/phys/dma_buf.rs: the glue in dma_buf.c, and the callbacks it
 * calls, which dma_buf.rs implements (every decision is there).
 */
#ifndef CARVEOUT_PHYS_DMA_BUF_H
#define CARVEOUT_PHYS_DMA_BUF_H

#include <linux/dma-direction.h>
#include <linux/types.h>

struct device;
struct file;
struct vm_area_struct;

/* Glue (dma_buf.c). */
struct file *carveout_dmabuf_export(void *priv, size_t size, bool writable, bool vmap);
u64 carveout_dma_mask(struct device *dev);
bool carveout_dma_reachable(struct device *dev, phys_addr_t phys, size_t size);

/* Callbacks (dma_buf.rs); @priv is the one carveout_dmabuf_export() was given. */
phys_addr_t carveout_dmabuf_phys(const void *priv);
int carveout_dmabuf_check_importer(const void *priv, struct device *importer,
				   enum dma_data_direction dir);
void carveout_dmabuf_unreachable(const void *priv, struct device *importer);
int carveout_dmabuf_sync(const void *priv, bool for_cpu);
int carveout_dmabuf_vaddr(const void *priv, void **vaddr);
int carveout_dmabuf_mmap(const void *priv, struct vm_area_struct *vma);
void carveout_dmabuf_release(void *priv);

#endif
