// SPDX-License-Identifier: GPL-2.0
/*
 * carveout-doorbell: the doorbell of a carveout (CARVEOUT_IOC_DOORBELL), on the board. Built
 * from the UAPI header alone (<linux/carveout.h>). The board has no device to raise the
 * interrupts: this program rings them through the kernel's interrupt injection
 * (/sys/kernel/debug/irq/irqs/IRQ, "trigger"), which sets the line pending in the GIC as a
 * device would. An interrupt is named by its GIC SPI number (the tree's); the program finds its
 * Linux number in /proc/interrupts.
 *
 *   carveout-doorbell abi NAME SPI          the ABI of /dev/NAME's doorbell (an edge line): every
 *                                           refusal and its errno, close-on-exec, lseek, a
 *                                           read-only listener, 1000 open/poll/close cycles
 *   carveout-doorbell none NAME             /dev/NAME has no doorbell: EOPNOTSUPP
 *   carveout-doorbell count NAME SPI        each ring is one event, seen by poll, epoll, a
 *                                           blocking read and every listener
 *   carveout-doorbell burst NAME SPI N W    N rings while W processes wait: each sees the count
 *                                           reach N more, exactly, and so does /proc/interrupts
 *   carveout-doorbell level NAME SPI        a level line: masked at each ring until unmasked
 *   carveout-doorbell mask NAME SPI         an edge line masked on request: rings while masked
 *                                           come as one event when unmasked
 *   carveout-doorbell mailbox MBOX SPI REPLY SPI2
 *                                           the mailbox pattern: one process writes a message
 *                                           into /dev/MBOX and rings its doorbell, the other
 *                                           wakes, reads it, answers in /dev/REPLY and rings
 *                                           that one; the first wakes and checks the answer
 *   carveout-doorbell wait NAME             waits in poll on a listener of /dev/NAME until the
 *                                           device is unbound (the caller unbinds it): expects
 *                                           POLLERR | POLLHUP, then ENODEV from read and write
 *   carveout-doorbell hammer NAME SPI S     rings for S seconds while a child opens, polls,
 *                                           reads and closes listeners of /dev/NAME (the
 *                                           caller unbinds and binds it meanwhile)
 *   carveout-doorbell bench NAME SPI UIO SPI2 N
 *                                           wake-up latency, ring to the waiting process
 *                                           running, N rings each: this driver's listener
 *                                           against UIO's /dev/UIO (median, p99, max)
 *
 * Prints one PASS/FAIL line per check and closes with "N passed, N failed"; exits 1 if a check
 * failed, 2 on a usage error. What it writes to a region it puts back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/carveout.h>

static unsigned int passed, failed;

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("%s doorbell: ", ok ? "PASS" : "FAIL");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	if (ok)
		passed++;
	else
		failed++;
}

static int finish(void)
{
	printf("doorbell: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "carveout-doorbell: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static int open_device(const char *name, int flags)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, flags);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	return fd;
}

/* CARVEOUT_IOC_DOORBELL on @dev: the listener's fd, or -errno. */
static int listen_raw(int dev, struct carveout_doorbell *req)
{
	if (ioctl(dev, CARVEOUT_IOC_DOORBELL, req))
		return -errno;
	return req->fd;
}

static int listen_on(int dev, const char *name)
{
	struct carveout_doorbell req = { 0 };
	int fd = listen_raw(dev, &req);

	if (fd < 0)
		die("CARVEOUT_IOC_DOORBELL on /dev/%s: %s", name, strerror(-fd));
	return fd;
}

/* The count a listener reads: blocks unless the listener is O_NONBLOCK; -errno on failure. */
static int64_t read_count(int fd)
{
	uint32_t count;
	ssize_t n = read(fd, &count, sizeof(count));

	if (n < 0)
		return -errno;
	if (n != sizeof(count))
		return -EIO;
	return count;
}

static int set_masked(int fd, int masked)
{
	uint32_t value = masked ? 0 : 1;

	return write(fd, &value, sizeof(value)) == sizeof(value) ? 0 : -errno;
}

