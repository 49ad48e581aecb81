// SPDX-License-Identifier: GPL-2.0
/*
 * For src/phys/user_mapping.rs: the VMA flags of a mapping being prepared (a struct
 * vm_area_desc), which Linux 7.3 keeps in a bitmap behind inline accessors, and the lookup of the
 * VMA a vm_ops->mapped() call is about, which that hook is not given.
 */

#include <linux/mm.h>
#include <linux/sched.h>

#include "user_mapping.h"

bool carveout_desc_may_share(const struct vm_area_desc *desc)
{
	return vma_desc_test(desc, VMA_MAYSHARE_BIT);
}

bool carveout_desc_exec(const struct vm_area_desc *desc)
{
	return vma_desc_test(desc, VMA_EXEC_BIT);
}

void carveout_desc_clear_mayexec(struct vm_area_desc *desc)
{
	vma_desc_clear_flags(desc, VMA_MAYEXEC_BIT);
}

/* The flags remap_pfn_range() sets (VMA_REMAP_FLAGS: VM_IO | VM_PFNMAP | VM_DONTEXPAND |
 * VM_DONTDUMP), set before the VMA is made, as remap_pfn_range_prepare() does. */
void carveout_desc_set_remap_flags(struct vm_area_desc *desc)
{
	vma_desc_set_flags_mask(desc, VMA_REMAP_FLAGS);
}

/* The current process's VMA that starts at @start; its mmap_lock must be held. */
struct vm_area_struct *carveout_vma_lookup_current(unsigned long start)
{
	struct vm_area_struct *vma = vma_lookup(current->mm, start);

	return vma && vma->vm_start == start ? vma : NULL;
}
