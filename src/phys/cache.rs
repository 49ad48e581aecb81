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
//! `cache.c` names the primitives each architecture provides and why they are enough.

use core::ffi::c_void;
use kernel::bindings;

extern "C" {
    fn carveout_cache_clean_inner(addr: *mut c_void, size: usize);
    fn carveout_cache_inval_inner(addr: *mut c_void, size: usize);
    fn carveout_cache_clean_outer(start: bindings::phys_addr_t, size: usize);
    fn carveout_cache_inval_outer(start: bindings::phys_addr_t, size: usize);
}

/// Whom a range is made coherent for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyncDirection {
    /// The device will read: CPU writes must reach memory (clean).
    ForDevice,
    /// The CPU will read: it must see what the device wrote (invalidate).
    ForCpu,
    /// Both, in that order.
    Bidirectional,
}

/// Makes `[addr, addr + size)`, which is `[phys, phys + size)`, coherent for `direction`.
///
/// # Safety
///
/// `addr` must be the start of `size` bytes of a live cacheable kernel mapping of the physical
/// range at `phys`, which no other mapping maps with another type (cache maintenance by address
/// touches only the lines of that range, whatever they hold).
pub(super) unsafe fn sync(
    addr: *mut c_void,
    phys: bindings::phys_addr_t,
    size: usize,
    direction: SyncDirection,
) {
    if matches!(
        direction,
        SyncDirection::ForDevice | SyncDirection::Bidirectional
    ) {
        // SAFETY: `addr` maps `size` bytes (the caller's contract); cleaning writes back what
        // the CPU wrote there and changes nothing else.
        unsafe { carveout_cache_clean_inner(addr, size) };
        // SAFETY: `[phys, phys + size)` is the same range, by physical address.
        unsafe { carveout_cache_clean_outer(phys, size) };
    }
    if matches!(direction, SyncDirection::ForCpu | SyncDirection::Bidirectional) {
        // SAFETY: As above; the outer cache is invalidated first (see the module doc).
        unsafe { carveout_cache_inval_outer(phys, size) };
        // SAFETY: As above, for the inner caches.
        unsafe { carveout_cache_inval_inner(addr, size) };
    }
}
