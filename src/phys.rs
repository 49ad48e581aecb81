// SPDX-License-Identifier: GPL-2.0

//! Physical memory carveouts: what the Rust `kernel` crate of Linux 7.3 has no abstraction for.
//!
//! - [`ReservedRegion`]: the `/reserved-memory` region a device's `memory-region` names.
//! - [`ClaimedRegion`]: a validated region, claimed in `iomem_resource` (so it shows in
//!   `/proc/iomem`) and bound to one [`MemoryType`].
//! - [`KernelMapping`]: the region mapped into the kernel with that memory type.
//! - [`ClaimedRegion::map_user`]: a window of the region mapped into a user VMA with
//!   `remap_pfn_range`, with the same memory type.
//! - [`MappingSpace`]: the address space every open file of a carveout maps through, so that all
//!   user mappings of it can be revoked at once.
//!
//! Every use of `kernel::bindings` and of the C helpers in `helpers.c` (`helpers.h`) is in this file, so the
//! driver logic is safe Rust.
//!
//! One memory type per region is the point of [`ClaimedRegion`]: on ARMv7 two mappings of the same
//! physical page with different memory types are architecturally unpredictable, so the kernel
//! mapping and every user mapping take their type from the one [`ClaimedRegion`].

use core::{
    ffi::{
        c_int,
        c_uint,
        c_void,
        CStr, //
    },
    ptr::NonNull,
};
use kernel::{
    bindings,
    device::Device,
    error::to_result,
    fs::File,
    mm::virt::VmaNew,
    prelude::*,
    str::CString, //
};

use crate::region::{
    Region,
    RegionError,
    RegionSpec,
    WindowError, //
};

/// The memory type of a carveout, used for its kernel mapping and for every user mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MemoryType {
    /// Normal non-cacheable, bufferable (`ioremap_wc` / `pgprot_writecombine`). The default.
    WriteCombine,
    /// Normal cacheable (`memremap(MEMREMAP_WB)` / the default user protection).
    Cached,
    /// Device memory (`ioremap` / `pgprot_device`): no merging, no speculation, aligned access.
    Device,
}

impl MemoryType {
    /// Parses the `linux,memory-type` device-tree string.
    pub(crate) fn from_dt(value: &[u8]) -> Option<Self> {
        match value {
            b"write-combine" => Some(Self::WriteCombine),
            b"cached" => Some(Self::Cached),
            b"device" => Some(Self::Device),
            _ => None,
        }
    }

    /// The device-tree spelling.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::WriteCombine => "write-combine",
            Self::Cached => "cached",
            Self::Device => "device",
        }
    }

    /// The value in the ioctl ABI (`CARVEOUT_MEM_*`) and in `carveout_pgprot()`.
    pub(crate) fn as_uapi(self) -> u32 {
        match self {
            Self::WriteCombine => 0,
            Self::Cached => 1,
            Self::Device => 2,
        }
    }
}

/// Mirror of `struct carveout_rmem` in `helpers.h`.
#[repr(C)]
struct RawReservedRegion {
    base: u64,
    size: u64,
    dt_base: u64,
    dt_size: u64,
    dt_reg: bool,
    no_map: bool,
    reusable: bool,
    name: [u8; 48],
}

// `helpers.c` asserts the same size for `struct carveout_rmem`.
const _: () = assert!(core::mem::size_of::<RawReservedRegion>() == 88);

extern "C" {
    fn carveout_rmem_count(dev: *mut c_void) -> c_int;
    fn carveout_rmem_lookup(dev: *mut c_void, index: c_int, out: *mut RawReservedRegion) -> c_int;
    fn carveout_pgprot(prot: bindings::pgprot_t, memory_type: c_uint) -> bindings::pgprot_t;
    fn carveout_memcpy_fromio(dst: *mut c_void, src: *const c_void, len: usize);
    fn carveout_memcpy_toio(dst: *mut c_void, src: *const c_void, len: usize);
    fn carveout_file_disable_lseek(file: *mut c_void);
    fn carveout_range_is_ram(base: u64, size: u64) -> bool;
    fn carveout_inode_new(out: *mut *mut c_void) -> c_int;
    fn carveout_inode_free(inode: *mut c_void);
    fn carveout_file_set_mapping(file: *mut c_void, inode: *mut c_void);
    fn carveout_inode_unmap_all(inode: *mut c_void);
}

