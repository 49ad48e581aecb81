// SPDX-License-Identifier: GPL-2.0

//! A misc device registration that owns its device's data and name, with a parent device,
//! sysfs attributes, `llseek`, plain `read` and `write`, and `mmap_prepare`.
//!
//! Linux 7.3's [`MiscDeviceRegistration`] takes a `&'static CStr` name, no parent, no attribute
//! groups and file operations without `llseek`, `read` or `write` (only `read_iter` and
//! `write_iter`) and with the legacy `mmap` only, and hands `open` only the registration.
//! [`MiscWithData`] fills in the same `struct miscdevice` as [`MiscDeviceOptions::into_raw`]
//! does, adds those ([`MiscFops`]), and keeps an [`Arc`] of the device's data beside it, so that
//! the name can live in that data and `open` ([`MiscWithData::data_of`]) and the sysfs
//! attributes ([`MiscWithData::data_of_raw`]) can reach it.

use core::{
    ffi::{
        c_char,
        c_int,
        c_void,
        CStr, //
    },
    marker::PhantomData,
    ptr::NonNull,
    sync::atomic::{
        AtomicUsize,
        Ordering, //
    },
};
use kernel::{
    bindings,
    device::Device,
    error::to_result,
    miscdevice::{
        MiscDevice,
        MiscDeviceOptions,
        MiscDeviceRegistration, //
    },
    mm::virt::VmaRef,
    prelude::*,
    sync::Arc,
    types::{
        ForeignOwnable,
        Opaque, //
    },
    uaccess::UserPtr,
};

use crate::{
    phys::{
        current_vma,
        raw_device,
        MmapDesc,
        UserBuffer, //
    },
    sysfs::AttributeGroups, //
};

/// Data that names its misc device.
pub(crate) trait MiscName {
    /// The device name (`/dev/<name>`).
    fn misc_name(&self) -> &CStr;
}

/// A misc device whose files seek over a fixed size, `[0, end]`.
pub(crate) trait MiscSeek: MiscDevice {
    /// The end of the file (the position `SEEK_END` is relative to) of the open file whose
    /// private data is `data`; an error fails the `lseek()` with it.
    fn seek_end(data: <Self::Ptr as ForeignOwnable>::Borrowed<'_>) -> Result<i64>;
}

/// A misc device whose files have plain `read` and `write` besides `read_iter` and
/// `write_iter`. The VFS calls them for `read(2)`, `pread(2)` and their `write` twins, without
/// building a kiocb and an iterator per call; `readv(2)`, io_uring and AIO keep the iterators.
/// The kernel's own `kernel_read` and `kernel_write` refuse a file with both (`__kernel_read`
/// in `fs/read_write.c`), as they refuse `/dev/mem`, which has only `read`.
pub(crate) trait MiscReadWrite: MiscDevice {
    /// `read()` at `*pos` into `buf`, of the open file whose private data is `data`: the bytes
    /// read, with `*pos` moved past them.
    fn read(
        data: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        buf: &mut UserBuffer,
        pos: &mut i64,
    ) -> Result<usize>;

    /// `write()` at `*pos` from `buf`, as [`MiscReadWrite::read`] reads.
    fn write(
        data: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        buf: &mut UserBuffer,
        pos: &mut i64,
    ) -> Result<usize>;
}

/// A misc device whose files map through `f_op->mmap_prepare` and `vm_ops->mapped`
/// (`phys/user_mapping.rs` says why), instead of the legacy `f_op->mmap` of 7.3's
/// [`MiscDevice`] (which `T` must then not implement: the kernel warns when a file has both).
pub(crate) trait MiscMmap: MiscDevice + Sized + 'static {
    /// The operations every file of `Self`'s devices has: those checks tell `Self`'s files and
    /// mappings from others'.
    const FOPS: &'static MiscFops<Self>;