/* The Linux number of GIC SPI @spi: the /proc/interrupts line of hardware number 32 + @spi. */
static int irq_of_spi(unsigned int spi)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[512];
	int irq = -1;

	if (!f)
		die("open /proc/interrupts: %s", strerror(errno));
	while (irq < 0 && fgets(line, sizeof(line), f)) {
		char *save, *tok = strtok_r(line, " \t\n", &save);
		int number;

		if (!tok || sscanf(tok, "%d:", &number) != 1)
			continue;
		while ((tok = strtok_r(NULL, " \t\n", &save))) {
			if (!strncmp(tok, "GIC", 3)) {
				tok = strtok_r(NULL, " \t\n", &save);
				if (tok && strtoul(tok, NULL, 10) == 32 + spi)
					irq = number;
				break;
			}
		}
	}
	fclose(f);
	if (irq < 0)
		die("GIC SPI %u is not in /proc/interrupts: is its device bound?", spi);
	return irq;
}

/* Interrupts of @irq handled so far, over every CPU (/proc/interrupts). */
static uint64_t handled(int irq)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[512];
	uint64_t sum = 0;

	if (!f)
		die("open /proc/interrupts: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *end, *p;
		long number = strtol(line, &end, 10);

		if (end == line || *end != ':' || number != irq)
			continue;
		p = end + 1;
		for (;;) {
			unsigned long long n = strtoull(p, &end, 10);

			if (end == p)
				break;
			sum += n;
			p = end;
		}
	}
	fclose(f);
	return sum;
}

/* A ringer of @irq: the debugfs file the kernel injects an interrupt through. */
struct ringer {
	int fd;
	int irq;
};

/*
 * Opens the ringer of GIC SPI @spi and pins the calling thread to the CPU the interrupt is
 * delivered to: the injected interrupt is then taken on this CPU as soon as the write returns
 * to it, so two rings are never pending at once (the GIC would merge them into one).
 */
static struct ringer ringer_open(unsigned int spi)
{
	struct ringer r = { .irq = irq_of_spi(spi) };
	char path[96], text[32];
	cpu_set_t set;
	FILE *f;
	int cpu;

	snprintf(path, sizeof(path), "/proc/irq/%d/effective_affinity_list", r.irq);
	f = fopen(path, "r");
	if (!f || !fgets(text, sizeof(text), f) || sscanf(text, "%d", &cpu) != 1)
		die("read %s: %s", path, strerror(errno));
	fclose(f);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity to CPU %d: %s", cpu, strerror(errno));
	snprintf(path, sizeof(path), "/sys/kernel/debug/irq/irqs/%d", r.irq);
	r.fd = open(path, O_WRONLY);
	if (r.fd < 0)
		die("open %s (CONFIG_GENERIC_IRQ_DEBUGFS, debugfs mounted?): %s", path,
		    strerror(errno));
	return r;
}

static void ring(const struct ringer *r)
{
	if (write(r->fd, "trigger", 7) != 7)
		die("ring interrupt %d (write \"trigger\"): %s", r->irq, strerror(errno));
}

static int poll_one(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, timeout_ms);

	return n < 0 ? -errno : n == 0 ? 0 : p.revents;
}

static const char *errname(int e)
{
	switch (e) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EAGAIN: return "EAGAIN";
	case EBADF: return "EBADF";
	case ESPIPE: return "ESPIPE";
	case ENODEV: return "ENODEV";
	case ENOTTY: return "ENOTTY";
	case EINTR: return "EINTR";
	default: return strerror(e);
	}
}

static void on_alarm(int sig)
{
	(void)sig;
}

