/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The listener files of a doorbell: the glue in listener.c, and the callbacks it calls, which
 * src/doorbell/listener.rs implements (every decision is there).
 */
#ifndef CARVEOUT_DOORBELL_LISTENER_H
#define CARVEOUT_DOORBELL_LISTENER_H

#include <linux/poll.h>
#include <linux/types.h>

struct file;

/* Glue (listener.c). */
struct file *carveout_listener_file(void *priv, bool writable);

/*
 * Callbacks (listener.rs, #[no_mangle] extern "C" with these parameters in this order; keep the
 * two in step); @priv is the one carveout_listener_file() was given.
 */
ssize_t carveout_listener_read(const void *priv, bool nonblock, char __user *buf, size_t len);
ssize_t carveout_listener_write(const void *priv, const char __user *buf, size_t len);
__poll_t carveout_listener_poll(const void *priv, struct file *file, poll_table *wait);
void carveout_listener_release(void *priv);

#endif
