// SPDX-License-Identifier: GPL-2.0
/*
 * carveout-ctest: the UAPI header as a C program uses it, on the board.
 *
 *   carveout-ctest NAME...
 *
 * For each /dev/NAME: the info ioctl against the sysfs attributes, lseek, and every case of
 * CARVEOUT_IOC_SYNC (docs/abi.md). Prints one PASS/FAIL line per check and closes with
 * "N passed, N failed"; exits 1 if a check failed, 2 on a usage error. What it writes to a
 * region it puts back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/carveout.h>

static unsigned int passed, failed;

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ctest: ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (ok)
		passed++;
	else
		failed++;
}

/* The first line of /sys/class/misc/NAME/ATTR, without its newline; "" if unreadable. */
static const char *sysfs_attr(const char *name, const char *attr)
{
	static char value[64];
	char path[256];
	FILE *f;

	value[0] = '\0';
	snprintf(path, sizeof(path), "/sys/class/misc/%s/%s", name, attr);
	f = fopen(path, "r");
	if (!f)
		return value;
	if (!fgets(value, sizeof(value), f))
		value[0] = '\0';
	fclose(f);
	value[strcspn(value, "\n")] = '\0';
	return value;
}

static const char *memory_type_name(__u32 type)
{
	switch (type) {
	case CARVEOUT_MEM_WRITE_COMBINE:
		return "write-combine";
	case CARVEOUT_MEM_CACHED:
		return "cached";
	case CARVEOUT_MEM_DEVICE:
		return "device";
	default:
		return "unknown";
	}
}

/* CARVEOUT_IOC_SYNC; 0 or the errno. */
static int sync_range(int fd, __u64 offset, __u64 length, __u32 flags, __u32 reserved)
{
	struct carveout_sync sync = {
		.offset = offset,
		.length = length,
		.flags = flags,
		.reserved = reserved,
	};

	return ioctl(fd, CARVEOUT_IOC_SYNC, &sync) ? errno : 0;
}

static void test_info(const char *name, int fd, struct carveout_info *info)
{
	char expect[32];

	check(ioctl(fd, CARVEOUT_IOC_INFO, info) == 0, "%s: CARVEOUT_IOC_INFO (%s)", name,
	      strerror(errno));
	printf("ctest: %s: phys_base 0x%" PRIx64 ", size %" PRIu64 ", memory_type %u (%s), name %.*s\n",
	       name, (uint64_t)info->phys_base, (uint64_t)info->size, info->memory_type,
	       memory_type_name(info->memory_type), CARVEOUT_NAME_LEN, info->name);
	check(strncmp(info->name, name, CARVEOUT_NAME_LEN) == 0, "%s: info names the device", name);
	snprintf(expect, sizeof(expect), "0x%" PRIx64, (uint64_t)info->phys_base);
	check(strcmp(sysfs_attr(name, "phys_addr"), expect) == 0, "%s: sysfs phys_addr %s = info",
	      name, sysfs_attr(name, "phys_addr"));
	snprintf(expect, sizeof(expect), "%" PRIu64, (uint64_t)info->size);
	check(strcmp(sysfs_attr(name, "size"), expect) == 0, "%s: sysfs size %s = info", name,
	      sysfs_attr(name, "size"));
	check(strcmp(sysfs_attr(name, "memory_type"), memory_type_name(info->memory_type)) == 0,
	      "%s: sysfs memory_type %s = info", name, sysfs_attr(name, "memory_type"));
}

static void test_lseek(const char *name, int fd, off_t size)
{
	off_t end = lseek(fd, 0, SEEK_END);
	off_t cur, past;
	int past_errno;

	check(end == size, "%s: lseek(0, SEEK_END) = %jd (size %jd)", name, (intmax_t)end,
	      (intmax_t)size);
	lseek(fd, 16, SEEK_SET);
	cur = lseek(fd, 8, SEEK_CUR);
	check(cur == 24, "%s: lseek(16, SEEK_SET) then lseek(8, SEEK_CUR) = %jd", name, (intmax_t)cur);
	past = lseek(fd, size + 1, SEEK_SET);
	past_errno = errno;
	check(past == -1 && past_errno == EINVAL, "%s: lseek past the end gives EINVAL (%jd, %s)",
	      name, (intmax_t)past, strerror(past_errno));
	check(lseek(fd, 0, SEEK_CUR) == 24, "%s: a refused lseek leaves the position", name);
	lseek(fd, 0, SEEK_SET);
}

