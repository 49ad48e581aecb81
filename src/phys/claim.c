// SPDX-License-Identifier: GPL-2.0
/*
 * pfn_valid() for src/phys/claim.rs: an exported function on 32-bit ARM, but an inline on
 * arm64 and on every other SPARSEMEM architecture, which Rust cannot call.
 */

#include <linux/mmzone.h>

#include "claim.h"

bool carveout_pfn_valid(unsigned long pfn)
{
	return pfn_valid(pfn);
}