static int do_abi(const char *name, unsigned int spi)
{
	int dev = open_device(name, O_RDWR), ro_dev = open_device(name, O_RDONLY);
	struct carveout_doorbell req = { 0 };
	struct ringer r = ringer_open(spi);
	uint32_t value = 1;
	int fd, ro, i, ok;
	int64_t count;
	uint32_t base;

	fd = listen_raw(dev, &req);
	base = req.count;
	check(fd >= 0 && req.fd == fd, "/dev/%s: CARVEOUT_IOC_DOORBELL gives a listener (fd %d)",
	      name, fd);
	check(req.trigger == CARVEOUT_DOORBELL_EDGE, "/dev/%s: trigger %u (edge, as its tree says)",
	      name, req.trigger);
	check(fcntl(fd, F_GETFD) == FD_CLOEXEC, "/dev/%s: the listener is close-on-exec", name);

	req = (struct carveout_doorbell){ .flags = 1 };
	i = listen_raw(dev, &req);
	check(i == -EINVAL, "/dev/%s: flags 1: %s (want EINVAL)", name, errname(-i));
	req = (struct carveout_doorbell){ .count = 77, .trigger = 9 };
	i = listen_raw(dev, &req);
	check(i >= 0 && req.trigger == CARVEOUT_DOORBELL_EDGE && req.count == base,
	      "/dev/%s: the out fields are ignored on the way in (count %u, want %u)", name,
	      req.count, base);
	if (i >= 0)
		close(i);

	fcntl(fd, F_SETFL, O_NONBLOCK);
	count = read_count(fd);
	check(count == -EAGAIN, "/dev/%s: a read before any ring, O_NONBLOCK: %s (want EAGAIN)",
	      name, errname(count < 0 ? -count : 0));
	i = poll_one(fd, POLLIN, 0);
	check(i == 0, "/dev/%s: poll before any ring: revents %#x (want none)", name, i);
	{
		char two[2], eight[8];

		errno = 0;
		check(read(fd, two, sizeof(two)) < 0 && errno == EINVAL,
		      "/dev/%s: a read of 2 bytes: %s (want EINVAL)", name, errname(errno));
		errno = 0;
		check(read(fd, eight, sizeof(eight)) < 0 && errno == EINVAL,
		      "/dev/%s: a read of 8 bytes: %s (want EINVAL)", name, errname(errno));
	}
	value = 2;
	errno = 0;
	check(write(fd, &value, sizeof(value)) < 0 && errno == EINVAL,
	      "/dev/%s: write 2 (neither 0 nor 1): %s (want EINVAL)", name, errname(errno));
	errno = 0;
	check(write(fd, &value, 2) < 0 && errno == EINVAL,
	      "/dev/%s: a write of 2 bytes: %s (want EINVAL)", name, errname(errno));
	errno = 0;
	check(lseek(fd, 0, SEEK_SET) < 0 && errno == ESPIPE, "/dev/%s: lseek: %s (want ESPIPE)",
	      name, errname(errno));
	errno = 0;
	check(ioctl(fd, CARVEOUT_IOC_INFO, &req) < 0 && errno == ENOTTY,
	      "/dev/%s: an ioctl on the listener: %s (want ENOTTY)", name, errname(errno));

	ro = listen_on(ro_dev, name);
	value = 1;
	errno = 0;
	check(write(ro, &value, sizeof(value)) < 0 && errno == EBADF,
	      "/dev/%s: a listener from a read-only open cannot mask or unmask: %s (want EBADF)",
	      name, errname(errno));
	ring(&r);
	check(poll_one(ro, POLLIN, 5000) == POLLIN && read_count(ro) >= 1,
	      "/dev/%s: a read-only listener hears the doorbell", name);
	count = read_count(fd);
	check(count >= 1, "/dev/%s: the first listener too (count %" PRId64 ")", name, count);
	close(ro);

	{
		/* A signal ends a blocking read, as it ends UIO's (no SA_RESTART: EINTR). */
		struct sigaction sa = { .sa_handler = on_alarm };

		sigaction(SIGALRM, &sa, NULL);
		fcntl(fd, F_SETFL, 0);
		alarm(1);
		count = read_count(fd);
		alarm(0);
		check(count == -EINTR, "/dev/%s: a blocking read interrupted by a signal: %s (want EINTR)",
		      name, count < 0 ? errname((int)-count) : "a count");
	}

	ok = 1;
	for (i = 0; i < 1000 && ok; i++) {
		int l = listen_raw(dev, &(struct carveout_doorbell){ 0 });

		ok = l >= 0 && poll_one(l, POLLIN, 0) == 0 && close(l) == 0;
	}
	check(ok, "/dev/%s: %d of 1000 listener open/poll/close cycles", name, ok ? i : i - 1);
	close(fd);
	close(r.fd);
	close(dev);
	close(ro_dev);
	return finish();
}

static int do_none(const char *name)
{
	int dev = open_device(name, O_RDWR);
	struct carveout_doorbell req = { 0 };
	int fd = listen_raw(dev, &req);

	check(fd == -EOPNOTSUPP, "/dev/%s (no interrupt in its node): %s (want EOPNOTSUPP)", name,
	      errname(fd < 0 ? -fd : 0));
	close(dev);
	return finish();
}

