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
    cpu_buffer::{
        CpuBuffers,
        CPU_BUFFER, //
    },
    MemoryType, //
};
use crate::{
    cache_plan::{
        purge_plan,
        sync_plan,
        CacheOp,
        SyncDirection, //
    },
    region::Region,
    task,
    user_copy::{
        UserDest,
        UserSource, //
    },
};

/// Bytes of a cached region cleaned and invalidated at a time when its mapping goes, between
/// chances to reschedule.
const PURGE_CHUNK: usize = 1 << 20;

extern "C" {
    fn carveout_ioremap_wc(base: bindings::phys_addr_t, size: usize) -> *mut c_void;
}

/// A buffer on the stack for copies between a carveout and user space, 16-byte aligned like
/// the kernel's own allocations: arm64's user copy aligns its kernel-side pointer first, so a
/// misaligned buffer would make its accesses to a page-aligned user buffer unaligned, which a
/// Device-type user mapping (another carveout's, say) refuses.
#[repr(C, align(16))]
pub(crate) struct StackBuffer<const N: usize>(pub(crate) [u8; N]);

impl<const N: usize> StackBuffer<N> {
    /// A zeroed buffer.
    pub(crate) fn new() -> Self {
        Self([0; N])
    }
}

/// A carveout mapped into the kernel's address space.
///
/// # Invariants
///
/// `addr` is the start of a mapping of `size` bytes of one claimed carveout at physical address
/// `base` with `memory_type`, made by `ioremap_wc`, `ioremap` or `memremap(MEMREMAP_WB)` as
/// `memory_type` says, and unmapped only in [`Drop`]. `bounce` is there exactly when
/// `memory_type` is [`MemoryType::Device`].
pub(crate) struct KernelMapping {
    addr: NonNull<c_void>,
    base: bindings::phys_addr_t,
    size: usize,
    memory_type: MemoryType,
    /// The buffers a device region's copies go through: Device memory allows only aligned
    /// accesses, which `memcpy_fromio` and `memcpy_toio` make and user copies may not.
    bounce: Option<CpuBuffers>,
}

