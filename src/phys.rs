// SPDX-License-Identifier: GPL-2.0

//! Physical memory: the carveout's region, its memory type, and its mappings into the kernel and
//! into processes, which the Rust `kernel` crate of Linux 7.3 has no abstraction for.
//!
//! One abstraction per file, each a type with its invariants and safe methods, the unsafe code
//! inside; where a kernel macro or inline has no binding, a C file of the same name wraps it
//! and decides nothing:
//!
//! - [`MemoryType`] (`memory_type.rs`, `memory_type.c`): the one memory type of a region, and
//!   the user protection each type maps with.
//! - [`ReservedRegion`] (`reserved.rs`, `reserved.c`): the `/reserved-memory` region a device's
//!   `memory-region` names, read as facts that Rust judges.
//! - [`ClaimedRegion`] (`claim.rs`, `claim.c`): a validated region in RAM, claimed in
//!   `iomem_resource` (so it shows in `/proc/iomem`) and bound to one [`MemoryType`].
//! - [`KernelMapping`] (`kernel_mapping.rs`, `kernel_mapping.c`): the region mapped into the
//!   kernel with that type, the copies between it and user buffers that `read` and `write` make,
//!   and the cache maintenance of a cached region through it (`cache.rs`, `cache.c`).
//! - `cpu_buffer.rs`, `cpu_buffer.c`: a page-sized buffer per CPU, through which a device
//!   region's copies go without allocating or locking.
//! - [`ExportedWindow`] (`dma_buf.rs`, `dma_buf.c`): a window of the region exported as a
//!   dma-buf, with the same type, which holds the claim and the kernel mapping until it goes.
//! - [`MmapDesc`], [`DescribedVma`] (`user_mapping.rs`, `user_mapping.c`): a window of the region
//!   described while `mmap` prepares it, then mapped into the linked VMA with `remap_pfn_range`,
//!   with the same type ([`ClaimedRegion::map_user`]).
//!
//! The kernel mapping and every user mapping take their type from the one [`ClaimedRegion`]:
//! on ARMv7 two mappings of a physical page with different memory types are unpredictable.

mod cache;
mod claim;
mod cpu_buffer;
mod dma_buf;
mod kernel_mapping;
mod memory_type;
mod reserved;
mod user_mapping;

pub(crate) use claim::{
    ClaimError,
    ClaimedRegion,
    PHYS_MAX, //
};
pub(crate) use dma_buf::ExportedWindow;
pub(crate) use kernel_mapping::{
    KernelMapping,
    StackBuffer, //
};
pub(crate) use memory_type::MemoryType;
pub(crate) use reserved::{
    LookupError,
    RegionTarget,
    ReservedRegion, //
};
#[cfg(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)]
pub(crate) use user_mapping::{
    block_pgoff,
    block_unmapped_area,
    keep_wipe_on_fork, //
};
pub(crate) use user_mapping::{
    DescribedVma,
    MapError,
    MmapDesc,
    UserFault,
    VmFault, //
};
