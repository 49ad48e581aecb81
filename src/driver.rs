// SPDX-License-Identifier: GPL-2.0

//! The platform driver: one carveout device per matching device-tree node, and the module that
//! registers it.
//!
//! # Publication and teardown order
//!
//! Each step below makes something reachable by other threads or processes, and happens only
//! once everything it reaches is complete; teardown runs in the reverse order. `carveout race`
//! (the board test) runs opens, mappings, forks, `mremap` and copies against unbind/bind and
//! rmmod/insmod loops to hold the code to it.
//!
//! - Module init: the name table ([`names::init`]) is ready before the driver is registered,
//!   which probes at once. Module exit unregisters the driver first, which unbinds every device
//!   and so frees every name.
//! - Probe: the [`Carveout`] is complete (region checked and claimed, kernel mapping made,
//!   mapping space allocated, doorbell made) before its name is claimed, then the doorbell's
//!   interrupt is requested (its handler touches only the doorbell), and all of it before the
//!   misc device is registered, last: `open` and its sysfs attributes may run on another CPU
//!   the moment `misc_register()` returns. [`Registration`] initialises its data before it registers the
//!   device for the same reason.
//! - Unbind: [`Carveout::revoke`] runs first (its doc gives its steps and why in that order:
//!   after it, nothing reaches the region through this driver), then the driver data drops: the
//!   doorbell is revoked and its interrupt freed ([`DoorbellIrq`]), the misc device is
//!   deregistered (`misc_deregister()` waits for an `open` in progress: the misc
//!   core calls `open` under the same lock), then the name is freed. A file opened between the
//!   two holds a revoked carveout: every call on it gives `ENODEV`.
//! - Open files and mappings outlive unbind: a file holds an [`Arc`] of its [`Carveout`], a
//!   mapping holds its file, and the mapping space lives as long as the carveout.
//! - rmmod against open: the file operations' `owner` is this module, so `misc_open()` takes a
//!   module reference (under the misc lock) before calling `open`; once rmmod has begun that
//!   fails and `open` gives `ENODEV`, and rmmod is refused while any file is open or mapped.
//! - `mmap`, `read`, `write` and `ioctl` against unbind: see the lock order on [`Carveout`].

use kernel::{
    device::{
        Bound,
        Core, //
    },
    driver,
    irq,
    of,
    platform,
    prelude::*,
    sync::Arc, //
};

use crate::{
    carveout::Carveout,
    config::Config,
    doorbell::{
        Doorbell,
        DoorbellHandler,
        DoorbellIrq,
        IrqLine, //
    },
    file::CarveoutFile,
    misc::Registration,
    names::{
        self,
        NameClaim, //
    },
    probe_error::ProbeError,
    sysfs, //
};

/// The platform driver of carveout nodes.
pub(crate) struct CarveoutDriver;

/// Driver data of a bound node: the doorbell's interrupt, the device file and the name.
/// Unbinding revokes the carveout (see [`Carveout::revoke`]), then revokes the doorbell and
/// frees its interrupt ([`DoorbellIrq`]), removes the device file and frees the name.
pub(crate) struct BoundCarveout<'bound> {
    // Fields drop in order: the doorbell (its listeners woken) and its interrupt, then the
    // device file, then the name.
    _doorbell: Option<DoorbellIrq<'bound>>,
    misc: Pin<KBox<Registration<CarveoutFile>>>,
    _name: NameClaim,
}

kernel::of_device_table!(
    OF_TABLE,
    <CarveoutDriver as platform::Driver>::IdInfo,
    [(of::DeviceId::new(c"linux,carveout"), ())]
);

impl platform::Driver for CarveoutDriver {
    type IdInfo = ();
    type Data<'bound> = BoundCarveout<'bound>;
    const OF_ID_TABLE: Option<of::IdTable<Self::IdInfo>> = Some(&OF_TABLE);

