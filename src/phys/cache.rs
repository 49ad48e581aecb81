// SPDX-License-Identifier: GPL-2.0

//! Cache maintenance of a cached carveout, for a device (or co-processor) that shares it.
//!
//! The DMA API's sync calls reach memory through the kernel's linear map, which a `no-map`
//! region does not have: on 32-bit ARM, `arch_sync_dma_for_device()` and
//! `arch_sync_dma_for_cpu()` (arch/arm/mm/dma-mapping.c) take `phys_to_virt()` of the address,
//! and the latter marks the pages' folios clean (peer drivers oops there). This maintains the
//! region through the driver's own cacheable kernel mapping, by virtual address, and ARM's outer
//! cache by physical address. Which steps, in which order, and why no byte is lost by them:
//! [`crate::cache_plan`], host-tested; which instruction each step is: `cache.c`.
//!
//! A sync for the device also drains the CPU's write buffers (`wmb()`) on every memory type: a
//! write-combine or device region is not cached, but its writes may still wait in a write buffer
//! or, on ARM, an outer cache's store buffer, which userspace cannot drain.

use core::ffi::c_void;
use kernel::bindings;

use crate::cache_plan::CacheOp;

extern "C" {
    fn carveout_cache_clean_inner(addr: *mut c_void, size: usize);
    fn carveout_cache_clean_inval_inner(addr: *mut c_void, size: usize);
    fn carveout_cache_clean_outer(start: bindings::phys_addr_t, end: bindings::phys_addr_t);
    fn carveout_cache_clean_inval_outer(start: bindings::phys_addr_t, end: bindings::phys_addr_t);
    fn carveout_cache_wmb();
}

/// Carries out `plan` on `[addr, addr + size)`, which is `[phys, phys + size)`, one step after
/// the other.
///
/// # Safety
///
/// `addr` must be the start of `size` bytes of a live cacheable kernel mapping of the physical
/// range at `phys`, which no other mapping maps with another type.
pub(super) unsafe fn maintain(
    addr: *mut c_void,
    phys: bindings::phys_addr_t,
    size: usize,
    plan: &[CacheOp],
) {
    // The outer cache takes an exclusive end. A range ending exactly at the top of the
    // physical address space (4 GiB on 32-bit ARM without LPAE) has none; its last byte's line
    // starts below `MAX`, and the operations work by whole lines, so `MAX` covers it.
    let end = phys
        .checked_add(size as bindings::phys_addr_t)
        .unwrap_or(bindings::phys_addr_t::MAX);
    for op in plan {
        match op {
            // SAFETY: `addr` maps `size` bytes (the caller's contract); a clean writes back what
            // the CPUs wrote there and changes no value any CPU reads.
            CacheOp::InnerClean => unsafe { carveout_cache_clean_inner(addr, size) },
            // SAFETY: `[phys, end)` is the same range, by physical address.
            CacheOp::OuterClean => unsafe { carveout_cache_clean_outer(phys, end) },
            // SAFETY: As for `InnerClean`; each line is written back and dropped in one step,
            // so no store is lost (see `cache_plan`).
            CacheOp::InnerCleanInvalidate => unsafe {
                carveout_cache_clean_inval_inner(addr, size)
            },
            // SAFETY: As for `OuterClean`, one line at a time as above.
            CacheOp::OuterCleanInvalidate => unsafe { carveout_cache_clean_inval_outer(phys, end) },
        }
    }
}

/// Drains the CPU's write buffers (and an outer cache's store buffer), so that writes to any
/// memory type have reached memory before a device is told to read.
pub(super) fn write_barrier() {
    // SAFETY: A barrier; it has no preconditions.
    unsafe { carveout_cache_wmb() };
}
