// SPDX-License-Identifier: GPL-2.0
/*
 * carveout-vivid: dma-bufs exported from a carveout (CARVEOUT_IOC_EXPORT), imported by the
 * virtual V4L2 capture driver vivid, on the board. Built from the UAPI headers alone
 * (<linux/carveout.h>, <linux/videodev2.h>, <linux/dma-buf.h>).
 *
 *   carveout-vivid abi NAME            the export ABI of /dev/NAME, an exportable region: every
 *                                      refusal and its errno, mmap and DMA_BUF_IOCTL_SYNC of a
 *                                      dma-buf, fd exhaustion, 1000 export/close cycles
 *   carveout-vivid unexportable NAME   /dev/NAME refuses to export (EOPNOTSUPP)
 *   carveout-vivid frames NAME VIDEO   vivid (VIDEO, a capture node) streams into dma-bufs of
 *                                      /dev/NAME: each frame, read back through /dev/NAME and
 *                                      through the dma-buf's mmap, equals the frame vivid
 *                                      captures into its own buffers; the rest of the region is
 *                                      untouched. An importer that cannot reach the region
 *                                      (dma-contig above its 32-bit DMA mask) must be refused.
 *   carveout-vivid stream NAME VIDEO   streams into dma-bufs of /dev/NAME until SIGTERM, with
 *                                      every buffer mapped; prints "streaming", the checksum of
 *                                      the region outside the buffers, then "frames N" lines,
 *                                      and at the end the frames that differed from the first
 *   carveout-vivid checksum NAME FROM  the checksum of /dev/NAME from byte FROM to its end
 *   carveout-vivid bench NAME VIDEO N  CPU time of the process per captured frame: zero-copy
 *                                      (V4L2_MEMORY_DMABUF into the carveout) against a copy
 *                                      (vivid's own buffer, then pwrite into /dev/NAME)
 *
 * Prints one PASS/FAIL line per check and closes with "N passed, N failed"; exits 1 if a check
 * failed, 2 on a usage error. What it writes to a region it puts back, but for stream, whose
 * frames stay (the board test compares the rest of the region).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/carveout.h>
#include <linux/dma-buf.h>
#include <linux/videodev2.h>

/* vivid's frames: small enough for three buffers in a 1 MiB region. */
#define WIDTH	320
#define HEIGHT	180
#define NBUF	3	/* the initialisers of the buffer arrays below have NBUF entries */

static unsigned int passed, failed;
static long page_size;

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s vivid: ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		passed++;
	else
		failed++;
}

static int finish(void)
{
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("carveout-vivid: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	printf("%u passed, %u failed\n", passed, failed + 1);
	exit(1);
}

static int open_device(const char *name, int flags)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	return fd;
}

static struct carveout_info region_info(const char *name, int fd)
{
	struct carveout_info info;

	if (ioctl(fd, CARVEOUT_IOC_INFO, &info))
		die("/dev/%s: CARVEOUT_IOC_INFO: %s", name, strerror(errno));
	return info;
}

/* CARVEOUT_IOC_EXPORT: the dma-buf's fd, or -errno. */
static int export(int fd, __u64 offset, __u64 length, __u32 flags)
{
	struct carveout_export req = {
		.offset = offset,
		.length = length,
		.flags = flags,
		.fd = -1,
	};

	if (ioctl(fd, CARVEOUT_IOC_EXPORT, &req))
		return -errno;
	return req.fd;
}

static int dmabuf_sync(int fd, __u64 flags)
{
	struct dma_buf_sync sync = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync) ? errno : 0;
}

static void read_at(int fd, void *buf, size_t len, off_t offset)
{
	if (pread(fd, buf, len, offset) != (ssize_t)len)
		die("pread %zu bytes at %jd: %s", len, (intmax_t)offset, strerror(errno));
}

static void write_at(int fd, const void *buf, size_t len, off_t offset)
{
	if (pwrite(fd, buf, len, offset) != (ssize_t)len)
		die("pwrite %zu bytes at %jd: %s", len, (intmax_t)offset, strerror(errno));
}

/* FNV-1a of the region from @from to its end, read through the device file. */
static uint64_t checksum(int fd, uint64_t from, uint64_t size)
{
	static unsigned char buf[65536];
	uint64_t hash = 0xcbf29ce484222325ULL;

	while (from < size) {
		size_t len = size - from < sizeof(buf) ? size - from : sizeof(buf);

		read_at(fd, buf, len, from);
		for (size_t i = 0; i < len; i++)
			hash = (hash ^ buf[i]) * 0x100000001b3ULL;
		from += len;
	}
	return hash;
}