static void test_sync(const char *name, int fd, __u64 size)
{
	static const struct {
		__u32 flags;
		const char *what;
	} directions[] = {
		{ CARVEOUT_SYNC_FOR_DEVICE, "FOR_DEVICE" },
		{ CARVEOUT_SYNC_FOR_CPU, "FOR_CPU" },
		{ CARVEOUT_SYNC_BIDIRECTIONAL, "BIDIRECTIONAL" },
	};
	unsigned char saved[64], pattern[64], back[64];
	unsigned int i;
	int err;

	/* A pattern written with pwrite survives each direction, read back with pread. */
	if (pread(fd, saved, sizeof(saved), 0) != sizeof(saved)) {
		check(0, "%s: pread of the first 64 bytes (%s)", name, strerror(errno));
		return;
	}
	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (unsigned char)(0xc7 ^ i);
	for (i = 0; i < sizeof(directions) / sizeof(directions[0]); i++) {
		pwrite(fd, pattern, sizeof(pattern), 0);
		err = sync_range(fd, 0, sizeof(pattern), directions[i].flags, 0);
		memset(back, 0, sizeof(back));
		pread(fd, back, sizeof(back), 0);
		check(err == 0 && memcmp(back, pattern, sizeof(back)) == 0,
		      "%s: sync %s of 64 bytes: %s, contents kept", name, directions[i].what,
		      err ? strerror(err) : "0");
	}
	pwrite(fd, saved, sizeof(saved), 0);

	err = sync_range(fd, 0, size, CARVEOUT_SYNC_BIDIRECTIONAL, 0);
	check(err == 0, "%s: sync of the whole region: %s", name, err ? strerror(err) : "0");
	err = sync_range(fd, size, 0, CARVEOUT_SYNC_FOR_CPU, 0);
	check(err == 0, "%s: sync of 0 bytes at the end: %s", name, err ? strerror(err) : "0");

	err = sync_range(fd, 0, 64, 0, 0);
	check(err == EINVAL, "%s: sync without a direction gives EINVAL (%s)", name, strerror(err));
	err = sync_range(fd, 0, 64, 1U << 2, 0);
	check(err == EINVAL, "%s: sync with an unknown flag gives EINVAL (%s)", name, strerror(err));
	err = sync_range(fd, 0, 64, CARVEOUT_SYNC_FOR_DEVICE, 1);
	check(err == EINVAL, "%s: sync with reserved != 0 gives EINVAL (%s)", name, strerror(err));
	err = sync_range(fd, size + 1, 0, CARVEOUT_SYNC_FOR_DEVICE, 0);
	check(err == EINVAL, "%s: sync past the end gives EINVAL (%s)", name, strerror(err));
	err = sync_range(fd, size - 4, 8, CARVEOUT_SYNC_FOR_DEVICE, 0);
	check(err == EINVAL, "%s: sync crossing the end gives EINVAL (%s)", name, strerror(err));
	err = sync_range(fd, 8, UINT64_MAX, CARVEOUT_SYNC_FOR_DEVICE, 0);
	check(err == EINVAL, "%s: sync whose end overflows gives EINVAL (%s)", name, strerror(err));
	err = ioctl(fd, CARVEOUT_IOC_SYNC, (void *)16) ? errno : 0;
	check(err == EFAULT, "%s: sync from a bad pointer gives EFAULT (%s)", name, strerror(err));
	err = ioctl(fd, _IO(CARVEOUT_IOC_MAGIC, 0x7f)) ? errno : 0;
	check(err == ENOTTY, "%s: an unknown ioctl gives ENOTTY (%s)", name, strerror(err));
}

/* A mapping written, synced for the device, and read back through pread. */
static void test_mapping_sync(const char *name, int fd)
{
	long page = sysconf(_SC_PAGESIZE);
	volatile __u32 *map;
	__u32 saved, seen = 0;
	int err;

	map = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		check(0, "%s: mmap of one page (%s)", name, strerror(errno));
		return;
	}
	saved = map[1];
	map[1] = 0x1badcafe;
	err = sync_range(fd, 4, 4, CARVEOUT_SYNC_FOR_DEVICE, 0);
	pread(fd, &seen, sizeof(seen), 4);
	check(err == 0 && seen == 0x1badcafe,
	      "%s: a word stored through mmap, synced for the device, read by pread (0x%08x)", name,
	      seen);
	map[1] = saved;
	munmap((void *)map, page);
}

int main(int argc, char **argv)
{
	int i;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: carveout-ctest NAME...\n"
			"Checks /dev/NAME through <linux/carveout.h>: info against sysfs, lseek, and\n"
			"every case of CARVEOUT_IOC_SYNC. Exit 0: all passed, 1: a check failed.\n");
		return argc < 2 ? 2 : 0;
	}
	for (i = 1; i < argc; i++) {
		struct carveout_info info;
		char path[64];
		int fd;

		snprintf(path, sizeof(path), "/dev/%s", argv[i]);
		fd = open(path, O_RDWR);
		if (fd < 0) {
			check(0, "open %s (%s)", path, strerror(errno));
			continue;
		}
		test_info(argv[i], fd, &info);
		test_lseek(argv[i], fd, (off_t)info.size);
		test_sync(argv[i], fd, info.size);
		test_mapping_sync(argv[i], fd);
		close(fd);
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
