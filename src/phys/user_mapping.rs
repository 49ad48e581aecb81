// SPDX-License-Identifier: GPL-2.0

//! A window of a carveout mapped into a user VMA, in two steps, and the faults that map the rest.
//!
//! `mmap` runs through `f_op->mmap_prepare` ([`MmapDesc`]: checks and describes the mapping,
//! before any VMA exists) and then `vm_ops->mapped` ([`ClaimedRegion::map_user`]: maps pages
//! into the VMA, once the kernel has linked it into the file's address space, where the
//! revocation at unbind finds it). Linux 7.3 calls `mapped` only for `mmap_prepare` drivers
//! (`mmap_action_finish` in mm/util.c, from `__mmap_region` in mm/vma.c); an error from it
//! unmaps the new VMA and fails the `mmap`. A stacking driver's legacy `->mmap`
//! (`compat_vma_mmap`) calls `mapped` before its VMA is linked: [`DescribedVma::find`] does not
//! find that VMA then, and the `mmap` fails. Pages are thus mapped only into a VMA that the
//! revocation can reach, and the revocation never waits for a process's `mmap_lock`
//! (`Carveout::revoke`).
//!
//! # Page entries and block entries
//!
//! On 32-bit ARM, and wherever the kernel cannot map a PFN range with block entries, `mapped`
//! writes a page entry for every 4 KiB of the VMA with `remap_pfn_range`: the first pass over the
//! mapping takes no fault. On arm64 with transparent huge pages the kernel maps PFN ranges with
//! PMD-level block entries too (`CONFIG_ARCH_SUPPORTS_PMD_PFNMAP`: 2 MiB each with 4 KiB pages,
//! `vmf_insert_pfn_pmd` from `vm_ops->huge_fault`, as VFIO maps PCI BARs): there `mapped` writes
//! page entries for the edges only, the parts of the VMA no whole block covers
//! ([`block_span`]), and leaves the blocks to the first touch of each, one fault per block
//! ([`fault`]). The user address of a mapping is chosen congruent to the physical address
//! modulo a block where room allows (`f_op->get_unmapped_area`, [`block_unmapped_area`]). A
//! process that disabled transparent huge pages (`prctl(PR_SET_THP_DISABLE)`) gets page entries
//! at `mmap`, as on 32-bit ARM: the kernel would never call its `huge_fault`. On a kernel with
//! blocks every mapping is wipe-on-fork, set at `mapped` and again by `vm_ops->open` on every
//! VMA derived from it (a fork's child included: a process can clear the flag): a child faults
//! its entries in through the claim (why: docs/design.md, the bullet on block entries). A fault
//! where no block fits (a VMA that a partial `munmap` or `mremap` left unaligned; the kernel
//! zaps the block it splits) inserts a page entry; a block and page entries never share a PMD,
//! whatever order faults of different sizes come in ([`fault`]).
//! Block and page entries take the VMA's protection, which carries the memory type
//! ([`MmapDesc::describe`], and `remap` sets it again), so a window has one memory type
//! whichever entries map it; the revocation zaps both (`unmap_mapping_range`), and a fault after
//! it raises `SIGBUS` ([`ClaimedRegion::fault_user`] runs only while the claim is there).
//!
//! [`ClaimedRegion::map_user`]: super::ClaimedRegion::map_user
//! [`ClaimedRegion::fault_user`]: super::ClaimedRegion::fault_user
//! [`block_span`]: crate::block_plan::block_span

use core::{
    marker::PhantomData,
    ptr::NonNull, //
};
use kernel::{
    bindings,
    error::to_result,
    mm::virt::{
        flags as vm_flags,
        VmaNew,
        VmaRef, //
    },
    prelude::*, //
};

use super::MemoryType;
use crate::{
    block_plan,
    region::{
        Region,
        WindowError, //
    },
};