/// Why [`ReservedRegion::lookup`] found no region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LookupError {
    /// The node has no `memory-region` property.
    NoProperty,
    /// The `memory-region` phandle does not resolve to a node.
    BadPhandle,
    /// The target node is disabled.
    Disabled,
    /// The target is not a region the kernel reserved under `/reserved-memory`.
    NotReserved,
}

impl LookupError {
    /// The errno probe returns for this error.
    pub(crate) fn errno(self) -> Error {
        match self {
            Self::NoProperty | Self::Disabled => ENODEV,
            Self::BadPhandle | Self::NotReserved => EINVAL,
        }
    }
}

/// `dev` as the C `struct device` the helpers take.
fn raw_device(dev: &Device) -> *mut c_void {
    // `Device` is `#[repr(transparent)]` over `Opaque<bindings::device>`, so a pointer to it is
    // a pointer to the C `struct device`.
    core::ptr::from_ref(dev).cast_mut().cast::<c_void>()
}

/// The reserved-memory region named by one `memory-region` entry of a device's node.
pub(crate) struct ReservedRegion {
    raw: RawReservedRegion,
}

impl ReservedRegion {
    /// The number of entries of `dev`'s `memory-region` property (0 without one).
    pub(crate) fn count(dev: &Device) -> usize {
        // SAFETY: `raw_device(dev)` points to a live `struct device` for the duration of the
        // call (it is borrowed from `dev`).
        let count = unsafe { carveout_rmem_count(raw_device(dev)) };
        usize::try_from(count).unwrap_or(0)
    }

    /// Looks up entry `index` of `dev`'s `memory-region`. On error, also returns what is known
    /// of the target node: its name and its `reg`, for the message.
    pub(crate) fn lookup(dev: &Device, index: usize) -> Result<Self, (LookupError, Self)> {
        let mut raw = RawReservedRegion {
            base: 0,
            size: 0,
            dt_base: 0,
            dt_size: 0,
            dt_reg: false,
            no_map: false,
            reusable: false,
            name: [0; 48],
        };
        // An index past `c_int` names no entry: the helper then finds no node (`BadPhandle`).
        let index = c_int::try_from(index).unwrap_or(c_int::MAX);
        // SAFETY: `raw_device(dev)` points to a live `struct device` for the duration of the
        // call (it is borrowed from `dev`) and `raw` is a valid, writable `struct carveout_rmem`.
        let ret = unsafe { carveout_rmem_lookup(raw_device(dev), index, &mut raw) };
        let region = Self { raw };
        let err = match ret {
            0 => return Ok(region),
            e if e == ENOENT.to_errno() => LookupError::NoProperty,
            e if e == ENODEV.to_errno() => LookupError::Disabled,
            e if e == ENXIO.to_errno() => LookupError::NotReserved,
            _ => LookupError::BadPhandle,
        };
        Err((err, region))
    }

    /// The first entry of the node's own `reg`, as the device tree gives it: (base, size).
    /// `None` for a region without `reg`, which the kernel placed itself.
    pub(crate) fn dt_reg(&self) -> Option<(u64, u64)> {
        self.raw
            .dt_reg
            .then_some((self.raw.dt_base, self.raw.dt_size))
    }

    /// The name of the reserved-memory node, as text.
    pub(crate) fn name(&self) -> &str {
        CStr::from_bytes_until_nul(&self.raw.name)
            .ok()
            .and_then(|name| name.to_str().ok())
            .unwrap_or("?")
    }

    /// What the device tree says about the region.
    pub(crate) fn spec(&self) -> RegionSpec {
        RegionSpec {
            base: self.raw.base,
            size: self.raw.size,
            no_map: self.raw.no_map,
            reusable: self.raw.reusable,
        }
    }
}

/// Why [`ClaimedRegion::claim`] failed.
#[derive(Debug)]
pub(crate) enum ClaimError {
    /// The region breaks a rule.
    Invalid(RegionError),
    /// Part of the range is not RAM: device registers or a hole in the physical address space.
    NotRam,
    /// Part of the range is already claimed (by another carveout device, say).
    Busy,
    /// Out of memory for the claim's name.
    NoMemory,
}