// SAFETY: The mapping is plain memory that any CPU may access; it holds no thread-bound state.
unsafe impl Send for KernelMapping {}
// SAFETY: Its methods only copy bytes and maintain caches; concurrent copies are as racy as user
// mappings of the same memory and cannot break the kernel's memory safety, since the memory holds
// no Rust values.
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
            MemoryType::WriteCombine => unsafe { carveout_ioremap_wc(base, size) },
            // SAFETY: As above, for a device mapping.
            MemoryType::Device => unsafe { bindings::ioremap(base, size) },
            // SAFETY: As above, for a cached mapping; `memremap` refuses System RAM, which a
            // `no-map` carveout is not. (`MEMREMAP_WB` is 1: widening it is lossless.)
            MemoryType::Cached => unsafe {
                bindings::memremap(base, size, bindings::MEMREMAP_WB as usize)
            },
        };
        let addr = NonNull::new(addr).ok_or(ENOMEM)?;
        // INVARIANT: A non-null `addr` maps `size` bytes of the region with `memory_type`, and
        // `bounce` is there for a device region only. Built after the mapping, this would leak
        // it on an allocation failure: `Self` owns it from here.
        let mut mapping = Self {
            addr,
            base,
            size,
            memory_type,
            bounce: None,
        };
        if matches!(memory_type, MemoryType::Device) {
            mapping.bounce = Some(CpuBuffers::new()?);
        }
        mapping.purge();
        Ok(mapping)
    }

    /// Copies up to `len` bytes at `offset` to `dest` without taking a page fault, so that it may
    /// run under the RCU read lock of the guard around this mapping (a fault may sleep). It stops
    /// short where a page of `dest` is not present or not writable, and returns the bytes
    /// copied: the caller goes on with [`KernelMapping::read`] and a copy that may fault, outside
    /// the guard.
    ///
    /// One copy, from this mapping, on the write-combine and cached types (Normal memory on ARM,
    /// where any access size and alignment is allowed). A device region is Device memory, where
    /// an unaligned access faults (arm64's user copy makes unaligned loads): it goes a page at a
    /// time through this CPU's buffer, filled with the aligned accesses of `memcpy_fromio`.
    pub(crate) fn copy_to_user_nofault(
        &self,
        offset: usize,
        len: usize,
        dest: &mut impl UserDest,
    ) -> Result<usize> {
        self.check(offset, len)?;
        // SAFETY: `offset + len <= size` (checked above), so the pointer stays inside the
        // mapping (invariant).
        let from = unsafe { self.addr.as_ptr().byte_add(offset) };
        let Some(bounce) = &self.bounce else {
            // SAFETY: `[from, from + len)` lies inside the live mapping (invariant), which is
            // Normal memory (write-combine or cached: `bounce` is there for a device region
            // only, so any access is allowed) and holds no Rust values.
            return Ok(unsafe { dest.copy_nofault(from, len) });
        };
        let copy = |buffer: &mut [u8; CPU_BUFFER], at: *mut c_void, chunk: usize| {
            // SAFETY: `[at, at + chunk)` lies inside the mapping (`bounced`'s contract); `buffer`
            // is valid for `chunk <= CPU_BUFFER` bytes of writes.
            unsafe { bindings::memcpy_fromio(buffer.as_mut_ptr().cast(), at, chunk) };
            // SAFETY: `buffer` is valid for `chunk` bytes of reads. The copy does not sleep.
            unsafe { dest.copy_nofault(buffer.as_ptr().cast(), chunk) }
        };
        // SAFETY: `[from, from + len)` lies inside the mapping (above); `copy` does not call
        // `CpuBuffers::with`.
        unsafe { bounced(bounce, from, len, copy) }
    }

    /// Copies up to `len` bytes from `src` to `offset`, without taking a page fault, as
    /// [`KernelMapping::copy_to_user_nofault`] does the other way; the caller goes on with a
    /// copy that may fault and [`KernelMapping::write`]. Returns the bytes copied. Only those
    /// bytes are written: the rest of the region is left as it is.
    pub(crate) fn copy_from_user_nofault(
        &self,
        offset: usize,
        len: usize,
        src: &mut impl UserSource,
    ) -> Result<usize> {
        self.check(offset, len)?;
        // SAFETY: As in `copy_to_user_nofault`.
        let to = unsafe { self.addr.as_ptr().byte_add(offset) };
        let Some(bounce) = &self.bounce else {
            // SAFETY: As in `copy_to_user_nofault`, with `[to, to + len)` written, only where
            // bytes were copied.
            return Ok(unsafe { src.copy_nofault(to, len) });
        };
        let copy = |buffer: &mut [u8; CPU_BUFFER], at: *mut c_void, chunk: usize| {
            // SAFETY: `buffer` is valid for `chunk <= CPU_BUFFER` bytes of writes. The copy does
            // not sleep.
            let copied = unsafe { src.copy_nofault(buffer.as_mut_ptr().cast(), chunk) };
            // SAFETY: `[at, at + copied)` lies inside the mapping (`bounced`'s contract, and
            // `copied <= chunk`); `buffer` is valid for `copied` bytes of reads.
            unsafe { bindings::memcpy_toio(at, buffer.as_ptr().cast(), copied) };
            copied
        };
        // SAFETY: `[to, to + len)` lies inside the mapping (above); `copy` does not call
        // `CpuBuffers::with`.
        unsafe { bounced(bounce, to, len, copy) }
    }

    /// Copies `buf.len()` bytes at `offset` into `buf` (with the aligned accesses of
    /// `memcpy_fromio`, which every memory type allows).
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

    /// Copies `buf` to `offset` (with the aligned accesses of `memcpy_toio`).
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

    /// The kernel address of the `len` bytes at `offset`, for a kernel user that accesses them
    /// itself with plain loads and stores (an importer of a dma-buf, through `vmap`), valid as
    /// long as this mapping. `EINVAL` for a device region: Device memory faults on an unaligned
    /// access, and such a user makes them (`memcpy`).
    ///
    /// A plain address for the write-combine type too, though `ioremap_wc` made it: on ARM that
    /// is Normal non-cacheable memory, where loads and stores of any size and alignment are
    /// allowed, as in the cached type. The kernel's importers can take no other: videobuf2
    /// rebuilds a plain (`vaddr`) map from the address to unmap it, and the dma-buf core stops
    /// the kernel (`BUG_ON` in `dma_buf_vunmap`) if it differs from the one `vmap` gave.
    pub(crate) fn address(&self, offset: usize, len: usize) -> Result<NonNull<c_void>> {
        self.check(offset, len)?;
        if matches!(self.memory_type, MemoryType::Device) {
            return Err(EINVAL);
        }
        // SAFETY: `offset + len <= size` (checked above), so the pointer stays inside the
        // mapping (invariant).
        Ok(unsafe { self.addr.byte_add(offset) })
    }

    /// Makes `len` bytes at `offset` coherent for `direction` (`CARVEOUT_IOC_SYNC`): cache
    /// maintenance for a cached region ([`sync_plan`]), then for the device a write barrier on
    /// every type.
    pub(crate) fn sync(&self, offset: usize, len: usize, direction: SyncDirection) -> Result {
        self.check(offset, len)?;
        if len == 0 {
            return Ok(());
        }
        if self.memory_type.is_cached() {
            // SAFETY: `offset + len <= size` (checked above).
            unsafe { self.maintain(offset, len, sync_plan(direction)) };
        }
        if direction.for_device() {
            cache::write_barrier();
        }
        Ok(())
    }

    /// Cleans and invalidates every line of a cached region through this mapping
    /// ([`purge_plan`]), a chunk at a time, rescheduling between chunks: when the mapping is made
    /// (lines a former cached mapping of the region may have left, stale if a device wrote the
    /// memory since) and before it goes. Nothing for the other types, which no cache holds. Only
    /// from process context (probe, revocation, the last file's release).
    fn purge(&self) {
        if !self.memory_type.is_cached() {
            return;
        }
        let mut done = 0;
        while done < self.size {
            let chunk = (self.size - done).min(PURGE_CHUNK);
            // SAFETY: `done + chunk <= size`, and the mapping is cached (checked above).
            unsafe { self.maintain(done, chunk, purge_plan()) };
            done += chunk;
            task::cond_resched();
        }
    }

    /// Carries out the cache-maintenance `plan` on `len` bytes at `offset` of a cached mapping.
    ///
    /// # Safety
    ///
    /// `offset + len <= self.size`, and the mapping is of the cached type.
    unsafe fn maintain(&self, offset: usize, len: usize, plan: &[CacheOp]) {
        // `offset < size`, and the region lies within `phys_addr_t` (it was claimed): no wrap.
        let phys = self.base + offset as bindings::phys_addr_t;
        // SAFETY: `offset + len <= size` (the caller's contract), so the pointer stays inside
        // the mapping (invariant).
        let addr = unsafe { self.addr.as_ptr().byte_add(offset) };
        // SAFETY: `[addr, addr + len)` lies inside the mapping, a live cacheable mapping
        // (`memremap(MEMREMAP_WB)` for the cached type, the caller's contract and the type
        // invariant) of the claimed range at `phys`, mapped elsewhere only with the same type.
        unsafe { cache::maintain(addr, phys, len, plan) };
    }

    fn check(&self, offset: usize, len: usize) -> Result {
        match offset.checked_add(len) {
            Some(end) if end <= self.size => Ok(()),
            _ => Err(EINVAL),
        }
    }
}