    /// `mmap`, before the VMA exists, of the open file whose private data is `data`: checks
    /// and describes the mapping, with the operations `vm_ops` (whose `mapped` calls
    /// [`MiscMmap::mapped`]); no page is mapped yet. An error fails the `mmap`.
    fn mmap_prepare(
        data: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        desc: &mut MmapDesc<'_>,
        vm_ops: &'static bindings::vm_operations_struct,
    ) -> Result;

    /// `mmap`, once the VMA `vma`, which maps page offset `pgoff` and which `mmap_prepare`
    /// described, is linked into the process and into its file's address space: maps its pages.
    /// An error unmaps the VMA and fails the `mmap`. The process's `mmap_lock` is held for
    /// writing.
    fn mapped(
        data: <Self::Ptr as ForeignOwnable>::Borrowed<'_>,
        vma: &VmaRef,
        pgoff: usize,
    ) -> Result;
}

/// The file operations of the misc devices of `T`: the kernel's vtable for `T`, plus `llseek`,
/// `read`, `write` and `mmap_prepare`, and the VMA operations of their mappings.
///
/// # Invariants
///
/// The operations are those [`MiscDeviceOptions::into_raw`] gives `T`'s devices, with
/// [`MiscFops::llseek`], [`MiscFops::read`], [`MiscFops::write`] and [`MiscFops::mmap_prepare`]
/// added: every other operation casts `private_data` as the kernel's own vtable does. `vm_ops`
/// are the operations of every VMA `mmap_prepare` describes.
pub(crate) struct MiscFops<T> {
    fops: bindings::file_operations,
    vm_ops: bindings::vm_operations_struct,
    _t: PhantomData<T>,
}

// SAFETY: The operations are never written after their constant initialisation: sharing them
// between threads shares immutable function pointers and the owner module's address.
unsafe impl<T> Sync for MiscFops<T> {}

/// The tag of the next mapping `mmap_prepare` describes (its `vm_private_data`), so that `mapped`
/// finds that very VMA: unique until it wraps after `usize::MAX` mappings.
static NEXT_MAPPING: AtomicUsize = AtomicUsize::new(1);

impl<T: MiscSeek + MiscReadWrite + MiscMmap> MiscFops<T> {
    /// `T`'s file operations with `llseek`, `read`, `write` and `mmap_prepare`.
    pub(crate) const fn new() -> Self {
        let raw = MiscDeviceOptions { name: c"" }.into_raw::<T>();
        // SAFETY: `into_raw` points `fops` at `T`'s vtable, a constant with static storage.
        let mut fops = unsafe { *raw.fops };
        fops.llseek = Some(Self::llseek);
        fops.read = Some(Self::read);
        fops.write = Some(Self::write);
        // The kernel refuses to map a file with both `mmap` and `mmap_prepare` (it warns).
        assert!(
            fops.mmap.is_none(),
            "implement MiscMmap instead of MiscDevice::mmap"
        );
        fops.mmap_prepare = Some(Self::mmap_prepare);
        // SAFETY: All-zero is a valid `vm_operations_struct`: every operation absent.
        let mut vm_ops: bindings::vm_operations_struct = unsafe { core::mem::zeroed() };
        vm_ops.mapped = Some(Self::mapped);
        // INVARIANT: `T`'s operations with `llseek`, `read`, `write` and `mmap_prepare` added.
        Self {
            fops,
            vm_ops,
            _t: PhantomData,
        }
    }

    /// Whether `file` is a file of a `T` device: its operations are these.
    fn owns(file: *const bindings::file) -> bool {
        // SAFETY: `file` is a live file (the callers' contract), whose `f_op` is set once open.
        core::ptr::eq(unsafe { (*file).f_op }, &T::FOPS.fops)
    }

