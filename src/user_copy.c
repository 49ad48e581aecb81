// SPDX-License-Identifier: GPL-2.0
/*
 * For src/user_copy.rs: copies between kernel memory and user memory with page faults
 * disabled, which src/phys/kernel_mapping.rs makes inside an RCU read-side critical section (the
 * revocable guard around its kernel mapping), where a fault, which may sleep, must not be taken.
 * pagefault_disable() and pagefault_enable() are inlines without a binding. A page that is not
 * present (or not writable) ends the copy short, and each returns what it copied or, for the
 * user buffers, what it left; Rust then copies a small piece with faults allowed, outside the
 * critical section, and goes on.
 *
 * The copies to and from one user buffer return the bytes not copied, as copy_to_user() does
 * (copy_to_user_nofault() returns only -EFAULT). Those from user memory never zero what they did
 * not copy (copy_from_user() does): their destination may be the region, whose other bytes are
 * left as they are.
 */

#include <linux/uaccess.h>
#include <linux/uio.h>

#include "user_copy.h"

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

unsigned long carveout_copy_to_user_nofault(void __user *to, const void *from, unsigned long n)
{
	unsigned long left;

	if (!access_ok(to, n))
		return n;
	pagefault_disable();
	left = __copy_to_user_inatomic(to, from, n);
	pagefault_enable();
	return left;
}

unsigned long carveout_copy_from_user_nofault(void *to, const void __user *from, unsigned long n)
{
	unsigned long left;

	if (!access_ok(from, n))
		return n;
	/* As copy_from_user_iter() does: no speculative load past a failed access_ok(). */
	barrier_nospec();
	pagefault_disable();
	left = __copy_from_user_inatomic(to, from, n);
	pagefault_enable();
	return left;
}
