/* SPDX-License-Identifier: GPL-2.0 */
/* The cache maintenance primitives src/phys/cache.rs orders. */
#ifndef CARVEOUT_PHYS_CACHE_H
#define CARVEOUT_PHYS_CACHE_H

#include <linux/types.h>

void carveout_cache_clean_inner(void *addr, size_t size);
void carveout_cache_inval_inner(void *addr, size_t size);
void carveout_cache_clean_outer(phys_addr_t start, size_t size);
void carveout_cache_inval_outer(phys_addr_t start, size_t size);

#endif