/// The largest physical address this kernel can hold (`phys_addr_t` is 32 bits on 32-bit ARM
/// without LPAE). Widening to `u64` is lossless.
pub(crate) const PHYS_MAX: u64 = bindings::phys_addr_t::MAX as u64;

/// A validated reserved-memory region, claimed in `iomem_resource`, with its memory type.
///
/// # Invariants
///
/// - `region` lies inside a `no-map`, non-`reusable` region of `/reserved-memory`, in RAM: it is
///   no memory the kernel or its page allocator uses, and no device's registers.
/// - `[region.base(), region.base() + region.size())` is claimed by `__request_region` on
///   `iomem_resource` with the name `_name`, and released in [`Drop`].
pub(crate) struct ClaimedRegion {
    region: Region,
    memory_type: MemoryType,
    _name: CString,
}

impl ClaimedRegion {
    /// Validates `reserved` and claims it under `name`.
    pub(crate) fn claim(
        reserved: &ReservedRegion,
        memory_type: MemoryType,
        name: &CStr,
    ) -> Result<Self, ClaimError> {
        let region = Region::new(reserved.spec(), bindings::PAGE_SHIFT, PHYS_MAX)
            .map_err(ClaimError::Invalid)?;
        // SAFETY: `carveout_range_is_ram` only reads the kernel's memory map; `Region::new` checked
        // that the range is non-empty and does not overflow.
        if !unsafe { carveout_range_is_ram(region.base(), region.size() as u64) } {
            return Err(ClaimError::NotRam);
        }
        let name = CString::try_from_fmt(fmt!("{}", name.to_str().unwrap_or("carveout")))
            .map_err(|_| ClaimError::NoMemory)?;
        // `base` fits in `phys_addr_t` and `size` in `usize` (invariants of `Region`), so the
        // conversions below are lossless.
        let base = region.base() as bindings::resource_size_t;
        let size = region.size() as bindings::resource_size_t;
        // SAFETY: `iomem_resource` is the kernel's static root of the memory resource tree;
        // `__request_region` takes its lock. `name` outlives the claim: it is kept in `Self` as `_name` and
        // the claim is released in `Drop` before `name` is freed.
        let res = unsafe {
            bindings::__request_region(
                &raw mut bindings::iomem_resource,
                base,
                size,
                name.as_char_ptr(),
                0,
            )
        };
        if res.is_null() {
            return Err(ClaimError::Busy);
        }
        // INVARIANT: `reserved` came from the kernel's reserved-memory table, `Region::new`
        // checked `no-map` and not `reusable`, the range is RAM; it was claimed just above.
        Ok(Self {
            region,
            memory_type,
            _name: name,
        })
    }

    /// The validated region.
    pub(crate) fn region(&self) -> &Region {
        &self.region
    }

    /// Maps the whole region into the kernel with the region's memory type.
    pub(crate) fn map_kernel(&self) -> Result<KernelMapping> {
        let base = self.region.base() as bindings::resource_size_t;
        let size = self.region.size();
        let addr = match self.memory_type {
            // SAFETY: The range is a claimed `no-map` carveout (type invariant): no linear-map
            // alias exists, so a write-combine mapping does not conflict with another type.
            MemoryType::WriteCombine => unsafe { bindings::ioremap_wc(base, size) },
            // SAFETY: As above, for a device mapping.
            MemoryType::Device => unsafe { bindings::ioremap(base, size) },
            // SAFETY: As above, for a cached mapping; `memremap` refuses System RAM, which a
            // `no-map` carveout is not. (`MEMREMAP_WB` is 1: widening it is lossless.)
            MemoryType::Cached => unsafe {
                bindings::memremap(base, size, bindings::MEMREMAP_WB as usize)
            },
        };
        // INVARIANT: A non-null `addr` maps `size` bytes of the region with `memory_type`.
        Ok(KernelMapping {
            addr: NonNull::new(addr).ok_or(ENOMEM)?,
            size,
            memory_type: self.memory_type,
        })
    }

