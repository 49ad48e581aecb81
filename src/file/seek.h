/* SPDX-License-Identifier: GPL-2.0 */
/* The helper src/file/seek.rs calls. */
#ifndef CARVEOUT_FILE_SEEK_H
#define CARVEOUT_FILE_SEEK_H

struct file;

void carveout_file_clear_lseek(struct file *file);

#endif
