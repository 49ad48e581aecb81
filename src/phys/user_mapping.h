/* SPDX-License-Identifier: GPL-2.0 */
/* The helpers src/phys/user_mapping.rs calls. */
#ifndef CARVEOUT_PHYS_USER_MAPPING_H
#define CARVEOUT_PHYS_USER_MAPPING_H

#include <linux/types.h>

struct vm_area_desc;
struct vm_area_struct;

bool carveout_desc_may_share(const struct vm_area_desc *desc);
bool carveout_desc_exec(const struct vm_area_desc *desc);
void carveout_desc_clear_mayexec(struct vm_area_desc *desc);
void carveout_desc_set_remap_flags(struct vm_area_desc *desc);
struct vm_area_struct *carveout_vma_lookup_current(unsigned long start);

#endif
