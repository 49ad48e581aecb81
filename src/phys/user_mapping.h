/* SPDX-License-Identifier: GPL-2.0 */
/* The helpers src/phys/user_mapping.rs calls. */
#ifndef CARVEOUT_PHYS_USER_MAPPING_H
#define CARVEOUT_PHYS_USER_MAPPING_H

#include <linux/mm_types.h>
#include <linux/types.h>

struct file;
struct vm_area_desc;
struct vm_area_struct;
struct vm_fault;

bool carveout_desc_may_share(const struct vm_area_desc *desc);
bool carveout_desc_exec(const struct vm_area_desc *desc);
void carveout_desc_clear_mayexec(struct vm_area_desc *desc);
void carveout_desc_set_remap_flags(struct vm_area_desc *desc);
struct vm_area_struct *carveout_vma_lookup_current(unsigned long start);
unsigned int carveout_block_shift(void);
bool carveout_vma_thp_disabled(struct vm_area_struct *vma);
void carveout_vma_set_wipeonfork(struct vm_area_struct *vma);
void carveout_fault_pmd(const struct vm_fault *vmf, bool *none, bool *leaf);
struct vm_area_struct *carveout_fault_vma(const struct vm_fault *vmf);
unsigned long carveout_fault_address(const struct vm_fault *vmf);
vm_fault_t carveout_fault_insert_page(struct vm_fault *vmf, unsigned long pfn);
vm_fault_t carveout_fault_insert_block(struct vm_fault *vmf, unsigned long pfn);
unsigned long carveout_block_unmapped_area(struct file *file, unsigned long addr,
					   unsigned long len, unsigned long pgoff,
					   unsigned long flags);

#endif
