// SPDX-License-Identifier: GPL-2.0
/*
 * For src/doorbell/listener.rs: the file of a doorbell's listener, an anonymous inode file (the
 * Rust bindings of Linux 7.3 have no anon_inode_getfile()). Each operation calls into
 * listener.rs, which decides; what stays here is the file_operations table the C API requires.
 */

#include <linux/anon_inodes.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/module.h>

#include "listener.h"

static ssize_t carveout_listener_fop_read(struct file *file, char __user *buf, size_t count,
					  loff_t *ppos)
{
	return carveout_listener_read(file->private_data, file->f_flags & O_NONBLOCK, buf, count);
}

static ssize_t carveout_listener_fop_write(struct file *file, const char __user *buf,
					   size_t count, loff_t *ppos)
{
	return carveout_listener_write(file->private_data, buf, count);
}

static __poll_t carveout_listener_fop_poll(struct file *file, poll_table *wait)
{
	return carveout_listener_poll(file->private_data, file, wait);
}

static int carveout_listener_fop_release(struct inode *inode, struct file *file)
{
	carveout_listener_release(file->private_data);
	return 0;
}

/* No llseek: the file has no position (lseek gives ESPIPE). */
static const struct file_operations carveout_listener_fops = {
	.owner = THIS_MODULE,
	.read = carveout_listener_fop_read,
	.write = carveout_listener_fop_write,
	.poll = carveout_listener_fop_poll,
	.release = carveout_listener_fop_release,
};

/* A new listener file whose private data is @priv, open for reading, and writing if @writable. */
struct file *carveout_listener_file(void *priv, bool writable)
{
	return anon_inode_getfile("[carveout-doorbell]", &carveout_listener_fops, priv,
				  writable ? O_RDWR : O_RDONLY);
}
