// SPDX-License-Identifier: GPL-2.0

//! A carveout mapped into the kernel's address space with its memory type.

use core::{
    ffi::c_void,
    ptr::NonNull, //
};
use kernel::{
    bindings,
    prelude::*, //
};

use super::{
    cache,
    MemoryType,
    SyncDirection, //
};
use crate::region::Region;

/// A carveout mapped into the kernel's address space.
///
/// # Invariants
///
/// `addr` is the start of a mapping of `size` bytes of one claimed carveout at physical address
/// `base` with `memory_type`, made by `ioremap_wc`, `ioremap` or `memremap(MEMREMAP_WB)` as
/// `memory_type` says, and unmapped only in [`Drop`].
pub(crate) struct KernelMapping {
    addr: NonNull<c_void>,
    base: bindings::phys_addr_t,
    size: usize,
    memory_type: MemoryType,
}

// SAFETY: The mapping is plain memory that any CPU may access; it holds no thread-bound state.
unsafe impl Send for KernelMapping {}
// SAFETY: `read` and `write` only copy bytes; concurrent copies are as racy as user mappings of the
// same memory and cannot break the kernel's memory safety, since the memory holds no Rust values.
unsafe impl Sync for KernelMapping {}

impl KernelMapping {
    /// Maps the whole of `region` with `memory_type`.
    ///
    /// # Safety
    ///
    /// `region` must be a claimed `no-map` carveout (the kernel's linear map has no alias of it)
    /// that is mapped elsewhere only with `memory_type`, so this mapping's type conflicts with
    /// no other mapping's.
    pub(super) unsafe fn new(region: &Region, memory_type: MemoryType) -> Result<Self> {
        // `Region` guarantees that the base fits in `phys_addr_t`: the conversion is lossless.
        let base = region.base() as bindings::resource_size_t;
        let size = region.size();
        let addr = match memory_type {
            // SAFETY: `[base, base + size)` is a carveout mapped elsewhere only write-combine
            // (the caller's contract), so this mapping aliases no other type.
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
        Ok(Self {
            addr: NonNull::new(addr).ok_or(ENOMEM)?,
            base,
            size,
            memory_type,
        })
    }

    /// Copies `buf.len()` bytes at `offset` into `buf`.
    pub(crate) fn read(&self, offset: usize, buf: &mut [u8]) -> Result {
        self.check(offset, buf.len())?;
        // SAFETY: `[offset, offset + len)` lies inside the mapping (checked above, invariant);
        // `buf` is valid for `len` bytes of writes.
        unsafe {
            bindings::memcpy_fromio(
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
            bindings::memcpy_toio(
                self.addr.as_ptr().byte_add(offset),
                buf.as_ptr().cast(),
                buf.len(),
            )
        };
        Ok(())
    }

    /// Makes `len` bytes at `offset` coherent for `direction` (`CARVEOUT_IOC_SYNC`): cache
    /// maintenance for a cached region, then for the device a write barrier on every type.
    /// `EOPNOTSUPP` for a cached region when this kernel cannot maintain caches by address.
    pub(crate) fn sync(&self, offset: usize, len: usize, direction: SyncDirection) -> Result {
        self.check(offset, len)?;
        if len == 0 {
            return Ok(());
        }
        if self.memory_type.is_cached() {
            if !cache::CACHED_SYNC_AVAILABLE {
                return Err(EOPNOTSUPP);
            }
            // `offset < size`, and the region lies within `phys_addr_t` (it was claimed): no
            // wrap.
            let phys = self.base + offset as bindings::phys_addr_t;
            // SAFETY: `offset + len <= size` (checked above), so the pointer stays inside the
            // mapping (invariant).
            let addr = unsafe { self.addr.as_ptr().byte_add(offset) };
            // SAFETY: `[addr, addr + len)` lies inside the mapping, a live cacheable mapping
            // (`memremap(MEMREMAP_WB)` for a cached type, invariant) of the claimed range at
            // `phys`, mapped elsewhere only with the same type; maintenance is available
            // (checked above).
            unsafe { cache::maintain(addr, phys, len, direction) };
        }
        if direction.for_device() {
            cache::write_barrier();
        }
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
            // SAFETY: `addr` came from `ioremap_wc` or `ioremap` (type invariant), unmapped once.
            MemoryType::WriteCombine | MemoryType::Device => unsafe {
                bindings::iounmap(self.addr.as_ptr())
            },
        }
    }
}
