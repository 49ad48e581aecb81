// SPDX-License-Identifier: GPL-2.0

//! A validated carveout, claimed in `iomem_resource` and bound to one memory type.

use core::ffi::{
    c_int,
    c_ulong,
    CStr, //
};
use kernel::{
    bindings,
    fmt,
    mm::virt::VmaNew,
    prelude::*,
    str::CString, //
};

use super::{
    user_mapping::{
        self,
        DescribedVma,
        MmapDesc,
        UserFault,
        VmFault, //
    },
    KernelMapping,
    MapError,
    MemoryType,
    ReservedRegion, //
};
use crate::region::{
    Region,
    RegionError, //
};

extern "C" {
    fn carveout_pfn_valid(pfn: c_ulong) -> bool;
}

/// The largest physical address this kernel can hold (`phys_addr_t` is 32 bits on 32-bit ARM
/// without LPAE, 64 with it). Widening to `u64` is lossless; `u64::from` is not `const`, and the
/// cast is a no-op where `phys_addr_t` is `u64` already.
#[allow(
    clippy::unnecessary_cast,
    reason = "phys_addr_t is u32 or u64 by configuration"
)]
pub(crate) const PHYS_MAX: u64 = bindings::phys_addr_t::MAX as u64;

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

impl ClaimError {
    /// The errno probe returns for this error.
    pub(crate) fn errno(&self) -> Error {
        match self {
            Self::Invalid(_) | Self::NotRam => EINVAL,
            Self::Busy => EBUSY,
            Self::NoMemory => ENOMEM,
        }
    }
}

impl fmt::Display for ClaimError {
    /// What is wrong, to follow the region's name and range: the rule broken, for `Invalid`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(rule) => f.write_str(rule.rule()),
            Self::NotRam => {
                f.write_str("is not RAM: a carveout must lie in memory the kernel knows")
            }
            Self::Busy => f.write_str(
                "is already claimed: a carveout has one user (another device, or dma-bufs exported before an unbind, until the last is closed)",
            ),
            Self::NoMemory => f.write_str("cannot be claimed: out of memory"),
        }
    }
}

/// Whether every page of `region` has a `struct page`, that is, lies in RAM the kernel knows
/// about (a `no-map` carveout still does). Device registers and holes in the physical address
/// space do not.
fn is_ram(region: &Region) -> bool {
    // `Region` guarantees a non-empty range that fits in `phys_addr_t`, so the page frame numbers
    // fit in `unsigned long` (a physical address shifted right by `PAGE_SHIFT`).
    let first = (region.base() >> bindings::PAGE_SHIFT) as c_ulong;
    let last = ((region.base() + (region.size() as u64 - 1)) >> bindings::PAGE_SHIFT) as c_ulong;
    // SAFETY: `pfn_valid` only reads the kernel's memory map.
    (first..=last).all(|pfn| unsafe { carveout_pfn_valid(pfn) })
}

/// A validated reserved-memory region, claimed in `iomem_resource`, with its memory type.
///
/// # Invariants
///
/// - `region` lies inside a `no-map`, non-`reusable` region of `/reserved-memory`, in RAM: it is
///   no memory the kernel or its page allocator uses, and no device's registers.
/// - `[region.base(), region.base() + region.size())` is claimed by `__request_region` on
///   `iomem_resource` with the name `_name` and `IORESOURCE_EXCLUSIVE`, and released in
///   [`Drop`]. Exclusive: `/dev/mem` may not map or read it where the kernel filters `/dev/mem`
///   (`CONFIG_STRICT_DEVMEM`, `iomem_is_exclusive()` in kernel/resource.c), even without
///   `CONFIG_IO_STRICT_DEVMEM`, so no process maps it there with another memory type (but for
///   a kernel booted with `iomem=relaxed`).
/// - Being `no-map`, the region has no linear-map alias: the mappings made through this type,
///   all with `memory_type`, are the only mappings of it.
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
        if !is_ram(&region) {
            return Err(ClaimError::NotRam);
        }
        let name = CString::try_from(name).map_err(|_| ClaimError::NoMemory)?;
        // `base` fits in `phys_addr_t` and `size` in `usize` (invariants of `Region`), so the
        // conversions below are lossless.
        let base = region.base() as bindings::resource_size_t;
        let size = region.size() as bindings::resource_size_t;
        // `IORESOURCE_EXCLUSIVE` is 0x08000000: it fits in the `int` of the flags.
        // SAFETY: `iomem_resource` is the kernel's static root of the memory resource tree;
        // `__request_region` takes its lock. `name` outlives the claim: it is kept in `Self` as
        // `_name` and the claim is released in `Drop` before `name` is freed.
        let res = unsafe {
            bindings::__request_region(
                &raw mut bindings::iomem_resource,
                base,
                size,
                name.as_char_ptr(),
                bindings::IORESOURCE_EXCLUSIVE as c_int,
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

    /// The region's memory type.
    pub(crate) fn memory_type(&self) -> MemoryType {
        self.memory_type
    }

    /// Maps the whole region into the kernel with the region's memory type.
    pub(crate) fn map_kernel(&self) -> Result<KernelMapping> {
        // SAFETY: By the type invariants, `self.region` is a claimed `no-map` carveout whose only
        // mappings are made here and in `map_user`, all with `self.memory_type`.
        unsafe { KernelMapping::new(&self.region, self.memory_type) }
    }

    /// Describes a user mapping of the window of the region at `desc`'s page offset, with the
    /// region's memory type, during `mmap` (`f_op->mmap_prepare`).
    pub(crate) fn describe_user(&self, desc: &mut MmapDesc<'_>) -> Result<(), MapError> {
        desc.describe(&self.region, self.memory_type)
    }

    /// Maps the window of the region at `vma`'s page offset into the whole of `vma`, with the
    /// region's memory type, during `mmap` once `vma` is linked (`vm_ops->mapped`).
    /// `vma` is taken by value: a VMA is mapped once.
    pub(crate) fn map_user(&self, vma: DescribedVma<'_>) -> Result<(), MapError> {
        // SAFETY: By the type invariants, `self.region` is a claimed `no-map` carveout that no
        // other kernel user owns (so exposing it to user space exposes nothing else), and whose
        // only mappings, made here and in `map_kernel`, all use `self.memory_type`.
        unsafe { user_mapping::remap(vma, &self.region, self.memory_type) }
    }

    /// Handles a fault at `order` on a user mapping of the region that [`ClaimedRegion::map_user`]
    /// mapped (or one the kernel derived from it), inserting the page or block entry that maps
    /// the faulting address with the region's memory type.
    ///
    /// # Safety
    ///
    /// `fault` must be on a VMA that [`ClaimedRegion::describe_user`] of this region described.
    pub(crate) unsafe fn fault_user(&self, fault: UserFault<'_>, order: u32) -> VmFault {
        // SAFETY: As in `map_user`; the fault's VMA was described for this region (the caller's
        // contract), so its window lies in it and its protection carries its memory type.
        unsafe { user_mapping::fault(fault, order, &self.region) }
    }

    /// Maps the window of the region at page offset `pgoff` into the whole of `vma`, a VMA
    /// being set up by another file's `mmap` (an exported dma-buf's), with the region's memory
    /// type: shared only, never executable.
    pub(crate) fn map_new(&self, vma: &VmaNew, pgoff: usize) -> Result<(), MapError> {
        // SAFETY: As in `map_user`.
        unsafe { user_mapping::remap_new(vma, pgoff, &self.region, self.memory_type) }
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