static int do_count(const char *name, unsigned int spi)
{
	int dev = open_device(name, O_RDWR), a, b, ep, i, ok = 1;
	struct ringer r = ringer_open(spi);
	struct epoll_event ev = { .events = EPOLLIN }, out;
	uint64_t before = handled(r.irq);
	int64_t first = -1, last = -1;

	{
		struct carveout_doorbell req = { 0 };

		a = listen_raw(dev, &req);
		if (a < 0)
			die("CARVEOUT_IOC_DOORBELL on /dev/%s: %s", name, strerror(-a));
		first = req.count;
	}
	b = listen_on(dev, name);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev))
		die("epoll on a listener: %s", strerror(errno));
	for (i = 1; i <= 10 && ok; i++) {
		int64_t ca, cb;

		ring(&r);
		ok = poll_one(a, POLLIN, 5000) == POLLIN && epoll_wait(ep, &out, 1, 5000) == 1;
		/* A blocking read, which returns at once: the doorbell rang since the last. */
		ca = read_count(a);
		cb = read_count(b);
		ok = ok && ca == first + i && cb == ca && poll_one(a, POLLIN, 0) == 0;
		last = ca;
		if (!ok)
			printf("ring %d: listeners read %" PRId64 " and %" PRId64 ", want %" PRId64 "\n", i,
			       ca, cb, first + i);
	}
	check(ok, "/dev/%s: 10 rings, one event each: count %" PRId64 " (the ioctl's) -> %" PRId64
	      ", seen by poll, epoll and a blocking read of two listeners", name, first, last);
	check(handled(r.irq) - before == 10, "/dev/%s: /proc/interrupts counted %" PRIu64
	      " interrupts of %d", name, handled(r.irq) - before, r.irq);
	close(ep);
	close(a);
	close(b);
	close(r.fd);
	close(dev);
	return finish();
}

static int do_burst(const char *name, unsigned int spi, unsigned int rings, unsigned int waiters)
{
	int dev = open_device(name, O_RDWR);
	struct ringer r = ringer_open(spi);
	uint64_t before = handled(r.irq);
	int ready[2], listeners[64] = { 0 };
	unsigned int w, ok_waiters = 0;
	uint32_t base;
	int64_t c;
	char byte;

	if (waiters < 1 || waiters > 64)
		die("1 to 64 waiters");
	/* Listeners open before the burst, so none misses its start; one tells the base. */
	for (w = 0; w < waiters; w++)
		listeners[w] = listen_on(dev, name);
	ring(&r);
	c = read_count(listeners[0]);
	if (c < 0)
		die("read the count: %s", strerror((int)-c));
	base = (uint32_t)c;
	for (w = 1; w < waiters; w++)
		read_count(listeners[w]);
	if (pipe(ready))
		die("pipe: %s", strerror(errno));
	for (w = 0; w < waiters; w++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			uint32_t seen = base, wakeups = 0;
			cpu_set_t any;

			close(ready[0]);
			/* Not pinned as the ringer is: waiters wake on any CPU. */
			CPU_ZERO(&any);
			for (int cpu = 0; cpu < 64; cpu++)
				CPU_SET(cpu, &any);
			sched_setaffinity(0, sizeof(any), &any);
			/* Each waiter reads until it has seen every ring, waking as it may. */
			alarm(120);
			if (write(ready[1], "r", 1) != 1)
				_exit(3);
			while (seen != base + rings) {
				int64_t now = read_count(listeners[w]);

				if (now < 0)
					_exit(4);
				seen = (uint32_t)now;
				wakeups++;
			}
			printf("waiter %u: count %" PRIu32 " after %" PRIu32 " wake-ups\n", w,
			       seen - base, wakeups);
			fflush(stdout);
			_exit(0);
		}
	}
	close(ready[1]);
	for (w = 0; w < waiters; w++)
		if (read(ready[0], &byte, 1) != 1)
			die("a waiter did not start");
	for (unsigned int i = 0; i < rings; i++)
		ring(&r);
	for (w = 0; w < waiters; w++) {
		int status;

		if (wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok_waiters++;
	}
	check(ok_waiters == waiters,
	      "/dev/%s: %u rings, %u of %u waiting processes saw the count reach exactly %u more",
	      name, rings, ok_waiters, waiters, rings);
	check(handled(r.irq) - before == rings + 1,
	      "/dev/%s: /proc/interrupts counted %" PRIu64 " interrupts (%u rings and 1 before)",
	      name, handled(r.irq) - before, rings);
	for (w = 0; w < waiters; w++)
		close(listeners[w]);
	close(r.fd);
	close(dev);
	return finish();
}

