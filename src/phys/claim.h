/* SPDX-License-Identifier: GPL-2.0 */
/* The helper src/phys/claim.rs calls. */
#ifndef CARVEOUT_PHYS_CLAIM_H
#define CARVEOUT_PHYS_CLAIM_H

#include <linux/types.h>

bool carveout_pfn_valid(unsigned long pfn);

#endif
