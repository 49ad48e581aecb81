//! The few libc calls std does not wrap, with safe wrappers that report errno.

use std::ffi::{c_int, c_long, c_uint, c_ulong, c_void};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

pub const PROT_READ: c_int = 0x1;
pub const PROT_WRITE: c_int = 0x2;
pub const PROT_EXEC: c_int = 0x4;
pub const MAP_SHARED: c_int = 0x01;
pub const MAP_PRIVATE: c_int = 0x02;
pub const MAP_ANONYMOUS: c_int = 0x20;
pub const MAP_POPULATE: c_int = 0x8000;
pub const MREMAP_MAYMOVE: c_int = 1;
pub const MADV_DONTNEED: c_int = 4;
pub const SIGBUS: c_int = 7;
pub const SIGKILL: c_int = 9;
pub const SIGSEGV: c_int = 11;

/// The errno values the tests expect (Linux, every architecture this program runs on).
pub mod errno {
    pub const EPERM: i32 = 1;
    pub const ENOENT: i32 = 2;
    pub const EBADF: i32 = 9;
    pub const EACCES: i32 = 13;
    pub const EFAULT: i32 = 14;
    pub const ENODEV: i32 = 19;
    pub const EINVAL: i32 = 22;
    pub const ENOTTY: i32 = 25;
    pub const ENOSPC: i32 = 28;
    pub const ESPIPE: i32 = 29;
    pub const EOVERFLOW: i32 = 75;
}
const MAP_FAILED: *mut c_void = !0usize as *mut c_void;

extern "C" {
    fn mmap64(
        addr: *mut c_void,
        len: usize,
        prot: c_int,
        flags: c_int,
        fd: c_int,
        off: i64,
    ) -> *mut c_void;
    fn munmap(addr: *mut c_void, len: usize) -> c_int;
    fn mprotect(addr: *mut c_void, len: usize, prot: c_int) -> c_int;
    fn ioctl(fd: c_int, request: c_ulong, ...) -> c_int;
    fn sysconf(name: c_int) -> c_long;
    fn mremap(old: *mut c_void, old_len: usize, new_len: usize, flags: c_int, ...) -> *mut c_void;
    fn madvise(addr: *mut c_void, len: usize, advice: c_int) -> c_int;
    fn pread64(fd: c_int, buf: *mut c_void, len: usize, off: i64) -> isize;
    fn pwrite64(fd: c_int, buf: *const c_void, len: usize, off: i64) -> isize;
    fn fork() -> c_int;
    fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
    fn _exit(code: c_int) -> !;
    fn setgroups(size: usize, list: *const c_uint) -> c_int;
    fn setgid(gid: c_uint) -> c_int;
    fn setuid(uid: c_uint) -> c_int;
    fn alarm(seconds: c_uint) -> c_uint;
    fn kill(pid: c_int, sig: c_int) -> c_int;
    fn pause() -> c_int;
    fn getrusage(who: c_int, usage: *mut [c_long; 18]) -> c_int;
}

/// `_SC_PAGESIZE` in glibc.
const SC_PAGESIZE: c_int = 30;

pub fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { sysconf(SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096)
}

/// mmap(2) at an address the kernel picks; returns the address or the errno.
fn mmap_any(len: usize, prot: c_int, flags: c_int, fd: c_int, offset: i64) -> io::Result<*mut u8> {
    // SAFETY: A NULL hint lets the kernel choose a free range; nothing existing is replaced.
    let addr = unsafe { mmap64(std::ptr::null_mut(), len, prot, flags, fd, offset) };
    if addr == MAP_FAILED {
        Err(io::Error::last_os_error())
    } else {
        Ok(addr.cast())
    }
}

/// mmap(2) of `fd`; returns the address or the errno as an `io::Error`.
pub fn map(
    fd: BorrowedFd<'_>,
    len: usize,
    prot: c_int,
    flags: c_int,
    offset: i64,
) -> io::Result<*mut u8> {
    mmap_any(len, prot, flags, fd.as_raw_fd(), offset)
}

/// An anonymous private mapping (plain RAM), faulted in up front when `populate`.
pub fn map_anonymous(len: usize, populate: bool) -> io::Result<*mut u8> {
    let flags = MAP_PRIVATE | MAP_ANONYMOUS | if populate { MAP_POPULATE } else { 0 };
    mmap_any(len, PROT_READ | PROT_WRITE, flags, -1, 0)
}

/// An anonymous shared mapping: RAM that forked children share with their parent.
pub fn map_shared_anonymous(len: usize) -> io::Result<*mut u8> {
    mmap_any(
        len,
        PROT_READ | PROT_WRITE,
        MAP_SHARED | MAP_ANONYMOUS,
        -1,
        0,
    )
}

/// The minor page faults this process has taken so far (getrusage's `ru_minflt`).
pub fn minor_faults() -> io::Result<u64> {
    // `struct rusage` with glibc's `long`-sized `time_t` (armv7 gnueabihf, and every 64-bit
    // target): two `struct timeval` (four longs), then `ru_maxrss`, `ru_ixrss`, `ru_idrss`,
    // `ru_isrss`, `ru_minflt`, ...: the minor faults are long number 8.
    let mut usage = [0 as c_long; 18];
    // SAFETY: `usage` is as large as `struct rusage` and writable; RUSAGE_SELF is 0.
    check(unsafe { getrusage(0, &mut usage) })?;
    Ok(u64::try_from(usage[8]).unwrap_or(0))
}

