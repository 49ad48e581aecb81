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

// The C structs behind these pointers are opaque here, but bindgen gives some of their members
// (`sched_statistics` without `CONFIG_SCHEDSTATS`, say) no fields, which `improper_ctypes` flags
// even through a pointer. `allow`, not `expect`: the lint fires only on some configurations.
#[allow(improper_ctypes)]
extern "C" {
    fn carveout_file_clear_lseek(file: *mut bindings::file);
}

/// Makes `lseek()` on `file` fail with `ESPIPE`. Call it from `open`.
pub(crate) fn disable_lseek(file: &File) {
    // SAFETY: `file` is a live file being opened: its `f_mode` is set up by this open and not yet
    // used by any other thread (as `nonseekable_open()` relies on).
    unsafe { carveout_file_clear_lseek(file.as_ptr()) };
}
