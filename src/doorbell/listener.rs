// SPDX-License-Identifier: GPL-2.0

//! The listeners of a doorbell: files of their own (`anon_inode_getfile`, in `listener.c`),
//! each with the count it last read, used as a UIO device file is (`docs/abi.md`, "The
//! doorbell"). A listener holds its doorbell; the file's `owner` holds the module.

use core::ptr::NonNull;
use kernel::{
    bindings,
    error::from_err_ptr,
    ffi::{
        c_char,
        c_void, //
    },
    fs::file::{
        flags::O_CLOEXEC,
        File,
        FileDescriptorReservation, //
    },
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            Atomic,
            Relaxed, //
        },
        poll::PollTable,
        Arc, //
    },
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

use super::{
    bell::{
        Doorbell,
        Readiness, //
    },
    line::Trigger,
};
use crate::new_file::NewFile;

// `struct file` holds types that bindgen leaves opaque (empty), which `improper_ctypes` flags even
// behind a pointer. `allow`: whether it fires depends on the configuration.
#[allow(improper_ctypes)]
extern "C" {
    fn carveout_listener_file(private: *mut c_void, writable: bool) -> *mut bindings::file;
}

/// Opens a listener of `doorbell` (see [`NewListener`]), which may mask and unmask the line if
/// `writable`.
pub(crate) fn listen(doorbell: &Arc<Doorbell>, writable: bool) -> Result<NewListener> {
    Listener::open(doorbell, writable)
}

/// One listener: its doorbell and the count it last read.
struct Listener {
    doorbell: Arc<Doorbell>,
    seen: Atomic<u32>,
}

impl Listener {
    /// Opens a listener of `doorbell` as a file, writable (it may mask and unmask) if
    /// `writable`, with a descriptor reserved for it: installed by [`NewListener::install`], or
    /// dropped with the file.
    fn open(doorbell: &Arc<Doorbell>, writable: bool) -> Result<NewListener> {
        let reservation = FileDescriptorReservation::get_unused_fd_flags(O_CLOEXEC)?;
        // A new listener waits for the next ring, as a new UIO listener does.
        let count = doorbell.count()?;
        let listener = Self {
            seen: Atomic::new(count),
            doorbell: doorbell.clone(),
        };
        // Charged to the process's memory cgroup: a process makes as many as it has descriptors.
        let private = KBox::into_raw(KBox::new(listener, GFP_KERNEL_ACCOUNT)?);
        // SAFETY: `private` is a valid `Listener`, whose ownership passes to the file if it is
        // made; its callbacks below treat it as such.
        let file = unsafe { carveout_listener_file(private.cast(), writable) };
        let file = match from_err_ptr(file) {
            Ok(file) => file,
            Err(e) => {
                // SAFETY: No file was made: `private` is still ours, from `KBox::into_raw`.
                drop(unsafe { KBox::from_raw(private) });
                return Err(e);
            }
        };
        // SAFETY: `file` is a valid file, live for as long as the reference below holds it.
        // Nothing uses its position (no `llseek`; `read` and `write` ignore it), so sharing it
        // between threads, as `File` does, needs no `fdget_pos` lock.
        let file = unsafe { File::from_raw_file(file) };
        // SAFETY: `file` holds the one reference `anon_inode_getfile` created, which passes to
        // the `ARef`: dropping it is `fput`, which releases the listener.
        let file = unsafe { ARef::from_raw(NonNull::from(file)) };
        Ok(NewListener {
            file: NewFile::new(reservation, file),
            trigger: doorbell.trigger(),
            count,
        })
    }
}

/// A listener just opened, with the descriptor reserved for it, and what the ioctl answers.
pub(crate) struct NewListener {
    file: NewFile,
    trigger: Trigger,
    count: u32,
}

impl NewListener {
    /// The line's trigger type.
    pub(crate) fn trigger(&self) -> Trigger {
        self.trigger
    }

    /// The count when it opened: its first read returns a later one.
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// The listener's file, to install once user space has its number.
    pub(crate) fn into_file(self) -> NewFile {
        self.file
    }
}

