// SPDX-License-Identifier: MIT OR Apache-2.0
/*
 * The C constants of the carveout crate, the way the kernel's asm-offsets.c gives assembly its
 * constants: build.rs compiles this file with the target's C compiler and -S (it is never
 * linked or run, so cross builds work), and reads every line
 *	.ascii "->NAME TYPE VALUE EXPRESSION"
 * of the assembly into $OUT_DIR/consts.rs as `pub const NAME: TYPE = VALUE;`. The marker is
 * wrapped in an .ascii directive, as include/linux/kbuild.h does, because Clang parses inline
 * assembly even with -S and would reject a bare "->" line.
 *
 * TYPE is the Rust type: c_int, u32 or usize. A constant the crate needs is added here, never
 * written down by hand in Rust. The C_ entries describe the compiler, for build.rs to check.
 */
#define _GNU_SOURCE /* MAP_ANONYMOUS, MAP_POPULATE, MREMAP_*, SEEK_DATA, SEEK_HOLE */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/aio_abi.h>

#include "linux/carveout.h" /* include/uapi/linux/carveout.h: build.rs passes -iquote */

#define DEFINE(name, type, value) \
	asm volatile("\n.ascii \"->" #name " " #type " %0 " #value "\"" : : "i"(value))
/* A word instead of a number: TYPE str, never written to consts.rs. */
#define DEFINE_WORD(name, word) asm volatile("\n.ascii \"->" #name " str " word " " #name "\"")
#define SIZEOF_FIELD(type, field) sizeof(((type *)0)->field)

/*
 * The architecture the compiler compiles for, spelled as Rust's target_arch, from its
 * predefined macros; "unknown" for one this list lacks. build.rs compares it with the Rust
 * target's and stops on a difference, or on "unknown".
 */
#if defined(__aarch64__)
#define C_TARGET_ARCH "aarch64"
#elif defined(__arm__)
#define C_TARGET_ARCH "arm"
#elif defined(__x86_64__)
#define C_TARGET_ARCH "x86_64"
#elif defined(__i386__)
#define C_TARGET_ARCH "x86"
#elif defined(__riscv) && defined(__riscv_xlen) && __riscv_xlen == 64
#define C_TARGET_ARCH "riscv64"
#elif defined(__riscv) && defined(__riscv_xlen) && __riscv_xlen == 32
#define C_TARGET_ARCH "riscv32"
#elif defined(__powerpc64__)
#define C_TARGET_ARCH "powerpc64"
#elif defined(__powerpc__)
#define C_TARGET_ARCH "powerpc"
#elif defined(__s390x__)
#define C_TARGET_ARCH "s390x"
#elif defined(__loongarch__) && defined(__loongarch_grlen) && __loongarch_grlen == 64
#define C_TARGET_ARCH "loongarch64"
#else
#define C_TARGET_ARCH "unknown"
#endif

void carveout_consts(void);

void carveout_consts(void)
{
	/* What the compiler compiles for: build.rs compares it with the Rust target. */
	DEFINE_WORD(C_TARGET_ARCH, C_TARGET_ARCH);
	DEFINE(C_POINTER_BYTES, usize, sizeof(void *));
	DEFINE(C_LITTLE_ENDIAN, c_int, __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);

	/* mmap(2), mprotect(2), mremap(2), madvise(2). */
	DEFINE(PROT_NONE, c_int, PROT_NONE);
	DEFINE(PROT_READ, c_int, PROT_READ);
	DEFINE(PROT_WRITE, c_int, PROT_WRITE);
	DEFINE(PROT_EXEC, c_int, PROT_EXEC);
	DEFINE(MAP_SHARED, c_int, MAP_SHARED);
	DEFINE(MAP_PRIVATE, c_int, MAP_PRIVATE);
	DEFINE(MAP_ANONYMOUS, c_int, MAP_ANONYMOUS);
	DEFINE(MAP_POPULATE, c_int, MAP_POPULATE);
	DEFINE(MREMAP_MAYMOVE, c_int, MREMAP_MAYMOVE);
	DEFINE(MREMAP_FIXED, c_int, MREMAP_FIXED);
	DEFINE(MADV_DONTNEED, c_int, MADV_DONTNEED);
	DEFINE(MADV_KEEPONFORK, c_int, MADV_KEEPONFORK);

	/* sysconf(3), open(2), lseek(2). */
	DEFINE(SC_PAGESIZE, c_int, _SC_PAGESIZE);
	DEFINE(O_SYNC, c_int, O_SYNC);
	DEFINE(SEEK_DATA, c_int, SEEK_DATA);
	DEFINE(SEEK_HOLE, c_int, SEEK_HOLE);

	/* Signals and errno values the tests expect. */
	DEFINE(SIGBUS, c_int, SIGBUS);
	DEFINE(SIGKILL, c_int, SIGKILL);
	DEFINE(SIGSEGV, c_int, SIGSEGV);
	DEFINE(EPERM, c_int, EPERM);
	DEFINE(ENOENT, c_int, ENOENT);
	DEFINE(EBADF, c_int, EBADF);
	DEFINE(EACCES, c_int, EACCES);
	DEFINE(EOPNOTSUPP, c_int, EOPNOTSUPP);
	DEFINE(EFAULT, c_int, EFAULT);
	DEFINE(ENODEV, c_int, ENODEV);
	DEFINE(EINVAL, c_int, EINVAL);
	DEFINE(ENOTTY, c_int, ENOTTY);
	DEFINE(ENOSPC, c_int, ENOSPC);
	DEFINE(EOVERFLOW, c_int, EOVERFLOW);

	/* The kernel's AIO (io_setup(2), io_submit(2), io_getevents(2)), which has no libc wrapper. */
	DEFINE(SYS_IO_SETUP, c_int, SYS_io_setup);
	DEFINE(SYS_IO_DESTROY, c_int, SYS_io_destroy);
	DEFINE(SYS_IO_SUBMIT, c_int, SYS_io_submit);
	DEFINE(SYS_IO_GETEVENTS, c_int, SYS_io_getevents);
	DEFINE(IOCB_CMD_PREAD, c_int, IOCB_CMD_PREAD);
	DEFINE(SIZEOF_IOCB, usize, sizeof(struct iocb));
	DEFINE(OFFSETOF_IOCB_LIO_OPCODE, usize, offsetof(struct iocb, aio_lio_opcode));
	DEFINE(OFFSETOF_IOCB_FILDES, usize, offsetof(struct iocb, aio_fildes));
	DEFINE(OFFSETOF_IOCB_BUF, usize, offsetof(struct iocb, aio_buf));
	DEFINE(OFFSETOF_IOCB_NBYTES, usize, offsetof(struct iocb, aio_nbytes));
	DEFINE(OFFSETOF_IOCB_OFFSET, usize, offsetof(struct iocb, aio_offset));
	DEFINE(SIZEOF_IO_EVENT, usize, sizeof(struct io_event));
	DEFINE(OFFSETOF_IO_EVENT_RES, usize, offsetof(struct io_event, res));

	/* prctl(2): transparent huge pages off for the process (no block mappings either). */
	DEFINE(PR_SET_THP_DISABLE, c_int, PR_SET_THP_DISABLE);

	/* personality(2): the flag that makes every readable mapping executable. */
	DEFINE(READ_IMPLIES_EXEC, u32, READ_IMPLIES_EXEC);

	/* getrusage(2): where the minor fault count is (with the C library's default time_t). */
	DEFINE(RUSAGE_SELF, c_int, RUSAGE_SELF);
	DEFINE(SIZEOF_RUSAGE, usize, sizeof(struct rusage));
	DEFINE(OFFSETOF_RUSAGE_RU_MINFLT, usize, offsetof(struct rusage, ru_minflt));
	DEFINE(SIZEOF_RUSAGE_RU_MINFLT, usize, SIZEOF_FIELD(struct rusage, ru_minflt));

	/* include/uapi/linux/carveout.h, which userspace/src/uapi.rs mirrors and is checked against. */
	DEFINE(CARVEOUT_IOC_MAGIC, u32, CARVEOUT_IOC_MAGIC);
	DEFINE(CARVEOUT_IOC_INFO, u32, CARVEOUT_IOC_INFO);
	DEFINE(CARVEOUT_IOC_SYNC, u32, CARVEOUT_IOC_SYNC);
	DEFINE(CARVEOUT_IOC_EXPORT, u32, CARVEOUT_IOC_EXPORT);
	DEFINE(CARVEOUT_EXPORT_WRITE, u32, CARVEOUT_EXPORT_WRITE);
	DEFINE(CARVEOUT_IOC_DOORBELL, u32, CARVEOUT_IOC_DOORBELL);
	DEFINE(CARVEOUT_DOORBELL_EDGE, u32, CARVEOUT_DOORBELL_EDGE);
	DEFINE(CARVEOUT_DOORBELL_LEVEL, u32, CARVEOUT_DOORBELL_LEVEL);
	DEFINE(CARVEOUT_NAME_LEN, usize, CARVEOUT_NAME_LEN);
	DEFINE(CARVEOUT_MEM_WRITE_COMBINE, u32, CARVEOUT_MEM_WRITE_COMBINE);
	DEFINE(CARVEOUT_MEM_CACHED, u32, CARVEOUT_MEM_CACHED);
	DEFINE(CARVEOUT_MEM_DEVICE, u32, CARVEOUT_MEM_DEVICE);
	DEFINE(CARVEOUT_SYNC_FOR_DEVICE, u32, CARVEOUT_SYNC_FOR_DEVICE);
	DEFINE(CARVEOUT_SYNC_FOR_CPU, u32, CARVEOUT_SYNC_FOR_CPU);
	DEFINE(CARVEOUT_SYNC_BIDIRECTIONAL, u32, CARVEOUT_SYNC_BIDIRECTIONAL);

	DEFINE(SIZEOF_CARVEOUT_INFO, usize, sizeof(struct carveout_info));
	DEFINE(OFFSETOF_CARVEOUT_INFO_PHYS_BASE, usize, offsetof(struct carveout_info, phys_base));
	DEFINE(SIZEOF_CARVEOUT_INFO_PHYS_BASE, usize, SIZEOF_FIELD(struct carveout_info, phys_base));
	DEFINE(OFFSETOF_CARVEOUT_INFO_SIZE, usize, offsetof(struct carveout_info, size));
	DEFINE(SIZEOF_CARVEOUT_INFO_SIZE, usize, SIZEOF_FIELD(struct carveout_info, size));
	DEFINE(OFFSETOF_CARVEOUT_INFO_MEMORY_TYPE, usize, offsetof(struct carveout_info, memory_type));
	DEFINE(SIZEOF_CARVEOUT_INFO_MEMORY_TYPE, usize,
	       SIZEOF_FIELD(struct carveout_info, memory_type));
	DEFINE(OFFSETOF_CARVEOUT_INFO_FLAGS, usize, offsetof(struct carveout_info, flags));
	DEFINE(SIZEOF_CARVEOUT_INFO_FLAGS, usize, SIZEOF_FIELD(struct carveout_info, flags));
	DEFINE(OFFSETOF_CARVEOUT_INFO_NAME, usize, offsetof(struct carveout_info, name));
	DEFINE(SIZEOF_CARVEOUT_INFO_NAME, usize, SIZEOF_FIELD(struct carveout_info, name));

	DEFINE(SIZEOF_CARVEOUT_SYNC, usize, sizeof(struct carveout_sync));
	DEFINE(OFFSETOF_CARVEOUT_SYNC_OFFSET, usize, offsetof(struct carveout_sync, offset));
	DEFINE(SIZEOF_CARVEOUT_SYNC_OFFSET, usize, SIZEOF_FIELD(struct carveout_sync, offset));
	DEFINE(OFFSETOF_CARVEOUT_SYNC_LENGTH, usize, offsetof(struct carveout_sync, length));
	DEFINE(SIZEOF_CARVEOUT_SYNC_LENGTH, usize, SIZEOF_FIELD(struct carveout_sync, length));
	DEFINE(OFFSETOF_CARVEOUT_SYNC_FLAGS, usize, offsetof(struct carveout_sync, flags));
	DEFINE(SIZEOF_CARVEOUT_SYNC_FLAGS, usize, SIZEOF_FIELD(struct carveout_sync, flags));
	DEFINE(OFFSETOF_CARVEOUT_SYNC_RESERVED, usize, offsetof(struct carveout_sync, reserved));
	DEFINE(SIZEOF_CARVEOUT_SYNC_RESERVED, usize, SIZEOF_FIELD(struct carveout_sync, reserved));

	DEFINE(SIZEOF_CARVEOUT_EXPORT, usize, sizeof(struct carveout_export));
	DEFINE(OFFSETOF_CARVEOUT_EXPORT_OFFSET, usize, offsetof(struct carveout_export, offset));
	DEFINE(SIZEOF_CARVEOUT_EXPORT_OFFSET, usize, SIZEOF_FIELD(struct carveout_export, offset));
	DEFINE(OFFSETOF_CARVEOUT_EXPORT_LENGTH, usize, offsetof(struct carveout_export, length));
	DEFINE(SIZEOF_CARVEOUT_EXPORT_LENGTH, usize, SIZEOF_FIELD(struct carveout_export, length));
	DEFINE(OFFSETOF_CARVEOUT_EXPORT_FLAGS, usize, offsetof(struct carveout_export, flags));
	DEFINE(SIZEOF_CARVEOUT_EXPORT_FLAGS, usize, SIZEOF_FIELD(struct carveout_export, flags));
	DEFINE(OFFSETOF_CARVEOUT_EXPORT_FD, usize, offsetof(struct carveout_export, fd));
	DEFINE(SIZEOF_CARVEOUT_EXPORT_FD, usize, SIZEOF_FIELD(struct carveout_export, fd));
	DEFINE(SIZEOF_CARVEOUT_DOORBELL, usize, sizeof(struct carveout_doorbell));
	DEFINE(OFFSETOF_CARVEOUT_DOORBELL_FLAGS, usize, offsetof(struct carveout_doorbell, flags));
	DEFINE(SIZEOF_CARVEOUT_DOORBELL_FLAGS, usize, SIZEOF_FIELD(struct carveout_doorbell, flags));
	DEFINE(OFFSETOF_CARVEOUT_DOORBELL_TRIGGER, usize, offsetof(struct carveout_doorbell, trigger));
	DEFINE(SIZEOF_CARVEOUT_DOORBELL_TRIGGER, usize,
	       SIZEOF_FIELD(struct carveout_doorbell, trigger));
	DEFINE(OFFSETOF_CARVEOUT_DOORBELL_FD, usize, offsetof(struct carveout_doorbell, fd));
	DEFINE(SIZEOF_CARVEOUT_DOORBELL_FD, usize, SIZEOF_FIELD(struct carveout_doorbell, fd));
	DEFINE(OFFSETOF_CARVEOUT_DOORBELL_COUNT, usize, offsetof(struct carveout_doorbell, count));
	DEFINE(SIZEOF_CARVEOUT_DOORBELL_COUNT, usize, SIZEOF_FIELD(struct carveout_doorbell, count));
}
