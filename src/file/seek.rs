// SPDX-License-Identifier: GPL-2.0

//! `lseek()` on a carveout file: `ESPIPE` instead of a call through a missing `llseek`.
//!
//! A Rust misc device of Linux 7.3 has no `llseek`, but `misc_open()` installs its file
//! operations after `do_dentry_open()` set `FMODE_LSEEK` for the character-device stub:
//! `lseek()` would then call a NULL `llseek`. Clearing the mode makes it fail with `ESPIPE`;
//! `pread()` and `pwrite()` keep working.

use kernel::{
    bindings,
    fs::File, //
};

// The C structs behind these pointers are only passed through, but bindgen gives some structs
// they contain no fields on some configurations (this board's warned of `sched_statistics`,
// empty without `CONFIG_SCHEDSTATS`), which `improper_ctypes` flags even behind a pointer.
// `allow`, not `expect`: whether it fires depends on the configuration.
#[allow(improper_ctypes)]
extern "C" {
    fn carveout_file_clear_lseek(file: *mut bindings::file);
}

/// Makes `lseek()` on `file` fail with `ESPIPE`.
///
/// # Safety
///
/// `file` is being opened (called from `open`): no other thread uses its `f_mode` yet.
pub(crate) unsafe fn disable_lseek(file: &File) {
    // SAFETY: `file` is a live file being opened (the caller's contract): its `f_mode` is set up
    // by this open and not yet used by any other thread (as `nonseekable_open()` relies on).
    unsafe { carveout_file_clear_lseek(file.as_ptr()) };
}
