// SPDX-License-Identifier: GPL-2.0

//! A registered misc device together with its data.

use core::marker::PhantomData;
use kernel::{
    bindings,
    device::Device,
    ffi::c_int,
    prelude::*,
    sync::Arc, //
};

use super::{
    with_data::MiscWithData,
    AttributeGroups,
    MiscFile, //
};
use crate::ffi::raw_device;

/// A registered misc device of `T`, `/dev/<T::name(data)>`, together with its data.
///
/// # Invariants
///
/// `inner` is registered with the name `T::name(&data)`, `T`'s file operations
/// ([`MiscFile::OPS`]) and attributes of `T` only ([`AttributeGroups<T>`]), and is deregistered
/// in [`PinnedDrop`], which runs before its data is dropped. `misc_deregister()` returns only
/// when every `open` that found the device has returned (the misc core calls `open` under the
/// lock it takes) and every sysfs attribute call has returned (removing the device drains them).
/// The misc core never sees a dangling name, and neither `open` nor an attribute reads dropped
/// data.
#[pin_data(PinnedDrop)]
pub(crate) struct Registration<T: MiscFile> {
    #[pin]
    inner: MiscWithData<T::Data>,
    _t: PhantomData<T>,
}

// SAFETY: `misc_deregister()` may be called on any thread, and the data is an `Arc` of `Send +
// Sync` data.
unsafe impl<T: MiscFile> Send for Registration<T> {}
// SAFETY: `&self` gives access to the data only, which is `Sync`; the misc core serialises its
// own use of the `struct miscdevice`.
unsafe impl<T: MiscFile> Sync for Registration<T> {}

impl<T: MiscFile> Registration<T> {
    /// Registers `/dev/<T::name(&data)>` as a child of `parent`, with `T`'s operations and the
    /// sysfs attributes `groups`. The initialiser borrows `parent` (`+ 'a`): it is alive when
    /// the device is added, and the driver core holds a reference to it from then on.
    pub(crate) fn register<'a>(
        data: Arc<T::Data>,
        parent: &'a Device,
        groups: &'static AttributeGroups<T>,
    ) -> impl PinInit<Self, Error> + 'a {
        // All-zero, as a `static struct miscdevice` leaves every field it does not name.
        let mut raw: bindings::miscdevice = pin_init::zeroed();
        raw.minor = bindings::MISC_DYNAMIC_MINOR as c_int;
        // The name lives in `*data`, which the registration keeps (an `Arc` never replaced) until
        // after it is deregistered.
        raw.name = T::name(&data).as_char_ptr();
        raw.fops = T::OPS.fops();
        // The driver core holds a reference to the parent while the child exists.
        raw.parent = raw_device(parent);
        raw.groups = groups.as_raw();
        // INVARIANT: Registered with `T`'s name, operations and attributes; `PinnedDrop`
        // deregisters it.
        try_pin_init!(Self {
            // SAFETY: The name lives in the data the registration keeps; the operations and the
            // groups are statics; the initialiser borrows the parent. `PinnedDrop` deregisters.
            inner <- unsafe { MiscWithData::register(data, raw) },
            _t: PhantomData,
        })
    }

    /// The device's data.
    pub(crate) fn data(&self) -> &Arc<T::Data> {
        self.inner.data()
    }
}

#[pinned_drop]
impl<T: MiscFile> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `inner` was registered (an initialised `Self` exists only once it was) and is
        // deregistered only here, before it is dropped.
        unsafe { self.inner.deregister() };
    }
}
