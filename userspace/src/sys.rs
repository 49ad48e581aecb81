//! The few libc calls std does not wrap, with safe wrappers that report errno.

use std::ffi::{c_int, c_long, c_ulong, c_void};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

pub const PROT_READ: c_int = 0x1;
pub const PROT_WRITE: c_int = 0x2;
pub const PROT_EXEC: c_int = 0x4;
pub const MAP_SHARED: c_int = 0x01;
pub const MAP_PRIVATE: c_int = 0x02;
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
}

/// `_SC_PAGESIZE` in glibc.
const SC_PAGESIZE: c_int = 30;

pub fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { sysconf(SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096)
}

/// mmap(2) of `fd`; returns the address or the errno as an `io::Error`.
pub fn map(
    fd: BorrowedFd<'_>,
    len: usize,
    prot: c_int,
    flags: c_int,
    offset: i64,
) -> io::Result<*mut u8> {
    // SAFETY: A NULL hint lets the kernel choose a free range; nothing existing is replaced.
    let addr = unsafe {
        mmap64(
            std::ptr::null_mut(),
            len,
            prot,
            flags,
            fd.as_raw_fd(),
            offset,
        )
    };
    if addr == MAP_FAILED {
        Err(io::Error::last_os_error())
    } else {
        Ok(addr.cast())
    }
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