// As in `mapping_space.rs`: the structs behind these pointers are only passed through, but
// bindgen gives some structs they contain no fields on some configurations, which
// `improper_ctypes` flags even behind a pointer. `allow`: whether it fires depends on the
// configuration.
#[allow(improper_ctypes)]
extern "C" {
    fn carveout_desc_may_share(desc: *const bindings::vm_area_desc) -> bool;
    fn carveout_desc_exec(desc: *const bindings::vm_area_desc) -> bool;
    fn carveout_desc_clear_mayexec(desc: *mut bindings::vm_area_desc);
    fn carveout_desc_set_remap_flags(desc: *mut bindings::vm_area_desc);
    fn carveout_vma_lookup_current(start: usize) -> *mut bindings::vm_area_struct;
    fn carveout_block_shift() -> u32;
    #[cfg(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)]
    fn carveout_vma_thp_disabled(vma: *mut bindings::vm_area_struct) -> bool;
    fn carveout_vma_set_wipeonfork(vma: *mut bindings::vm_area_struct);
    fn carveout_fault_pmd(vmf: *const bindings::vm_fault, none: *mut bool, leaf: *mut bool);
    fn carveout_fault_vma(vmf: *const bindings::vm_fault) -> *mut bindings::vm_area_struct;
    fn carveout_fault_address(vmf: *const bindings::vm_fault) -> usize;
    fn carveout_fault_insert_page(vmf: *mut bindings::vm_fault, pfn: usize)
        -> bindings::vm_fault_t;
    fn carveout_fault_insert_block(
        vmf: *mut bindings::vm_fault,
        pfn: usize,
    ) -> bindings::vm_fault_t;
    #[cfg(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)]
    fn carveout_block_unmapped_area(
        file: *mut bindings::file,
        addr: usize,
        len: usize,
        pgoff: usize,
        flags: usize,
    ) -> usize;
}

/// The bytes a block entry maps (2 MiB on arm64 with 4 KiB pages), or `None` on a kernel that
/// maps PFN ranges with page entries only (32-bit ARM, arm64 without transparent huge pages).
fn block_size() -> Option<usize> {
    // SAFETY: `carveout_block_shift` has no preconditions; it returns a constant.
    match unsafe { carveout_block_shift() } {
        0 => None,
        shift => Some(1 << shift),
    }
}

/// Why a user mapping is refused or failed.
#[derive(Debug)]
pub(crate) enum MapError {
    /// A private (copy-on-write) mapping: copy-on-write of PFN memory is refused.
    Private,
    /// An executable mapping (`PROT_EXEC`, or `READ_IMPLIES_EXEC`).
    Executable,
    /// A descriptor described twice: its protection would mix two memory types.
    DescribedTwice,
    /// The requested window is not inside the region.
    Window(WindowError),
    /// `remap_pfn_range` failed.
    Kernel(Error),
}

/// A mapping that `mmap` is preparing (`struct vm_area_desc`): no VMA exists yet, and what is
/// set here becomes the VMA's.
///
/// # Invariants
///
/// - `desc` is the descriptor of an `mmap` in progress in the current process, valid for `'a`,
///   and only this `MmapDesc` reads or writes it meanwhile (the kernel hands it to
///   `f_op->mmap_prepare` alone, under the `mmap_lock` held for writing).
/// - `described` is true only once [`MmapDesc::describe`] has described a shared, not
///   executable mapping of a window of a region; only then can it be given operations.
pub(crate) struct MmapDesc<'a> {
    desc: NonNull<bindings::vm_area_desc>,
    described: bool,
    _desc: PhantomData<&'a mut bindings::vm_area_desc>,
}