/// The listener of a file, from its private data.
///
/// # Safety
///
/// `private` must be the private data of a listener file that [`Listener::open`] made, not yet
/// released.
unsafe fn listener<'a>(private: *const c_void) -> &'a Listener {
    // SAFETY: The caller's contract: `private` came from `KBox::into_raw` in `open` and is
    // freed only by `carveout_listener_release`, which has not run.
    unsafe { &*private.cast::<Listener>() }
}

/// `read()`: 4 bytes, the count, once it differs from the one this listener last read (UIO's
/// `read`). `EINVAL` for another length.
///
/// # Safety
///
/// `private` as for [`listener`], during the call; `buf` a user pointer.
#[no_mangle]
unsafe extern "C" fn carveout_listener_read(
    private: *const c_void,
    nonblock: bool,
    buf: *mut c_char,
    count: usize,
) -> isize {
    // SAFETY: The caller's contract.
    let listener = unsafe { listener(private) };
    let result = (|| -> Result<isize> {
        if count != size_of::<u32>() {
            return Err(EINVAL);
        }
        // Two reads of one listener at once may both return the same count: each got news.
        let now = listener
            .doorbell
            .wait(listener.seen.load(Relaxed), nonblock)?;
        UserSlice::new(UserPtr::from_ptr(buf.cast()), count)
            .writer()
            .write(&now)?;
        listener.seen.store(now, Relaxed);
        Ok(size_of::<u32>() as isize)
    })();
    result.unwrap_or_else(|e| e.to_errno() as isize)
}

/// `write()`: a `u32`, 1 to unmask the line, 0 to mask it (UIO's `irqcontrol`). The VFS has
/// checked that the file is open for writing.
///
/// # Safety
///
/// As for [`carveout_listener_read`].
#[no_mangle]
unsafe extern "C" fn carveout_listener_write(
    private: *const c_void,
    buf: *const c_char,
    len: usize,
) -> isize {
    // SAFETY: The caller's contract.
    let listener = unsafe { listener(private) };
    let result = (|| -> Result<isize> {
        if len != size_of::<u32>() {
            return Err(EINVAL);
        }
        let value = UserSlice::new(UserPtr::from_ptr(buf.cast_mut().cast()), len)
            .reader()
            .read::<u32>()?;
        let masked = match value {
            0 => true,
            1 => false,
            _ => return Err(EINVAL),
        };
        listener.doorbell.set_masked(masked)?;
        Ok(size_of::<u32>() as isize)
    })();
    result.unwrap_or_else(|e| e.to_errno() as isize)
}

/// `poll()`: readable once the doorbell rang since this listener last read; `POLLERR |
/// POLLHUP` once the device is unbound.
///
/// # Safety
///
/// As for [`listener`]; `file` is the listener's file and `table` null or a valid poll table,
/// during the call.
#[no_mangle]
unsafe extern "C" fn carveout_listener_poll(
    private: *const c_void,
    file: *mut bindings::file,
    table: *mut bindings::poll_table,
) -> bindings::__poll_t {
    // SAFETY: The caller's contract.
    let listener = unsafe { listener(private) };
    // SAFETY: `table` is null or valid during the call (the caller's contract).
    let table = unsafe { PollTable::from_raw(table) };
    // SAFETY: `file` is live during the call (the caller's contract). Nothing uses its position
    // (see `Listener::open`), so sharing it between threads needs no `fdget_pos` lock.
    let file = unsafe { File::from_raw_file(file) };
    // The wait queue lives in the doorbell, which this file holds until its release: epoll's
    // entry on it goes before then (`eventpoll_release` runs first in `__fput`).
    table.register_wait(file, listener.doorbell.waiters());
    match listener.doorbell.readiness(listener.seen.load(Relaxed)) {
        Readiness::Rang => bindings::POLLIN | bindings::POLLRDNORM,
        Readiness::Quiet => 0,
        Readiness::Gone => bindings::POLLERR | bindings::POLLHUP,
    }
}

/// `release()`: the listener goes, and its hold on the doorbell.
///
/// # Safety
///
/// `private` as for [`listener`]; called once, when the file's last reference is gone.
#[no_mangle]
unsafe extern "C" fn carveout_listener_release(private: *mut c_void) {
    // SAFETY: The caller's contract: `private` came from `KBox::into_raw` in `open`, and no other
    // callback runs now or later.
    drop(unsafe { KBox::from_raw(private.cast::<Listener>()) });
}
