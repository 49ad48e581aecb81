// SPDX-License-Identifier: GPL-2.0

//! Read-only sysfs attributes of a misc device, shown from its data.
//!
//! They are created with the device by `misc_register()` ([`AttributeGroups`] is its `groups`),
//! so they exist exactly while the device file does. A driver writes what each shows as safe
//! Rust, a function of the device's data that formats into [`SysfsText`]; the C callback
//! ([`Attribute::show_raw`]) finds the data and the function.

use core::{
    ffi::CStr,
    fmt,
    marker::PhantomData,
    ptr, //
};
use kernel::{
    bindings,
    ffi::c_char,
    page::PAGE_SIZE,
    prelude::*,
    str::as_char_ptr_in_const_context, //
};

use super::{
    with_data::MiscWithData,
    MiscFile, //
};

/// What an attribute shows of a device's data.
pub(crate) type Show<T> = fn(&<T as MiscFile>::Data, &mut SysfsText<'_>) -> fmt::Result;

/// A read-only (`0444`) attribute of `T`'s devices.
///
/// # Invariants
///
/// `raw` is the `struct device_attribute` sysfs calls [`Attribute::show_raw`] with; it reaches
/// sysfs only in an [`AttributeGroups<T>`], and so only on devices that
/// [`Registration::<T>::register`](super::Registration::register) registered, inside a
/// `MiscWithData<T::Data>`.
#[repr(C)]
pub(crate) struct Attribute<T: MiscFile> {
    raw: bindings::device_attribute,
    show: Show<T>,
}

// SAFETY: Never written after its constant initialisation: only its name, mode and functions
// are shared between threads.
unsafe impl<T: MiscFile> Sync for Attribute<T> {}

impl<T: MiscFile> Attribute<T> {
    /// The attribute `name`, which shows what `show` writes.
    pub(crate) const fn read_only(name: &'static CStr, show: Show<T>) -> Self {
        // All-zero, as the C macros leave every field they do not name.
        let mut raw: bindings::device_attribute = pin_init::zeroed();
        raw.attr.name = as_char_ptr_in_const_context(name);
        raw.attr.mode = 0o444;
        raw.__bindgen_anon_1.show = Some(Self::show_raw);
        Self { raw, show }
    }

    /// `show()`: the attribute's text, written into `buf`, a page; its length, or a negative
    /// errno (`EOVERFLOW` if it does not fit).
    ///
    /// # Safety
    ///
    /// Called by the sysfs core for an attribute `attr` of the device `dev`, `buf` being the
    /// page it gives `show`.
    unsafe extern "C" fn show_raw(
        dev: *mut bindings::device,
        attr: *mut bindings::device_attribute,
        buf: *mut c_char,
    ) -> isize {
        // SAFETY: `attr` is the `raw` field of an `Attribute<T>`: sysfs calls this function only
        // for those (it is set in `read_only` alone), and `Self` is `repr(C)`.
        let this = unsafe { &*kernel::container_of!(attr, Self, raw) };
        // SAFETY: `dev` is a live device (the caller's contract) that carries `attr`, so one
        // that `Registration::<T>::register` registered (type invariant), whose driver data
        // `misc_register()` made its `struct miscdevice` (`device_create_with_groups(..., misc,
        // ...)`), inside a `MiscWithData<T::Data>`. The device stays registered during the
        // call: `misc_deregister()` removes the attributes and waits for calls in progress
        // first.
        let data = unsafe { MiscWithData::<T::Data>::data_of((*dev).driver_data.cast()) };
        // SAFETY: `buf` is a page (`PAGE_SIZE` bytes, zeroed: `sysfs_kf_seq_show` gives `show`
        // a cleared buffer of at least a page) that `show` alone uses during the call.
        let page = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), PAGE_SIZE) };
        let mut text = SysfsText { page, len: 0 };
        match (this.show)(data, &mut text) {
            // Lossless: at most a page.
            Ok(()) => text.len as isize,
            Err(fmt::Error) => EOVERFLOW.to_errno() as isize,
        }
    }
}

/// The text of an attribute, written into the page sysfs gives `show` (at most a page, less
/// its last byte, as `sysfs_emit` writes).
pub(crate) struct SysfsText<'a> {
    page: &'a mut [u8],
    len: usize,
}

impl fmt::Write for SysfsText<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        if end >= self.page.len() {
            return Err(fmt::Error);
        }
        self.page[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A NULL-terminated list of `N - 1` attributes of `T`.
#[repr(transparent)]
pub(crate) struct AttributeList<T: MiscFile, const N: usize>(
    [*const bindings::attribute; N],
    PhantomData<T>,
);

// SAFETY: As for `Attribute`: immutable pointers to immutable statics.
unsafe impl<T: MiscFile, const N: usize> Sync for AttributeList<T, N> {}

impl<T: MiscFile, const N: usize> AttributeList<T, N> {
    /// The list of `attrs`, which must be `N - 1` (the build fails otherwise).
    pub(crate) const fn new(attrs: &[&'static Attribute<T>]) -> Self {
        assert!(
            attrs.len() + 1 == N,
            "an attribute list holds N - 1 attributes"
        );
        let mut raw = [ptr::null(); N];
        let mut i = 0;
        while i < attrs.len() {
            raw[i] = &attrs[i].raw.attr;
            i += 1;
        }
        Self(raw, PhantomData)
    }
}

/// An attribute group of `T`: no name, no callbacks, its attributes.
#[repr(transparent)]
pub(crate) struct AttributeGroup<T: MiscFile>(bindings::attribute_group, PhantomData<T>);

// SAFETY: As for `Attribute`.
unsafe impl<T: MiscFile> Sync for AttributeGroup<T> {}

impl<T: MiscFile> AttributeGroup<T> {
    /// The group of the attributes `attrs`.
    pub(crate) const fn new<const N: usize>(attrs: &'static AttributeList<T, N>) -> Self {
        let mut group: bindings::attribute_group = pin_init::zeroed();
        group.__bindgen_anon_2.attrs_const = attrs.0.as_ptr();
        Self(group, PhantomData)
    }
}

/// The `groups` of a [`Registration<T>`](super::Registration): a NULL-terminated list of one
/// attribute group of `T`.
#[repr(transparent)]
pub(crate) struct AttributeGroups<T: MiscFile>(
    [*const bindings::attribute_group; 2],
    PhantomData<T>,
);

// SAFETY: As for `Attribute`.
unsafe impl<T: MiscFile> Sync for AttributeGroups<T> {}

impl<T: MiscFile> AttributeGroups<T> {
    /// The groups: `group`.
    pub(crate) const fn new(group: &'static AttributeGroup<T>) -> Self {
        Self([&group.0, ptr::null()], PhantomData)
    }

    /// The list, as `struct miscdevice` takes it (the misc core only reads it).
    pub(super) fn as_raw(&'static self) -> *mut *const bindings::attribute_group {
        self.0.as_ptr().cast_mut()
    }
}