static int do_level(const char *name, unsigned int spi)
{
	int dev = open_device(name, O_RDWR), fd, e;
	struct carveout_doorbell req = { 0 };
	struct ringer r = ringer_open(spi);
	int64_t c0, c1, c2, c3;

	fd = listen_raw(dev, &req);
	if (fd < 0)
		die("CARVEOUT_IOC_DOORBELL on /dev/%s: %s", name, strerror(-fd));
	check(req.trigger == CARVEOUT_DOORBELL_LEVEL, "/dev/%s: trigger %u (level, as its tree says)",
	      name, req.trigger);
	/* A level line's listener unmasks before it first waits: a ring before it opened masked it. */
	e = set_masked(fd, 0);
	check(e == 0, "/dev/%s: unmask before the first wait: %s", name, errname(-e));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	ring(&r);
	c0 = poll_one(fd, POLLIN, 5000) == POLLIN ? read_count(fd) : -1;
	check(c0 >= 1, "/dev/%s: a ring of the level line is an event (count %" PRId64 ")", name, c0);
	/*
	 * The handler masked the line: another ring is not counted. (One: the kernel masks a
	 * lazily disabled line at the controller when it next fires, and the GIC would keep a
	 * second injected ring pending for the unmask, as a device still holding the line would.)
	 */
	ring(&r);
	usleep(100000);
	c1 = read_count(fd);
	check(c1 == -EAGAIN, "/dev/%s: masked by the handler: another ring gives no event (%s)",
	      name, c1 < 0 ? errname((int)-c1) : "an event");
	/* Masking a line the handler masked changes nothing: one unmask unmasks it. */
	e = set_masked(fd, 1);
	check(e == 0, "/dev/%s: masking the line the handler masked is a no-op: %s", name,
	      errname(-e));
	e = set_masked(fd, 0);
	usleep(100000);
	c2 = read_count(fd);
	check(e == 0 && c2 == -EAGAIN,
	      "/dev/%s: unmasked (write 1: %s): nothing rang meanwhile that still holds the line, no event",
	      name, errname(-e));
	ring(&r);
	c3 = poll_one(fd, POLLIN, 5000) == POLLIN ? read_count(fd) : -1;
	check(c3 == c0 + 1, "/dev/%s: the next ring is an event again (count %" PRId64 " -> %" PRId64
	      ")", name, c0, c3);
	/* Leave the line unmasked for the next user. */
	e = set_masked(fd, 0);
	check(e == 0, "/dev/%s: unmask again (write 1): %s", name, errname(-e));
	e = set_masked(fd, 0);
	check(e == 0, "/dev/%s: unmasking an unmasked line is a no-op: %s", name, errname(-e));
	close(fd);
	close(r.fd);
	close(dev);
	return finish();
}

static int do_mask(const char *name, unsigned int spi)
{
	int dev = open_device(name, O_RDWR), fd, e1, e2;
	struct ringer r = ringer_open(spi);
	int64_t c0, c1, c2, c3;

	fd = listen_on(dev, name);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	ring(&r);
	c0 = poll_one(fd, POLLIN, 5000) == POLLIN ? read_count(fd) : -1;
	check(c0 >= 1, "/dev/%s: a ring of the edge line is an event (count %" PRId64 ")", name, c0);
	ring(&r);
	c1 = poll_one(fd, POLLIN, 5000) == POLLIN ? read_count(fd) : -1;
	check(c1 == c0 + 1, "/dev/%s: not masked by the handler: the next ring too (%" PRId64 ")",
	      name, c1);
	e1 = set_masked(fd, 1);
	e2 = set_masked(fd, 1);
	ring(&r);
	ring(&r);
	ring(&r);
	usleep(100000);
	c2 = read_count(fd);
	check(e1 == 0 && e2 == 0 && c2 == -EAGAIN,
	      "/dev/%s: masked (write 0, twice: %s, %s): three rings give no event (%s)", name,
	      errname(-e1), errname(-e2), c2 < 0 ? errname((int)-c2) : "an event");
	e1 = set_masked(fd, 0);
	c3 = poll_one(fd, POLLIN, 5000) == POLLIN ? read_count(fd) : -1;
	usleep(100000);
	check(e1 == 0 && c3 == c1 + 1 && read_count(fd) == -EAGAIN,
	      "/dev/%s: unmasked (write 1: %s): the edges while masked come as one event (%" PRId64
	      " -> %" PRId64 ")", name, errname(-e1), c1, c3);
	close(fd);
	close(r.fd);
	close(dev);
	return finish();
}

/* The mailbox's layout: a sequence number and a message, in the first 64 bytes. */
struct message {
	uint32_t seq;
	char text[60];
};

static void put_message(volatile uint32_t *slot, const struct message *m)
{
	const uint32_t *words = (const uint32_t *)m;

	/* Device memory: aligned 32-bit stores, the sequence number last. */
	for (size_t i = 1; i < sizeof(*m) / 4; i++)
		slot[i] = words[i];
	__sync_synchronize();
	slot[0] = words[0];
	__sync_synchronize();
}

