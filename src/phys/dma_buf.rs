// SPDX-License-Identifier: GPL-2.0

//! A window of a carveout exported as a dma-buf, which other drivers (V4L2, DRM) and processes
//! import without a copy.
//!
//! The region has no `struct page` (it is `no-map`), so nothing here hands out pages: an
//! importer's device gets a DMA address (`dma_map_resource`, in `dma_buf.c`), the CPU of an
//! importer in the kernel gets the driver's own kernel mapping (`vmap`), and a process maps the
//! same page frames with the region's one memory type (`mmap`). `DMA_BUF_IOCTL_SYNC` and an
//! importer's CPU access (`begin_cpu_access`/`end_cpu_access`) make the whole buffer coherent
//! as `CARVEOUT_IOC_SYNC` does, so no store is lost by them; so does mapping it for a device
//! (for the device) and unmapping it (for the CPU), as a DMA mapping does.
//!
//! # Lifetime
//!
//! A dma-buf holds what it exports: the claim on the range and the kernel mapping
//! ([`ExportedWindow`]), and the core holds the module. Unbinding the device revokes its own
//! files and mappings but not these: an importer (a V4L2 queue streaming into the buffer) may
//! not be told to stop (videobuf2 imports statically), and its DMA addresses and kernel mapping
//! must stay the carveout's. So the range stays claimed until the last dma-buf is released: a
//! rebind meanwhile fails with `EBUSY`, `rmmod` is refused, and nothing writes to the range
//! once it is released. The last release unmaps the kernel mapping (a cached region purged
//! first: no dirty line is left behind) and releases the claim, in that order.

use core::{
    ffi::{
        c_int,
        c_void, //
    },
    ptr::NonNull, //
};
use kernel::{
    bindings,
    device::Device,
    error::from_err_ptr,
    fmt,
    fs::file::{
        flags::O_CLOEXEC,
        File,
        FileDescriptorReservation, //
    },
    mm::virt::VmaNew,
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc, //
    },
};

use super::{
    ClaimedRegion,
    KernelMapping,
    MapError,
    MemoryType, //
};
use crate::{
    cache_plan::SyncDirection,
    new_file::NewFile,
    task::cond_resched, //
};

// As in `reserved.rs`: the structs behind these pointers are only passed through, but bindgen
// gives some structs they contain no fields on some configurations, which `improper_ctypes`
// flags even behind a pointer. `allow`: whether it fires depends on the configuration.
#[allow(improper_ctypes)]
extern "C" {
    fn carveout_dmabuf_export(
        private: *mut c_void,
        size: usize,
        writable: bool,
        vmap: bool,
    ) -> *mut bindings::file;
    fn carveout_dma_mask(dev: *mut bindings::device) -> u64;
    fn carveout_dma_reachable(
        dev: *mut bindings::device,
        phys: bindings::phys_addr_t,
        size: usize,
    ) -> bool;
}

/// Bytes of a buffer's cache sync between chances to reschedule.
const SYNC_CHUNK: usize = 1 << 20;

/// The window of a carveout that one dma-buf exports, and what keeps it the carveout's: the
/// dma-buf's private data.
///
/// # Invariants
///
/// `[offset, offset + len)` is a non-empty range of whole pages inside the region of `claim`,
/// which `mapping` maps into the kernel with the region's memory type, not
/// [`MemoryType::Device`]; `len` fits in a `u32` (`sg_dma_len`).
pub(crate) struct ExportedWindow {
    // Fields drop in order: the kernel mapping goes before the claim on the range.
    mapping: Arc<KernelMapping>,
    claim: Arc<ClaimedRegion>,
    offset: usize,
    len: usize,
    /// Whether anyone may write the window through the dma-buf: a process's mapping, an
    /// importer's device or its CPU. A read-only dma-buf is read by devices only
    /// (`DMA_TO_DEVICE`) and mapped read-only by processes, and it has no `vmap` (which says
    /// nothing of direction: an importer's CPU may store through any address it gets, as
    /// videobuf2's vmalloc allocator, USB cameras' too, does for capture).
    writable: bool,
    /// Whether a refused importer has been logged: once per dma-buf, however often it asks.
    reported: Atomic<bool>,
    dev: ARef<Device>,
}

