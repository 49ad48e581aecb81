/* SPDX-License-Identifier: GPL-2.0 */
/* The pseudo filesystem src/misc/mapping_space.rs takes its inodes from. */
#ifndef CARVEOUT_MISC_MAPPING_SPACE_H
#define CARVEOUT_MISC_MAPPING_SPACE_H

struct inode;

struct inode *carveout_inode_new(void);
void carveout_inode_free(struct inode *inode);

#endif