impl MmapDesc<'_> {
    /// Wraps the descriptor `f_op->mmap_prepare` received.
    ///
    /// # Safety
    ///
    /// `desc` is the descriptor passed to `f_op->mmap_prepare`, used by nothing else for `'a`.
    pub(crate) unsafe fn from_raw(desc: NonNull<bindings::vm_area_desc>) -> Self {
        // INVARIANT: The caller's contract; not described yet.
        Self {
            desc,
            described: false,
            _desc: PhantomData,
        }
    }

    fn raw(&self) -> &bindings::vm_area_desc {
        // SAFETY: `desc` is valid and not written by anyone else meanwhile (type invariant).
        unsafe { self.desc.as_ref() }
    }

    /// The length of the mapping in bytes.
    pub(crate) fn len(&self) -> usize {
        // The kernel made a non-empty, page-aligned `[start, end)`.
        self.raw().end - self.raw().start
    }

    /// The page offset the mapping asks for: for this device, an offset into the region.
    pub(crate) fn pgoff(&self) -> usize {
        self.raw().pgoff
    }

    /// Whether the mapping is shared (`MAP_SHARED`), not a private copy-on-write one.
    fn may_share(&self) -> bool {
        // SAFETY: `desc` is valid (type invariant); the helper reads its flags.
        unsafe { carveout_desc_may_share(self.desc.as_ptr()) }
    }

    /// Whether the mapping asks for `PROT_EXEC` (also set by `READ_IMPLIES_EXEC`).
    fn executable(&self) -> bool {
        // SAFETY: As in `may_share`.
        unsafe { carveout_desc_exec(self.desc.as_ptr()) }
    }

    /// Gives the mapping the operations `vm_ops` and the private data `tag`, by which
    /// `vm_ops->mapped` tells its VMA from any other ([`DescribedVma::find`]). `EINVAL` unless
    /// [`MmapDesc::describe`] has described it: so a VMA with operations set here is one it
    /// described.
    pub(crate) fn set_operations(
        &mut self,
        vm_ops: &'static bindings::vm_operations_struct,
        tag: usize,
    ) -> Result {
        if !self.described {
            return Err(EINVAL);
        }
        let desc = self.desc.as_ptr();
        // SAFETY: `desc` is valid and ours (type invariant); the operations become the VMA's.
        unsafe { (*desc).vm_ops = vm_ops };
        // SAFETY: As above; the private data becomes the VMA's, a tag that nothing dereferences.
        unsafe { (*desc).private_data = core::ptr::without_provenance_mut(tag) };
        Ok(())
    }

    /// Describes a shared mapping of `region`'s window at this descriptor's offset with
    /// `memory_type`, never executable (not even by a later `mprotect`), marked as
    /// `remap_pfn_range` marks a VMA (`VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP`): set
    /// now, the kernel neither merges the VMA with a neighbour (it would then not call
    /// `mapped`) nor tracks its pages for writeback. Maps no page. Refuses a private mapping
    /// (`remap_pfn_range` of a copy-on-write VMA rewrites its page offset while the VMA is in the
    /// file's address space), an executable one, and a window outside the region.
    pub(crate) fn describe(
        &mut self,
        region: &Region,
        memory_type: MemoryType,
    ) -> Result<(), MapError> {
        if self.described {
            return Err(MapError::DescribedTwice);
        }
        if !self.may_share() {
            return Err(MapError::Private);
        }
        if self.executable() {
            return Err(MapError::Executable);
        }
        region
            .window(self.pgoff(), self.len())
            .map_err(MapError::Window)?;
        let desc = self.desc.as_ptr();
        // SAFETY: `desc` is valid and ours (type invariant).
        unsafe { carveout_desc_clear_mayexec(desc) };
        // SAFETY: As above.
        unsafe { carveout_desc_set_remap_flags(desc) };
        // SAFETY: As above; the protection becomes the VMA's.
        unsafe { (*desc).page_prot = memory_type.user_prot((*desc).page_prot) };
        // INVARIANT: Shared, not executable, a window of `region`.
        self.described = true;
        Ok(())
    }
}