static void get_message(const volatile uint32_t *slot, struct message *m)
{
	uint32_t *words = (uint32_t *)m;

	for (size_t i = 0; i < sizeof(*m) / 4; i++)
		words[i] = slot[i];
}

static volatile uint32_t *map_region(const char *name, int *fd)
{
	void *p;

	*fd = open_device(name, O_RDWR);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (p == MAP_FAILED)
		die("mmap /dev/%s: %s", name, strerror(errno));
	return p;
}

static int do_mailbox(const char *mbox, unsigned int mbox_spi, const char *reply,
		      unsigned int reply_spi)
{
	int mfd, rfd, status, round, rounds = 100, ok = 1;
	volatile uint32_t *m = map_region(mbox, &mfd), *a = map_region(reply, &rfd);
	struct message saved_m, saved_a;
	int mlisten = listen_on(mfd, mbox), rlisten = listen_on(rfd, reply);
	pid_t pid;

	get_message(m, &saved_m);
	get_message(a, &saved_a);
	/* The answer's line is a level: unmasked before the first wait. */
	if (set_masked(rlisten, 0))
		die("unmask the doorbell of /dev/%s: %s", reply, strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		/* The host: waits for each message, reads it, answers and rings back. */
		struct ringer back = ringer_open(reply_spi);

		alarm(60);
		for (round = 1; round <= rounds; round++) {
			struct message in, out = { 0 };

			if (read_count(mlisten) < 0)
				_exit(3);
			get_message(m, &in);
			if (in.seq != (uint32_t)round || strncmp(in.text, "ping ", 5))
				_exit(4);
			out.seq = in.seq;
			snprintf(out.text, sizeof(out.text), "pong %.50s", in.text + 5);
			put_message(a, &out);
			ring(&back);
		}
		_exit(0);
	}
	{
		/* The co-processor's side: writes a message, rings, waits for the answer. */
		struct ringer r = ringer_open(mbox_spi);

		for (round = 1; round <= rounds && ok; round++) {
			struct message out = { .seq = (uint32_t)round }, in;

			snprintf(out.text, sizeof(out.text), "ping %d", round);
			put_message(m, &out);
			ring(&r);
			/* The reply's line is a level: unmask it once the answer is read. */
			ok = read_count(rlisten) >= 0;
			get_message(a, &in);
			ok = ok && in.seq == (uint32_t)round && !strncmp(in.text, "pong ", 5) &&
			     !strcmp(in.text + 5, out.text + 5) && set_masked(rlisten, 0) == 0;
			if (!ok)
				printf("round %d: answer %" PRIu32 " '%.60s'\n", round, in.seq, in.text);
		}
		close(r.fd);
	}
	if (!ok)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	check(ok && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "%d messages written to /dev/%s and rung, each read by the other process on its "
	      "doorbell and answered through /dev/%s and its doorbell (host exit %d)", rounds,
	      mbox, reply, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	put_message(m, &saved_m);
	put_message(a, &saved_a);
	close(mlisten);
	close(rlisten);
	close(mfd);
	close(rfd);
	return finish();
}

/* A thread of do_wait: a blocking read on its own listener across the unbind. */
struct blocked_read {
	int fd;
	int64_t result;
	struct timespec woke;
};

static void *blocked_reader(void *arg)
{
	struct blocked_read *b = arg;

	b->result = read_count(b->fd);
	clock_gettime(CLOCK_MONOTONIC, &b->woke);
	return NULL;
}

static int do_wait(const char *name)
{
	int dev = open_device(name, O_RDWR), fd = listen_on(dev, name), ep, revents, n;
	struct blocked_read reader = { .fd = listen_on(dev, name) };
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct timespec start, woke;
	pthread_t thread;
	int64_t c;
	uint32_t one = 1;

	/* Only the listeners from here on: they alone must hold the module (rmmod refused). */
	close(dev);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		die("epoll on a listener: %s", strerror(errno));
	if (pthread_create(&thread, NULL, blocked_reader, &reader))
		die("pthread_create");
	printf("waiting\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &start);
	revents = poll_one(fd, POLLIN, 60000);
	clock_gettime(CLOCK_MONOTONIC, &woke);
	/*
	 * Woken by the unbind (which the caller makes within a second), not by the timeout: poll
	 * asks each file once more when its time is up, and would find the error then.
	 */
	check(revents == (POLLERR | POLLHUP) && woke.tv_sec - start.tv_sec < 30,
	      "/dev/%s: a process waiting in poll woke at the unbind, after %ld s: revents %#x (want "
	      "POLLERR|POLLHUP)", name, (long)(woke.tv_sec - start.tv_sec), revents);
	{
		/* Not forever: a reader the unbind did not wake fails the check instead of the board. */
		struct timespec deadline;

		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += 30;
		if (pthread_timedjoin_np(thread, NULL, &deadline)) {
			reader.result = 1;
			reader.woke = start;
			reader.woke.tv_sec += 30;
		}
	}
	check(reader.result == -ENODEV && reader.woke.tv_sec - start.tv_sec < 30,
	      "/dev/%s: a thread blocked in read woke at the unbind, after %ld s: %s (want ENODEV)",
	      name, (long)(reader.woke.tv_sec - start.tv_sec),
	      reader.result < 0 ? errname((int)-reader.result) : "a count");
	n = epoll_wait(ep, &out, 1, 5000);
	check(n == 1 && (out.events & (EPOLLERR | EPOLLHUP)) == (EPOLLERR | EPOLLHUP),
	      "/dev/%s: epoll reports it too (events %#x)", name, n == 1 ? out.events : 0);
	/* Non-blocking: a driver that forgot the unbind would make a read wait forever. */
	fcntl(fd, F_SETFL, O_NONBLOCK);
	c = read_count(fd);
	errno = 0;
	check(c == -ENODEV && write(fd, &one, sizeof(one)) < 0 && errno == ENODEV,
	      "/dev/%s: read and write of the listener: %s, %s (want ENODEV)", name,
	      errname(c < 0 ? (int)-c : 0), errname(errno));
	close(ep);
	close(fd);
	close(reader.fd);
	return finish();
}

/*
 * Rings GIC SPI @spi (its Linux number found while its device is bound) for @seconds while a
 * child opens listeners of /dev/@name, polls, reads and closes them, as fast as it can; the
 * caller unbinds and binds the device meanwhile. Failures of the calls are expected (the
 * device comes and goes); the kernel's log and kmemleak judge the run.
 */
static int do_hammer(const char *name, unsigned int spi, unsigned int seconds)
{
	struct ringer r = ringer_open(spi);
	unsigned long rings = 0, opened = 0;
	time_t end = time(NULL) + seconds;
	char path[64];
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "/dev/%s", name);
	/* The interrupt is found while the device is bound: the caller may unbind it from now on. */
	printf("ringing interrupt %d\n", r.irq);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		while (time(NULL) < end) {
			int dev = open(path, O_RDWR), fd;

			if (dev < 0)
				continue;
			fd = listen_raw(dev, &(struct carveout_doorbell){ 0 });
			if (fd >= 0) {
				uint32_t count;

				opened++;
				poll_one(fd, POLLIN, 1);
				fcntl(fd, F_SETFL, O_NONBLOCK);
				if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN &&
				    errno != ENODEV)
					_exit(3);
				/* Mask and unmask against the rings and the unbind. */
				if ((set_masked(fd, 1) && errno != ENODEV) ||
				    (set_masked(fd, 0) && errno != ENODEV))
					_exit(4);
				close(fd);
			}
			close(dev);
		}
		printf("listeners opened: %lu\n", opened);
		_exit(0);
	}
	while (time(NULL) < end) {
		/* An interrupt with no handler (the device unbound) is only left pending. */
		if (write(r.fd, "trigger", 7) == 7)
			rings++;
	}
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "/dev/%s: %lu rings of interrupt %d and listeners opened, polled, read and closed for "
	      "%u s (exit %d)", name, rings, r.irq, seconds,
	      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	close(r.fd);
	return finish();
}

