// SPDX-License-Identifier: GPL-2.0
/*
 * The pseudo filesystem behind src/misc/mapping_space.rs: a `struct file_system_type` with
 * its callbacks, which Rust bindings of Linux 7.3 cannot define. Every carveout gets one inode
 * of it; the open files of the carveout map through that inode's address space, so that
 * unmap_mapping_range() on it zaps every user mapping at once, as DRM does.
 */

#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>

#include "mapping_space.h"

#define CARVEOUT_FS_MAGIC 0x63617276 /* "carv" */

static int carveout_fs_cnt;
static struct vfsmount *carveout_fs_mnt;

static int carveout_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, CARVEOUT_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner: a mount would pin this module and forbid rmmod while any device is bound. The
 * mount lives only while a carveout lives, and a carveout outlives its device only while a
 * file of it is open, which pins the module through the misc fops' owner; so the module
 * cannot go while the mount exists.
 */
static struct file_system_type carveout_fs_type = {
	.name = "carveout",
	.init_fs_context = carveout_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

/* A new inode of the pseudo filesystem, mounting it first if needed; an ERR_PTR on failure. */
struct inode *carveout_inode_new(void)
{
	struct inode *inode;
	int ret;

	ret = simple_pin_fs(&carveout_fs_type, &carveout_fs_mnt, &carveout_fs_cnt);
	if (ret < 0)
		return ERR_PTR(ret);
	inode = alloc_anon_inode(carveout_fs_mnt->mnt_sb);
	if (IS_ERR(inode))
		simple_release_fs(&carveout_fs_mnt, &carveout_fs_cnt);
	return inode;
}

/* Drops @inode and the mount reference carveout_inode_new() took for it. */
void carveout_inode_free(struct inode *inode)
{
	iput(inode);
	simple_release_fs(&carveout_fs_mnt, &carveout_fs_cnt);
}
