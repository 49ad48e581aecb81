// SPDX-License-Identifier: GPL-2.0
/*
 * The cache-maintenance steps of src/cache_plan.rs, for src/phys/cache.rs: by the driver's own
 * kernel mapping (inner caches) and by physical address (ARM's outer cache). The architecture's
 * primitives are macros, inlines, assembly or differ by architecture; Rust decides which step
 * runs, in which order, on what range. Each step either cleans or cleans and invalidates a line
 * in one operation: none can drop a store (src/cache_plan.rs says why that matters).
 *
 * Inner caches, by virtual address to the point of coherency:
 * - 32-bit ARM: __cpuc_flush_dcache_area() cleans and invalidates each line in one operation
 *   (DCCIMVAC on ARMv7, broadcast to the inner shareable domain). It is the one by-address
 *   operation the kernel exports to modules (arch/arm/mm/proc-syms.c: directly, or through
 *   cpu_cache on MULTI_CACHE kernels, which the macro hides), so it serves both steps: a clean
 *   also invalidates, which loses nothing.
 * - arm64: the kernel exports no clean-and-invalidate by address to modules
 *   (dcache_clean_inval_poc is not exported; arch_invalidate_pmem is an invalidate, DC IVAC in
 *   the middle of the range, which drops dirty lines). carveout_dc_civac() issues DC CIVAC on
 *   every line, as dcache_clean_inval_poc does (arch/arm64/mm/cache.S, dcache_by_line_op civac),
 *   with the smallest data-cache line of all CPUs (the sanitised CTR_EL0.DminLine, as the
 *   kernel's dcache_line_size macro reads it), then DSB SY so that the maintenance is complete
 *   before the caller goes on. It serves both steps here too: DC CIVAC is also what the kernel
 *   turns DC CVAC into on CPUs with the clean-cache errata (ARM64_WORKAROUND_CLEAN_CACHE), so
 *   it needs no workaround of its own.
 * Outer cache (32-bit ARM, a PL310-style L2 when CONFIG_OUTER_CACHE is set; nothing without):
 * outer_clean_range() and outer_flush_range() (clean-and-invalidate by physical address, one
 * line at a time), end exclusive.
 */

#include <asm/barrier.h>
#include <asm/cacheflush.h>
#ifdef CONFIG_ARM
#include <asm/outercache.h>
#endif
#ifdef CONFIG_ARM64
#include <asm/cpufeature.h>
#include <asm/sysreg.h>
#endif

#include "cache.h"

#if !defined(CONFIG_ARM) && !defined(CONFIG_ARM64)
#error "carveout: cache maintenance is written for 32-bit ARM and arm64 only"
#endif

#ifdef CONFIG_ARM64
static void carveout_dc_civac(void *addr, size_t size)
{
	u64 ctr = read_sanitised_ftr_reg(SYS_CTR_EL0);
	unsigned long line = 4UL << cpuid_feature_extract_unsigned_field(ctr,
									CTR_EL0_DminLine_SHIFT);
	unsigned long p = (unsigned long)addr & ~(line - 1);
	unsigned long end = (unsigned long)addr + size;

	for (; p < end; p += line)
		asm volatile("dc civac, %0" : : "r"(p) : "memory");
	dsb(sy);
}
#endif

void carveout_cache_clean_inner(void *addr, size_t size)
{
#ifdef CONFIG_ARM64
	carveout_dc_civac(addr, size);
#else
	__cpuc_flush_dcache_area(addr, size);
#endif
}

void carveout_cache_clean_inval_inner(void *addr, size_t size)
{
#ifdef CONFIG_ARM64
	carveout_dc_civac(addr, size);
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

void carveout_cache_clean_inval_outer(phys_addr_t start, phys_addr_t end)
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
