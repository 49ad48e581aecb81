// SPDX-License-Identifier: GPL-2.0

//! The read-only sysfs attributes of a carveout's misc device, in `/sys/class/misc/<name>/`:
//! `phys_addr`, `size` and `memory_type` (`docs/ABI/sysfs-class-misc-carveout` describes them).
//!
//! They are created with the device by `misc_register()` ([`GROUPS`] is its `groups`), so they
//! exist exactly while the device file does; every value is fixed at probe.

use core::{
    ffi::{
        c_char,
        CStr, //
    },
    marker::PhantomData,
    ptr,
};
use kernel::{
    bindings,
    prelude::*,
    str::as_char_ptr_in_const_context, //
};

use crate::{
    device::Carveout,
    driver::CarveoutMisc, //
};

/// The `show` operation of a device attribute.
type Show = unsafe extern "C" fn(
    dev: *mut bindings::device,
    attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize;

/// A constant device attribute.
#[repr(transparent)]
struct Attribute(bindings::device_attribute);

// SAFETY: Never written after its constant initialisation: only its name, mode and `show` are
// shared between threads.
unsafe impl Sync for Attribute {}

impl Attribute {
    /// A read-only (`0444`) attribute.
    const fn read_only(name: &'static CStr, show: Show) -> Self {
        // All-zero, as the C macros leave every field they do not name.
        let mut attr: bindings::device_attribute = pin_init::zeroed();
        attr.attr.name = as_char_ptr_in_const_context(name);
        attr.attr.mode = 0o444;
        attr.__bindgen_anon_1.show = Some(show);
        Self(attr)
    }
}

/// A NULL-terminated list of attributes.
#[repr(transparent)]
struct AttributeList<const N: usize>([*const bindings::attribute; N]);

// SAFETY: As for `Attribute`: immutable pointers to immutable statics.
unsafe impl<const N: usize> Sync for AttributeList<N> {}

/// An attribute group.
#[repr(transparent)]
struct AttributeGroup(bindings::attribute_group);

// SAFETY: As for `Attribute`.
unsafe impl Sync for AttributeGroup {}

/// The `groups` of a misc device registered by a `C`: a NULL-terminated list of attribute
/// groups. Only this module makes one.
///
/// # Invariants
///
/// The list ends with NULL, and every other entry points to a static attribute group whose
/// attributes are static and whose callbacks take the device's driver data for the `struct
/// miscdevice` of a `C`.
#[repr(transparent)]
pub(crate) struct AttributeGroups<C>([*const bindings::attribute_group; 2], PhantomData<C>);

// SAFETY: As for `Attribute`.
unsafe impl<C> Sync for AttributeGroups<C> {}

impl<C> AttributeGroups<C> {
    /// The list, as `struct miscdevice` takes it (the misc core only reads it).
    pub(crate) fn as_raw(&'static self) -> *mut *const bindings::attribute_group {
        self.0.as_ptr().cast_mut()
    }
}

static PHYS_ADDR: Attribute = Attribute::read_only(c"phys_addr", show_phys_addr);
static SIZE: Attribute = Attribute::read_only(c"size", show_size);
static MEMORY_TYPE: Attribute = Attribute::read_only(c"memory_type", show_memory_type);

static ATTRIBUTES: AttributeList<4> = AttributeList([
    &PHYS_ADDR.0.attr,
    &SIZE.0.attr,
    &MEMORY_TYPE.0.attr,
    ptr::null(),
]);

static GROUP: AttributeGroup = AttributeGroup({
    // No name, no callbacks, no attributes but these.
    let mut group: bindings::attribute_group = pin_init::zeroed();
    group.__bindgen_anon_2.attrs_const = ATTRIBUTES.0.as_ptr();
    group
});

/// The attribute groups of every carveout's misc device.
// INVARIANT: NULL-terminated; `GROUP` and its attributes are statics, and their callbacks
// reach the driver data through `CarveoutMisc::data_of_raw`.
pub(crate) static GROUPS: AttributeGroups<CarveoutMisc> =
    AttributeGroups([&GROUP.0, ptr::null()], PhantomData);

/// The carveout whose misc device is `dev`.
///
/// # Safety
///
/// `dev` must be the device of a carveout's misc device, during a call of one of its attributes.
unsafe fn carveout<'a>(dev: *mut bindings::device) -> &'a Carveout {
    // SAFETY: `dev` is a live device (the caller's contract); `misc_register()` made its driver
    // data the `struct miscdevice` (`device_create_with_groups(..., misc, ...)`), which nothing
    // changes.
    let misc = unsafe { (*dev).driver_data }.cast::<bindings::miscdevice>();
    // SAFETY: Carveout misc devices are registered only as `CarveoutMisc` (in `driver.rs`), and
    // the device stays registered during an attribute call: `misc_deregister()` removes the
    // attributes and waits for calls in progress first.
    unsafe { CarveoutMisc::data_of_raw(misc) }
}

/// `phys_addr`: the physical base address, `0x` and lower-case hex.
///
/// # Safety
///
/// Called by the sysfs core for a carveout's misc device, `buf` being its page.
unsafe extern "C" fn show_phys_addr(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: The sysfs core calls this with the attribute's device (its contract).
    let base: u64 = unsafe { carveout(dev) }.phys_base();
    // SAFETY: `buf` is the page sysfs gives `show`; `%llx` takes the `u64` passed.
    unsafe { bindings::sysfs_emit(buf, c"0x%llx\n".as_char_ptr(), base) as isize }
}

/// `size`: the size in bytes, decimal.
///
/// # Safety
///
/// Called by the sysfs core for a carveout's misc device, `buf` being its page.
unsafe extern "C" fn show_size(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: As in `show_phys_addr`.
    let size: u64 = unsafe { carveout(dev) }.size();
    // SAFETY: As in `show_phys_addr`, for `%llu`.
    unsafe { bindings::sysfs_emit(buf, c"%llu\n".as_char_ptr(), size) as isize }
}

/// `memory_type`: the device-tree spelling (`write-combine`, `cached` or `device`).
///
/// # Safety
///
/// Called by the sysfs core for a carveout's misc device, `buf` being its page.
unsafe extern "C" fn show_memory_type(
    dev: *mut bindings::device,
    _attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: As in `show_phys_addr`.
    let name = unsafe { carveout(dev) }.memory_type().c_name();
    // SAFETY: As in `show_phys_addr`, for `%s` and a NUL-terminated string.
    unsafe { bindings::sysfs_emit(buf, c"%s\n".as_char_ptr(), name.as_char_ptr()) as isize }
}