static void *xmalloc(size_t len)
{
	void *p = malloc(len);

	if (!p)
		die("out of memory (%zu bytes)", len);
	return p;
}

/* ---- the export ABI ---- */

static void test_refusals(const char *name, int fd, __u64 size)
{
	const __u64 page = page_size, top = ~0ULL & ~(page - 1);
	const struct {
		__u64 offset, length;
		__u32 flags;
		const char *what;
	} bad[] = {
		{ 1, page, 0, "an unaligned offset" },
		{ 0, 100, 0, "an unaligned length" },
		{ 0, 0, 0, "an empty range" },
		{ 0, page, 1U << 1, "an unknown flag" },
		{ 0, 1ULL << 32, 0, "a length of 4 GiB" },
		{ page, top, 0, "a length that overflows" },
		{ top, page, 0, "an offset that overflows" },
		{ size, page, 0, "a range at the end of the region" },
		{ size - page, 2 * page, 0, "a range running past the end" },
	};
	unsigned int i;
	int got;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		got = export(fd, bad[i].offset, bad[i].length, bad[i].flags);
		check(got == -EINVAL, "%s: export of %s refused with EINVAL (%s)", name, bad[i].what,
		      got < 0 ? strerror(-got) : "exported");
		if (got >= 0)
			close(got);
	}
}

static void test_read_only(const char *name, __u64 size)
{
	int fd = open_device(name, O_RDONLY);
	unsigned char *p, first[16];
	int buf;

	buf = export(fd, 0, page_size, CARVEOUT_EXPORT_WRITE);
	check(buf == -EACCES, "%s: a writable export from a read-only open refused with EACCES (%s)",
	      name, buf < 0 ? strerror(-buf) : "exported");
	if (buf >= 0)
		close(buf);
	buf = export(fd, size - page_size, page_size, 0);
	check(buf >= 0, "%s: a read-only export from a read-only open (%s)", name,
	      buf < 0 ? strerror(-buf) : "ok");
	if (buf < 0) {
		close(fd);
		return;
	}
	check(fcntl(buf, F_GETFL) >= 0 && (fcntl(buf, F_GETFL) & O_ACCMODE) == O_RDONLY,
	      "%s: the read-only dma-buf's file is O_RDONLY", name);
	p = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	check(p == MAP_FAILED && errno == EACCES,
	      "%s: a writable mmap of a read-only dma-buf refused with EACCES (%s)", name,
	      p == MAP_FAILED ? strerror(errno) : "mapped");
	if (p != MAP_FAILED)
		munmap(p, page_size);
	p = mmap(NULL, page_size, PROT_READ, MAP_SHARED, buf, 0);
	check(p != MAP_FAILED, "%s: a read-only mmap of a read-only dma-buf (%s)", name,
	      p == MAP_FAILED ? strerror(errno) : "ok");
	if (p != MAP_FAILED) {
		read_at(fd, first, sizeof(first), size - page_size);
		check(memcmp(p, first, sizeof(first)) == 0,
		      "%s: it shows what pread of the region shows", name);
		check(mprotect(p, page_size, PROT_READ | PROT_WRITE) == -1 && errno == EACCES,
		      "%s: mprotect cannot make it writable (%s)", name, strerror(errno));
		munmap(p, page_size);
	}
	close(buf);
	close(fd);
}