    fn probe<'bound>(
        pdev: &'bound platform::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        let dev = pdev.as_ref();
        let config = Config::read(dev).map_err(|e| e.report(dev))?;
        let doorbell = if config.interrupt {
            Some(find_doorbell(pdev)?)
        } else {
            None
        };
        // Complete first, then claim the name, then take the interrupt, then publish the
        // device file (see the module doc): each later step may be seen by other threads at
        // once.
        let carveout = Arc::pin_init(
            Carveout::probe(dev, config, doorbell.as_ref().map(|d| d.doorbell.clone()))?,
            GFP_KERNEL,
        )?;
        let name = NameClaim::claim(carveout.misc_name())
            .map_err(|e| ProbeError::NameTaken(carveout.misc_name(), e).report(dev))?;
        let irq = match doorbell {
            Some(found) => Some(found.register().map_err(|e| e.report(dev))?),
            None => None,
        };
        let misc = KBox::pin_init(
            Registration::register(carveout.clone(), dev, &sysfs::GROUPS),
            GFP_KERNEL,
        )
        .map_err(|e| ProbeError::Register(carveout.misc_name(), e).report(dev))?;
        carveout.log_probed();
        Ok(BoundCarveout {
            _doorbell: irq,
            misc,
            _name: name,
        })
    }

    fn unbind<'bound>(_pdev: &'bound platform::Device<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        this.misc.data().revoke();
    }
}

/// The doorbell of a node that names an interrupt, and the request for its line, not yet
/// registered.
struct FoundDoorbell<'bound> {
    doorbell: Arc<Doorbell>,
    request: irq::IrqRequest<'bound>,
}

/// The doorbell of `pdev`, whose node names an interrupt. Refusals are logged here.
fn find_doorbell<'bound>(pdev: &'bound platform::Device<Bound>) -> Result<FoundDoorbell<'bound>> {
    let dev = pdev.as_ref();
    let request = pdev
        .optional_irq_by_index(0)
        .map_err(|e| ProbeError::NoInterrupt(e).report(dev))?;
    if IrqLine::bus_locked(&request) {
        return Err(ProbeError::SlowBusInterrupt(request.irq()).report(dev));
    }
    let trigger = IrqLine::trigger(&request);
    // SAFETY: The doorbell's hold on the line is used only by listeners (which exist once the
    // device file is published, after `register` registered the handler), and taken by the
    // `DoorbellIrq` that `register` returns before it frees the handler; masking and unmasking
    // alternate (`Doorbell::set_masked`).
    let line = unsafe { IrqLine::new(&request) };
    let doorbell = Arc::pin_init(Doorbell::new(line, trigger), GFP_KERNEL)?;
    Ok(FoundDoorbell { doorbell, request })
}

impl<'bound> FoundDoorbell<'bound> {
    /// Registers the doorbell's handler; the interrupt is live from here on.
    fn register(self) -> Result<DoorbellIrq<'bound>, ProbeError<'static>> {
        let irq = self.request.irq();
        // SAFETY: The handler's own hold on the line lives inside the registration, so it is
        // used only while the handler is registered; the handler disables only a line it finds
        // unmasked, under the doorbell's lock, as listeners do (`Doorbell::set_masked`).
        let line = unsafe { IrqLine::new(&self.request) };
        // SAFETY: The registration is kept in a `DoorbellIrq` until it drops, never forgotten.
        let registration = unsafe {
            irq::Registration::new(
                self.request,
                // The trigger type the tree gave (or the controller's default).
                irq::Flags::TRIGGER_NONE,
                c"carveout",
                Ok::<_, Error>(DoorbellHandler::new(self.doorbell, line)),
            )
        };
        // An allocation failure is the box's; any other error is `request_irq`'s.
        let registration = KBox::pin_init(registration, GFP_KERNEL).map_err(|e| {
            if e == ENOMEM {
                ProbeError::NoMemory(e)
            } else {
                ProbeError::RequestInterrupt(irq, e)
            }
        })?;
        Ok(DoorbellIrq::new(registration))
    }
}

/// The module: registers [`CarveoutDriver`] once the device-name table is ready.
#[pin_data]
pub(crate) struct CarveoutModule {
    #[pin]
    _driver: driver::Registration<platform::Adapter<CarveoutDriver>>,
}

impl kernel::InPlaceModule for CarveoutModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        // SAFETY: This is the module initialiser, and the driver is registered below: the table
        // is initialised once, before anything can claim a name.
        unsafe { names::init() };
        try_pin_init!(Self {
            _driver <- driver::Registration::new(<Self as kernel::ModuleMetadata>::NAME, module),
        })
    }
}