    /// Maps the window of the region at page offset `vma->vm_pgoff` into the whole of `vma`,
    /// with the region's memory type. `remap_pfn_range` marks the VMA
    /// `VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP`.
    pub(crate) fn map_user(&self, vma: &VmaNew) -> Result<(), MapError> {
        let len = vma.end() - vma.start();
        let phys = self
            .region
            .window(vma_pgoff(vma), len)
            .map_err(MapError::Window)?;
        let vma_ptr = vma.as_ptr();
        // SAFETY: `vma` is undergoing initial setup (`VmaNew`), so nothing else reads or writes
        // its protection concurrently.
        let prot = unsafe { (*vma_ptr).vm_page_prot };
        // SAFETY: `carveout_pgprot` only computes a value from its arguments.
        let prot = unsafe { carveout_pgprot(prot, self.memory_type.as_uapi()) };
        // SAFETY: As above; the VMA is not shared yet.
        unsafe { (*vma_ptr).vm_page_prot = prot };
        // `phys` is a page-aligned address inside the region (checked by `window`), so the page
        // frame number fits in `unsigned long`.
        let pfn = (phys >> bindings::PAGE_SHIFT) as usize;
        // SAFETY: `vma` is being set up by `mmap` with the mmap lock held for writing. The PFN
        // range `[pfn, pfn + len / PAGE_SIZE)` lies inside this claimed `no-map` carveout
        // (`window` checked it), which no other kernel user owns (type invariant), so exposing it
        // to user space exposes nothing else.
        let ret = unsafe { bindings::remap_pfn_range(vma_ptr, vma.start(), pfn, len, prot) };
        to_result(ret).map_err(MapError::Kernel)
    }
}

impl Drop for ClaimedRegion {
    fn drop(&mut self) {
        // SAFETY: The range was claimed with these values in `claim` (type invariant) and is
        // released exactly once, here.
        unsafe {
            bindings::__release_region(
                &raw mut bindings::iomem_resource,
                self.region.base() as bindings::resource_size_t,
                self.region.size() as bindings::resource_size_t,
            )
        };
        // `_name` is a field, dropped after this body: it outlived the claim.
    }
}

/// Why [`ClaimedRegion::map_user`] failed.
#[derive(Debug)]
pub(crate) enum MapError {
    /// The requested window is not inside the region.
    Window(WindowError),
    /// `remap_pfn_range` failed.
    Kernel(Error),
}

/// The page offset of a new mapping (`vma->vm_pgoff`): for this device, an offset into the region.
fn vma_pgoff(vma: &VmaNew) -> usize {
    // SAFETY: `vm_pgoff` is set before `mmap` is called and not changed during setup.
    unsafe { (*vma.as_ptr()).vm_pgoff }
}

/// A carveout mapped into the kernel's address space.
///
/// # Invariants
///
/// `addr` is the start of a mapping of `size` bytes of one claimed carveout with `memory_type`,
/// made by `ioremap_wc`, `ioremap` or `memremap(MEMREMAP_WB)` and unmapped only in [`Drop`].
pub(crate) struct KernelMapping {
    addr: NonNull<c_void>,
    size: usize,
    memory_type: MemoryType,
}

// SAFETY: The mapping is plain memory that any CPU may access; it holds no thread-bound state.
unsafe impl Send for KernelMapping {}
// SAFETY: `read` and `write` only copy bytes; concurrent copies are as racy as user mappings of the
// same memory and cannot break the kernel's memory safety, since the memory holds no Rust values.
unsafe impl Sync for KernelMapping {}

impl KernelMapping {
    /// Copies `buf.len()` bytes at `offset` into `buf`.
    pub(crate) fn read(&self, offset: usize, buf: &mut [u8]) -> Result {
        self.check(offset, buf.len())?;
        // SAFETY: `[offset, offset + len)` lies inside the mapping (checked above, invariant);
        // `buf` is valid for `len` bytes of writes.
        unsafe {
            carveout_memcpy_fromio(
                buf.as_mut_ptr().cast(),
                self.addr.as_ptr().byte_add(offset),
                buf.len(),
            )
        };
        Ok(())
    }

