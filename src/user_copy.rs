// SPDX-License-Identifier: GPL-2.0

//! The user side of `read` and `write`: where their bytes go or come from, and the two ways of
//! copying them, with page faults disabled (inside the kernel mapping's guard) or allowed
//! (outside it).
//!
//! Two kinds of user memory take a carveout's bytes: an `iov_iter` ([`IovIterDest`],
//! [`IovIterSource`]), which `read_iter` and `write_iter` get (`readv`, `writev`, io_uring,
//! AIO), and one user buffer ([`UserBuffer`]), which plain `read` and `write` get (`read`,
//! `pread`, and so `dd`): the VFS prefers those where a file has them, and they skip building a
//! kiocb and an iterator per call.

use core::ffi::c_void;
use kernel::{
    bindings,
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    uaccess::UserPtr,
};

extern "C" {
    fn carveout_copy_to_iter_nofault(
        from: *const c_void,
        bytes: usize,
        to: *mut bindings::iov_iter,
    ) -> usize;
    fn carveout_copy_from_iter_nofault(
        to: *mut c_void,
        bytes: usize,
        from: *mut bindings::iov_iter,
    ) -> usize;
    // These two return the bytes not copied, as `copy_to_user` does (the kernel's own
    // `copy_to_user_nofault` returns only `-EFAULT`, without a count).
    fn carveout_copy_to_user_nofault(to: *mut c_void, from: *const c_void, n: usize) -> usize;
    fn carveout_copy_from_user_nofault(to: *mut c_void, from: *const c_void, n: usize) -> usize;
}

/// User memory a `read` fills, front to back.
///
/// # Safety
///
/// The kernel mapping's copies rely on what an implementation returns:
/// - [`UserDest::copy_nofault`] reads at most `len` bytes from `from`, never sleeps, and
///   returns at most `len`;
/// - [`UserDest::copy`] returns at most `from.len()`;
/// - [`UserDest::len`] goes down by exactly what each copy returns.
pub(crate) unsafe trait UserDest {
    /// Bytes still to fill.
    fn len(&self) -> usize;

    /// Copies up to `len` bytes from `from` without taking a page fault, and moves past them.
    /// Stops short where a page is not present or not writable. Returns the bytes copied.
    ///
    /// # Safety
    ///
    /// `from` must be valid for reads of `len` bytes.
    unsafe fn copy_nofault(&mut self, from: *const c_void, len: usize) -> usize;

    /// Copies `from` with page faults allowed (so it may sleep), and moves past the bytes
    /// copied. Stops short where the memory is bad. Returns the bytes copied.
    fn copy(&mut self, from: &[u8]) -> usize;
}

/// User memory a `write` takes, front to back.
///
/// # Safety
///
/// The kernel mapping's copies rely on what an implementation returns:
/// - [`UserSource::copy_nofault`] writes only the first bytes of `to` that it returns, never
///   sleeps, and returns at most `len`;
/// - [`UserSource::copy`] returns at most `to.len()`;
/// - [`UserSource::len`] goes down by exactly what each copy returns, and up by what
///   [`UserSource::revert`] gives back.
pub(crate) unsafe trait UserSource {
    /// Bytes still to take.
    fn len(&self) -> usize;

    /// Copies up to `len` bytes into `to` without taking a page fault, and moves past them.
    /// Stops short where a page is not present; writes only the bytes it copies. Returns the
    /// bytes copied.
    ///
    /// # Safety
    ///
    /// `to` must be valid for writes of `len` bytes.
    unsafe fn copy_nofault(&mut self, to: *mut c_void, len: usize) -> usize;

    /// Copies into `to` with page faults allowed (so it may sleep), and moves past the bytes
    /// copied. Stops short where the memory is bad. Returns the bytes copied.
    fn copy(&mut self, to: &mut [u8]) -> usize;

    /// Moves back by `bytes`, to take them again.
    ///
    /// # Safety
    ///
    /// The last copies must have moved past at least `bytes`.
    unsafe fn revert(&mut self, bytes: usize);
}

// SAFETY: `_copy_to_iter` reads at most `len` bytes, returns at most that, and advances the
// iterator by what it returns; with page faults disabled it does not sleep. `copy_to_iter`
// returns at most `from.len()` and advances by it.
unsafe impl UserDest for IovIterDest<'_> {
    fn len(&self) -> usize {
        IovIterDest::len(self)
    }

    unsafe fn copy_nofault(&mut self, from: *const c_void, len: usize) -> usize {
        // SAFETY: `from` is valid for `len` bytes of reads (the caller's contract); `as_raw` is a
        // valid iterator for the duration of the call.
        unsafe { carveout_copy_to_iter_nofault(from, len, self.as_raw()) }
    }

    fn copy(&mut self, from: &[u8]) -> usize {
        self.copy_to_iter(from)
    }
}