impl ExportedWindow {
    /// The window `[offset, offset + len)` of `claim`'s region, which `mapping` maps, read-only
    /// or `writable`. `EOPNOTSUPP` for a device region (see [`ExportedWindow`]); `EINVAL` for a
    /// range that [`crate::region::Region::export_range`] refuses (the caller has asked it
    /// already, to say why).
    pub(crate) fn new(
        mapping: Arc<KernelMapping>,
        claim: Arc<ClaimedRegion>,
        offset: usize,
        len: usize,
        writable: bool,
        dev: ARef<Device>,
    ) -> Result<Self> {
        if claim.memory_type() == MemoryType::Device {
            return Err(EOPNOTSUPP);
        }
        // Widening `usize` to `u64` is lossless.
        if claim.region().export_range(offset as u64, len as u64) != Ok((offset, len)) {
            return Err(EINVAL);
        }
        // INVARIANT: Checked above (whole pages, not empty, below 4 GiB, inside the region); `mapping` maps `claim`'s region (the caller's word, and
        // `address` checks every range against it).
        Ok(Self {
            mapping,
            claim,
            offset,
            len,
            writable,
            reported: Atomic::new(false),
            dev,
        })
    }

    /// The physical address of the window.
    fn phys(&self) -> u64 {
        // `offset` lies inside the region (invariant): no overflow.
        self.claim.region().base() + self.offset as u64
    }

    /// Makes the whole window coherent for `direction`, a chunk at a time.
    fn sync(&self, direction: SyncDirection) -> Result {
        let mut done = 0;
        while done < self.len {
            let chunk = (self.len - done).min(SYNC_CHUNK);
            self.mapping.sync(self.offset + done, chunk, direction)?;
            done += chunk;
            cond_resched();
        }
        Ok(())
    }

    /// Logs a refused importer, the first time only (an importer may ask again and again).
    fn report(&self, importer: &Device, why: fmt::Arguments<'_>) {
        if !self.reported.xchg(true, Relaxed) {
            dev_err!(
                importer,
                "refused a dma-buf of {} ({:#x} bytes at {:#x}): {why}\n",
                self.dev.name().to_str().unwrap_or("?"),
                self.len,
                self.phys()
            );
        }
    }

    /// Exports the window as a dma-buf, read-only or read-write, into a file descriptor that
    /// is reserved (close-on-exec) but not yet installed: the caller tells user space the
    /// number, then installs it ([`NewFile::install`]), or drops it, which releases both.
    pub(crate) fn export(self) -> Result<NewFile> {
        let reservation = FileDescriptorReservation::get_unused_fd_flags(O_CLOEXEC)?;
        let len = self.len;
        let writable = self.writable;
        let private = KBox::into_raw(KBox::new(self, GFP_KERNEL)?);
        // SAFETY: `private` is a valid `ExportedWindow`, whose ownership passes to the dma-buf
        // if the export succeeds; its callbacks below treat it as such. A read-only dma-buf has
        // no `vmap` (see `writable`).
        let file = unsafe { carveout_dmabuf_export(private.cast(), len, writable, writable) };
        let file = match from_err_ptr(file) {
            Ok(file) => file,
            Err(e) => {
                // SAFETY: The export failed: `private` is still ours, from `KBox::into_raw`.
                drop(unsafe { KBox::from_raw(private) });
                return Err(e);
            }
        };
        // SAFETY: `file` is the dma-buf's file, valid and holding the one reference that the
        // export created (`carveout_dmabuf_export`), which passes to the `ARef`: dropping it is
        // `dma_buf_put`. It is in no file table yet, so no `fdget_pos` holds its position lock
        // (what `File` requires of a file shared between tasks).
        let file = unsafe { ARef::from_raw(NonNull::from(File::from_raw_file(file))) };
        Ok(NewFile::new(reservation, file))
    }
}