static void test_mapping(const char *name, int fd, __u64 size)
{
	const off_t at = 2 * page_size;
	unsigned char *saved = xmalloc(2 * page_size), *back = xmalloc(2 * page_size);
	unsigned char *p;
	int buf, flags;
	off_t end;

	buf = export(fd, at, 2 * page_size, CARVEOUT_EXPORT_WRITE);
	check(buf >= 0, "%s: export of 2 pages at page 2, writable (%s)", name,
	      buf < 0 ? strerror(-buf) : "ok");
	if (buf < 0)
		goto out;
	flags = fcntl(buf, F_GETFD);
	check(flags >= 0 && (flags & FD_CLOEXEC), "%s: the dma-buf's fd is close-on-exec", name);
	end = lseek(buf, 0, SEEK_END);
	check(end == 2 * page_size, "%s: the dma-buf is 2 pages (lseek SEEK_END: %jd)", name,
	      (intmax_t)end);

	p = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, buf, 0);
	check(p == MAP_FAILED && errno == EINVAL, "%s: MAP_PRIVATE of the dma-buf refused (%s)",
	      name, p == MAP_FAILED ? strerror(errno) : "mapped");
	if (p != MAP_FAILED)
		munmap(p, page_size);
	p = mmap(NULL, page_size, PROT_READ | PROT_EXEC, MAP_SHARED, buf, 0);
	check(p == MAP_FAILED && errno == EPERM, "%s: PROT_EXEC of the dma-buf refused (%s)", name,
	      p == MAP_FAILED ? strerror(errno) : "mapped");
	if (p != MAP_FAILED)
		munmap(p, page_size);
	p = mmap(NULL, page_size, PROT_READ, MAP_SHARED, buf, 2 * page_size);
	check(p == MAP_FAILED && errno == EINVAL, "%s: mmap past the dma-buf's end refused (%s)",
	      name, p == MAP_FAILED ? strerror(errno) : "mapped");
	if (p != MAP_FAILED)
		munmap(p, page_size);

	p = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	check(p != MAP_FAILED, "%s: shared mmap of the dma-buf (%s)", name,
	      p == MAP_FAILED ? strerror(errno) : "ok");
	if (p == MAP_FAILED)
		goto close_buf;
	read_at(fd, saved, 2 * page_size, at);
	check(memcmp(p, saved, 2 * page_size) == 0,
	      "%s: the mapping shows the region's bytes at the buffer's offset", name);
	check(dmabuf_sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE) == 0,
	      "%s: DMA_BUF_IOCTL_SYNC START|WRITE", name);
	for (long i = 0; i < 2 * page_size; i++)
		p[i] = (unsigned char)(i * 7 + 3);
	check(dmabuf_sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE) == 0,
	      "%s: DMA_BUF_IOCTL_SYNC END|WRITE", name);
	read_at(fd, back, 2 * page_size, at);
	check(memcmp(p, back, 2 * page_size) == 0,
	      "%s: stores through the dma-buf's mapping read back with pread", name);
	for (long i = 0; i < 2 * page_size; i++)
		back[i] = (unsigned char)(i * 13 + 5);
	write_at(fd, back, 2 * page_size, at);
	check(dmabuf_sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ) == 0,
	      "%s: DMA_BUF_IOCTL_SYNC START|READ", name);
	check(memcmp(p, back, 2 * page_size) == 0,
	      "%s: pwrite to the region shows in the dma-buf's mapping", name);
	check(dmabuf_sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ) == 0,
	      "%s: DMA_BUF_IOCTL_SYNC END|READ", name);
	check(dmabuf_sync(buf, DMA_BUF_SYNC_START) == EINVAL,
	      "%s: DMA_BUF_IOCTL_SYNC without a direction refused with EINVAL", name);
	write_at(fd, saved, 2 * page_size, at);
	munmap(p, 2 * page_size);
close_buf:
	close(buf);
out:
	free(saved);
	free(back);
	(void)size;
}

static void test_exhaustion(const char *name, int fd)
{
	struct rlimit old, low;
	int lowest, got;

	if (getrlimit(RLIMIT_NOFILE, &old))
		die("getrlimit: %s", strerror(errno));
	lowest = dup(0);
	if (lowest < 0)
		die("dup: %s", strerror(errno));
	close(lowest);
	low = old;
	low.rlim_cur = lowest;
	if (setrlimit(RLIMIT_NOFILE, &low))
		die("setrlimit: %s", strerror(errno));
	got = export(fd, 0, page_size, 0);
	setrlimit(RLIMIT_NOFILE, &old);
	check(got == -EMFILE, "%s: export with no free fd refused with EMFILE (%s)", name,
	      got < 0 ? strerror(-got) : "exported");
	if (got >= 0)
		close(got);
	got = export(fd, 0, page_size, 0);
	check(got == lowest, "%s: with a free fd again, the export gets it (fd %d, expected %d)",
	      name, got, lowest);
	if (got >= 0)
		close(got);
}

static void test_cycles(const char *name, int fd, __u64 size)
{
	unsigned int ok = 0, i;

	for (i = 0; i < 1000; i++) {
		int buf = export(fd, (i % 4) * page_size, size - 4 * page_size,
				 i % 2 ? CARVEOUT_EXPORT_WRITE : 0);

		if (buf >= 0 && close(buf) == 0)
			ok++;
	}
	check(ok == 1000, "%s: %u of 1000 export/close cycles", name, ok);
}

