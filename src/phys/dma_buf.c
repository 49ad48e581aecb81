// SPDX-License-Identifier: GPL-2.0
/*
 * For src/phys/dma_buf.rs: the dma-buf operations of an exported window of a carveout, which
 * the kernel's dma-buf core calls through a C table (its Rust bindings have none), and the
 * scatter table an importer's device gets. Each operation calls into dma_buf.rs, which decides;
 * what stays here is the mechanism the C API requires.
 *
 * The region has no struct page (it is no-map): the scatter table carries only a DMA address and
 * length (dma_map_resource(), no page pointer), and a CPU reaches the memory only through the
 * driver's own kernel mapping (vmap) or a PFN mapping with the region's memory type (mmap).
 */

#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/iommu-dma.h>
#include <linux/iosys-map.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "dma_buf.h"

#if IS_ENABLED(CONFIG_DMA_SHARED_BUFFER)

MODULE_IMPORT_NS("DMA_BUF");

/*
 * One DMA address for the importer's device: the whole buffer, contiguous. The CPU's side is
 * made coherent for the device first (a cached region's cache maintenance), as a DMA mapping is.
 */
static struct sg_table *carveout_dmabuf_map(struct dma_buf_attachment *attach,
					    enum dma_data_direction dir)
{
	struct dma_buf *dmabuf = attach->dmabuf;
	struct sg_table *sgt;
	dma_addr_t addr;
	int ret;

	ret = carveout_dmabuf_check_importer(dmabuf->priv, attach->dev, dir);
	if (ret)
		return ERR_PTR(ret);
	ret = carveout_dmabuf_sync(dmabuf->priv, false);
	if (ret)
		return ERR_PTR(ret);
	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table(sgt, 1, GFP_KERNEL);
	if (ret)
		goto free_sgt;
	addr = dma_map_resource(attach->dev, carveout_dmabuf_phys(dmabuf->priv), dmabuf->size,
				dir, 0);
	if (dma_mapping_error(attach->dev, addr)) {
		carveout_dmabuf_unreachable(dmabuf->priv, attach->dev);
		ret = -EIO;
		goto free_table;
	}
	sg_dma_address(sgt->sgl) = addr;
	sg_dma_len(sgt->sgl) = dmabuf->size;
	return sgt;

free_table:
	sg_free_table(sgt);
free_sgt:
	kfree(sgt);
	return ERR_PTR(ret);
}

/* The reverse of carveout_dmabuf_map(), then the CPU's side made coherent for the CPU. */
static void carveout_dmabuf_unmap(struct dma_buf_attachment *attach, struct sg_table *sgt,
				  enum dma_data_direction dir)
{
	dma_unmap_resource(attach->dev, sg_dma_address(sgt->sgl), attach->dmabuf->size, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
	carveout_dmabuf_sync(attach->dmabuf->priv, true);
}

/* DMA_BUF_IOCTL_SYNC and importers' CPU access: the whole buffer, either way, whatever @dir. */
static int carveout_dmabuf_begin_cpu(struct dma_buf *dmabuf, enum dma_data_direction dir)
{
	return carveout_dmabuf_sync(dmabuf->priv, true);
}

static int carveout_dmabuf_end_cpu(struct dma_buf *dmabuf, enum dma_data_direction dir)
{
	return carveout_dmabuf_sync(dmabuf->priv, false);
}

static int carveout_dmabuf_mmap_op(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	return carveout_dmabuf_mmap(dmabuf->priv, vma);
}

/*
 * No vunmap: the kernel mapping outlives every vmap (it lives as long as the dma-buf), and the
 * core calls vunmap only where there is one.
 */
static int carveout_dmabuf_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	void *vaddr;
	int ret;

	ret = carveout_dmabuf_vaddr(dmabuf->priv, &vaddr);
	if (ret)
		return ret;
	iosys_map_set_vaddr(map, vaddr);
	return 0;
}

static void carveout_dmabuf_release_op(struct dma_buf *dmabuf)
{
	carveout_dmabuf_release(dmabuf->priv);
}

static const struct dma_buf_ops carveout_dmabuf_ops = {
	.map_dma_buf = carveout_dmabuf_map,
	.unmap_dma_buf = carveout_dmabuf_unmap,
	.begin_cpu_access = carveout_dmabuf_begin_cpu,
	.end_cpu_access = carveout_dmabuf_end_cpu,
	.mmap = carveout_dmabuf_mmap_op,
	.vmap = carveout_dmabuf_vmap,
	.release = carveout_dmabuf_release_op,
};

/*
 * The same without vmap: dma_buf_vmap() then fails with EINVAL. (A vmap operation may not fail:
 * the core WARNs when it does.)
 */
static const struct dma_buf_ops carveout_dmabuf_ops_no_vmap = {
	.map_dma_buf = carveout_dmabuf_map,
	.unmap_dma_buf = carveout_dmabuf_unmap,
	.begin_cpu_access = carveout_dmabuf_begin_cpu,
	.end_cpu_access = carveout_dmabuf_end_cpu,
	.mmap = carveout_dmabuf_mmap_op,
	.release = carveout_dmabuf_release_op,
};

/*
 * A new dma-buf of @size bytes with @priv, read-only or read-write, with a kernel mapping for
 * importers (vmap) or without, owned by this module (the core holds a reference to the module
 * until the dma-buf's release): its file, holding the one reference, or an ERR_PTR. On success
 * the dma-buf owns @priv and gives it to carveout_dmabuf_release() once; on failure @priv is the
 * caller's.
 */
struct file *carveout_dmabuf_export(void *priv, size_t size, bool writable, bool vmap)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *dmabuf;

	info.ops = vmap ? &carveout_dmabuf_ops : &carveout_dmabuf_ops_no_vmap;
	info.size = size;
	info.flags = writable ? O_RDWR : O_RDONLY;
	info.priv = priv;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf))
		return ERR_CAST(dmabuf);
	return dmabuf->file;
}

#else /* !CONFIG_DMA_SHARED_BUFFER */

/* A kernel without dma-buf: no export (EOPNOTSUPP), and dma_buf.rs says why. */
struct file *carveout_dmabuf_export(void *priv, size_t size, bool writable, bool vmap)
{
	return ERR_PTR(-EOPNOTSUPP);
}

#endif

u64 carveout_dma_mask(struct device *dev)
{
	return dma_get_mask(dev);
}

/*
 * Whether @dev reaches [@phys, @phys + @size) by DMA, as dma_map_phys() decides (mapping.c): a
 * device without a DMA mask does not; behind the DMA IOMMU layer, or with DMA operations of its
 * own, the mapping decides; with dma-direct, the test dma-direct makes before it maps
 * (dma_capable() on the bus address: the device's DMA mask and bus limit), which there fails
 * with a WARN, once per device: asked first, the exporter refuses without one.
 */
bool carveout_dma_reachable(struct device *dev, phys_addr_t phys, size_t size)
{
	if (!dev->dma_mask)
		return false;
	if (use_dma_iommu(dev) || get_dma_ops(dev))
		return true;
	return dma_capable(dev, phys_to_dma(dev, phys), size, false, DMA_ATTR_MMIO);
}
