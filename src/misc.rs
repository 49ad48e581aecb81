// SPDX-License-Identifier: GPL-2.0

//! A misc device registration that owns its device's data and name.
//!
//! Linux 7.3's [`MiscDeviceRegistration`] takes a `&'static CStr` name and hands `open` only the
//! registration. [`MiscWithData`] keeps an [`Arc`] of the device's data beside the registration,
//! so that the name can live in that data and `open` can reach it with [`MiscWithData::data_of`].

use core::ffi::CStr;
use kernel::{
    miscdevice::{
        MiscDevice,
        MiscDeviceOptions,
        MiscDeviceRegistration, //
    },
    prelude::*,
    sync::Arc, //
};

/// Data that names its misc device.
pub(crate) trait MiscName {
    /// The device name (`/dev/<name>`).
    fn misc_name(&self) -> &CStr;
}

/// A registered misc device together with its data.
///
/// # Invariants
///
/// - `data` is initialised before `reg` is registered and is never replaced: `open` may run on
///   another CPU the moment `misc_register()` returns, and it reads `data` through
///   [`MiscWithData::data_of`].
/// - `reg` was registered with the name `data.misc_name()`. `reg` is declared first, so it drops
///   first: it is deregistered, and every `open` that found it has returned (the misc core calls
///   `open` under the lock that `misc_deregister()` takes), before `data` is dropped. The misc
///   core never sees a dangling name and `open` never reads a dropped `data`.
#[pin_data]
pub(crate) struct MiscWithData<T: MiscDevice, D: MiscName> {
    // Declaration order is drop order: `reg` before `data`. Initialisation order is the order
    // of the fields in `register`'s initialiser: `data` before `reg`.
    #[pin]
    reg: MiscDeviceRegistration<T>,
    data: Arc<D>,
}

impl<T: MiscDevice, D: MiscName + Send + Sync> MiscWithData<T, D> {
    /// Registers `/dev/<data.misc_name()>`.
    pub(crate) fn register(data: Arc<D>) -> impl PinInit<Self, Error> {
        // SAFETY: The name lives in `*data`, which `Self` keeps alive (an `Arc` that is never
        // replaced) until after `reg` is deregistered (type invariant), so extending the borrow
        // to `'static` for the registration is sound.
        let name: &'static CStr = unsafe { &*core::ptr::from_ref(data.misc_name()) };
        // INVARIANT: `pin_init!` initialises fields in the order written: `data` is in place
        // before `reg` is registered (publishing the device to `open`), with `data`'s name. If
        // registering fails, `data` is dropped again and nothing was published.
        try_pin_init!(Self {
            data,
            reg <- MiscDeviceRegistration::register(MiscDeviceOptions { name }),
        })
    }

    /// The device's data.
    pub(crate) fn data(&self) -> &Arc<D> {
        &self.data
    }

    /// The data of the device `reg` belongs to.
    ///
    /// # Safety
    ///
    /// `reg` must be the `reg` field of a [`MiscWithData<T, D>`]: every registration of `T` must
    /// be made through [`MiscWithData::register`].
    pub(crate) unsafe fn data_of(reg: &MiscDeviceRegistration<T>) -> &Arc<D> {
        let reg = core::ptr::from_ref(reg);
        // SAFETY: By the safety requirement, `reg` is the `reg` field of a `MiscWithData<T, D>`.
        let this = unsafe { kernel::container_of!(reg, Self, reg) };
        // SAFETY: The container is alive for as long as `reg` is borrowed, since it owns `reg`;
        // and `data` was initialised before `reg` was registered (type invariant), so it is
        // initialised whenever the misc core can hand `reg` to `open`.
        unsafe { &(*this).data }
    }
}
