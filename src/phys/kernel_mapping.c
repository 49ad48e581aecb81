// SPDX-License-Identifier: GPL-2.0
/*
 * Copies between a kernel buffer and an iov_iter with page faults disabled, for
 * src/phys/kernel_mapping.rs, which makes them inside an RCU read-side critical section (the
 * revocable guard around its kernel mapping), where a fault, which may sleep, must not be taken.
 * pagefault_disable() and pagefault_enable() are inlines without a binding. A page of the
 * iterator that is not present (or not writable) ends the copy short; Rust then copies a small
 * piece with faults allowed, outside the critical section, and goes on.
 *
 * And ioremap_wc(), a function on 32-bit ARM (MT_DEVICE_WC: Normal, non-cacheable) but on arm64
 * a macro (PROT_NORMAL_NC: Normal, non-cacheable), which Rust cannot call.
 */

#include <linux/io.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "kernel_mapping.h"

void __iomem *carveout_ioremap_wc(phys_addr_t base, size_t size)
{
	return ioremap_wc(base, size);
}

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