impl Drop for KernelMapping {
    /// Unmaps the region, a cached one purged first ([`KernelMapping::purge`]). The caller of
    /// unbind's revocation (`Carveout::revoke`) has zapped every user mapping and waited for
    /// every copy through this mapping first, so no CPU stores to the region any more: what any
    /// CPU stored before is written back here, and no dirty line is left to be evicted later
    /// over what the region's next user (a co-processor, a rebind with another memory type)
    /// writes. Until the unmap, a CPU may still fetch clean lines through this mapping
    /// speculatively: the next cached mapping purges them when it is made.
    fn drop(&mut self) {
        match self.memory_type {
            MemoryType::Cached => {
                self.purge();
                // SAFETY: `addr` came from `memremap` (type invariant) and is unmapped once.
                unsafe { bindings::memunmap(self.addr.as_ptr()) }
            }
            // SAFETY: `addr` came from `ioremap_wc` or `ioremap` (type invariant), unmapped once.
            MemoryType::WriteCombine | MemoryType::Device => unsafe {
                bindings::iounmap(self.addr.as_ptr())
            },
        }
    }
}

/// A device region's copy of `len` bytes at `start`, a page at a time through this CPU's
/// buffer: `copy(buffer, at, chunk)` moves one piece between the mapping at `at` and the user's
/// iterator, and returns the bytes it moved; a piece moved short ends the copy. Returns the
/// bytes moved; `EINVAL` in interrupt context, where no file operation runs.
///
/// # Safety
///
/// `[start, start + len)` must lie inside a live mapping, and `copy` must not call
/// [`CpuBuffers::with`] on `bounce`.
unsafe fn bounced(
    bounce: &CpuBuffers,
    start: *mut c_void,
    len: usize,
    mut copy: impl FnMut(&mut [u8; CPU_BUFFER], *mut c_void, usize) -> usize,
) -> Result<usize> {
    let mut done = 0;
    while done < len {
        let chunk = (len - done).min(CPU_BUFFER);
        // SAFETY: `done < len`, so the pointer stays inside `[start, start + len)`, which is
        // inside the mapping (the caller's contract), and so is `[at, at + chunk)`.
        let at = unsafe { start.byte_add(done) };
        // SAFETY: `copy` does not call `with` on `bounce` (the caller's contract).
        let copied = unsafe { bounce.with(|buffer| copy(buffer, at, chunk)) }.ok_or(EINVAL)?;
        done += copied;
        if copied < chunk {
            break;
        }
    }
    Ok(done)
}