static int cmd_abi(const char *name)
{
	int fd = open_device(name, O_RDWR);
	struct carveout_info info = region_info(name, fd);

	test_refusals(name, fd, info.size);
	test_read_only(name, info.size);
	test_mapping(name, fd, info.size);
	test_exhaustion(name, fd);
	test_cycles(name, fd, info.size);
	close(fd);
	return finish();
}

static int cmd_unexportable(const char *name)
{
	int fd = open_device(name, O_RDWR);
	int got = export(fd, 0, page_size, 0);

	check(got == -EOPNOTSUPP, "%s: export refused with EOPNOTSUPP (%s)", name,
	      got < 0 ? strerror(-got) : "exported");
	if (got >= 0)
		close(got);
	close(fd);
	return finish();
}

/* ---- vivid ---- */

struct capture {
	const char *path;
	int fd;
	__u32 sizeimage;
	size_t buf_len;		/* sizeimage rounded up to whole pages */
};

static int xioctl(int fd, unsigned long request, void *arg)
{
	int ret;

	do
		ret = ioctl(fd, request, arg);
	while (ret == -1 && errno == EINTR);
	return ret;
}

/* Sets the menu control named @ctrl_name to its item named @item. */
static void set_menu(struct capture *cap, const char *ctrl_name, const char *item)
{
	struct v4l2_queryctrl q = { .id = V4L2_CTRL_FLAG_NEXT_CTRL };

	while (xioctl(cap->fd, VIDIOC_QUERYCTRL, &q) == 0) {
		if (strcmp((const char *)q.name, ctrl_name) == 0) {
			for (int i = q.minimum; i <= q.maximum; i++) {
				struct v4l2_querymenu m = { .id = q.id, .index = i };
				struct v4l2_control c = { .id = q.id, .value = i };

				if (xioctl(cap->fd, VIDIOC_QUERYMENU, &m) ||
				    strcmp((const char *)m.name, item))
					continue;
				if (xioctl(cap->fd, VIDIOC_S_CTRL, &c))
					die("%s: %s = %s: %s", cap->path, ctrl_name, item,
					    strerror(errno));
				return;
			}
			die("%s: control '%s' has no item '%s'", cap->path, ctrl_name, item);
		}
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	die("%s: no control '%s' (is it vivid?)", cap->path, ctrl_name);
}

/* Opens a vivid capture node and sets it up for frames that do not change. */
static struct capture open_capture(const char *path)
{
	struct capture cap = { .path = path };
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_streamparm parm = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	int input = 0;

	cap.fd = open(path, O_RDWR | O_CLOEXEC);
	if (cap.fd < 0)
		die("open %s: %s", path, strerror(errno));
	if (xioctl(cap.fd, VIDIOC_S_INPUT, &input))
		die("%s: VIDIOC_S_INPUT 0: %s", path, strerror(errno));
	/* No on-screen text (a frame counter, the time): every frame the same. */
	set_menu(&cap, "OSD Text Mode", "None");
	fmt.fmt.pix.width = WIDTH;
	fmt.fmt.pix.height = HEIGHT;
	fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	fmt.fmt.pix.field = V4L2_FIELD_NONE;
	if (xioctl(cap.fd, VIDIOC_S_FMT, &fmt))
		die("%s: VIDIOC_S_FMT %ux%u YUYV: %s", path, WIDTH, HEIGHT, strerror(errno));
	/* As fast as vivid goes at this size: the tests wait for frames. */
	parm.parm.capture.timeperframe.numerator = 1;
	parm.parm.capture.timeperframe.denominator = 120;
	if (xioctl(cap.fd, VIDIOC_S_PARM, &parm))
		die("%s: VIDIOC_S_PARM 1/120 s: %s", path, strerror(errno));
	cap.sizeimage = fmt.fmt.pix.sizeimage;
	cap.buf_len = (cap.sizeimage + page_size - 1) / page_size * page_size;
	return cap;
}

static void request_buffers(struct capture *cap, __u32 memory, __u32 count)
{
	struct v4l2_requestbuffers req = {
		.count = count,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = memory,
	};

	if (xioctl(cap->fd, VIDIOC_REQBUFS, &req))
		die("%s: VIDIOC_REQBUFS %u: %s", cap->path, count, strerror(errno));
	if (req.count != count)
		die("%s: VIDIOC_REQBUFS gave %u buffers, not %u", cap->path, req.count, count);
}

static void stream(struct capture *cap, int on)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	if (xioctl(cap->fd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &type))
		die("%s: %s: %s", cap->path, on ? "VIDIOC_STREAMON" : "VIDIOC_STREAMOFF",
		    strerror(errno));
}