/// A VMA that [`MmapDesc::describe`] described, linked into the current process and into its
/// file's address space, during its `mmap` (`vm_ops->mapped`), with the page offset it maps.
///
/// # Invariants
///
/// - `vma` is a shared, not executable VMA of the current process described once by
///   [`MmapDesc::describe`], so its protection carries the memory type `describe` was given.
/// - Its `mmap` is in progress with the process's `mmap_lock` held for writing for `'a`, and no
///   page is mapped into it yet: the kernel calls `mapped` once, right after linking the VMA,
///   and the tag tells it from any other VMA at the same place (tags are unique until the
///   counter wraps, after `usize::MAX` mappings: 2^32 on 32-bit ARM).
/// - `pgoff` is the page offset it maps.
pub(crate) struct DescribedVma<'a> {
    vma: &'a VmaRef,
    pgoff: usize,
}

impl<'a> DescribedVma<'a> {
    /// The VMA of the current process that is `[start, end)` of `file` at page offset `pgoff`,
    /// with `vm_ops` and the private data `tag`: the one VMA that [`MmapDesc::describe`]
    /// described and [`MmapDesc::set_operations`] tagged, once the kernel has put it in the
    /// process (and, in the same step under the same lock, in the file's address space:
    /// `__mmap_new_vma` in mm/vma.c). `None` if it is not there yet.
    ///
    /// # Safety
    ///
    /// - The current process's `mmap_lock` must be held for writing for `'a` (`mapped` runs
    ///   under it).
    /// - `vm_ops` must be operations that only [`MmapDesc::set_operations`] gives a VMA (which
    ///   gives them only to a descriptor [`MmapDesc::describe`] described), or that the kernel
    ///   copies to VMAs it derives from those (split, fork, `mremap`: they keep the flags
    ///   `describe` set).
    /// - `tag` must be the one `set_operations` gave the `mmap` whose `mapped` this is.
    pub(crate) unsafe fn find(
        start: usize,
        end: usize,
        pgoff: usize,
        file: *const bindings::file,
        vm_ops: *const bindings::vm_operations_struct,
        tag: usize,
    ) -> Option<Self> {
        // SAFETY: The caller holds the `mmap_lock` the lookup needs.
        let vma = unsafe { carveout_vma_lookup_current(start) };
        if vma.is_null() {
            return None;
        }
        // SAFETY: `vma` is a VMA of the current process, which stays valid and unchanged by
        // others while its `mmap_lock` is held (the caller's contract).
        let found = unsafe { VmaRef::from_raw(vma) };
        // SAFETY: As above.
        let (vma_file, vma_ops, vma_tag) =
            unsafe { ((*vma).vm_file, (*vma).vm_ops, (*vma).vm_private_data.addr()) };
        let same = found.end() == end
            && core::ptr::eq(vma_file, file)
            && core::ptr::eq(vma_ops, vm_ops)
            && vma_tag == tag;
        // INVARIANT: The VMA has operations that only a described descriptor was given (the
        // caller's contract, and `set_operations`), under the lock held for `'a`.
        same.then_some(Self { vma: found, pgoff })
    }

    /// The length of the mapping in bytes.
    pub(crate) fn len(&self) -> usize {
        self.vma.end() - self.vma.start()
    }

    /// The bytes a block entry of this VMA maps, if faults on it may insert them: the kernel
    /// maps PFN ranges with block entries, and the process has not disabled transparent huge
    /// pages (then the kernel never calls `huge_fault`).
    #[cfg(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)]
    fn block_size(&self) -> Option<usize> {
        let block = block_size()?;
        // SAFETY: `vma` is a live VMA whose `mmap_lock` is held (type invariant); the helper
        // reads its flags and its process's.
        let disabled = unsafe { carveout_vma_thp_disabled(self.vma.as_ptr()) };
        (!disabled).then_some(block)
    }

    /// As above, on a kernel that maps PFN ranges with page entries only: none.
    #[cfg(not(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP))]
    fn block_size(&self) -> Option<usize> {
        None
    }
}

