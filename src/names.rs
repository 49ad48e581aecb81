// SPDX-License-Identifier: GPL-2.0

//! The device names this driver has registered, so that a second node asking for a taken name
//! fails its probe with a clear message. (The misc core would only find out in sysfs, with a
//! duplicate-filename warning and a stack dump.)

use core::ffi::CStr;
use kernel::{
    prelude::*,
    str::CString, //
};

kernel::sync::global_lock! {
    // SAFETY: `init` is called by the module initialiser before the driver is registered, so
    // before any other use.
    unsafe(uninit) static NAMES: Mutex<KVec<CString>> = KVec::new();
}

/// Initialises the name table.
///
/// # Safety
///
/// Called once, before any other use of the table: from the module initialiser, before the
/// driver is registered (registration probes at once, and probe claims names).
pub(crate) unsafe fn init() {
    // SAFETY: Called once, before any other use of `NAMES` (the caller's contract).
    unsafe { NAMES.init() };
}

/// A device name reserved by one device; released when dropped.
pub(crate) struct NameClaim {
    name: CString,
}

impl NameClaim {
    /// Reserves `name`; `EEXIST` if a device of this driver already has it.
    pub(crate) fn claim(name: &CStr) -> Result<Self> {
        let entry = CString::try_from(name)?;
        let own = CString::try_from(name)?;
        let mut names = NAMES.lock();
        if names
            .iter()
            .any(|taken| taken.to_bytes() == name.to_bytes())
        {
            return Err(EEXIST);
        }
        names.push(entry, GFP_KERNEL)?;
        Ok(Self { name: own })
    }
}

impl Drop for NameClaim {
    fn drop(&mut self) {
        let mut names = NAMES.lock();
        names.retain(|taken| taken.to_bytes() != self.name.to_bytes());
        // Statics are never dropped: free the table's buffer with its last name, or every
        // module unload would leak it.
        if names.is_empty() {
            *names = KVec::new();
        }
    }
}