    /// `mmap_prepare()`: [`MiscMmap::mmap_prepare`], and on success the VMA's operations are
    /// `vm_ops`, whose `mapped` comes next, and its private data a tag of its own.
    ///
    /// # Safety
    ///
    /// `desc` must be the descriptor of an `mmap` in progress, used by nothing else during the
    /// call, whose `file` is open and has these operations.
    unsafe extern "C" fn mmap_prepare(desc: *mut bindings::vm_area_desc) -> c_int {
        let Some(desc) = NonNull::new(desc) else {
            return EINVAL.to_errno();
        };
        // SAFETY: `desc` is valid (the caller's contract); `file` is the file whose
        // `f_op->mmap_prepare` this is.
        let file = unsafe { (*desc.as_ptr()).file };
        if !Self::owns(file) {
            return EINVAL.to_errno();
        }
        // SAFETY: As in `llseek`: `file` is an open `T` file (checked above).
        let data = unsafe { <T::Ptr as ForeignOwnable>::borrow((*file).private_data) };
        // SAFETY: The caller's contract.
        let mut mmap = unsafe { MmapDesc::from_raw(desc) };
        let tag = NEXT_MAPPING.fetch_add(1, Ordering::Relaxed);
        match T::mmap_prepare(data, &mut mmap, &T::FOPS.vm_ops) {
            Ok(()) => {
                mmap.set_private_data(tag);
                0
            }
            Err(e) => e.to_errno(),
        }
    }

