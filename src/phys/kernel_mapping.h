/* SPDX-License-Identifier: GPL-2.0 */
/* The copies without page faults src/phys/kernel_mapping.rs makes under its revocable guard. */
#ifndef CARVEOUT_PHYS_KERNEL_MAPPING_H
#define CARVEOUT_PHYS_KERNEL_MAPPING_H

#include <linux/types.h>

struct iov_iter;

size_t carveout_copy_to_iter_nofault(const void *from, size_t bytes, struct iov_iter *to);
size_t carveout_copy_from_iter_nofault(void *to, size_t bytes, struct iov_iter *from);

#endif
