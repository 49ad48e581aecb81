// SPDX-License-Identifier: GPL-2.0

//! A window of a carveout mapped into a user VMA with `remap_pfn_range`.
//!
//! Linux 7.3's [`VmaNew`] has no accessor for `vm_pgoff` or `vm_page_prot` and no wrapper of
//! `remap_pfn_range`: this file reaches them through the raw VMA, during `mmap` only.

use kernel::{
    bindings,
    error::to_result,
    mm::virt::VmaNew,
    prelude::*, //
};

use super::MemoryType;
use crate::region::{
    Region,
    WindowError, //
};

/// Why [`remap`] failed.
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

/// Maps the window of `region` at page offset `vma->vm_pgoff` into the whole of `vma`, with
/// `memory_type`. `remap_pfn_range` marks the VMA `VM_IO | VM_PFNMAP | VM_DONTEXPAND |
/// VM_DONTDUMP`; on failure it has unmapped what it mapped.
///
/// # Safety
///
/// `region` must be a claimed `no-map` carveout that no other kernel user owns, mapped
/// everywhere else with `memory_type` only.
pub(super) unsafe fn remap(
    vma: &VmaNew,
    region: &Region,
    memory_type: MemoryType,
) -> Result<(), MapError> {
    let len = vma.end() - vma.start();
    let phys = region
        .window(vma_pgoff(vma), len)
        .map_err(MapError::Window)?;
    let vma_ptr = vma.as_ptr();
    // SAFETY: `vma` is undergoing initial setup (`VmaNew`), so nothing else reads or writes
    // its protection concurrently.
    let prot = memory_type.user_prot(unsafe { (*vma_ptr).vm_page_prot });
    // SAFETY: As above; the VMA is not shared yet.
    unsafe { (*vma_ptr).vm_page_prot = prot };
    // `phys` is a page-aligned address inside the region (checked by `window`), so the page
    // frame number fits in `unsigned long`.
    let pfn = (phys >> bindings::PAGE_SHIFT) as usize;
    // SAFETY: `vma` is being set up by `mmap` with the mmap lock held for writing. The PFN
    // range `[pfn, pfn + len / PAGE_SIZE)` lies inside `region` (`window` checked it), which no
    // other kernel user owns and nothing maps with another type (the caller's contract).
    let ret = unsafe { bindings::remap_pfn_range(vma_ptr, vma.start(), pfn, len, prot) };
    to_result(ret).map_err(MapError::Kernel)
}