    /// `vm_ops->mapped()`: [`MiscMmap::mapped`] for the VMA `mmap_prepare` described, found
    /// in the process by its range, file, operations and tag. The kernel calls `mapped` once it
    /// has linked the VMA, but a stacking driver's legacy `->mmap` (`compat_vma_mmap` in
    /// mm/util.c) calls it before: that VMA is not in the process yet, the lookup finds none
    /// (or an older VMA there, with another tag), and the `mmap` fails with `EINVAL`, mapping
    /// no page the revocation could miss.
    ///
    /// # Safety
    ///
    /// Called by the kernel as `vm_ops->mapped` for a VMA whose operations are these, of `file`,
    /// a live file, with the current process's `mmap_lock` held for writing; `vm_private_data`
    /// points at the VMA's private data.
    unsafe extern "C" fn mapped(
        start: usize,
        end: usize,
        pgoff: usize,
        file: *const bindings::file,
        vm_private_data: *mut *mut c_void,
    ) -> c_int {
        if !Self::owns(file) {
            return EINVAL.to_errno();
        }
        // SAFETY: `vm_private_data` is valid for the call (the caller's contract).
        let tag = unsafe { *vm_private_data }.addr();
        // SAFETY: The `mmap_lock` is held for writing during the call (the caller's contract).
        let Some(vma) = (unsafe { current_vma(start, end, file, &T::FOPS.vm_ops, tag) }) else {
            return EINVAL.to_errno();
        };
        // SAFETY: As in `llseek`: `file` is an open `T` file (checked above); the VMA holds a
        // reference to it.
        let data = unsafe { <T::Ptr as ForeignOwnable>::borrow((*file).private_data) };
        match T::mapped(data, vma, pgoff) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// `read()`: [`MiscReadWrite::read`] of `count` bytes at user address `buf`, at `*ppos`.
    ///
    /// # Safety
    ///
    /// As for [`MiscFops::transfer`].
    unsafe extern "C" fn read(
        file: *mut bindings::file,
        buf: *mut c_char,
        count: usize,
        ppos: *mut bindings::loff_t,
    ) -> isize {
        // SAFETY: The caller's contract.
        unsafe { Self::transfer(file, UserPtr::from_ptr(buf.cast()), count, ppos, T::read) }
    }

    /// `write()`: [`MiscReadWrite::write`] of `count` bytes at user address `buf`, at `*ppos`.
    ///
    /// # Safety
    ///
    /// As for [`MiscFops::transfer`].
    unsafe extern "C" fn write(
        file: *mut bindings::file,
        buf: *const c_char,
        count: usize,
        ppos: *mut bindings::loff_t,
    ) -> isize {
        let buf = UserPtr::from_ptr(buf.cast_mut().cast());
        // SAFETY: The caller's contract.
        unsafe { Self::transfer(file, buf, count, ppos, T::write) }
    }

    /// `read()` or `write()` (`op`) of `count` bytes at user address `buf`, at `*ppos`: the byte
    /// count, or a negative errno.
    ///
    /// # Safety
    ///
    /// `file` must be an open file of a `T` device (its operations are these), and `ppos` null or
    /// valid for reads and writes, during the call.
    unsafe fn transfer(
        file: *mut bindings::file,
        buf: UserPtr,
        count: usize,
        ppos: *mut bindings::loff_t,
        op: impl FnOnce(
            <T::Ptr as ForeignOwnable>::Borrowed<'_>,
            &mut UserBuffer,
            &mut i64,
        ) -> Result<usize>,
    ) -> isize {
        // SAFETY: As in `llseek`.
        let data = unsafe { <T::Ptr as ForeignOwnable>::borrow((*file).private_data) };
        // SAFETY: `ppos` is null or valid for the call (the caller's contract), and nothing
        // else uses it meanwhile: the callers of `vfs_read` and `vfs_write` pass a position of
        // their own (`read` a copy of the file's, `pread` its argument).
        let Some(pos) = (unsafe { ppos.as_mut() }) else {
            // A stream file (`stream_open`) has no position; these files are not streams.
            return EINVAL.to_errno() as isize;
        };
        let mut buf = UserBuffer::new(buf, count);
        // The VFS caps a count at `MAX_RW_COUNT`, below `isize::MAX`: no `EOVERFLOW` here.
        match op(data, &mut buf, pos).and_then(|n| isize::try_from(n).map_err(|_| EOVERFLOW)) {
            Ok(n) => n,
            // Lossless: an errno is a small negative `c_int`.
            Err(e) => e.to_errno() as isize,
        }
    }

    /// `lseek()`: `SEEK_SET`, `SEEK_CUR` and `SEEK_END` within `[0, T::seek_end()]`; another
    /// position or `whence` gives `EINVAL` (`fixed_size_llseek`).
    ///
    /// # Safety
    ///
    /// `file` must be an open file of a `T` device (its operations are these), during the call.
    unsafe extern "C" fn llseek(
        file: *mut bindings::file,
        offset: bindings::loff_t,
        whence: c_int,
    ) -> bindings::loff_t {
        // SAFETY: `file` is an open `T` file (the caller's contract), so its `private_data` is
        // the `T::Ptr` that `T::open` returned, in foreign form (the kernel's `fops_open`
        // stores it); only `release`, which cannot run during this call, takes it back.
        let data = unsafe { <T::Ptr as ForeignOwnable>::borrow((*file).private_data) };
        match T::seek_end(data) {
            // SAFETY: `file` is a live file; `fixed_size_llseek` updates its position under
            // the locking the VFS gives `llseek`.
            Ok(end) => unsafe { bindings::fixed_size_llseek(file, offset, whence, end) },
            Err(e) => e.to_errno().into(),
        }
    }
}

/// A registered misc device together with its data.
///
/// # Invariants
///
/// - `data` is initialised before `misc` is registered and is never replaced: `open` and the
///   sysfs attributes may run on another CPU the moment `misc_register()` returns, and they read
///   `data` through [`MiscWithData::data_of`] and [`MiscWithData::data_of_raw`].
/// - `misc` is registered with the name `data.misc_name()` and `T`'s file operations
///   ([`MiscFops`]) and is deregistered in [`PinnedDrop`], which runs before `data` is dropped.
///   `misc_deregister()` returns only when every `open` that found the device has returned (the
///   misc core calls `open` under the lock it takes) and every sysfs attribute call has returned
///   (removing the device drains them). The misc core never sees a dangling name, and neither
///   `open` nor an attribute reads a dropped `data`.
#[pin_data(PinnedDrop)]
pub(crate) struct MiscWithData<T: MiscDevice, D: MiscName> {
    #[pin]
    misc: Opaque<bindings::miscdevice>,
    data: Arc<D>,
    _t: PhantomData<T>,
}

// SAFETY: `misc_deregister()` may be called on any thread, and `data` is an `Arc` of `Send +
// Sync` data.
unsafe impl<T: MiscDevice, D: MiscName + Send + Sync> Send for MiscWithData<T, D> {}
// SAFETY: `&self` gives access to `data` only, which is `Sync`; the misc core serialises its own
// use of `misc`.
unsafe impl<T: MiscDevice, D: MiscName + Send + Sync> Sync for MiscWithData<T, D> {}

impl<T: MiscDevice, D: MiscName + Send + Sync> MiscWithData<T, D> {
    /// Registers `/dev/<data.misc_name()>` as a child of `parent`, with `T`'s operations
    /// ([`MiscMmap::FOPS`]) and the sysfs attributes `groups`.
    pub(crate) fn register(
        data: Arc<D>,
        parent: &Device,
        groups: &'static AttributeGroups<Self>,
    ) -> impl PinInit<Self, Error>
    where
        T: MiscSeek + MiscReadWrite + MiscMmap,
    {
        let name = data.misc_name().as_char_ptr();
        let parent = raw_device(parent);
        // INVARIANT: `pin_init!` initialises fields in the order written: `data` is in place
        // before `misc` is registered (publishing the device to `open` and sysfs), with `data`'s
        // name and `T`'s operations. If registering fails, `data` is dropped again and nothing
        // was published. `misc` must stay the last field that can fail: `Opaque` has no drop, so
        // a later failure would leave the device registered.
        try_pin_init!(Self {
            data,
            misc <- Opaque::try_ffi_init(move |slot: *mut bindings::miscdevice| {
                let mut raw = MiscDeviceOptions { name: c"" }.into_raw::<T>();
                // The name lives in `*data`, which `Self` keeps (an `Arc` never replaced) until
                // after `misc` is deregistered (type invariant).
                raw.name = name;
                raw.fops = &T::FOPS.fops;
                // The driver core holds a reference to the parent while the child exists.
                raw.parent = parent;
                raw.groups = groups.as_raw();
                // SAFETY: `slot` is valid for writes (the initialiser's contract).
                unsafe { slot.write(raw) };
                // SAFETY: `slot` holds a complete `struct miscdevice`, pinned until `PinnedDrop`
                // deregisters it; its name, operations and groups outlive the registration.
                to_result(unsafe { bindings::misc_register(slot) })
            }),
            _t: PhantomData,
        })
    }