/// Makes `vma`, a VMA the kernel derives from one of this driver's (`vm_ops->open`: a fork's
/// child, a split, an `mremap` copy), wipe-on-fork again: a process may have cleared the flag
/// (`madvise(MADV_KEEPONFORK)`), and the child of a fork must fault its entries in rather than
/// copy a block (see `carveout_vma_set_wipeonfork`). `dup_mmap` calls `open` on the child before
/// it tests the child's flag.
///
/// # Safety
///
/// `vma` must be the VMA `vm_ops->open` was called for, with its `mmap_lock` held for writing
/// (or not yet attached to its process), during the call.
#[cfg(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)]
pub(crate) unsafe fn keep_wipe_on_fork(vma: *mut bindings::vm_area_struct) {
    // SAFETY: The caller's contract, which setting a VMA's flags requires.
    unsafe { carveout_vma_set_wipeonfork(vma) };
}

/// What a fault handler tells the kernel (`vm_fault_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct VmFault(bindings::vm_fault_t);

impl VmFault {
    /// The access raises `SIGBUS`: nothing may be mapped there (the device is unbound).
    pub(crate) const SIGBUS: Self = Self(bindings::vm_fault_reason_VM_FAULT_SIGBUS);
    /// An entry is there already (or was just inserted): the access is retried.
    pub(crate) const NOPAGE: Self = Self(bindings::vm_fault_reason_VM_FAULT_NOPAGE);
    /// No block fits here: the kernel retries the fault with a page entry.
    pub(crate) const FALLBACK: Self = Self(bindings::vm_fault_reason_VM_FAULT_FALLBACK);

    /// The value `vm_ops->fault` and `->huge_fault` return.
    pub(crate) fn into_raw(self) -> bindings::vm_fault_t {
        self.0
    }
}

/// What the PMD of a faulting address holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PmdHolds {
    Nothing,
    Block,
    PageTable,
}

/// A page fault the kernel is handling in a user VMA (`vm_ops->fault`, `->huge_fault`).
///
/// # Invariants
///
/// - `vmf` is the fault being handled, valid for `'a`; its VMA stays valid and unchanged for
///   `'a` (the kernel holds the VMA's lock or its process's `mmap_lock` for reading while a fault
///   handler runs).
/// - The VMA is one that [`MmapDesc::describe`] described (or that the kernel derived from one:
///   split, `mremap`, fork, which keep its flags and protection): shared, `VM_PFNMAP` and not
///   `VM_MIXEDMAP`, never executable, its protection carrying its region's memory type.
pub(crate) struct UserFault<'a> {
    vmf: NonNull<bindings::vm_fault>,
    vma: &'a VmaRef,
}

impl<'a> UserFault<'a> {
    /// Wraps the fault `vm_ops->fault` or `->huge_fault` received.
    ///
    /// # Safety
    ///
    /// - `vmf` is the fault that the kernel passed to the handler, for `'a`, which does not
    ///   outlive the handler's call.
    /// - The handler is one of operations that only [`MmapDesc::set_operations`] gives a VMA
    ///   (which gives them only to a descriptor [`MmapDesc::describe`] described), or that the
    ///   kernel copies to VMAs it derives from those.
    pub(crate) unsafe fn from_raw(vmf: NonNull<bindings::vm_fault>) -> Self {
        // SAFETY: `vmf` is valid (the caller's contract); its VMA is the faulting one.
        let vma = unsafe { carveout_fault_vma(vmf.as_ptr()) };
        // SAFETY: The kernel holds the VMA's lock or the `mmap_lock` for reading during the
        // handler's call, which `'a` does not outlive (the caller's contract).
        let vma = unsafe { VmaRef::from_raw(vma) };
        // INVARIANT: The caller's contract: a fault of this handler is on a described VMA.
        Self { vmf, vma }
    }

