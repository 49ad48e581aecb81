// SPDX-License-Identifier: MIT OR Apache-2.0

//! The C library calls std does not wrap, and the C constants they take.
//!
//! Every constant comes from the target's C headers through `build.rs` (module [`consts`]),
//! never from a number written here. The wrappers report failure as the `errno` in an
//! [`io::Error`]; callers add the path and operation.

use std::ffi::{c_int, c_long, c_ulong, c_void};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::NonNull;

/// The constants of the C headers (`consts.c`, extracted by `build.rs`).
///
/// A table each crate of the package includes and uses part of: unused entries are expected.
#[allow(
    dead_code,
    reason = "a generated table; `expect` would fail the day every entry is used"
)]
pub(crate) mod consts {
    include!(concat!(env!("OUT_DIR"), "/consts.rs"));
}

use consts::{MAP_SHARED, MREMAP_MAYMOVE, SC_PAGESIZE};

/// `MAP_FAILED`: `(void *) -1` in every C library (an address, which `consts.c` cannot extract
/// as an integer constant).
const MAP_FAILED: *mut c_void = std::ptr::without_provenance_mut(usize::MAX);

// glibc only (so is the program's `src/bin/carveout/harness/raw.rs`, and build.rs refuses
// other C libraries): `mmap64` (and `raw.rs`'s `pread64`, `pwrite64`, `lseek64`) is glibc's
// 64-bit-offset call on every target, where plain `mmap`'s `off_t` is 32 bits on 32-bit ones.
// musl 1.2.4 and later no longer provide the `*64` symbols to link against, and on 32-bit musl
// the plain `getrusage` symbol (`raw.rs`) fills in the old 32-bit-time `struct rusage`, not the
// layout its headers (and so `consts.c`) describe. The Buildroot package depends on
// `BR2_TOOLCHAIN_USES_GLIBC`.
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
    fn mremap(old: *mut c_void, old_len: usize, new_len: usize, flags: c_int, ...) -> *mut c_void;
    fn ioctl(fd: c_int, request: c_ulong, ...) -> c_int;
    fn sysconf(name: c_int) -> c_long;
}

/// The page size, from `sysconf(_SC_PAGESIZE)`.
pub(crate) fn page_size() -> usize {
    // SAFETY: `sysconf` reads a system setting; it has no preconditions.
    let size = unsafe { sysconf(SC_PAGESIZE) };
    // POSIX requires `_SC_PAGESIZE`: a failure (-1) cannot happen on Linux.
    usize::try_from(size).unwrap_or(4096)
}

/// `mmap(2)` of `len` bytes of `fd` at byte `offset`, shared, at an address the kernel picks.
pub(crate) fn mmap_shared(
    fd: BorrowedFd<'_>,
    len: usize,
    prot: c_int,
    offset: i64,
) -> io::Result<NonNull<u8>> {
    // SAFETY: A NULL hint without `MAP_FIXED` lets the kernel pick a free range: no existing
    // mapping is replaced, so no memory Rust uses changes.
    let addr = unsafe {
        mmap64(
            std::ptr::null_mut(),
            len,
            prot,
            MAP_SHARED,
            fd.as_raw_fd(),
            offset,
        )
    };
    if addr == MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    NonNull::new(addr.cast()).ok_or_else(|| io::Error::other("mmap returned NULL"))
}

/// `munmap(2)`.
///
/// # Safety
///
/// `[addr, addr + len)` must be a mapping that nothing accesses afterwards.
pub(crate) unsafe fn unmap(addr: NonNull<u8>, len: usize) -> io::Result<()> {
    // SAFETY: The caller guarantees that nothing uses the range any more.
    if unsafe { munmap(addr.as_ptr().cast(), len) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `mremap(2)` with `MREMAP_MAYMOVE`: the mapping's new address. On failure the mapping is
/// unchanged.
///
/// # Safety
///
/// `[addr, addr + old_len)` must be a mapping; if the call succeeds, nothing may access that
/// range afterwards (only the returned one).
pub(crate) unsafe fn remap(
    addr: NonNull<u8>,
    old_len: usize,
    new_len: usize,
) -> io::Result<NonNull<u8>> {
    // SAFETY: The caller gives up the old range on success; the kernel picks the new one (no
    // `MREMAP_FIXED`), so no other memory changes.
    let new = unsafe { mremap(addr.as_ptr().cast(), old_len, new_len, MREMAP_MAYMOVE) };
    if new == MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    NonNull::new(new.cast()).ok_or_else(|| io::Error::other("mremap returned NULL"))
}

/// `ioctl(2)` with a pointer argument.
///
/// # Safety
///
/// `request` on `fd` must read or write at most `size_of::<T>()` bytes at `arg`, which must be
/// valid for that access.
pub(crate) unsafe fn ioctl_ptr<T>(fd: BorrowedFd<'_>, request: u32, arg: *mut T) -> io::Result<()> {
    // SAFETY: The caller guarantees that the request accesses only `*arg`, which is valid.
    let ret = unsafe { ioctl(fd.as_raw_fd(), c_ulong::from(request), arg) };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use consts::{MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE};

    /// A fresh private anonymous read-write mapping of `len` bytes, for tests of mappings.
    pub(crate) fn map_anonymous(len: usize) -> NonNull<u8> {
        // SAFETY: A NULL hint without `MAP_FIXED`: no existing mapping is replaced.
        let addr = unsafe {
            mmap64(
                std::ptr::null_mut(),
                len,
                PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(addr, MAP_FAILED, "mmap: {}", io::Error::last_os_error());
        NonNull::new(addr.cast()).expect("mmap returned NULL")
    }

    #[test]
    fn constants_are_linux_generic_ones() {
        // The values every Linux architecture this crate builds for shares (x86, arm).
        assert_eq!(
            (consts::EINVAL, consts::ENODEV, consts::ENOTTY),
            (22, 19, 25)
        );
        assert_eq!((PROT_READ, PROT_WRITE, MAP_SHARED), (1, 2, 1));
        assert!(page_size().is_power_of_two());
    }
}
