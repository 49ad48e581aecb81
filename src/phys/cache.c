// SPDX-License-Identifier: GPL-2.0
/*
 * Cache maintenance for src/phys/cache.rs, by the driver's own kernel mapping (inner caches) and
 * by physical address (ARM's outer cache). The architecture's primitives are macros, inlines or
 * differ by architecture; Rust decides which to call, in which order, and on what range.
 *
 * Inner caches, by virtual address to the point of coherency:
 * - 32-bit ARM: __cpuc_flush_dcache_area() cleans and invalidates (DCCIMVAC on ARMv7); it is
 *   the one by-address operation the kernel exports to modules (arch/arm/mm/proc-syms.c:
 *   directly, or through cpu_cache on MULTI_CACHE kernels, which the macro hides). Cleaning with
 *   it also invalidates, which is harmless; invalidating with it also cleans, so a CPU write not
 *   yet synced is written back rather than lost.
 * - arm64: arch_wb_cache_pmem() cleans (dcache_clean_pop: to the point of persistence, which is
 *   at or beyond the point of coherency) and arch_invalidate_pmem() invalidates
 *   (dcache_inval_poc, which cleans and invalidates the partial lines at either end), both
 *   from arch/arm64/mm/flush.c.
 * Outer cache (32-bit ARM, a PL310-style L2 when CONFIG_OUTER_CACHE is set; nothing without):
 * outer_clean_range() and outer_flush_range() by physical address.
 */

#include <linux/libnvdimm.h>
#include <asm/cacheflush.h>
#ifdef CONFIG_ARM
#include <asm/outercache.h>
#endif

#include "cache.h"

#if !defined(CONFIG_ARM) && !defined(CONFIG_ARM64)
#error "carveout: cache maintenance is written for 32-bit ARM and arm64 only"
#endif
#if defined(CONFIG_ARM64) && !defined(CONFIG_ARCH_HAS_PMEM_API)
/* Without it, arch_wb_cache_pmem() and arch_invalidate_pmem() are empty: refuse to build. */
#error "carveout: cache maintenance on arm64 needs CONFIG_ARM64_PMEM"
#endif

void carveout_cache_clean_inner(void *addr, size_t size)
{
#ifdef CONFIG_ARM64
	arch_wb_cache_pmem(addr, size);
#else
	__cpuc_flush_dcache_area(addr, size);
#endif
}

void carveout_cache_inval_inner(void *addr, size_t size)
{
#ifdef CONFIG_ARM64
	arch_invalidate_pmem(addr, size);
#else
	__cpuc_flush_dcache_area(addr, size);
#endif
}

void carveout_cache_clean_outer(phys_addr_t start, size_t size)
{
#ifdef CONFIG_ARM
	outer_clean_range(start, start + size);
#endif
}

void carveout_cache_inval_outer(phys_addr_t start, size_t size)
{
#ifdef CONFIG_ARM
	outer_flush_range(start, start + size);
#endif
}