// SAFETY: `_copy_from_iter` writes into `to` only the bytes it copies (raw user copies, which
// zero nothing), returns at most `len`, and advances by what it returns; with page faults
// disabled it does not sleep. `copy_from_iter` returns at most `to.len()`; `revert` moves back.
unsafe impl UserSource for IovIterSource<'_> {
    fn len(&self) -> usize {
        IovIterSource::len(self)
    }

    unsafe fn copy_nofault(&mut self, to: *mut c_void, len: usize) -> usize {
        // SAFETY: `to` is valid for `len` bytes of writes (the caller's contract); `as_raw` is a
        // valid iterator for the duration of the call.
        unsafe { carveout_copy_from_iter_nofault(to, len, self.as_raw()) }
    }

    fn copy(&mut self, to: &mut [u8]) -> usize {
        self.copy_from_iter(to)
    }

    unsafe fn revert(&mut self, bytes: usize) {
        // SAFETY: The iterator was advanced by at least `bytes` (the caller's contract).
        unsafe { IovIterSource::revert(self, bytes) }
    }
}

/// The user buffer of one `read` or `write` call: `len` bytes at user address `ptr`, not yet
/// copied.
///
/// Nothing about the addresses is trusted: every copy checks them (`access_ok`) and handles
/// faults, and ends short where they are bad. (The `kernel` crate's `UserSlice` copies all or
/// nothing, with no count: a short `read` or `write` needs the count.)
pub(crate) struct UserBuffer {
    ptr: UserPtr,
    len: usize,
}

impl UserBuffer {
    /// The `len` bytes at user address `ptr`.
    pub(crate) fn new(ptr: UserPtr, len: usize) -> Self {
        Self { ptr, len }
    }

    /// Moves past `copied` of the `asked` bytes a copy was given, `left` of them not copied.
    fn advance(&mut self, asked: usize, left: usize) -> usize {
        // A user copy leaves at most what it was asked; saturate rather than trust it.
        let copied = asked.saturating_sub(left);
        self.ptr = self.ptr.wrapping_byte_add(copied);
        self.len -= copied;
        copied
    }
}

// SAFETY: Each copy is given at most `min(len, self.len)` bytes, and `advance` takes off what it
// copied (at most what it was given); the no-fault copy disables page faults.
unsafe impl UserDest for UserBuffer {
    fn len(&self) -> usize {
        self.len
    }

    unsafe fn copy_nofault(&mut self, from: *const c_void, len: usize) -> usize {
        let len = len.min(self.len);
        // SAFETY: `from` is valid for `len` bytes of reads (the caller's contract); the user
        // side is checked by the copy, which takes no fault.
        let left = unsafe { carveout_copy_to_user_nofault(self.ptr.as_mut_ptr(), from, len) };
        self.advance(len, left)
    }

    fn copy(&mut self, from: &[u8]) -> usize {
        let len = from.len().min(self.len);
        // SAFETY: `from` is valid for `len <= from.len()` bytes of reads; the user side is
        // checked by the copy.
        let left =
            unsafe { bindings::copy_to_user(self.ptr.as_mut_ptr(), from.as_ptr().cast(), len) };
        self.advance(len, left)
    }
}

// SAFETY: As for `UserDest`; the no-fault copy writes only the bytes it copies
// (`__copy_from_user_inatomic` zeroes nothing), and `revert` adds back what it moves back over.
unsafe impl UserSource for UserBuffer {
    fn len(&self) -> usize {
        self.len
    }

    unsafe fn copy_nofault(&mut self, to: *mut c_void, len: usize) -> usize {
        let len = len.min(self.len);
        // SAFETY: `to` is valid for `len` bytes of writes (the caller's contract); the user side
        // is checked by the copy, which takes no fault and writes only what it copies.
        let left = unsafe { carveout_copy_from_user_nofault(to, self.ptr.as_const_ptr(), len) };
        self.advance(len, left)
    }

    fn copy(&mut self, to: &mut [u8]) -> usize {
        let len = to.len().min(self.len);
        // SAFETY: `to` is valid for `len <= to.len()` bytes of writes; the user side is checked
        // by the copy. (It zeroes what it could not copy: `to` is the caller's own buffer.)
        let left = unsafe {
            bindings::copy_from_user(to.as_mut_ptr().cast(), self.ptr.as_const_ptr(), len)
        };
        self.advance(len, left)
    }

    unsafe fn revert(&mut self, bytes: usize) {
        self.ptr = UserPtr::from_addr(self.ptr.as_const_ptr().addr().wrapping_sub(bytes));
        self.len += bytes;
    }
}
