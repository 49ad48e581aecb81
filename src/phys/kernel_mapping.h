/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The copies without page faults src/phys/kernel_mapping.rs makes under its revocable guard, and
 * the write-combine ioremap it makes.
 */
#ifndef CARVEOUT_PHYS_KERNEL_MAPPING_H
#define CARVEOUT_PHYS_KERNEL_MAPPING_H

#include <linux/compiler_types.h>
#include <linux/types.h>

struct iov_iter;

void __iomem *carveout_ioremap_wc(phys_addr_t base, size_t size);

size_t carveout_copy_to_iter_nofault(const void *from, size_t bytes, struct iov_iter *to);
size_t carveout_copy_from_iter_nofault(void *to, size_t bytes, struct iov_iter *from);

#endif
