/* SPDX-License-Identifier: GPL-2.0 */
/* The cache maintenance steps src/phys/cache.rs carries out. */
#ifndef CARVEOUT_PHYS_CACHE_H
#define CARVEOUT_PHYS_CACHE_H

#include <linux/types.h>

void carveout_cache_clean_inner(void *addr, size_t size);
void carveout_cache_clean_inval_inner(void *addr, size_t size);
void carveout_cache_clean_outer(phys_addr_t start, phys_addr_t end);
void carveout_cache_clean_inval_outer(phys_addr_t start, phys_addr_t end);
void carveout_cache_wmb(void);

#endif
