// SPDX-License-Identifier: GPL-2.0
/*
 * For src/file/seek.rs: FMODE_LSEEK is a macro with a `__force` cast that Rust bindings of
 * Linux 7.3 do not carry.
 */

#include <linux/fs.h>

#include "seek.h"

void carveout_file_clear_lseek(struct file *file)
{
	file->f_mode &= ~FMODE_LSEEK;
}