/// The window of a dma-buf, from its private data.
///
/// # Safety
///
/// `private` must be the private data of a dma-buf that [`ExportedWindow::export`] made, not
/// yet released.
unsafe fn window<'a>(private: *const c_void) -> &'a ExportedWindow {
    // SAFETY: The caller's contract: `private` came from `KBox::into_raw` in `export` and is
    // freed only by the dma-buf's release, after every other operation on it.
    unsafe { &*private.cast::<ExportedWindow>() }
}

/// `map_dma_buf`: the physical address an importer's device maps.
///
/// # Safety
///
/// `private` is the private data of a live dma-buf of this module (see [`window`]).
#[no_mangle]
unsafe extern "C" fn carveout_dmabuf_phys(private: *const c_void) -> bindings::phys_addr_t {
    // SAFETY: The caller's contract.
    let window = unsafe { window(private) };
    // The region lies below `PHYS_MAX` (it was claimed): the address fits in `phys_addr_t`.
    window.phys() as bindings::phys_addr_t
}

/// `map_dma_buf`, first: whether the importer's device may map the window for `direction` (a
/// `dma_data_direction`) and can reach it by DMA. Refused, logged once against the importer:
/// a read-only dma-buf mapped for the device to write (`EACCES`), and a window the device
/// cannot reach (it lies beyond the device's DMA mask: vivid's dma-contig allocator, 32 bits,
/// and a region above 4 GiB), before the DMA core would refuse it with a warning (`EIO`).
///
/// # Safety
///
/// As for [`carveout_dmabuf_phys`]; `importer` is a valid device during the call.
#[no_mangle]
unsafe extern "C" fn carveout_dmabuf_check_importer(
    private: *const c_void,
    importer: *mut bindings::device,
    direction: bindings::dma_data_direction,
) -> c_int {
    // SAFETY: The caller's contract.
    let window = unsafe { window(private) };
    // SAFETY: `importer` is valid during the call (the caller's contract); the reference does
    // not outlive it.
    let device: &Device = unsafe { Device::from_raw(importer) };
    // `DMA_TO_DEVICE`: the device only reads.
    let reads_only = direction == bindings::dma_data_direction::DMA_TO_DEVICE;
    if !window.writable && !reads_only {
        window.report(
            device,
            fmt!(
                "it is read-only, and the device would write it (DMA direction {})",
                direction.0
            ),
        );
        return EACCES.to_errno();
    }
    // The region lies below `PHYS_MAX` (it was claimed): the address fits in `phys_addr_t`.
    let phys = window.phys() as bindings::phys_addr_t;
    // SAFETY: `importer` is valid during the call (the caller's contract).
    if unsafe { carveout_dma_reachable(importer, phys, window.len) } {
        return 0;
    }
    // SAFETY: As above.
    let mask = unsafe { carveout_dma_mask(importer) };
    window.report(
        device,
        fmt!("the device cannot reach it (DMA mask {mask:#x})"),
    );
    EIO.to_errno()
}

/// `map_dma_buf` failed after [`carveout_dmabuf_check_importer`] let it through: logged once
/// against the importer.
///
/// # Safety
///
/// As for [`carveout_dmabuf_check_importer`].
#[no_mangle]
unsafe extern "C" fn carveout_dmabuf_unreachable(
    private: *const c_void,
    importer: *mut bindings::device,
) {
    // SAFETY: The caller's contract.
    let window = unsafe { window(private) };
    // SAFETY: `importer` is valid during the call (the caller's contract).
    let device: &Device = unsafe { Device::from_raw(importer) };
    window.report(device, fmt!("dma_map_resource failed"));
}

