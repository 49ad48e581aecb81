// SPDX-License-Identifier: GPL-2.0
/*
 * The page protections of src/phys/memory_type.rs: pgprot_*() are macros on ARM, which Rust
 * cannot call. One function per protection; `MemoryType::user_prot()` picks one.
 */

#include <linux/pgtable.h>

#include "memory_type.h"

pgprot_t carveout_pgprot_writecombine(pgprot_t prot)
{
	return pgprot_writecombine(prot);
}

pgprot_t carveout_pgprot_device(pgprot_t prot)
{
	return pgprot_device(prot);
}

/*
 * @prot with the page already dirty, on architectures where the first write to each page
 * otherwise faults to mark it dirty; @prot unchanged elsewhere. A read-only protection stays
 * read-only.
 * - 32-bit ARM: a software bit, L_PTE_DIRTY, which set_pte_ext() needs to make the hardware
 *   entry writable.
 * - arm64: a writable page starts as PTE_WRITE | PTE_RDONLY, and without hardware dirty-bit
 *   management (ARMv8.1 and later, and only with CONFIG_ARM64_HW_AFDBM: the arm64 board has
 *   neither) the first write faults to clear PTE_RDONLY. pte_mkdirty() does what that fault
 *   does: PTE_DIRTY, and PTE_RDONLY cleared only if PTE_WRITE is set.
 */
pgprot_t carveout_pgprot_dirty(pgprot_t prot)
{
#if defined(CONFIG_ARM)
	prot = __pgprot(pgprot_val(prot) | L_PTE_DIRTY);
#elif defined(CONFIG_ARM64)
	prot = pte_pgprot(pte_mkdirty(pfn_pte(0, prot)));
#endif
	return prot;
}
