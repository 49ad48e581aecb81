// SPDX-License-Identifier: GPL-2.0
/*
 * Cache maintenance for src/phys/cache.rs, by the driver's own kernel mapping (inner caches) and
 * by physical address (ARM's outer cache). The architecture's primitives are macros, inlines or
 * differ by architecture; Rust decides which to call, in which order, on what range, and whether
 * this kernel has them at all.
 *
 * Inner caches, by virtual address to the point of coherency:
 * - 32-bit ARM: __cpuc_flush_dcache_area() cleans and invalidates (DCCIMVAC on ARMv7). It is the
 *   one by-address operation the kernel exports to modules (arch/arm/mm/proc-syms.c: directly,
 *   or through cpu_cache on MULTI_CACHE kernels, which the macro hides), so it serves both: a
 *   clean also invalidates, which is harmless.
 * - arm64: arch_wb_cache_pmem() cleans (dcache_clean_pop: to the point of persistence, at or
 *   beyond the point of coherency); arch_invalidate_pmem() invalidates (dcache_inval_poc), both
 *   from arch/arm64/mm/flush.c and only with CONFIG_ARCH_HAS_PMEM_API (ARM64_PMEM), without
 *   which they are empty and Rust refuses to sync. dcache_inval_poc discards dirty whole lines,
 *   so the flush cleans first: a CPU write not yet synced is written back, never dropped.
 * Outer cache (32-bit ARM, a PL310-style L2 when CONFIG_OUTER_CACHE is set; nothing without):
 * outer_clean_range() and outer_flush_range(), by physical address, end exclusive.
 */

#include <linux/libnvdimm.h>
#include <linux/sched.h>
#include <asm/barrier.h>
#include <asm/cacheflush.h>
#ifdef CONFIG_ARM
#include <asm/outercache.h>
#endif

#include "cache.h"

#if !defined(CONFIG_ARM) && !defined(CONFIG_ARM64)
#error "carveout: cache maintenance is written for 32-bit ARM and arm64 only"
#endif

void carveout_cache_clean_inner(void *addr, size_t size)
{
#ifdef CONFIG_ARM64
	arch_wb_cache_pmem(addr, size);
#else
	__cpuc_flush_dcache_area(addr, size);
#endif
}

void carveout_cache_flush_inner(void *addr, size_t size)
{
#ifdef CONFIG_ARM64
	arch_wb_cache_pmem(addr, size);
	arch_invalidate_pmem(addr, size);
#else
	__cpuc_flush_dcache_area(addr, size);
#endif
}

void carveout_cache_clean_outer(phys_addr_t start, phys_addr_t end)
{
#ifdef CONFIG_ARM
	outer_clean_range(start, end);
#endif
}

void carveout_cache_flush_outer(phys_addr_t start, phys_addr_t end)
{
#ifdef CONFIG_ARM
	outer_flush_range(start, end);
#endif
}

/* Drains the CPU's write buffers, and on ARM an outer cache's store buffer (arm_heavy_mb). */
void carveout_cache_wmb(void)
{
	wmb();
}

void carveout_cache_cond_resched(void)
{
	cond_resched();
}