    /// The device's data.
    pub(crate) fn data(&self) -> &Arc<D> {
        &self.data
    }

    /// The data of the device `reg` belongs to.
    ///
    /// # Safety
    ///
    /// `reg` must be registered by a [`MiscWithData<T, D>`]: every registration of `T` must be
    /// made through [`MiscWithData::register`].
    pub(crate) unsafe fn data_of(reg: &MiscDeviceRegistration<T>) -> &Arc<D> {
        // SAFETY: The caller's contract, and `reg` is borrowed for the returned lifetime.
        unsafe { Self::data_of_raw(reg.as_raw()) }
    }

    /// The data of the registered misc device `misc`.
    ///
    /// # Safety
    ///
    /// `misc` must be the `struct miscdevice` of a [`MiscWithData<T, D>`] that stays registered
    /// for the returned lifetime (as during `open` or a sysfs attribute call).
    pub(crate) unsafe fn data_of_raw<'a>(misc: *mut bindings::miscdevice) -> &'a Arc<D> {
        // `Opaque<T>` has the layout of `T`, so the `struct miscdevice` is the `misc` field.
        let misc = misc.cast::<Opaque<bindings::miscdevice>>();
        // SAFETY: By the safety requirement, `misc` is the `misc` field of a `MiscWithData`.
        let this = unsafe { kernel::container_of!(misc, Self, misc) };
        // SAFETY: The container is alive while `misc` is registered (the caller's contract),
        // and `data` was initialised before `misc` was registered (type invariant).
        unsafe { &(*this).data }
    }
}

#[pinned_drop]
impl<T: MiscDevice, D: MiscName> PinnedDrop for MiscWithData<T, D> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `misc` was registered (an initialised `Self` exists only once `misc_register()`
        // succeeded) and is deregistered only here.
        unsafe { bindings::misc_deregister(self.misc.get()) };
    }
}