    /// What the faulting address's PMD holds. Entries change under the page-table lock, so the
    /// answer may be stale by the time it is used, except where the caller keeps every other
    /// inserter out (all of this driver's inserts run under its claim lock; zaps only clear).
    fn pmd_holds(&self) -> PmdHolds {
        let (mut none, mut leaf) = (false, false);
        // SAFETY: `vmf` is valid (type invariant), its PMD allocated by the kernel before it
        // called the handler (`__handle_mm_fault`); the helper reads it once, without the lock,
        // and writes the two answers to our locals.
        unsafe { carveout_fault_pmd(self.vmf.as_ptr(), &mut none, &mut leaf) };
        match (none, leaf) {
            (true, _) => PmdHolds::Nothing,
            (false, true) => PmdHolds::Block,
            (false, false) => PmdHolds::PageTable,
        }
    }

    /// The file the faulting VMA maps (which the VMA holds a reference to).
    pub(crate) fn file(&self) -> *const bindings::file {
        // SAFETY: The VMA is valid for `'a` (type invariant).
        unsafe { (*self.vma.as_ptr()).vm_file }
    }

    /// The faulting user address, rounded down to a page.
    fn address(&self) -> usize {
        // SAFETY: `vmf` is valid (type invariant).
        unsafe { carveout_fault_address(self.vmf.as_ptr()) }
    }

    /// The VMA's page offset: for this device, an offset into the region.
    fn pgoff(&self) -> usize {
        // SAFETY: The VMA is valid and unchanged for `'a` (type invariant).
        unsafe { (*self.vma.as_ptr()).vm_pgoff }
    }
}

/// Maps the window of `region` at page offset `pgoff` into the whole of `vma`, a VMA that a
/// file's `mmap` is setting up (a dma-buf's: `dma_buf_ops.mmap`), with `memory_type`: shared
/// only, never executable (not even by a later `mprotect`), as [`MmapDesc::describe`] has it.
/// On failure `remap_pfn_range` has unmapped what it mapped.
///
/// # Safety
///
/// As for [`remap`].
pub(super) unsafe fn remap_new(
    vma: &VmaNew,
    pgoff: usize,
    region: &Region,
    memory_type: MemoryType,
) -> Result<(), MapError> {
    // `MAYSHARE`, not `SHARED`: a shared mapping of a file open read-only has only `MAYSHARE`.
    if vma.flags() & vm_flags::MAYSHARE == 0 {
        return Err(MapError::Private);
    }
    vma.try_clear_mayexec().map_err(|_| MapError::Executable)?;
    let len = vma.end() - vma.start();
    let phys = region.window(pgoff, len).map_err(MapError::Window)?;
    let vma_ptr = vma.as_ptr();
    // SAFETY: `vma` is being set up by this `mmap` (`VmaNew`), which nothing else reads or
    // writes meanwhile: its protection may be read and set.
    let prot = memory_type.user_prot(unsafe { (*vma_ptr).vm_page_prot });
    // SAFETY: As above. The VMA's protection is the one its pages get, so that whatever the
    // kernel derives from it (`mprotect`, a split) keeps the memory type.
    unsafe { (*vma_ptr).vm_page_prot = prot };
    // `phys` lies in the region, below `PHYS_MAX`: its page frame number fits in `usize`.
    let pfn = (phys >> bindings::PAGE_SHIFT) as usize;
    // SAFETY: `vma` is a live VMA being set up by `mmap` in the current process, `[start,
    // start + len)` is all of it, and `[phys, phys + len)` lies inside `region` (checked by
    // `window`), which the caller lets user space map with `memory_type`.
    let ret = unsafe { bindings::remap_pfn_range(vma_ptr, vma.start(), pfn, len, prot) };
    to_result(ret).map_err(MapError::Kernel)
}

