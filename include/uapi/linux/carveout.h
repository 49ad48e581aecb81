/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The userspace ABI of carveout devices (/dev/<name>): a reserved-memory region that userspace
 * maps with mmap(2), reads and writes with pread(2)/pwrite(2) and lseek(2), and controls with
 * the ioctls below. docs/abi.md describes every call and its result.
 *
 * The kernel module (src/uapi.rs) and the Rust library (userspace/src/uapi.rs) are checked
 * against this header when they are built: a change here that they do not follow fails their
 * build.
 */
#ifndef _UAPI_LINUX_CARVEOUT_H
#define _UAPI_LINUX_CARVEOUT_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bytes of the NUL-terminated name in struct carveout_info. */
#define CARVEOUT_NAME_LEN		32

/* carveout_info.memory_type: the one memory type of every mapping of the region. */
#define CARVEOUT_MEM_WRITE_COMBINE	0	/* Normal non-cacheable */
#define CARVEOUT_MEM_CACHED		1	/* Normal write-back: needs CARVEOUT_IOC_SYNC */
#define CARVEOUT_MEM_DEVICE		2	/* Device: naturally aligned accesses only */

/* The answer to CARVEOUT_IOC_INFO: 56 bytes, no padding, the same on 32- and 64-bit ABIs. */
struct carveout_info {
	__u64 phys_base;	/* physical base address of the region */
	__u64 size;		/* size of the region in bytes */
	__u32 memory_type;	/* CARVEOUT_MEM_* */
	__u32 flags;		/* 0 */
	char name[CARVEOUT_NAME_LEN];	/* device name, NUL-terminated */
};

/*
 * carveout_sync.flags: a direction, or both (the first, then the second). Each line is cleaned,
 * or cleaned and invalidated in one step: no store, by any CPU, is lost by a sync.
 */
#define CARVEOUT_SYNC_FOR_DEVICE	(1U << 0)	/* clean (+invalidate): CPU writes reach memory */
#define CARVEOUT_SYNC_FOR_CPU		(1U << 1)	/* clean+invalidate: CPU reads see memory */
#define CARVEOUT_SYNC_BIDIRECTIONAL	(CARVEOUT_SYNC_FOR_DEVICE | CARVEOUT_SYNC_FOR_CPU)

/*
 * The argument of CARVEOUT_IOC_SYNC: 24 bytes, no padding. A range of the region, in bytes from
 * its start; offset + length must not pass the end. Write-combine and device regions, which no
 * CPU cache holds, need no cache maintenance: there a sync for the device drains the CPU's write
 * buffers (a write barrier), and one for the CPU only checks its argument.
 */
struct carveout_sync {
	__u64 offset;		/* start of the range in the region */
	__u64 length;		/* bytes; 0 does nothing */
	__u32 flags;		/* CARVEOUT_SYNC_*, at least one */
	__u32 reserved;		/* 0 */
};

/* carveout_export.flags. */
#define CARVEOUT_EXPORT_WRITE		(1U << 0)	/* writable (the device must be open for writing) */

/*
 * The argument of CARVEOUT_IOC_EXPORT: 24 bytes, no padding. Exports length bytes at offset as a
 * dma-buf, which V4L2 (V4L2_MEMORY_DMABUF), DRM (PRIME) and other processes import; its fd is
 * close-on-exec, read-only unless CARVEOUT_EXPORT_WRITE (read-only: devices may only read it,
 * processes map it read-only, kernel importers get no CPU address). offset and length are
 * multiples of the page size, length is not 0 and below 4 GiB, and offset + length does not pass
 * the end of the region. Only a region whose device-tree node has linux,dma-buf-export exports
 * (EOPNOTSUPP otherwise).
 * docs/abi.md: what the dma-buf does, and what becomes of it when the device is unbound.
 */
struct carveout_export {
	__u64 offset;		/* start of the buffer in the region, page-aligned */
	__u64 length;		/* bytes, page-aligned, not 0, below 4 GiB */
	__u32 flags;		/* CARVEOUT_EXPORT_WRITE or 0 */
	__s32 fd;		/* out: the dma-buf's file descriptor */
};

/* carveout_doorbell.trigger: how the region's interrupt signals, from its device-tree node. */
#define CARVEOUT_DOORBELL_EDGE		1	/* counted; masked only when a listener asks */
#define CARVEOUT_DOORBELL_LEVEL		2	/* masked at each interrupt until a listener unmasks */

/*
 * The argument of CARVEOUT_IOC_DOORBELL: 16 bytes, no padding. Opens a listener of the region's
 * doorbell (the interrupt of its device-tree node) as a new file descriptor, close-on-exec, open
 * for writing if the device is. The listener is used as a UIO device file is:
 *   read(2) of 4 bytes: waits (or EAGAIN under O_NONBLOCK) until the doorbell has rung since this
 *     listener last read, then gives the count of interrupts since the line was requested (a
 *     __u32, wrapping); the difference from the last count is the number of rings in between.
 *   poll(2), epoll(7), select(2): readable (POLLIN) when a read would not wait.
 *   write(2) of a __u32: 1 unmasks the line, 0 masks it (the listener must be open for writing).
 * Once the device is unbound, poll gives POLLERR | POLLHUP and read and write ENODEV. A region
 * without an interrupt has no doorbell (EOPNOTSUPP).
 * docs/abi.md: the doorbell, masking and level-triggered lines.
 */
struct carveout_doorbell {
	__u32 flags;		/* 0 */
	__u32 trigger;		/* out: CARVEOUT_DOORBELL_EDGE or CARVEOUT_DOORBELL_LEVEL */
	__s32 fd;		/* out: the listener's file descriptor */
	__u32 count;		/* out: the count when the listener opened: its first read's base */
};

#define CARVEOUT_IOC_MAGIC		0xB9
#define CARVEOUT_IOC_INFO		_IOR(CARVEOUT_IOC_MAGIC, 0x00, struct carveout_info)
#define CARVEOUT_IOC_SYNC		_IOW(CARVEOUT_IOC_MAGIC, 0x01, struct carveout_sync)
#define CARVEOUT_IOC_EXPORT		_IOWR(CARVEOUT_IOC_MAGIC, 0x02, struct carveout_export)
#define CARVEOUT_IOC_DOORBELL		_IOWR(CARVEOUT_IOC_MAGIC, 0x03, struct carveout_doorbell)

#endif /* _UAPI_LINUX_CARVEOUT_H */
