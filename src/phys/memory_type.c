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
 * @prot with the page already dirty, on architectures whose page tables carry a software
 * dirty bit that the first write to each page otherwise faults to set (32-bit ARM's
 * L_PTE_DIRTY); @prot unchanged elsewhere. A read-only protection stays read-only.
 */
pgprot_t carveout_pgprot_dirty(pgprot_t prot)
{
#ifdef CONFIG_ARM
	prot = __pgprot(pgprot_val(prot) | L_PTE_DIRTY);
#endif
	return prot;
}
