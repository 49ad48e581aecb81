/* SPDX-License-Identifier: GPL-2.0 */
/* The write-combine ioremap src/phys/kernel_mapping.rs makes. */
#ifndef CARVEOUT_PHYS_KERNEL_MAPPING_H
#define CARVEOUT_PHYS_KERNEL_MAPPING_H

#include <linux/compiler_types.h>
#include <linux/types.h>

void __iomem *carveout_ioremap_wc(phys_addr_t base, size_t size);

#endif