/* QBUF of buffer @index: an MMAP one, or the dma-buf @dmabuf. 0 or the errno. */
static int queue(struct capture *cap, __u32 index, int dmabuf)
{
	struct v4l2_buffer b = {
		.index = index,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = dmabuf >= 0 ? V4L2_MEMORY_DMABUF : V4L2_MEMORY_MMAP,
	};

	if (dmabuf >= 0) {
		b.m.fd = dmabuf;
		b.length = cap->buf_len;
	}
	return xioctl(cap->fd, VIDIOC_QBUF, &b) ? errno : 0;
}

static struct v4l2_buffer dequeue(struct capture *cap, __u32 memory)
{
	struct v4l2_buffer b = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = memory };

	if (xioctl(cap->fd, VIDIOC_DQBUF, &b))
		die("%s: VIDIOC_DQBUF: %s", cap->path, strerror(errno));
	return b;
}

/* Exports buffer @i of /dev/@name (writable, at @i buffers from the start) and maps it read-only
 * into *@map: its dma-buf's fd. */
static int export_buffer(int fd, const char *name, const struct capture *cap, unsigned int i,
			 unsigned char **map)
{
	int buf = export(fd, i * cap->buf_len, cap->buf_len, CARVEOUT_EXPORT_WRITE);

	if (buf < 0)
		die("/dev/%s: export of buffer %u: %s", name, i, strerror(-buf));
	*map = mmap(NULL, cap->buf_len, PROT_READ, MAP_SHARED, buf, 0);
	if (*map == MAP_FAILED)
		die("/dev/%s: mmap of dma-buf %u: %s", name, i, strerror(errno));
	return buf;
}

/* A frame vivid captures into its own (MMAP) buffers, checked to repeat. */
static unsigned char *reference_frame(struct capture *cap)
{
	unsigned char *maps[NBUF], *ref = xmalloc(cap->sizeimage);
	__u32 i;

	request_buffers(cap, V4L2_MEMORY_MMAP, NBUF);
	for (i = 0; i < NBUF; i++) {
		struct v4l2_buffer b = { .index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					 .memory = V4L2_MEMORY_MMAP };

		if (xioctl(cap->fd, VIDIOC_QUERYBUF, &b))
			die("%s: VIDIOC_QUERYBUF: %s", cap->path, strerror(errno));
		maps[i] = mmap(NULL, b.length, PROT_READ, MAP_SHARED, cap->fd, b.m.offset);
		if (maps[i] == MAP_FAILED)
			die("%s: mmap of buffer %u: %s", cap->path, i, strerror(errno));
		if (queue(cap, i, -1))
			die("%s: VIDIOC_QBUF: %s", cap->path, strerror(errno));
	}
	stream(cap, 1);
	for (i = 0; i < 4; i++) {
		struct v4l2_buffer b = dequeue(cap, V4L2_MEMORY_MMAP);

		if (b.bytesused != cap->sizeimage)
			die("%s: a frame of %u bytes, not %u", cap->path, b.bytesused,
			    cap->sizeimage);
		if (i == 2)
			memcpy(ref, maps[b.index], cap->sizeimage);
		if (i == 3)
			check(memcmp(ref, maps[b.index], cap->sizeimage) == 0,
			      "%s: vivid's frames repeat exactly (the comparison can be exact)",
			      cap->path);
		if (queue(cap, b.index, -1))
			die("%s: VIDIOC_QBUF: %s", cap->path, strerror(errno));
	}
	stream(cap, 0);
	for (i = 0; i < NBUF; i++)
		munmap(maps[i], cap->buf_len);
	request_buffers(cap, V4L2_MEMORY_MMAP, 0);
	return ref;
}

/* The vivid instance of a capture node (vivid-00N-vid-cap) and its allocator (0 vmalloc,
 * 1 dma-contig), from sysfs. */