/// `begin_cpu_access`, `end_cpu_access`, `map_dma_buf` and `unmap_dma_buf`: the whole window
/// made coherent for the CPU (`for_cpu`) or for a device.
///
/// # Safety
///
/// As for [`carveout_dmabuf_phys`].
#[no_mangle]
unsafe extern "C" fn carveout_dmabuf_sync(private: *const c_void, for_cpu: bool) -> c_int {
    // SAFETY: The caller's contract.
    let window = unsafe { window(private) };
    let direction = if for_cpu {
        SyncDirection::ForCpu
    } else {
        SyncDirection::ForDevice
    };
    match window.sync(direction) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `vmap`: the window's address in the driver's kernel mapping, a plain one
/// ([`KernelMapping::address`] says why, for the write-combine type too). A read-only dma-buf
/// has no `vmap` operation (see [`ExportedWindow`]); `EACCES` here, should one come anyway.
///
/// # Safety
///
/// As for [`carveout_dmabuf_phys`]; `vaddr` is valid for writes.
#[no_mangle]
unsafe extern "C" fn carveout_dmabuf_vaddr(
    private: *const c_void,
    vaddr: *mut *mut c_void,
) -> c_int {
    // SAFETY: The caller's contract.
    let window = unsafe { window(private) };
    if !window.writable {
        return EACCES.to_errno();
    }
    match window.mapping.address(window.offset, window.len) {
        Ok(addr) => {
            // SAFETY: `vaddr` is valid for writes (the caller's contract).
            unsafe { *vaddr = addr.as_ptr() };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// `mmap` of the dma-buf: the window's pages at the VMA's page offset, with the region's memory
/// type, shared only, never executable, read-only for a read-only dma-buf. The dma-buf core has checked that the VMA lies inside
/// the buffer; this checks it again.
///
/// # Safety
///
/// As for [`carveout_dmabuf_phys`]; `vma` is a VMA that `mmap` of the dma-buf is setting up.
#[no_mangle]
unsafe extern "C" fn carveout_dmabuf_mmap(
    private: *const c_void,
    vma: *mut bindings::vm_area_struct,
) -> c_int {
    // SAFETY: The caller's contract.
    let window = unsafe { window(private) };
    // SAFETY: `vma` is being set up by `mmap` during the call (the caller's contract).
    let vma = unsafe { VmaNew::from_raw(vma) };
    // SAFETY: The VMA is being set up: nothing else reads or writes it meanwhile.
    let pgoff = unsafe { (*vma.as_ptr()).vm_pgoff };
    let len = vma.end() - vma.start();
    let inside = pgoff
        .checked_mul(1 << bindings::PAGE_SHIFT)
        .and_then(|offset| offset.checked_add(len))
        .is_some_and(|end| end <= window.len);
    if !inside {
        return EINVAL.to_errno();
    }
    // A read-only dma-buf maps read-only, whoever maps it: the kernel has checked a direct
    // `mmap` of its file (open read-only), but not an importer's `mmap` that forwards to it
    // (`dma_buf_mmap`, with the importer's own file).
    if !window.writable && (vma.writable() || vma.try_clear_maywrite().is_err()) {
        return EACCES.to_errno();
    }
    let pgoff = (window.offset >> bindings::PAGE_SHIFT) + pgoff;
    match window.claim.map_new(vma, pgoff) {
        Ok(()) => 0,
        Err(MapError::Private) => EINVAL.to_errno(),
        Err(MapError::Executable) => EPERM.to_errno(),
        Err(MapError::DescribedTwice | MapError::Window(_)) => EINVAL.to_errno(),
        Err(MapError::Kernel(e)) => {
            dev_err!(
                window.dev,
                "remap_pfn_range of {len} bytes of a dma-buf failed: {e:?}\n"
            );
            e.to_errno()
        }
    }
}

/// `release`: the dma-buf is gone; its window lets go of the kernel mapping and the claim
/// (see the module doc for what the last one does).
///
/// # Safety
///
/// `private` is the private data of a dma-buf of this module, released now, once; nothing
/// uses it any more.
#[no_mangle]
unsafe extern "C" fn carveout_dmabuf_release(private: *mut c_void) {
    // SAFETY: The caller's contract: `private` came from `KBox::into_raw` in `export`.
    drop(unsafe { KBox::from_raw(private.cast::<ExportedWindow>()) });
}
