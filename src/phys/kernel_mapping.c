// SPDX-License-Identifier: GPL-2.0
/*
 * For src/phys/kernel_mapping.rs: ioremap_wc(), a function on 32-bit ARM (MT_DEVICE_WC: Normal,
 * non-cacheable) but on arm64 a macro (PROT_NORMAL_NC: Normal, non-cacheable), which Rust cannot
 * call.
 */

#include <linux/io.h>

#include "kernel_mapping.h"

void __iomem *carveout_ioremap_wc(phys_addr_t base, size_t size)
{
	return ioremap_wc(base, size);
}
