// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * map-sync: the smallest complete use of a carveout from C, on <linux/carveout.h> alone.
 *
 *   map-sync NAME
 *
 * Opens /dev/NAME, asks the driver what the region is (CARVEOUT_IOC_INFO), maps its first page,
 * stores a word there, makes the store visible to a device sharing the region
 * (CARVEOUT_IOC_SYNC: cache maintenance on a "cached" region, a write barrier on the others),
 * reads the word back with pread(2), and puts the old word back. Exit status: 0 done, 1 a call
 * failed or the word did not read back (the message says which), 2 usage.
 *
 * Build it against the header of your kernel's headers package, or this tree's:
 *
 *   cc -O2 -Wall -I include/uapi -o map-sync examples/c/map-sync.c
 *
 * _FILE_OFFSET_BITS=64 (below) makes off_t 64-bit on 32-bit systems too, so that mmap(2) and
 * pread(2) reach offsets past 2 GiB of a large region.
 */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/carveout.h>

#define WORD 0xc0ffee00u

static const char *type_name(__u32 memory_type)
{
	switch (memory_type) {
	case CARVEOUT_MEM_WRITE_COMBINE:
		return "write-combine";
	case CARVEOUT_MEM_CACHED:
		return "cached";
	case CARVEOUT_MEM_DEVICE:
		return "device";
	}
	return "unknown";
}

/* Makes the region's first page coherent for a device: what a producer does before it rings. */
static int sync_for_device(int fd, long page)
{
	struct carveout_sync sync = {
		.offset = 0,
		.length = (__u64)page,
		.flags = CARVEOUT_SYNC_FOR_DEVICE,
	};

	return ioctl(fd, CARVEOUT_IOC_SYNC, &sync);
}

static int fail(const char *path, const char *call, int err)
{
	fprintf(stderr, "map-sync: %s: %s: %s\n", path, call, strerror(err));
	return 1;
}

int main(int argc, char **argv)
{
	struct carveout_info info;
	long page = sysconf(_SC_PAGESIZE);
	const char *failed = NULL;
	volatile uint32_t *map;
	uint32_t old, back = 0;
	char path[64];
	int fd, err = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: map-sync NAME (a carveout device, /dev/NAME)\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/dev/%s", argv[1]);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail(path, "open", errno);
	if (ioctl(fd, CARVEOUT_IOC_INFO, &info) < 0)
		return fail(path, "CARVEOUT_IOC_INFO", errno);

	/* A character device reports size 0: always pass the length. Shared, never private. */
	map = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return fail(path, "mmap", errno);
	old = map[0];
	map[0] = WORD;
	if (sync_for_device(fd, page) < 0) {
		failed = "CARVEOUT_IOC_SYNC";
		err = errno;
	} else if (pread(fd, &back, sizeof(back), 0) != (ssize_t)sizeof(back)) {
		failed = "pread";
		err = errno ? errno : EIO; /* a short read sets no errno */
	}

	/* Leave the region as it was found, whatever failed. */
	map[0] = old;
	if (!failed && sync_for_device(fd, page) < 0) {
		failed = "CARVEOUT_IOC_SYNC";
		err = errno;
	}
	munmap((void *)map, (size_t)page);
	close(fd);
	if (failed)
		return fail(path, failed, err);

	printf("map-sync: %s: %llu bytes at 0x%llx, %s: stored 0x%08x through mmap, synced, "
	       "read 0x%08x with pread, put 0x%08x back\n",
	       info.name, (unsigned long long)info.size, (unsigned long long)info.phys_base,
	       type_name(info.memory_type), WORD, back, old);
	if (back != WORD) {
		fprintf(stderr, "map-sync: %s: read 0x%08x, not the 0x%08x stored\n", path, back,
			WORD);
		return 1;
	}
	return 0;
}
