// SPDX-License-Identifier: GPL-2.0

//! The files of a misc device that owns its data: the operations a driver writes
//! ([`MiscFile`]), each given that data, and the C `struct file_operations` that calls them
//! ([`FileOps`]), with `llseek`, plain `read` and `write`, and `mmap` through `mmap_prepare` and
//! `vm_ops->mapped`, with `vm_ops->fault` and `->huge_fault` behind it (and, where the kernel maps
//! PFN ranges with block entries, `get_unmapped_area`).

use core::{
    ffi::CStr,
    marker::PhantomData,
    ptr::NonNull,
    sync::atomic::{
        AtomicUsize,
        Ordering, //
    },
};
use kernel::{
    bindings,
    ffi::{
        c_char,
        c_int,
        c_long,
        c_uint,
        c_ulong,
        c_void, //
    },
    fs::Kiocb,
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    module::this_module,
    prelude::*,
    sync::{
        Arc,
        ArcBorrow, //
    },
    types::ForeignOwnable,
    uaccess::UserPtr,
};

use super::{
    with_data::MiscWithData,
    MappingSpace, //
};
use crate::{
    phys::{
        DescribedVma,
        MmapDesc,
        UserFault,
        VmFault, //
    },
    user_copy::UserBuffer,
};

/// What the files of a misc device do. Each open file holds an [`Arc`] of the device's data
/// (`Self::Data`), taken at open and dropped at release; every call on the file is given it.
///
/// The device is registered with [`Registration<Self>`](super::Registration), and its files have
/// the operations [`MiscFile::OPS`].
#[vtable]
pub(crate) trait MiscFile: Sized + 'static {
    /// The data of a device, which its registration and every open file of it hold.
    type Data: Send + Sync;

    /// The operations of every file of `Self`'s devices: a `static` made by [`FileOps::new`],
    /// whose address tells `Self`'s files and mappings from others' (a `const` would have no
    /// one address: such files and mappings would fail with `EINVAL`).
    const OPS: &'static FileOps<Self>;

    /// The device name (`/dev/<name>`), which lives as long as `data`.
    fn name(data: &Self::Data) -> &CStr;

    /// The address space every open file of the device maps through (see [`MappingSpace`]).
    fn mapping_space(data: &Self::Data) -> &MappingSpace;

    /// `read_iter()` at `*pos` into `iov`: the bytes read, with `*pos` moved past them.
    fn read_iter(data: &Self::Data, pos: &mut i64, iov: &mut IovIterDest<'_>) -> Result<usize>;

    /// `write_iter()` at `*pos` from `iov`, as [`MiscFile::read_iter`] reads.
    fn write_iter(data: &Self::Data, pos: &mut i64, iov: &mut IovIterSource<'_>) -> Result<usize>;

    /// `read()` at `*pos` into `buf`. The VFS calls plain `read` and `write` for `read(2)`,
    /// `pread(2)` and their `write` twins, without building a kiocb and an iterator per call;
    /// `readv(2)`, io_uring and AIO keep the iterators. The kernel's own `kernel_read` and
    /// `kernel_write` refuse a file with both (`__kernel_read` in `fs/read_write.c`), as they
    /// refuse `/dev/mem`, which has only `read`.
    fn read(data: &Self::Data, buf: &mut UserBuffer, pos: &mut i64) -> Result<usize>;

    /// `write()` at `*pos` from `buf`, as [`MiscFile::read`] reads.
    fn write(data: &Self::Data, buf: &mut UserBuffer, pos: &mut i64) -> Result<usize>;

    /// `ioctl()` (and its 32-bit compat form, the argument being a pointer in both), on a file
    /// open for writing (`O_WRONLY` or `O_RDWR`) or not.
    fn ioctl(data: &Self::Data, cmd: u32, arg: usize, writable: bool) -> Result<isize>;

    /// The end of the file (the position `SEEK_END` is relative to): files seek over a fixed
    /// size, `[0, end]`. An error fails the `lseek()` with it.
    fn seek_end(data: &Self::Data) -> Result<i64>;

    /// `mmap`, before the VMA exists: checks and describes the mapping ([`MmapDesc::describe`]);
    /// no page is mapped yet. An error fails the `mmap`.
    fn mmap_prepare(data: &Self::Data, desc: &mut MmapDesc<'_>) -> Result;

    /// `mmap`, once the VMA that [`MiscFile::mmap_prepare`] described is linked into the
    /// process and into its file's address space: maps its pages. An error unmaps the VMA and
    /// fails the `mmap`. The process's `mmap_lock` is held for writing.
    fn mapped(data: &Self::Data, vma: DescribedVma<'_>) -> Result;

    /// A fault on a mapping that [`MiscFile::mapped`] mapped, or that the kernel derived from
    /// one (split, `mremap`, fork), at `order`: 0 for a page (`vm_ops->fault`), or a block's
    /// (`vm_ops->huge_fault`). The mapping's VMA is locked for reading.
    ///
    /// # Safety
    ///
    /// `fault` must be on a VMA that [`MiscFile::mmap_prepare`] described with `data`.
    unsafe fn fault(data: &Self::Data, fault: UserFault<'_>, order: u32) -> VmFault;

    /// The page offset whose alignment modulo a block a mapping at page offset `pgoff` should
    /// share (`get_unmapped_area`), or `None` for the kernel's usual choice of address.
    #[cfg(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)]
    fn block_pgoff(data: &Self::Data, pgoff: usize) -> Option<usize>;
}

/// The C operations of the files and mappings of `T`'s devices.
///
/// # Invariants
///
/// - Every operation takes `file->private_data` as an `Arc<T::Data>` in foreign form: `open`
///   stores it, `release` takes it back.
/// - `fops` leaves this module only through [`FileOps::fops`], which only
///   [`Registration::<T>::register`](super::Registration::register) calls, so every file with
///   these operations was opened through a `struct miscdevice` inside a `MiscWithData<T::Data>`.
/// - `vm_ops` are the operations of every VMA `mmap_prepare` describes (and of those the kernel
///   derives from them: split, fork, `mremap`), and of no other.
pub(crate) struct FileOps<T: MiscFile> {
    fops: bindings::file_operations,
    vm_ops: bindings::vm_operations_struct,
    _t: PhantomData<T>,
}

// SAFETY: The operations are never written after their constant initialisation: sharing them
// between threads shares immutable function pointers and the owner module's address.
unsafe impl<T: MiscFile> Sync for FileOps<T> {}

/// The tag of the next mapping `mmap_prepare` describes (its `vm_private_data`), so that `mapped`
/// finds that very VMA: unique until it wraps after `usize::MAX` mappings.
static NEXT_MAPPING: AtomicUsize = AtomicUsize::new(1);

impl<T: MiscFile> FileOps<T> {
    /// `T`'s operations, for [`MiscFile::OPS`].
    pub(crate) const fn new() -> Self {
        // INVARIANT: Each operation below casts `private_data` as `open` stores it; the fields
        // are private to this file.
        Self {
            fops: bindings::file_operations {
                owner: this_module::<T::OwnerModule>().as_ptr(),
                open: Some(Self::open),
                release: Some(Self::release),
                llseek: Some(Self::llseek),
                read: Some(Self::read),
                write: Some(Self::write),
                read_iter: Some(Self::read_iter),
                write_iter: Some(Self::write_iter),
                unlocked_ioctl: Some(Self::ioctl),
                // The ioctls take a pointer: the kernel converts a 32-bit one, as for a misc
                // device without a compat_ioctl of its own.
                #[cfg(CONFIG_COMPAT)]
                compat_ioctl: bindings::compat_ptr_ioctl,
                mmap_prepare: Some(Self::mmap_prepare),
                #[cfg(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)]
                get_unmapped_area: Some(Self::get_unmapped_area),
                ..pin_init::zeroed()
            },
            vm_ops: bindings::vm_operations_struct {
                mapped: Some(Self::mapped),
                #[cfg(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)]
                open: Some(Self::open_vma),
                fault: Some(Self::fault),
                #[cfg(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)]
                huge_fault: Some(Self::huge_fault),
                ..pin_init::zeroed()
            },
            _t: PhantomData,
        }
    }

    /// The file operations, for the registration of a `T` device.
    pub(super) fn fops(&'static self) -> *const bindings::file_operations {
        &self.fops
    }

    /// Whether `file` is a file of a `T` device: its operations are these (which is why
    /// [`MiscFile::OPS`] must be a `static`: a `const` has no one address).
    ///
    /// # Safety
    ///
    /// `file` must be a live file, during the call.
    unsafe fn owns(file: *const bindings::file) -> bool {
        // SAFETY: `file` is live (the caller's contract); its `f_op` is set once it is open.
        core::ptr::eq(unsafe { (*file).f_op }, &T::OPS.fops)
    }

    /// The data of `file`, an open file of a `T` device.
    ///
    /// # Safety
    ///
    /// `file` must be an open file with these operations, not being released, for `'a`.
    unsafe fn data<'a>(file: *const bindings::file) -> ArcBorrow<'a, T::Data> {
        // SAFETY: `file` is open with these operations (the caller's contract), so its
        // `private_data` is the `Arc` that `open` stored (type invariant), which only `release`,
        // not running for `'a`, takes back.
        unsafe { <Arc<T::Data> as ForeignOwnable>::borrow((*file).private_data) }
    }

    /// `open()`: the file holds an `Arc` of its device's data from now on, and maps through the
    /// device's [`MappingSpace`].
    ///
    /// # Safety
    ///
    /// Called by the misc core as `f_op->open` of a file of a device with these operations, which
    /// `misc_open()` set up: `file` is being opened, its `private_data` is the device's `struct
    /// miscdevice`, which stays registered during the call.
    unsafe extern "C" fn open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: `inode` and `file` are valid, `file` being opened (the caller's contract).
        let ret = unsafe { bindings::generic_file_open(inode, file) };
        if ret != 0 {
            return ret;
        }
        // SAFETY: `misc_open()` set `private_data` to the `struct miscdevice` whose operations
        // these are, and keeps it registered during the call (the caller's contract); only
        // `Registration::<T>::register` registers a device with them (type invariant), inside
        // a `MiscWithData<T::Data>`.
        let data = unsafe { MiscWithData::<T::Data>::data_of((*file).private_data.cast()) };
        let data = data.clone();
        // SAFETY: `file` is being opened, so no other thread uses it yet, and its private data,
        // from the next line until `release`, is `data`, which owns the mapping space: the space
        // outlives the file.
        unsafe { T::mapping_space(&data).attach(file) };
        // SAFETY: `open` may set the private data; every other operation casts it back (type
        // invariant).
        unsafe { (*file).private_data = data.into_foreign() };
        0
    }

    /// `release()`: drops the file's `Arc` of its device's data.
    ///
    /// # Safety
    ///
    /// Called by the VFS as `f_op->release` of a file that `open` opened, once, when its last
    /// reference is gone.
    unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: `release` owns the private data, which `open` stored (type invariant); no
        // other operation of the file runs now or later.
        drop(unsafe { <Arc<T::Data> as ForeignOwnable>::from_foreign((*file).private_data) });
        0
    }

    /// `read_iter()`: [`MiscFile::read_iter`].
    ///
    /// # Safety
    ///
    /// Called by the VFS as `f_op->read_iter`, with a valid `kiocb` of an open file with these
    /// operations and an `iov_iter` to write to.
    unsafe extern "C" fn read_iter(
        kiocb: *mut bindings::kiocb,
        iter: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: A valid kiocb of a file whose private data is an `Arc<T::Data>` (the caller's
        // contract, type invariant).
        let mut kiocb = unsafe { Kiocb::<Arc<T::Data>>::from_raw(kiocb) };
        // SAFETY: A valid `iov_iter` to write to, for the call (the caller's contract).
        let iov = unsafe { IovIterDest::from_raw(iter) };
        let data = kiocb.file();
        Self::count(T::read_iter(&data, kiocb.ki_pos_mut(), iov))
    }

    /// `write_iter()`: [`MiscFile::write_iter`].
    ///
    /// # Safety
    ///
    /// As for `read_iter`, with an `iov_iter` to read from.
    unsafe extern "C" fn write_iter(
        kiocb: *mut bindings::kiocb,
        iter: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: As in `read_iter`.
        let mut kiocb = unsafe { Kiocb::<Arc<T::Data>>::from_raw(kiocb) };
        // SAFETY: A valid `iov_iter` to read from, for the call (the caller's contract).
        let iov = unsafe { IovIterSource::from_raw(iter) };
        let data = kiocb.file();
        Self::count(T::write_iter(&data, kiocb.ki_pos_mut(), iov))
    }

    /// `read()`: [`MiscFile::read`] of `count` bytes at user address `buf`, at `*ppos`.
    ///
    /// # Safety
    ///
    /// As for [`FileOps::transfer`].
    unsafe extern "C" fn read(
        file: *mut bindings::file,
        buf: *mut c_char,
        count: usize,
        ppos: *mut bindings::loff_t,
    ) -> isize {
        // SAFETY: The caller's contract.
        unsafe { Self::transfer(file, UserPtr::from_ptr(buf.cast()), count, ppos, T::read) }
    }

    /// `write()`: [`MiscFile::write`] of `count` bytes at user address `buf`, at `*ppos`.
    ///
    /// # Safety
    ///
    /// As for [`FileOps::transfer`].
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
    /// `file` must be an open file with these operations, and `ppos` null or valid for reads
    /// and writes, during the call.
    unsafe fn transfer(
        file: *mut bindings::file,
        buf: UserPtr,
        count: usize,
        ppos: *mut bindings::loff_t,
        op: impl FnOnce(&T::Data, &mut UserBuffer, &mut i64) -> Result<usize>,
    ) -> isize {
        // SAFETY: The caller's contract.
        let data = unsafe { Self::data(file) };
        // SAFETY: `ppos` is null or valid for the call (the caller's contract), and nothing
        // else uses it meanwhile: the callers of `vfs_read` and `vfs_write` pass a position of
        // their own (`read` a copy of the file's, `pread` its argument).
        let Some(pos) = (unsafe { ppos.as_mut() }) else {
            // A stream file (`stream_open`) has no position; these files are not streams.
            return EINVAL.to_errno() as isize;
        };
        let mut buf = UserBuffer::new(buf, count);
        Self::count(op(&data, &mut buf, pos))
    }

    /// A byte count, or a negative errno, as `read` and `write` return them.
    fn count(result: Result<usize>) -> isize {
        // The VFS caps a count at `MAX_RW_COUNT`, below `isize::MAX`: no `EOVERFLOW` here.
        match result.and_then(|n| isize::try_from(n).map_err(|_| EOVERFLOW)) {
            Ok(n) => n,
            // Lossless: an errno is a small negative `c_int`.
            Err(e) => e.to_errno() as isize,
        }
    }

    /// `unlocked_ioctl()`: [`MiscFile::ioctl`].
    ///
    /// # Safety
    ///
    /// `file` must be an open file with these operations, during the call.
    unsafe extern "C" fn ioctl(file: *mut bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
        // SAFETY: The caller's contract.
        let data = unsafe { Self::data(file) };
        // SAFETY: `file` is an open file (the caller's contract); its access mode in `f_flags`
        // is fixed at open.
        let access = unsafe { (*file).f_flags } & bindings::O_ACCMODE;
        // `FMODE_WRITE`, as the open derived it (`OPEN_FMODE`): `O_WRONLY` or `O_RDWR`; not
        // `O_RDONLY`, nor 3 (`O_ACCMODE`: an open for ioctls only, neither read nor write).
        let writable = access == bindings::O_WRONLY || access == bindings::O_RDWR;
        match T::ioctl(&data, cmd, arg, writable) {
            Ok(ret) => ret as c_long,
            Err(e) => e.to_errno() as c_long,
        }
    }

    /// `llseek()`: `SEEK_SET`, `SEEK_CUR` and `SEEK_END` within `[0, T::seek_end()]`; another
    /// position or `whence` gives `EINVAL` (`fixed_size_llseek`).
    ///
    /// # Safety
    ///
    /// `file` must be an open file with these operations, during the call.
    unsafe extern "C" fn llseek(
        file: *mut bindings::file,
        offset: bindings::loff_t,
        whence: c_int,
    ) -> bindings::loff_t {
        // SAFETY: The caller's contract.
        let data = unsafe { Self::data(file) };
        match T::seek_end(&data) {
            // SAFETY: `file` is a live file; `fixed_size_llseek` updates its position under
            // the locking the VFS gives `llseek`.
            Ok(end) => unsafe { bindings::fixed_size_llseek(file, offset, whence, end) },
            Err(e) => e.to_errno().into(),
        }
    }

    /// `mmap_prepare()`: [`MiscFile::mmap_prepare`], and on success the VMA's operations are
    /// `vm_ops`, whose `mapped` comes next, and its private data a tag of its own.
    ///
    /// # Safety
    ///
    /// `desc` must be the descriptor of an `mmap` in progress, used by nothing else during the
    /// call, whose `file` is open.
    unsafe extern "C" fn mmap_prepare(desc: *mut bindings::vm_area_desc) -> c_int {
        let Some(desc) = NonNull::new(desc) else {
            return EINVAL.to_errno();
        };
        // SAFETY: `desc` is valid (the caller's contract); `file` is the file whose
        // `f_op->mmap_prepare` this is, open.
        let file = unsafe { (*desc.as_ptr()).file };
        // SAFETY: As above.
        if !unsafe { Self::owns(file) } {
            return EINVAL.to_errno();
        }
        // SAFETY: `file` is open with these operations (checked above).
        let data = unsafe { Self::data(file) };
        // SAFETY: The caller's contract.
        let mut mmap = unsafe { MmapDesc::from_raw(desc) };
        // `set_operations` gives `vm_ops` only to a descriptor `T` described, and a tag only
        // to a mapping that gets them.
        match T::mmap_prepare(&data, &mut mmap).and_then(|()| {
            let tag = NEXT_MAPPING.fetch_add(1, Ordering::Relaxed);
            mmap.set_operations(&T::OPS.vm_ops, tag)
        }) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// `vm_ops->mapped()`: [`MiscFile::mapped`] for the VMA `mmap_prepare` described, found
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
        // SAFETY: `file` is live (the caller's contract).
        if !unsafe { Self::owns(file) } {
            return EINVAL.to_errno();
        }
        // SAFETY: `vm_private_data` is valid for the call (the caller's contract).
        let tag = unsafe { *vm_private_data }.addr();
        // SAFETY: The `mmap_lock` is held for writing during the call (the caller's contract);
        // `vm_ops` are these operations' own, which only `MmapDesc::set_operations` gives a VMA
        // (in `mmap_prepare`; the kernel copies them to VMAs derived from those), and `tag` is
        // the VMA's private data, which `set_operations` set. `T::mapped` takes the result by
        // value for this call and cannot keep it.
        let vma = unsafe { DescribedVma::find(start, end, pgoff, file, &T::OPS.vm_ops, tag) };
        let Some(vma) = vma else {
            return EINVAL.to_errno();
        };
        // SAFETY: `file` is open with these operations (checked above); the VMA holds a
        // reference to it.
        let data = unsafe { Self::data(file) };
        match T::mapped(&data, vma) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// `vm_ops->fault()`: [`MiscFile::fault`] for a page.
    ///
    /// # Safety
    ///
    /// Called by the kernel as `vm_ops->fault` for a VMA whose operations are these, with the
    /// fault `vmf`, valid for the call, its VMA locked for reading.
    unsafe extern "C" fn fault(vmf: *mut bindings::vm_fault) -> bindings::vm_fault_t {
        // SAFETY: The caller's contract.
        unsafe { Self::huge_fault(vmf, 0) }
    }

    /// `vm_ops->huge_fault()`: [`MiscFile::fault`] at `order`.
    ///
    /// # Safety
    ///
    /// As for `fault`.
    unsafe extern "C" fn huge_fault(
        vmf: *mut bindings::vm_fault,
        order: c_uint,
    ) -> bindings::vm_fault_t {
        let Some(vmf) = NonNull::new(vmf) else {
            return VmFault::SIGBUS.into_raw();
        };
        // SAFETY: `vmf` is the fault being handled, for this call, by a handler of `vm_ops`
        // (the caller's contract), which only `MmapDesc::set_operations` gives a VMA (type
        // invariant), or the kernel copies to VMAs it derives from those.
        let fault = unsafe { UserFault::from_raw(vmf) };
        let file = fault.file();
        // SAFETY: The VMA holds a reference to its file, which is live during the call.
        if !unsafe { Self::owns(file) } {
            return VmFault::SIGBUS.into_raw();
        }
        // SAFETY: `file` is open with these operations (checked above); the VMA holds it.
        let data = unsafe { Self::data(file) };
        // SAFETY: The VMA maps `file` with these operations, which only `mmap_prepare` of
        // `file` gives (after `T::mmap_prepare` described it with `file`'s data, `data`), or the
        // kernel copies to VMAs it derives from those, which map the same file.
        unsafe { T::fault(&data, fault, order) }.into_raw()
    }

    /// `get_unmapped_area()`: an address for a mapping of `len` bytes at page offset `pgoff`,
    /// congruent modulo a block to the physical address it maps ([`MiscFile::block_pgoff`]),
    /// so that faults can map it with block entries.
    ///
    /// # Safety
    ///
    /// Called by the kernel as `f_op->get_unmapped_area` of `file`, an open file with these
    /// operations, under the current process's `mmap_lock` held for writing.
    #[cfg(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)]
    unsafe extern "C" fn get_unmapped_area(
        file: *mut bindings::file,
        addr: c_ulong,
        len: c_ulong,
        pgoff: c_ulong,
        flags: c_ulong,
    ) -> c_ulong {
        // SAFETY: `file` is live (the caller's contract).
        let pgoff = if unsafe { Self::owns(file) } {
            // SAFETY: `file` is open with these operations (checked above).
            let data = unsafe { Self::data(file) };
            T::block_pgoff(&data, pgoff).unwrap_or(pgoff)
        } else {
            pgoff
        };
        // SAFETY: The caller's contract.
        unsafe { crate::phys::block_unmapped_area(file, addr, len, pgoff, flags) }
    }

    /// `vm_ops->open()`: a VMA derived from one of these (a fork's child, a split, an `mremap`
    /// copy) is made wipe-on-fork again (see [`crate::phys::keep_wipe_on_fork`]).
    ///
    /// # Safety
    ///
    /// Called by the kernel as `vm_ops->open` for a VMA whose operations are these, with its
    /// `mmap_lock` held for writing or before the VMA is attached.
    #[cfg(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)]
    unsafe extern "C" fn open_vma(vma: *mut bindings::vm_area_struct) {
        // SAFETY: The caller's contract.
        unsafe { crate::phys::keep_wipe_on_fork(vma) };
    }
}
