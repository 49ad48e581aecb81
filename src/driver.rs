// SPDX-License-Identifier: GPL-2.0

//! The platform driver: one carveout device per matching device-tree node, and the module that
//! registers it.

use kernel::{
    device::Core,
    driver,
    of,
    platform,
    prelude::*,
    sync::Arc, //
};

use crate::{
    device::Carveout,
    file::CarveoutFile,
    misc::{
        MiscName,
        MiscWithData, //
    },
    names::{
        self,
        NameClaim, //
    },
};

/// The misc device of one carveout, with the carveout it serves.
pub(crate) type CarveoutMisc = MiscWithData<CarveoutFile, Carveout>;

/// Driver data of a bound node: the device file and its name. Unbinding revokes the carveout
/// (see [`Carveout::revoke`]), then removes the device file and frees the name.
pub(crate) struct CarveoutDriver {
    // Fields drop in order: the device file goes before its name is freed.
    misc: Pin<KBox<CarveoutMisc>>,
    _name: NameClaim,
}

kernel::of_device_table!(
    OF_TABLE,
    <CarveoutDriver as platform::Driver>::IdInfo,
    [(of::DeviceId::new(c"linux,carveout"), ())]
);

impl platform::Driver for CarveoutDriver {
    type IdInfo = ();
    type Data<'bound> = Self;
    const OF_ID_TABLE: Option<of::IdTable<Self::IdInfo>> = Some(&OF_TABLE);

    fn probe<'bound>(
        pdev: &'bound platform::Device<Core<'_>>,
        _info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self, Error> + 'bound {
        let dev = pdev.as_ref();
        let carveout = Arc::pin_init(Carveout::probe(dev)?, GFP_KERNEL)?;
        let name = NameClaim::claim(carveout.misc_name()).inspect_err(|e| {
            dev_err!(
                dev,
                "device name '{}' is taken by another carveout node ({e:?}): give one a different label\n",
                carveout.name()
            )
        })?;
        let misc = KBox::pin_init(CarveoutMisc::register(carveout.clone()), GFP_KERNEL)
            .inspect_err(|e| {
                dev_err!(
                    dev,
                    "cannot register /dev/{}: {e:?} (is the name taken?)\n",
                    carveout.name()
                )
            })?;
        carveout.log_probed();
        Ok(Self { misc, _name: name })
    }

    fn unbind<'bound>(_pdev: &'bound platform::Device<Core<'_>>, this: Pin<&Self::Data<'bound>>) {
        this.misc.data().revoke();
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
        names::init();
        try_pin_init!(Self {
            _driver <- driver::Registration::new(<Self as kernel::ModuleMetadata>::NAME, module),
        })
    }
}