static int allocator_of(const char *video)
{
	char path[128], name[64], list[128];
	const char *base = strrchr(video, '/') ? strrchr(video, '/') + 1 : video;
	unsigned int inst;
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "/sys/class/video4linux/%s/name", base);
	f = fopen(path, "r");
	if (!f || !fgets(name, sizeof(name), f) || sscanf(name, "vivid-%u-vid-cap", &inst) != 1)
		die("%s: not a vivid capture node (%s)", video, path);
	fclose(f);
	f = fopen("/sys/module/vivid/parameters/allocators", "r");
	if (!f || !fgets(list, sizeof(list), f))
		die("cannot read /sys/module/vivid/parameters/allocators");
	fclose(f);
	for (p = strtok(list, ","); p && inst; p = strtok(NULL, ","))
		inst--;
	return p ? atoi(p) : 0;
}

static int cmd_frames(const char *name, const char *video)
{
	int fd = open_device(name, O_RDWR);
	struct carveout_info info = region_info(name, fd);
	struct capture cap = open_capture(video);
	int contig = allocator_of(video) == 1;
	const char *allocator = contig ? "dma-contig" : "vmalloc";
	unsigned char *ref = reference_frame(&cap), *saved, *frame;
	size_t area = NBUF * cap.buf_len;
	uint64_t outside;
	unsigned char *maps[NBUF] = { MAP_FAILED, MAP_FAILED, MAP_FAILED };
	int bufs[NBUF] = { -1, -1, -1 }, reachable, err = 0;
	unsigned int i, same = 0, mapped_same = 0, frames = 6;

	if (area > info.size)
		die("/dev/%s: %zu bytes of buffers do not fit in %" PRIu64, name, area,
		    (uint64_t)info.size);
	/* dma-contig maps the buffer for vivid's device, whose DMA mask is 32 bits. */
	reachable = !contig || info.phys_base + info.size <= (1ULL << 32);
	printf("vivid: %s (%s), /dev/%s at 0x%" PRIx64 ": %u-byte frames, %u buffers of %zu bytes\n",
	       video, allocator, name, (uint64_t)info.phys_base, cap.sizeimage, NBUF, cap.buf_len);

	saved = xmalloc(area);
	frame = xmalloc(cap.sizeimage);
	read_at(fd, saved, area, 0);
	memset(frame, 0xa5, cap.sizeimage);
	for (i = 0; i < NBUF; i++)
		write_at(fd, frame, cap.sizeimage, i * cap.buf_len);
	outside = checksum(fd, area, info.size);

	request_buffers(&cap, V4L2_MEMORY_DMABUF, NBUF);
	/* A read-only dma-buf is no capture buffer: vivid may not write it, by DMA or by CPU. */
	bufs[0] = export(fd, 0, cap.buf_len, 0);
	if (bufs[0] < 0)
		die("/dev/%s: read-only export: %s", name, strerror(-bufs[0]));
	err = queue(&cap, 0, bufs[0]);
	check(err != 0, "%s (%s): VIDIOC_QBUF of a read-only dma-buf of /dev/%s refused (%s)",
	      video, allocator, name, err ? strerror(err) : "queued");
	close(bufs[0]);
	if (!err) {
		request_buffers(&cap, V4L2_MEMORY_DMABUF, 0);
		request_buffers(&cap, V4L2_MEMORY_DMABUF, NBUF);
	}
	for (i = 0; i < NBUF; i++) {
		bufs[i] = export_buffer(fd, name, &cap, i, &maps[i]);
		err = queue(&cap, i, bufs[i]);
		if (err)
			break;
	}
	if (!reachable) {
		check(err != 0,
		      "%s (%s) cannot reach /dev/%s above 4 GiB: VIDIOC_QBUF of its dma-buf refused (%s)",
		      video, allocator, name, err ? strerror(err) : "queued");
		frames = 0;
	} else {
		check(err == 0, "%s (%s): VIDIOC_QBUF of %u dma-bufs of /dev/%s (%s)", video,
		      allocator, NBUF, name, err ? strerror(err) : "ok");
		if (err)
			frames = 0;
		else
			stream(&cap, 1);
	}
	for (i = 0; i < frames; i++) {
		struct v4l2_buffer b = dequeue(&cap, V4L2_MEMORY_DMABUF);

		read_at(fd, frame, cap.sizeimage, b.index * cap.buf_len);
		same += b.bytesused == cap.sizeimage && memcmp(frame, ref, cap.sizeimage) == 0;
		dmabuf_sync(bufs[b.index], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		mapped_same += memcmp(maps[b.index], ref, cap.sizeimage) == 0;
		dmabuf_sync(bufs[b.index], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
		if (queue(&cap, b.index, bufs[b.index]))
			die("%s: VIDIOC_QBUF: %s", video, strerror(errno));
	}
	if (frames) {
		stream(&cap, 0);
		check(same == frames,
		      "%s (%s) -> /dev/%s (%s): %u of %u frames read back with pread equal vivid's own",
		      video, allocator, name, info.memory_type == CARVEOUT_MEM_CACHED ?
		      "cached" : "write-combine", same, frames);
		check(mapped_same == frames,
		      "%s (%s) -> /dev/%s: %u of %u frames equal through the dma-buf's mmap", video,
		      allocator, name, mapped_same, frames);
	}
	request_buffers(&cap, V4L2_MEMORY_DMABUF, 0);
	for (i = 0; i < NBUF; i++) {
		if (maps[i] != MAP_FAILED)
			munmap(maps[i], cap.buf_len);
		if (bufs[i] >= 0)
			close(bufs[i]);
	}
	check(checksum(fd, area, info.size) == outside,
	      "/dev/%s: the region outside the buffers is untouched", name);
	write_at(fd, saved, area, 0);
	close(cap.fd);
	close(fd);
	free(ref);
	free(saved);
	free(frame);
	return finish();
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int cmd_stream(const char *name, const char *video)
{
	int fd = open_device(name, O_RDWR);
	struct carveout_info info = region_info(name, fd);
	struct capture cap = open_capture(video);
	size_t area = NBUF * cap.buf_len;
	unsigned char *maps[NBUF], *first = xmalloc(cap.sizeimage);
	int bufs[NBUF];
	unsigned long frames = 0, differ = 0;
	struct sigaction sa = { .sa_handler = on_term };
	unsigned int i;

	sigaction(SIGTERM, &sa, NULL);
	request_buffers(&cap, V4L2_MEMORY_DMABUF, NBUF);
	for (i = 0; i < NBUF; i++) {
		bufs[i] = export_buffer(fd, name, &cap, i, &maps[i]);
		if (queue(&cap, i, bufs[i]))
			die("%s: VIDIOC_QBUF: %s", video, strerror(errno));
	}
	printf("outside %" PRIu64 " %016" PRIx64 "\n", (uint64_t)area,
	       checksum(fd, area, info.size));
	/* The device file is not needed any more: the dma-bufs hold the region. */
	close(fd);
	stream(&cap, 1);
	printf("streaming\n");
	fflush(stdout);
	while (!stop) {
		struct v4l2_buffer b = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					 .memory = V4L2_MEMORY_DMABUF };

		if (xioctl(cap.fd, VIDIOC_DQBUF, &b)) {
			if (errno == EINTR || stop)
				break;
			die("%s: VIDIOC_DQBUF: %s", video, strerror(errno));
		}
		dmabuf_sync(bufs[b.index], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		if (frames == 0)
			memcpy(first, maps[b.index], cap.sizeimage);
		else
			differ += memcmp(first, maps[b.index], cap.sizeimage) != 0;
		dmabuf_sync(bufs[b.index], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
		frames++;
		printf("frames %lu\n", frames);
		fflush(stdout);
		if (queue(&cap, b.index, bufs[b.index]))
			die("%s: VIDIOC_QBUF: %s", video, strerror(errno));
	}
	stream(&cap, 0);
	request_buffers(&cap, V4L2_MEMORY_DMABUF, 0);
	for (i = 0; i < NBUF; i++) {
		munmap(maps[i], cap.buf_len);
		close(bufs[i]);
	}
	close(cap.fd);
	check(frames > 0 && differ == 0, "%s -> %s: %lu frames streamed, %lu differed from the first",
	      video, name, frames, differ);
	free(first);
	return finish();
}

static int cmd_checksum(const char *name, const char *from)
{
	int fd = open_device(name, O_RDONLY);
	struct carveout_info info = region_info(name, fd);

	printf("outside %s %016" PRIx64 "\n", from, checksum(fd, strtoull(from, NULL, 0), info.size));
	close(fd);
	return 0;
}

static double cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

static int cmd_bench(const char *name, const char *video, unsigned int n)
{
	int fd = open_device(name, O_RDWR);
	struct capture cap = open_capture(video);
	unsigned char *maps[NBUF], *saved;
	int bufs[NBUF];
	double t0, zero_copy, copy;
	unsigned int i;

	saved = xmalloc(NBUF * cap.buf_len);
	read_at(fd, saved, NBUF * cap.buf_len, 0);

	/* Zero-copy: vivid writes into the carveout. */
	request_buffers(&cap, V4L2_MEMORY_DMABUF, NBUF);
	for (i = 0; i < NBUF; i++) {
		bufs[i] = export(fd, i * cap.buf_len, cap.buf_len, CARVEOUT_EXPORT_WRITE);
		if (bufs[i] < 0 || queue(&cap, i, bufs[i]))
			die("%s: dma-buf %u: %s", video, i, strerror(bufs[i] < 0 ? -bufs[i] : errno));
	}
	stream(&cap, 1);
	t0 = cpu_us();
	for (i = 0; i < n; i++) {
		struct v4l2_buffer b = dequeue(&cap, V4L2_MEMORY_DMABUF);

		if (queue(&cap, b.index, bufs[b.index]))
			die("%s: VIDIOC_QBUF: %s", video, strerror(errno));
	}
	zero_copy = (cpu_us() - t0) / n;
	stream(&cap, 0);
	request_buffers(&cap, V4L2_MEMORY_DMABUF, 0);
	for (i = 0; i < NBUF; i++)
		close(bufs[i]);

	/* The copy it replaces: vivid writes its own buffer, the process copies the frame. */
	request_buffers(&cap, V4L2_MEMORY_MMAP, NBUF);
	for (i = 0; i < NBUF; i++) {
		struct v4l2_buffer b = { .index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					 .memory = V4L2_MEMORY_MMAP };

		if (xioctl(cap.fd, VIDIOC_QUERYBUF, &b))
			die("%s: VIDIOC_QUERYBUF: %s", video, strerror(errno));
		maps[i] = mmap(NULL, b.length, PROT_READ, MAP_SHARED, cap.fd, b.m.offset);
		if (maps[i] == MAP_FAILED || queue(&cap, i, -1))
			die("%s: buffer %u: %s", video, i, strerror(errno));
	}
	stream(&cap, 1);
	t0 = cpu_us();
	for (i = 0; i < n; i++) {
		struct v4l2_buffer b = dequeue(&cap, V4L2_MEMORY_MMAP);

		write_at(fd, maps[b.index], b.bytesused, b.index * cap.buf_len);
		if (queue(&cap, b.index, -1))
			die("%s: VIDIOC_QBUF: %s", video, strerror(errno));
	}
	copy = (cpu_us() - t0) / n;
	stream(&cap, 0);
	for (i = 0; i < NBUF; i++)
		munmap(maps[i], cap.buf_len);
	request_buffers(&cap, V4L2_MEMORY_MMAP, 0);

	printf("bench vivid %s -> %s: %u frames of %u bytes: CPU per frame: zero-copy %.0f us, copy %.0f us (%.1f x)\n",
	       video, name, n, cap.sizeimage, zero_copy, copy, copy / (zero_copy > 0 ? zero_copy : 1));
	check(zero_copy < copy, "%s -> %s: a zero-copy frame costs less CPU than a copied one",
	      video, name);
	write_at(fd, saved, NBUF * cap.buf_len, 0);
	close(cap.fd);
	close(fd);
	free(saved);
	return finish();
}

static int usage(void)
{
	fprintf(stderr, "usage: carveout-vivid abi NAME | unexportable NAME | frames NAME VIDEO |\n"
			"       stream NAME VIDEO | checksum NAME FROM | bench NAME VIDEO FRAMES\n");
	return 2;
}

int main(int argc, char **argv)
{
	page_size = sysconf(_SC_PAGESIZE);
	if (argc == 3 && strcmp(argv[1], "abi") == 0)
		return cmd_abi(argv[2]);
	if (argc == 3 && strcmp(argv[1], "unexportable") == 0)
		return cmd_unexportable(argv[2]);
	if (argc == 4 && strcmp(argv[1], "frames") == 0)
		return cmd_frames(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "stream") == 0)
		return cmd_stream(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "checksum") == 0)
		return cmd_checksum(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "bench") == 0 && atoi(argv[4]) > 0)
		return cmd_bench(argv[2], argv[3], atoi(argv[4]));
	return usage();
}
