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
    ptr::NonNull,
};
use kernel::{
    bindings,
    device::Device,
    error::from_err_ptr,
    fs::file::{
        flags::O_CLOEXEC,
        File,
        FileDescriptorReservation, //
    },
    mm::virt::VmaNew,
    prelude::*,
    sync::{
        aref::ARef,
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
/// [`MemoryType::Device`].
pub(crate) struct ExportedWindow {
    // Fields drop in order: the kernel mapping goes before the claim on the range.
    mapping: Arc<KernelMapping>,
    claim: Arc<ClaimedRegion>,
    offset: usize,
    len: usize,
    dev: ARef<Device>,
}

impl ExportedWindow {
    /// The window `[offset, offset + len)` of `claim`'s region, which `mapping` maps.
    /// `EOPNOTSUPP` for a device region (see [`ExportedWindow`]); `EINVAL` for a range that is
    /// not whole pages inside the region (the caller has checked it:
    /// [`crate::region::Region::export_range`]).
    pub(crate) fn new(
        mapping: Arc<KernelMapping>,
        claim: Arc<ClaimedRegion>,
        offset: usize,
        len: usize,
        dev: ARef<Device>,
    ) -> Result<Self> {
        if claim.memory_type() == MemoryType::Device {
            return Err(EOPNOTSUPP);
        }
        let page = 1usize << bindings::PAGE_SHIFT;
        if offset % page != 0 || len % page != 0 {
            return Err(EINVAL);
        }
        claim
            .region()
            .window(offset >> bindings::PAGE_SHIFT, len)
            .map_err(|_| EINVAL)?;
        // INVARIANT: Checked above; `mapping` maps `claim`'s region (the caller's word, and
        // `address` checks every range against it).
        Ok(Self {
            mapping,
            claim,
            offset,
            len,
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

    /// Exports the window as a dma-buf, read-only or read-write, into a file descriptor that
    /// is reserved (close-on-exec) but not yet installed: the caller tells user space the
    /// number, then installs it ([`NewDmaBuf::install`]), or drops it, which releases both.
    pub(crate) fn export(self, writable: bool) -> Result<NewDmaBuf> {
        let reservation = FileDescriptorReservation::get_unused_fd_flags(O_CLOEXEC)?;
        let len = self.len;
        let private = KBox::into_raw(KBox::new(self, GFP_KERNEL)?);
        // SAFETY: `private` is a valid `ExportedWindow`, whose ownership passes to the dma-buf
        // if the export succeeds; its callbacks below treat it as such.
        let file = unsafe { carveout_dmabuf_export(private.cast(), len, writable) };
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
        // `dma_buf_put`.
        let file = unsafe { ARef::from_raw(NonNull::from(File::from_raw_file(file))) };
        Ok(NewDmaBuf { reservation, file })
    }
}

/// A dma-buf just exported, and the file descriptor reserved for it.
pub(crate) struct NewDmaBuf {
    reservation: FileDescriptorReservation,
    file: ARef<File>,
}

impl NewDmaBuf {
    /// The file descriptor it will have.
    pub(crate) fn fd(&self) -> u32 {
        self.reservation.reserved_fd()
    }

    /// Installs the dma-buf in the process's file table, at [`NewDmaBuf::fd`]: from here on the
    /// process may close it, and nothing can undo this.
    pub(crate) fn install(self) {
        self.reservation.fd_install(self.file);
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

/// `map_dma_buf`, first: whether the importer's device can reach the window by DMA; if not
/// (it lies beyond the device's DMA mask: vivid's dma-contig allocator, 32 bits, and a region
/// above 4 GiB), the map is refused with `EIO`, logged against the importer, before the DMA
/// core would refuse it with a warning.
///
/// # Safety
///
/// As for [`carveout_dmabuf_phys`]; `importer` is a valid device during the call.
#[no_mangle]
unsafe extern "C" fn carveout_dmabuf_check_importer(
    private: *const c_void,
    importer: *mut bindings::device,
) -> c_int {
    // SAFETY: The caller's contract.
    let window = unsafe { window(private) };
    // The region lies below `PHYS_MAX` (it was claimed): the address fits in `phys_addr_t`.
    let phys = window.phys() as bindings::phys_addr_t;
    // SAFETY: `importer` is valid during the call (the caller's contract).
    if unsafe { carveout_dma_reachable(importer, phys, window.len) } {
        return 0;
    }
    // SAFETY: As above.
    unsafe { carveout_dmabuf_unreachable(private, importer) };
    EIO.to_errno()
}

/// `map_dma_buf` failed: the importer's device cannot reach the window (it lies beyond the
/// device's DMA mask, or no IOMMU mapping could be made). Logged against the importer.
///
/// # Safety
///
/// As for [`carveout_dmabuf_phys`]; `importer` is a valid device during the call.
#[no_mangle]
unsafe extern "C" fn carveout_dmabuf_unreachable(
    private: *const c_void,
    importer: *mut bindings::device,
) {
    // SAFETY: The caller's contract.
    let window = unsafe { window(private) };
    // SAFETY: `importer` is valid during the call (the caller's contract).
    let mask = unsafe { carveout_dma_mask(importer) };
    // SAFETY: As above; the reference does not outlive the call.
    let importer: &Device = unsafe { Device::from_raw(importer) };
    dev_err!(
        importer,
        "cannot map a dma-buf of {}: {:#x} bytes at {:#x}, DMA mask {mask:#x}\n",
        window.dev.name().to_str().unwrap_or("?"),
        window.len,
        window.phys()
    );
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
/// ([`KernelMapping::address`] says why, for the write-combine type too).
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
/// type, shared only, never executable. The dma-buf core has checked that the VMA lies inside
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
