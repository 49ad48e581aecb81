// SPDX-License-Identifier: GPL-2.0

//! The C structs behind the `kernel` crate's types, where Linux 7.3's crate keeps the way to
//! them private and a C helper or a kernel function needs them.

use core::ptr;
use kernel::{
    bindings,
    device::Device, //
};

/// `dev` as the C `struct device` (`Device::as_raw` is private to the `kernel` crate).
pub(crate) fn raw_device(dev: &Device) -> *mut bindings::device {
    // `Device` is `#[repr(transparent)]` over `Opaque<bindings::device>`, so a pointer to it is
    // a pointer to the C `struct device`.
    ptr::from_ref(dev).cast_mut().cast()
}
