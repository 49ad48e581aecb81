/* SPDX-License-Identifier: GPL-2.0 */
/* The page protections src/phys/memory_type.rs picks from. */
#ifndef CARVEOUT_PHYS_MEMORY_TYPE_H
#define CARVEOUT_PHYS_MEMORY_TYPE_H

#include <linux/pgtable.h>

pgprot_t carveout_pgprot_writecombine(pgprot_t prot);
pgprot_t carveout_pgprot_device(pgprot_t prot);
pgprot_t carveout_pgprot_dirty(pgprot_t prot);

#endif
