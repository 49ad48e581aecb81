// SPDX-License-Identifier: GPL-2.0

//! Cache maintenance of a cached carveout, for a device (or co-processor) that shares it.
//!
//! The DMA API's sync calls reach memory through the kernel's linear map, which a `no-map`
//! region does not have: on 32-bit ARM, `arch_sync_dma_for_device()` and
//! `arch_sync_dma_for_cpu()` (arch/arm/mm/dma-mapping.c) take `phys_to_virt()` of the address,
//! and the latter marks the pages' folios clean (peer drivers oops there). This maintains the
//! region through the driver's own cacheable kernel mapping, by virtual address, and ARM's outer
//! cache by physical address, in the order those two functions use:
//!
//! - for the device (clean): inner caches first, then the outer cache, so that the lines the
//!   inner caches write back are in the outer cache before it is cleaned;
//! - for the CPU (invalidate): the outer cache first, then the inner caches, so that a line
//!   prefetched into the inner caches meanwhile is dropped after the outer cache was;
//! - both: clean, then invalidate.
//!
//! A sync for the device also drains the CPU's write buffers (`wmb()`) on every memory type: a
//! write-combine or device region is not cached, but its writes may still wait in a write buffer
//! or, on ARM, an outer cache's store buffer, which userspace cannot drain.
//!
//! `cache.c` names the primitives each architecture provides and why they are enough.

use core::ffi::c_void;
use kernel::bindings;

extern "C" {
    fn carveout_cache_clean_inner(addr: *mut c_void, size: usize);
    fn carveout_cache_flush_inner(addr: *mut c_void, size: usize);
    fn carveout_cache_clean_outer(start: bindings::phys_addr_t, end: bindings::phys_addr_t);
    fn carveout_cache_flush_outer(start: bindings::phys_addr_t, end: bindings::phys_addr_t);
    fn carveout_cache_wmb();
    fn carveout_cache_cond_resched();
}

/// Whether this kernel gives modules the by-address cache maintenance a cached region needs:
/// always on 32-bit ARM; on arm64 only with the persistent-memory API (`CONFIG_ARM64_PMEM`),
/// without which `arch_wb_cache_pmem` and `arch_invalidate_pmem` are empty.
pub(crate) const CACHED_SYNC_AVAILABLE: bool = cfg!(any(CONFIG_ARM, CONFIG_ARCH_HAS_PMEM_API));

/// Whom a range is made coherent for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyncDirection {
    /// The device will read: CPU writes must reach memory (clean).
    ForDevice,
    /// The CPU will read: it must see what the device wrote (invalidate).
    ForCpu,
    /// Both: clean, then invalidate.
    Bidirectional,
}

impl SyncDirection {
    /// Whether CPU writes must reach memory.
    pub(crate) fn for_device(self) -> bool {
        matches!(self, Self::ForDevice | Self::Bidirectional)
    }
}

/// Makes `[addr, addr + size)`, which is `[phys, phys + size)`, coherent for `direction`.
///
/// An invalidate always cleans too: a line the CPU wrote and nobody synced is written back,
/// never dropped (the kernel exports no safe invalidate-only for a range whose ends may share
/// lines with other data anyway).
///
/// # Safety
///
/// `addr` must be the start of `size` bytes of a live cacheable kernel mapping of the physical
/// range at `phys`, which no other mapping maps with another type, and
/// [`CACHED_SYNC_AVAILABLE`] must be true.
pub(super) unsafe fn maintain(
    addr: *mut c_void,
    phys: bindings::phys_addr_t,
    size: usize,
    direction: SyncDirection,
) {
    // The outer cache takes an exclusive end. A range ending exactly at the top of the
    // physical address space (4 GiB on 32-bit ARM without LPAE) has none; its last byte's line
    // starts below `MAX`, and the operations work by whole lines, so `MAX` covers it.
    let end = phys
        .checked_add(size as bindings::phys_addr_t)
        .unwrap_or(bindings::phys_addr_t::MAX);
    match direction {
        SyncDirection::ForDevice => {
            // SAFETY: `addr` maps `size` bytes (the caller's contract); cleaning writes back
            // what the CPU wrote there and changes nothing else.
            unsafe { carveout_cache_clean_inner(addr, size) };
            // SAFETY: `[phys, end)` is the same range, by physical address.
            unsafe { carveout_cache_clean_outer(phys, end) };
        }
        SyncDirection::ForCpu => {
            // SAFETY: As above; the outer cache goes first, so that a line the inner caches
            // prefetch meanwhile is dropped after it (see the module doc).
            unsafe { carveout_cache_flush_outer(phys, end) };
            // SAFETY: As above, for the inner caches.
            unsafe { carveout_cache_flush_inner(addr, size) };
        }
        SyncDirection::Bidirectional => {
            // SAFETY: As above: inner clean, outer clean and invalidate, inner invalidate.
            unsafe { carveout_cache_clean_inner(addr, size) };
            // SAFETY: As above.
            unsafe { carveout_cache_flush_outer(phys, end) };
            // SAFETY: As above.
            unsafe { carveout_cache_flush_inner(addr, size) };
        }
    }
}

/// Drains the CPU's write buffers (and an outer cache's store buffer), so that writes to any
/// memory type have reached memory before a device is told to read.
pub(super) fn write_barrier() {
    // SAFETY: A barrier; it has no preconditions.
    unsafe { carveout_cache_wmb() };
}

/// Lets another task run if one should: long maintenance and copies run in chunks with this
/// between. Only from process context, holding no spinlock and no RCU read lock.
pub(crate) fn cond_resched() {
    // SAFETY: `cond_resched` has no memory-safety preconditions; the context it needs (which
    // the callers, `read`, `write` and the sync ioctl between their guarded chunks, give) is a
    // correctness matter that `might_sleep` checks on debug kernels.
    unsafe { carveout_cache_cond_resched() };
}