    /// Copies `buf` to `offset`.
    pub(crate) fn write(&self, offset: usize, buf: &[u8]) -> Result {
        self.check(offset, buf.len())?;
        // SAFETY: As in `read`, with `buf` valid for `len` bytes of reads.
        unsafe {
            carveout_memcpy_toio(
                self.addr.as_ptr().byte_add(offset),
                buf.as_ptr().cast(),
                buf.len(),
            )
        };
        Ok(())
    }

    fn check(&self, offset: usize, len: usize) -> Result {
        match offset.checked_add(len) {
            Some(end) if end <= self.size => Ok(()),
            _ => Err(EINVAL),
        }
    }
}

impl Drop for KernelMapping {
    fn drop(&mut self) {
        match self.memory_type {
            // SAFETY: `addr` came from `memremap` (type invariant) and is unmapped once.
            MemoryType::Cached => unsafe { bindings::memunmap(self.addr.as_ptr()) },
            // SAFETY: `addr` came from `ioremap` or `ioremap_wc` (type invariant), unmapped once.
            _ => unsafe { bindings::iounmap(self.addr.as_ptr()) },
        }
    }
}

/// Makes `lseek()` on `file` fail with `ESPIPE` instead of calling the missing `llseek` of a Rust
/// misc device; `pread()` and `pwrite()` keep working. Call it from `open`.
pub(crate) fn disable_lseek(file: &File) {
    // SAFETY: `file` is a live file being opened: its `f_mode` is set up by this open and not yet
    // used by any other thread (as `nonseekable_open()` relies on).
    unsafe { carveout_file_disable_lseek(file.as_ptr().cast()) };
}

/// The address space every open file of one carveout maps through: an inode of the driver's
/// pseudo filesystem, as DRM and VFIO use, so that [`MappingSpace::revoke`] can zap every user
/// mapping of the carveout, in every process, at once. After that, touching a revoked mapping
/// raises `SIGBUS`: the VMA has no `fault` handler to bring the pages back.
///
/// # Invariants
///
/// `inode` is a `struct inode` that came from `carveout_inode_new` and is freed only in
/// [`Drop`].
pub(crate) struct MappingSpace {
    inode: NonNull<c_void>,
}

// SAFETY: The inode is reference-counted kernel memory; `attach` and `revoke` take the kernel's
// own locks, so they may run on any thread.
unsafe impl Send for MappingSpace {}
// SAFETY: As above, concurrent `attach` and `revoke` calls are serialised by the kernel.
unsafe impl Sync for MappingSpace {}

impl MappingSpace {
    /// Allocates the inode.
    pub(crate) fn new() -> Result<Self> {
        let mut inode = core::ptr::null_mut();
        // SAFETY: `inode` is a valid place for the result.
        to_result(unsafe { carveout_inode_new(&mut inode) })?;
        // INVARIANT: `carveout_inode_new` succeeded, so `inode` is its inode.
        Ok(Self {
            inode: NonNull::new(inode).ok_or(ENOMEM)?,
        })
    }

    /// Makes `file`'s mappings part of this space. Call it from `open`, before `file` can be
    /// mapped. The owner of `self` must outlive `file`, as the private data of `file` does.
    pub(crate) fn attach(&self, file: &File) {
        // SAFETY: `file` is being opened, so no other thread uses its `f_mapping` yet (DRM's
        // `drm_open` does the same); `self.inode` is live (type invariant).
        unsafe { carveout_file_set_mapping(file.as_ptr().cast(), self.inode.as_ptr()) };
    }

    /// Removes every page of every user mapping of the files attached to this space.
    pub(crate) fn revoke(&self) {
        // SAFETY: `self.inode` is live (type invariant); `unmap_mapping_range` takes the locks
        // it needs and may sleep, which callers of this safe method in process context allow.
        unsafe { carveout_inode_unmap_all(self.inode.as_ptr()) };
    }
}

impl Drop for MappingSpace {
    fn drop(&mut self) {
        // SAFETY: The inode came from `carveout_inode_new` (type invariant) and is freed once.
        // No file can still point at it: files keep their carveout, and with it `self`, alive.
        unsafe { carveout_inode_free(self.inode.as_ptr()) };
    }
}
