// SPDX-License-Identifier: GPL-2.0

//! The address space all open files of one carveout map through, so that every user mapping
//! of it can be revoked at once.

use core::ptr::NonNull;
use kernel::{
    bindings,
    error::from_err_ptr,
    prelude::*, //
};

// The C structs behind these pointers are only passed through, but bindgen gives some structs
// they contain no fields on some configurations (this board's warned of `sched_statistics`,
// empty without `CONFIG_SCHEDSTATS`), which `improper_ctypes` flags even behind a pointer.
// `allow`, not `expect`: whether it fires depends on the configuration.
#[allow(improper_ctypes)]
extern "C" {
    fn carveout_inode_new() -> *mut bindings::inode;
    fn carveout_inode_free(inode: *mut bindings::inode);
}

/// The address space every open file of one carveout maps through: an inode of the driver's
/// pseudo filesystem (`mapping_space.c`), as DRM and VFIO use, so that [`MappingSpace::revoke`]
/// can zap every user mapping of the carveout, in every process, at once. After that, touching a
/// revoked mapping raises `SIGBUS`: its fault handler maps nothing once the device is unbound.
///
/// # Invariants
///
/// `inode` is a `struct inode` that came from `carveout_inode_new` and is freed only in
/// [`Drop`].
pub(crate) struct MappingSpace {
    inode: NonNull<bindings::inode>,
}

// SAFETY: The inode is reference-counted kernel memory; `attach` and `revoke` take the kernel's
// own locks, so they may run on any thread.
unsafe impl Send for MappingSpace {}
// SAFETY: As above, concurrent `attach` and `revoke` calls are serialised by the kernel.
unsafe impl Sync for MappingSpace {}

impl MappingSpace {
    /// Allocates the inode.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: `carveout_inode_new` has no preconditions; it returns an inode or an
        // `ERR_PTR`.
        let inode = from_err_ptr(unsafe { carveout_inode_new() })?;
        // INVARIANT: `carveout_inode_new` succeeded, so `inode` is its inode.
        Ok(Self {
            inode: NonNull::new(inode).ok_or(ENOMEM)?,
        })
    }

    /// Makes `file`'s mappings part of this space, so that [`MappingSpace::revoke`] reaches
    /// them.
    ///
    /// # Safety
    ///
    /// - `file` is being opened (called from `open`, before `file` can be mapped or used by
    ///   another thread).
    /// - `self` outlives `file` (for instance, `file`'s private data owns it): `file` keeps
    ///   pointing at the inode's address space until it is released.
    pub(super) unsafe fn attach(&self, file: *mut bindings::file) {
        // SAFETY: `self.inode` is live (type invariant), and so is its `i_mapping`.
        let mapping = unsafe { (*self.inode.as_ptr()).i_mapping };
        // SAFETY: `file` is being opened, so no other thread uses its `f_mapping` yet (DRM's
        // `drm_open` does the same); the inode, and so `mapping`, outlives `file` (the caller's
        // contract).
        unsafe { (*file).f_mapping = mapping };
    }

    /// Removes every page of every user mapping of the files attached to this space.
    pub(crate) fn revoke(&self) {
        // SAFETY: `self.inode` is live (type invariant), and so is its `i_mapping`.
        let mapping = unsafe { (*self.inode.as_ptr()).i_mapping };
        // SAFETY: `mapping` is live; `unmap_mapping_range` takes the locks it needs and may
        // sleep, which callers of this safe method in process context allow. Offset 0 with
        // length 0 means the whole file; `1` zaps private copies of pages too.
        unsafe { bindings::unmap_mapping_range(mapping, 0, 0, 1) };
    }
}

impl Drop for MappingSpace {
    fn drop(&mut self) {
        // SAFETY: The inode came from `carveout_inode_new` (type invariant) and is freed once.
        // No file can still point at it: an attached file keeps `self` alive until it is
        // released (`attach`'s contract).
        unsafe { carveout_inode_free(self.inode.as_ptr()) };
    }
}