/* The latency bench: a waiter thread blocked in read, a ringer thread on the interrupt's CPU. */
struct bench {
	int fd;			/* the listener, or /dev/uioN */
	int uio;		/* re-enable after each event (UIO's irqcontrol) */
	unsigned int spi;
	unsigned int rings;
	struct timespec *rang;	/* when each ring was written */
	double *latency;	/* microseconds, ring to the waiter running */
	volatile int woke;	/* the waiter's last event */
};

static double since_us(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e6 + (b->tv_nsec - a->tv_nsec) / 1e3;
}

static void *bench_waiter(void *arg)
{
	struct bench *b = arg;
	uint32_t one = 1;

	for (unsigned int i = 0; i < b->rings; i++) {
		struct timespec now;
		uint32_t count;

		if (read(b->fd, &count, sizeof(count)) != sizeof(count))
			die("bench: read: %s", strerror(errno));
		clock_gettime(CLOCK_MONOTONIC, &now);
		b->latency[i] = since_us(&b->rang[i], &now);
		if (b->uio && write(b->fd, &one, sizeof(one)) != sizeof(one))
			die("bench: UIO re-enable: %s", strerror(errno));
		__atomic_store_n(&b->woke, (int)i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void bench_one(const char *label, struct bench *b)
{
	struct ringer r = ringer_open(b->spi);
	pthread_t waiter;
	cpu_set_t set;
	int cpu;

	b->rang = calloc(b->rings, sizeof(*b->rang));
	b->latency = calloc(b->rings, sizeof(*b->latency));
	if (!b->rang || !b->latency)
		die("out of memory");
	b->woke = 0;
	/* The waiter on the other CPU: the interrupt wakes a process elsewhere. */
	sched_getaffinity(0, sizeof(set), &set);
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set); cpu++)
		;
	if (pthread_create(&waiter, NULL, bench_waiter, b))
		die("pthread_create");
	{
		cpu_set_t other;

		CPU_ZERO(&other);
		CPU_SET(cpu == 0 ? 1 : 0, &other);
		pthread_setaffinity_np(waiter, sizeof(other), &other);
	}
	usleep(100000);
	for (unsigned int i = 0; i < b->rings; i++) {
		clock_gettime(CLOCK_MONOTONIC, &b->rang[i]);
		ring(&r);
		while (__atomic_load_n(&b->woke, __ATOMIC_ACQUIRE) != (int)i + 1)
			sched_yield();
	}
	pthread_join(waiter, NULL);
	qsort(b->latency, b->rings, sizeof(*b->latency), cmp_double);
	printf("bench doorbell: %-28s %u rings: median %.1f us, p99 %.1f us, max %.1f us\n", label,
	       b->rings, b->latency[b->rings / 2], b->latency[(b->rings * 99) / 100],
	       b->latency[b->rings - 1]);
	fflush(stdout);
	close(r.fd);
	free(b->rang);
	free(b->latency);
}

static int do_bench(const char *name, unsigned int spi, const char *uio, unsigned int uio_spi,
		    unsigned int rings)
{
	int dev = open_device(name, O_RDWR), ufd;
	struct bench ours = { .fd = listen_on(dev, name), .spi = spi, .rings = rings };
	struct bench theirs = { .uio = 1, .spi = uio_spi, .rings = rings };
	char label[64];

	ufd = open_device(uio, O_RDWR);
	theirs.fd = ufd;
	snprintf(label, sizeof(label), "/dev/%s listener", name);
	bench_one(label, &ours);
	snprintf(label, sizeof(label), "/dev/%s (UIO)", uio);
	bench_one(label, &theirs);
	check(1, "wake-up latency measured on /dev/%s and /dev/%s", name, uio);
	close(ours.fd);
	close(ufd);
	close(dev);
	return finish();
}

static unsigned int number(const char *text)
{
	char *end;
	unsigned long n = strtoul(text, &end, 10);

	if (*text == '\0' || *end != '\0' || n > 1000000)
		die("'%s' is not a number up to 1000000", text);
	return (unsigned int)n;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "abi") && argc == 4)
		return do_abi(argv[2], number(argv[3]));
	if (!strcmp(cmd, "none") && argc == 3)
		return do_none(argv[2]);
	if (!strcmp(cmd, "count") && argc == 4)
		return do_count(argv[2], number(argv[3]));
	if (!strcmp(cmd, "burst") && argc == 6)
		return do_burst(argv[2], number(argv[3]), number(argv[4]), number(argv[5]));
	if (!strcmp(cmd, "level") && argc == 4)
		return do_level(argv[2], number(argv[3]));
	if (!strcmp(cmd, "mask") && argc == 4)
		return do_mask(argv[2], number(argv[3]));
	if (!strcmp(cmd, "mailbox") && argc == 6)
		return do_mailbox(argv[2], number(argv[3]), argv[4], number(argv[5]));
	if (!strcmp(cmd, "wait") && argc == 3)
		return do_wait(argv[2]);
	if (!strcmp(cmd, "hammer") && argc == 5)
		return do_hammer(argv[2], number(argv[3]), number(argv[4]));
	if (!strcmp(cmd, "bench") && argc == 7)
		return do_bench(argv[2], number(argv[3]), argv[4], number(argv[5]),
				number(argv[6]));
	fprintf(stderr, "usage: see the comment at the top of tests/carveout-doorbell.c\n");
	return 2;
}
