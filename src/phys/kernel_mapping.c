// SPDX-License-Identifier: GPL-2.0
/*
 * Copies between a kernel buffer and an iov_iter with page faults disabled, for
 * src/phys/kernel_mapping.rs, which makes them inside an RCU read-side critical section (the
 * revocable guard around its kernel mapping), where a fault, which may sleep, must not be taken.
 * pagefault_disable() is an inline, and copy_to_iter() an inline around _copy_to_iter(): both
 * have no binding. A page of the iterator that is not present ends the copy short; Rust faults
 * it in outside the critical section and copies again (the way generic_perform_write() does).
 */

#include <linux/uaccess.h>
#include <linux/uio.h>

#include "kernel_mapping.h"

size_t carveout_copy_to_iter_nofault(const void *from, size_t bytes, struct iov_iter *to)
{
	size_t copied;

	pagefault_disable();
	copied = _copy_to_iter(from, bytes, to);
	pagefault_enable();
	return copied;
}

size_t carveout_copy_from_iter_nofault(void *to, size_t bytes, struct iov_iter *from)
{
	size_t copied;

	pagefault_disable();
	copied = _copy_from_iter(to, bytes, from);
	pagefault_enable();
	return copied;
}
