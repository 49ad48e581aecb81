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
//!   mapping space allocated) before its name is claimed, and both before the misc device is
//!   registered, last: `open` and its sysfs attributes may run on another CPU the moment
//!   `misc_register()` returns. [`Registration`] initialises its data before it registers the
//!   device for the same reason.
//! - Unbind: [`Carveout::revoke`] runs first (its doc gives its steps and why in that order:
//!   after it, nothing reaches the region through this driver), then the driver data drops: the
//!   misc device is deregistered (`misc_deregister()` waits for an `open` in progress: the misc
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

/// Driver data of a bound node: the device file, the doorbell's interrupt and the name.
/// Unbinding revokes the carveout (see [`Carveout::revoke`]), then removes the device file,
/// frees the interrupt and the name.
pub(crate) struct BoundCarveout<'bound> {
    // Fields drop in order: the device file goes, then the interrupt (the doorbell is revoked
    // by then: no listener enables or disables the line once it is freed), then the name.
    misc: Pin<KBox<Registration<CarveoutFile>>>,
    _doorbell: Option<Pin<KBox<irq::Registration<'bound, DoorbellHandler>>>>,
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
            Carveout::probe(dev, config, doorbell.as_ref().map(|(d, _)| d.clone()))?,
            GFP_KERNEL,
        )?;
        let name = NameClaim::claim(carveout.misc_name())
            .map_err(|e| ProbeError::NameTaken(carveout.misc_name(), e).report(dev))?;
        let irq = match doorbell {
            Some((doorbell, request)) => {
                let irq = request.irq();
                // SAFETY: The registration is kept in the driver data until it drops, never
                // forgotten.
                let registration = unsafe {
                    irq::Registration::new(
                        request,
                        // The trigger type the tree gave (or the controller's default).
                        irq::Flags::TRIGGER_NONE,
                        c"carveout",
                        Ok::<_, Error>(DoorbellHandler::new(doorbell)),
                    )
                };
                Some(
                    KBox::pin_init(registration, GFP_KERNEL)
                        .map_err(|e| ProbeError::RequestInterrupt(irq, e).report(dev))?,
                )
            }
            None => None,
        };
        let misc = KBox::pin_init(
            Registration::register(carveout.clone(), dev, &sysfs::GROUPS),
            GFP_KERNEL,
        )
        .map_err(|e| ProbeError::Register(carveout.misc_name(), e).report(dev))?;
        carveout.log_probed();
        Ok(BoundCarveout {
            misc,
            _doorbell: irq,
            _name: name,
        })
    }

    fn unbind<'bound>(_pdev: &'bound platform::Device<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        this.misc.data().revoke();
    }
}

/// The doorbell of `pdev`, whose node names an interrupt, and the request for its line.
/// Refusals are logged here.
fn find_doorbell<'bound>(
    pdev: &'bound platform::Device<Bound>,
) -> Result<(Arc<Doorbell>, irq::IrqRequest<'bound>)> {
    let dev = pdev.as_ref();
    let request = pdev
        .optional_irq_by_index(0)
        .map_err(|e| ProbeError::NoInterrupt(e).report(dev))?;
    let irq = request.irq();
    if IrqLine::bus_locked(irq) {
        return Err(ProbeError::SlowBusInterrupt(irq).report(dev));
    }
    let trigger = IrqLine::trigger(irq);
    // SAFETY: `irq` is the device's interrupt. The doorbell enables and disables it only while
    // live, from a listener (which exists once the device file is published, after the handler
    // is registered) or from the handler itself; the driver data frees the handler only after
    // unbind has revoked the doorbell (field order), and a failed probe publishes no device
    // file.
    let line = unsafe { IrqLine::new(irq) };
    let doorbell = Arc::pin_init(Doorbell::new(line, trigger), GFP_KERNEL)?;
    Ok((doorbell, request))
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