/// Maps the window of `region` at `vma`'s page offset into `vma` with `memory_type`: the whole
/// of it with page entries, or, where faults may insert block entries, the edges that no whole
/// block covers, leaving the blocks to [`fault`]. On failure `remap_pfn_range` has unmapped what
/// its call mapped; the caller's error unmaps the VMA.
///
/// # Safety
///
/// `region` must be a claimed `no-map` carveout that no other kernel user owns, mapped
/// everywhere else with `memory_type` only.
pub(super) unsafe fn remap(
    vma: DescribedVma<'_>,
    region: &Region,
    memory_type: MemoryType,
) -> Result<(), MapError> {
    let (start, end) = (vma.vma.start(), vma.vma.end());
    let phys = region
        .window(vma.pgoff, end - start)
        .map_err(MapError::Window)?;
    let vma_ptr = vma.vma.as_ptr();
    // SAFETY: The `mmap_lock` is held for writing (type invariant), so nothing changes the
    // protection meanwhile. It is the one `describe` set, which the kernel kept but for the
    // page's dirty state (`vma_set_page_prot`): `user_prot` sets the memory type's bits again.
    let prot = memory_type.user_prot(unsafe { (*vma_ptr).vm_page_prot });
    // SAFETY: As above; no entry is mapped yet (type invariant). Faults insert entries with
    // the VMA's protection, which must carry the memory type; the kernel keeps its memory
    // attributes when it changes the protection later (`mprotect`: `pgprot_modify`).
    unsafe { (*vma_ptr).vm_page_prot = prot };
    let blocks = vma
        .block_size()
        .and_then(|block| block_plan::block_span(start, end, phys, block));
    if block_size().is_some() {
        // SAFETY: The `mmap_lock` is held for writing (type invariant), as setting a VMA's flags
        // requires. Wipe-on-fork, on every mapping of a kernel with blocks: a child faults its
        // entries in instead of copying them (a block copied at fork could escape a revocation:
        // `carveout_vma_set_wipeonfork`); `vm_ops->open` sets it again on derived VMAs.
        unsafe { carveout_vma_set_wipeonfork(vma_ptr) };
    }
    // Without blocks, the edge before them is the whole VMA and the one after is empty.
    let (first, last) = blocks.unwrap_or((end, end));
    let page_entries = [(start, first), (last, end)];
    for (from, to) in page_entries.into_iter().filter(|(from, to)| from < to) {
        // `from - start` is below the window's length, which `window` checked, so the sum lies
        // in the region, below `PHYS_MAX`: its page frame number fits in `usize`.
        let pfn = ((phys + (from - start) as u64) >> bindings::PAGE_SHIFT) as usize;
        // SAFETY: `vma` is a new shared VMA of the current process, with the mmap lock held
        // for writing (type invariant), and `[from, to)` lies inside it. The PFN range lies
        // inside `region` (`window` checked the whole VMA's), which no other kernel user owns
        // and nothing maps with another type (the caller's contract).
        let ret = unsafe { bindings::remap_pfn_range(vma_ptr, from, pfn, to - from, prot) };
        to_result(ret).map_err(MapError::Kernel)?;
    }
    Ok(())
}

