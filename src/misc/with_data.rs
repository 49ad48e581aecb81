// SPDX-License-Identifier: GPL-2.0

//! A `struct miscdevice` with its device's data beside it: what a file's `open` and an
//! attribute's `show` reach from the `struct miscdevice` the kernel gives them.

use kernel::{
    bindings,
    error::to_result,
    prelude::*,
    sync::Arc,
    types::Opaque, //
};

/// A `struct miscdevice` and the data of its device.
///
/// # Invariants
///
/// `data` is initialised before `misc` is registered and is never replaced: `open` and the
/// sysfs attributes may run on another CPU the moment `misc_register()` returns, and they read
/// `data` through [`MiscWithData::data_of`].
#[pin_data]
pub(super) struct MiscWithData<D> {
    #[pin]
    misc: Opaque<bindings::miscdevice>,
    data: Arc<D>,
}

impl<D> MiscWithData<D> {
    /// Registers `raw` with the data `data` beside it: `data` is in place before the device is
    /// published.
    ///
    /// # Safety
    ///
    /// `raw`'s name, operations and attribute groups must outlive the registration, which must
    /// end with [`MiscWithData::deregister`] before `Self` is dropped; its parent, if any, must
    /// be alive when the initialiser runs (the driver core then takes a reference of its own).
    pub(super) unsafe fn register(
        data: Arc<D>,
        raw: bindings::miscdevice,
    ) -> impl PinInit<Self, Error> {
        // INVARIANT: `pin_init!` initialises fields in the order written: `data` is in place
        // before `misc` is registered. If registering fails, `data` is dropped again and nothing
        // was published. `misc` must stay the last field that can fail: `Opaque` has no drop,
        // so a later failure would leave the device registered.
        try_pin_init!(Self {
            data,
            misc <- Opaque::try_ffi_init(move |slot: *mut bindings::miscdevice| {
                // SAFETY: `slot` is valid for writes (the initialiser's contract).
                unsafe { slot.write(raw) };
                // SAFETY: `slot` holds a complete `struct miscdevice`, pinned until `deregister`;
                // its name, operations and groups outlive the registration, and its parent is
                // alive (the caller's contract).
                to_result(unsafe { bindings::misc_register(slot) })
            }),
        })
    }

    /// Ends the registration.
    ///
    /// # Safety
    ///
    /// `self` must be registered ([`MiscWithData::register`] succeeded) and not deregistered yet.
    pub(super) unsafe fn deregister(&self) {
        // SAFETY: `misc` is registered (the caller's contract).
        unsafe { bindings::misc_deregister(self.misc.get()) };
    }

    /// The device's data.
    pub(super) fn data(&self) -> &Arc<D> {
        &self.data
    }

    /// The data of the registered misc device `misc`.
    ///
    /// # Safety
    ///
    /// `misc` must be the `struct miscdevice` of a [`MiscWithData<D>`] that stays registered for
    /// `'a` (as during `open` or a sysfs attribute call).
    pub(super) unsafe fn data_of<'a>(misc: *mut bindings::miscdevice) -> &'a Arc<D> {
        // `Opaque<T>` has the layout of `T`, so the `struct miscdevice` is the `misc` field.
        let misc = misc.cast::<Opaque<bindings::miscdevice>>();
        // SAFETY: By the safety requirement, `misc` is the `misc` field of a `MiscWithData<D>`.
        let this = unsafe { kernel::container_of!(misc, Self, misc) };
        // SAFETY: The container is alive while `misc` is registered (the caller's contract),
        // and `data` was initialised before `misc` was registered (type invariant).
        unsafe { &(*this).data }
    }
}