/// munmap(2).
///
/// # Safety
///
/// `[addr, addr + len)` must be a mapping that nothing will access afterwards.
pub unsafe fn unmap(addr: *mut u8, len: usize) -> io::Result<()> {
    // SAFETY: The caller guarantees the range is no longer used.
    if unsafe { munmap(addr.cast(), len) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// mprotect(2) on a mapping this process owns.
pub fn protect(addr: *mut u8, len: usize, prot: c_int) -> io::Result<()> {
    // SAFETY: Changing protection cannot make Rust references dangle: mappings are only accessed
    // through raw volatile pointers, and a failed access is a signal, not undefined behaviour.
    if unsafe { mprotect(addr.cast(), len, prot) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// ioctl(2) whose argument is a buffer the kernel fills.
pub fn ioctl_read(fd: BorrowedFd<'_>, request: u32, buf: &mut [u8]) -> io::Result<()> {
    // SAFETY: `buf` is valid for writes of its whole length, which the request encodes.
    let ret = unsafe { ioctl(fd.as_raw_fd(), c_ulong::from(request), buf.as_mut_ptr()) };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// ioctl(2) with a raw address argument, for tests that pass bad pointers.
pub fn ioctl_addr(fd: BorrowedFd<'_>, request: u32, arg: usize) -> io::Result<()> {
    // SAFETY: The kernel validates `arg` as a user pointer; a bad one is an error, not UB here.
    let ret = unsafe { ioctl(fd.as_raw_fd(), c_ulong::from(request), arg) };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn check(ret: c_int) -> io::Result<()> {
    if ret == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// mremap(2) of a mapping this process owns, allowed to move. On success the old range is gone
/// and the mapping lives at the returned address.
///
/// # Safety
///
/// Nothing may access `[addr, addr + old_len)` afterwards if the call succeeds.
pub unsafe fn remap(addr: *mut u8, old_len: usize, new_len: usize) -> io::Result<*mut u8> {
    // SAFETY: The caller gives up the old range; the kernel picks the new one.
    let new = unsafe { mremap(addr.cast(), old_len, new_len, MREMAP_MAYMOVE) };
    if new == MAP_FAILED {
        Err(io::Error::last_os_error())
    } else {
        Ok(new.cast())
    }
}

/// madvise(2) on a range this process owns.
pub fn advise(addr: *mut u8, len: usize, advice: c_int) -> io::Result<()> {
    // SAFETY: Advice never makes a Rust reference dangle: mappings are accessed only through raw
    // volatile pointers.
    check(unsafe { madvise(addr.cast(), len, advice) })
}

/// pread(2) into a raw address, for tests that pass bad buffers.
pub fn pread_raw(fd: BorrowedFd<'_>, addr: usize, len: usize, off: i64) -> io::Result<usize> {
    // SAFETY: The kernel validates `addr` as a user pointer; a bad one is an error.
    let n = unsafe { pread64(fd.as_raw_fd(), addr as *mut c_void, len, off) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// pwrite(2) from a raw address, for tests that pass bad buffers.
pub fn pwrite_raw(fd: BorrowedFd<'_>, addr: usize, len: usize, off: i64) -> io::Result<usize> {
    // SAFETY: As in `pread_raw`.
    let n = unsafe { pwrite64(fd.as_raw_fd(), addr as *const c_void, len, off) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// How a child process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

/// Forks a child that runs `f` and exits with its value; returns the child's pid. The child gets
/// `timeout` seconds (then SIGALRM ends it). Call it only while this process has one thread:
/// the child runs `f` alone.
pub fn spawn(timeout: u32, f: impl FnOnce() -> i32) -> io::Result<c_int> {
    // SAFETY: The process is single-threaded (caller's contract), so the child may run any code.
    let pid = unsafe { fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: `alarm` has no preconditions.
        unsafe { alarm(timeout) };
        let code = f();
        // SAFETY: Ends the child without running the parent's exit handlers or destructors.
        unsafe { _exit(code) };
    }
    Ok(pid)
}

/// Runs `f` in a forked child (see [`spawn`]) and waits for it to end.
pub fn in_child(timeout: u32, f: impl FnOnce() -> i32) -> io::Result<Exit> {
    wait(spawn(timeout, f)?)
}

/// Sends signal `sig` to process `pid` (a child of ours).
pub fn signal(pid: c_int, sig: c_int) -> io::Result<()> {
    // SAFETY: No memory is passed; a bad pid or signal is an error.
    check(unsafe { kill(pid, sig) })
}

/// Waits for child `pid` to end.
pub fn wait(pid: c_int) -> io::Result<Exit> {
    let mut status: c_int = 0;
    loop {
        // SAFETY: `status` is a valid place for the result.
        if unsafe { waitpid(pid, &mut status, 0) } == pid {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    // The encoding of Linux's wait status: low 7 bits the signal, else bits 8-15 the code.
    Ok(match status & 0x7f {
        0 => Exit::Code((status >> 8) & 0xff),
        sig => Exit::Signal(sig),
    })
}

/// Sleeps until a signal arrives; a signal whose default action ends the process ends it here.
pub fn wait_for_signal() {
    // SAFETY: No preconditions.
    unsafe { pause() };
}

/// Drops root for an unprivileged user and group (`nobody`, 65534). Use it in a child.
pub fn become_nobody() -> io::Result<()> {
    // SAFETY: An empty list is valid.
    check(unsafe { setgroups(0, std::ptr::null()) })?;
    // SAFETY: No preconditions.
    check(unsafe { setgid(65534) })?;
    // SAFETY: No preconditions.
    check(unsafe { setuid(65534) })
}
