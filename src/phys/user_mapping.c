// SPDX-License-Identifier: GPL-2.0
/*
 * For src/phys/user_mapping.rs: the VMA flags of a mapping being prepared (a struct
 * vm_area_desc), which Linux 7.3 keeps in a bitmap behind inline accessors, the lookup of the
 * VMA a vm_ops->mapped() call is about, which that hook is not given, and the page-table entries
 * a fault inserts: page ones, and on kernels that map PFN ranges at PMD level
 * (CONFIG_ARCH_SUPPORTS_PMD_PFNMAP: arm64 with transparent huge pages) block ones. The policy
 * is src/phys/user_mapping.rs's and src/block_plan.rs's.
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

/* log2 of the bytes a PMD-level block entry maps, or 0 on a kernel that maps PFN ranges with
 * page entries only. */
unsigned int carveout_block_shift(void)
{
#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
	return PMD_SHIFT;
#else
	return 0;
#endif
}

#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
/*
 * Whether transparent huge pages are disabled for @vma: by madvise(MADV_NOHUGEPAGE) or for its
 * process (prctl(PR_SET_THP_DISABLE)). The mm then never calls @vma's huge_fault. A hint:
 * __thp_vma_allowable_orders() in mm/huge_memory.c, which modules cannot call, decides at each
 * fault, and also asks thp_disabled_by_hw(), which reads a variable modules cannot reach (arm64
 * never sets it); the policy may change after this test (prctl again), and the fault handlers
 * are correct whichever way each fault goes.
 */
bool carveout_vma_thp_disabled(struct vm_area_struct *vma)
{
	return vma_thp_disabled(vma, vma->vm_flags, false);
}
#endif

/*
 * Marks @vma wipe-on-fork: fork() gives the child the VMA without copying its page tables
 * (dup_mmap() in mm/mmap.c), and the child faults its entries in. copy_huge_pmd() in
 * mm/huge_memory.c copies a block entry from a value it read without the lock and does not read
 * again ("it can't change with write mmap lock held"), but the revocation zaps without the
 * mmap_lock, so a fork racing it could give the child a block the zap had already passed.
 */
void carveout_vma_set_wipeonfork(struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_WIPEONFORK);
}

/* What the faulting address's PMD holds, from one read: nothing (@none), or a block (@leaf). */
void carveout_fault_pmd(const struct vm_fault *vmf, bool *none, bool *leaf)
{
	pmd_t pmd = pmdp_get_lockless(vmf->pmd);

	*none = pmd_none(pmd);
	*leaf = pmd_leaf(pmd);
}

struct vm_area_struct *carveout_fault_vma(const struct vm_fault *vmf)
{
	return vmf->vma;
}

unsigned long carveout_fault_address(const struct vm_fault *vmf)
{
	return vmf->address;
}

/* A page entry for @pfn at the faulting address, with the VMA's protection. */
vm_fault_t carveout_fault_insert_page(struct vm_fault *vmf, unsigned long pfn)
{
	return vmf_insert_pfn(vmf->vma, vmf->address, pfn);
}

/*
 * A block entry for @pfn at the faulting address's PMD, with the VMA's protection; marked dirty
 * at once for a write fault, as the fault would otherwise come back to do.
 */
vm_fault_t carveout_fault_insert_block(struct vm_fault *vmf, unsigned long pfn)
{
#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
	return vmf_insert_pfn_pmd(vmf, pfn, vmf->flags & FAULT_FLAG_WRITE);
#else
	return VM_FAULT_FALLBACK;
#endif
}

#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
/*
 * A free user range of @len bytes whose address is congruent to @pgoff's pages modulo a PMD
 * block where room allows (thp_get_unmapped_area(): padded by a block, then trimmed).
 */
unsigned long carveout_block_unmapped_area(struct file *file, unsigned long addr,
					   unsigned long len, unsigned long pgoff,
					   unsigned long flags)
{
	return thp_get_unmapped_area(file, addr, len, pgoff, flags);
}
#endif