/// Handles a fault on a VMA of `region` that `remap` mapped (or that the kernel derived from
/// one: split, `mremap`, fork) at `order` (0: a page entry; `huge_fault`'s order: a block
/// entry), inserting the entry that maps the faulting address. A block that does not lie wholly
/// inside the VMA, or whose physical address is not aligned to a block, falls back to a page
/// entry.
///
/// # Safety
///
/// As for [`remap`]; and `fault` must be a fault on a VMA that [`MmapDesc::describe`] described
/// for `region` (so its window lies inside `region` and its protection carries the memory type).
pub(super) unsafe fn fault(fault: UserFault<'_>, order: u32, region: &Region) -> VmFault {
    let page = 1usize << bindings::PAGE_SHIFT;
    let size = match (order, block_size()) {
        (0, _) => page,
        (order, Some(block)) if page << order == block => block,
        _ => return VmFault::FALLBACK,
    };
    let (start, end) = (fault.vma.start(), fault.vma.end());
    let Some(addr) = block_plan::fault_block(fault.address(), start, end, size) else {
        // A block that does not lie inside the VMA: a page entry instead. A page always does;
        // were it not to, nothing may be mapped (a page fault cannot fall back).
        return if size == page {
            VmFault::SIGBUS
        } else {
            VmFault::FALLBACK
        };
    };
    // `addr` lies in the VMA, whose page offset plus its length `describe` found inside the
    // region; `window` checks it again.
    let pgoff = fault.pgoff() + ((addr - start) >> bindings::PAGE_SHIFT);
    let Ok(phys) = region.window(pgoff, size) else {
        return VmFault::SIGBUS;
    };
    if phys % size as u64 != 0 {
        return VmFault::FALLBACK;
    }
    // `phys` lies in the region, below `PHYS_MAX`: its page frame number fits in `usize`.
    let pfn = (phys >> bindings::PAGE_SHIFT) as usize;
    // The caller holds the claim lock, under which every insert of this driver runs, so what
    // the PMD holds changes meanwhile only by a zap, which only clears it. Two faults on one
    // block can disagree on its size (the process toggled transparent huge pages between them):
    // a block where page entries already are, or a page entry under a block, is never inserted
    // (the kernel would warn, or with DEBUG_VM stop, in `insert_pmd` and `walk_to_pmd`).
    let holds = fault.pmd_holds();
    let vmf = fault.vmf.as_ptr();
    let ret = if size == page {
        if holds == PmdHolds::Block {
            return VmFault::NOPAGE;
        }
        // SAFETY: `vmf` is the fault being handled on a described VMA (type invariant: shared,
        // `VM_PFNMAP`, its protection carrying `region`'s memory type), and no block is above
        // its page (checked above, under the claim lock). `[phys, phys + size)` lies inside
        // `region` (checked by `window`), which no other kernel user owns and nothing maps
        // with another type (the caller's contract).
        unsafe { carveout_fault_insert_page(vmf, pfn) }
    } else {
        if holds == PmdHolds::PageTable {
            return VmFault::FALLBACK;
        }
        // SAFETY: As above; the PMD holds no page table (checked above, under the claim lock),
        // and the block lies inside the VMA (`fault_block`) at an aligned physical address.
        unsafe { carveout_fault_insert_block(vmf, pfn) }
    };
    VmFault(ret)
}

/// The page offset to align a user mapping at page offset `pgoff` of `region` on: the physical
/// page frame number of the window, so that the address `get_unmapped_area` picks is congruent
/// to the physical address modulo a block. `None` for a window that starts outside the region
/// (the `mmap` fails later, in `describe`).
#[cfg(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)]
pub(crate) fn block_pgoff(region: &Region, pgoff: usize) -> Option<usize> {
    let phys = region.window(pgoff, 1 << bindings::PAGE_SHIFT).ok()?;
    usize::try_from(phys >> bindings::PAGE_SHIFT).ok()
}

/// A free user range of `len` bytes for a mapping of `file` whose physical page frame number is
/// `pfn` (see [`block_pgoff`]), congruent to it modulo a block where room allows, as
/// `thp_get_unmapped_area` picks for a file's offset; the address, or a negative errno.
///
/// # Safety
///
/// Called from `f_op->get_unmapped_area` of `file`, with its arguments, under the current
/// process's `mmap_lock` held for writing.
#[cfg(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)]
pub(crate) unsafe fn block_unmapped_area(
    file: *mut bindings::file,
    addr: usize,
    len: usize,
    pfn: usize,
    flags: usize,
) -> usize {
    // SAFETY: The caller's contract; the page offset is used for alignment only (no
    // architecture this builds for colours shared mappings by it).
    unsafe { carveout_block_unmapped_area(file, addr, len, pfn, flags) }
}
