/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The copies without page faults src/user_copy.rs makes for src/phys/kernel_mapping.rs,
 * under its revocable guard: to and from an iov_iter (read_iter, write_iter) and a user buffer
 * (read, write).
 */
#ifndef CARVEOUT_USER_COPY_H
#define CARVEOUT_USER_COPY_H

#include <linux/compiler_types.h>
#include <linux/types.h>

struct iov_iter;

size_t carveout_copy_to_iter_nofault(const void *from, size_t bytes, struct iov_iter *to);
size_t carveout_copy_from_iter_nofault(void *to, size_t bytes, struct iov_iter *from);
unsigned long carveout_copy_to_user_nofault(void __user *to, const void *from, unsigned long n);
unsigned long carveout_copy_from_user_nofault(void *to, const void __user *from, unsigned long n);

#endif
