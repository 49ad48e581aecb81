// SPDX-License-Identifier: GPL-2.0

//! The platform driver: one carveout device per matching device-tree node.

use kernel::{
    device::Core,
    of,
    platform,
    prelude::*,
    sync::Arc, //
};

use crate::{
    device::Carveout,
    file::CarveoutFile,
    misc::MiscWithData, //
};

/// The misc device of one carveout, with the carveout it serves.
pub(crate) type CarveoutMisc = MiscWithData<CarveoutFile, Carveout>;

/// Driver data of a bound node: the device file. Unbinding removes it; files still open keep
/// their [`Carveout`] (mapping and claim) until they are closed.
pub(crate) struct CarveoutDriver {
    _misc: Pin<KBox<CarveoutMisc>>,
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
        let carveout = Arc::new(Carveout::probe(dev)?, GFP_KERNEL)?;
        let misc = KBox::pin_init(CarveoutMisc::register(carveout.clone()), GFP_KERNEL)
            .inspect_err(|e| {
                dev_err!(
                    dev,
                    "cannot register /dev/{}: {e:?} (is the name taken?)\n",
                    carveout.name()
                )
            })?;
        carveout.log_probed();
        Ok(Self { _misc: misc })
    }
}
