// SPDX-License-Identifier: GPL-2.0

//! File operations of a carveout device file: `mmap`, `pread`/`pwrite` and the info ioctl.

use kernel::{
    fs::{
        File,
        Kiocb, //
    },
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    miscdevice::{
        MiscDevice,
        MiscDeviceRegistration, //
    },
    mm::virt::VmaNew,
    prelude::*,
    sync::{
        Arc,
        ArcBorrow, //
    },
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

use crate::{
    device::Carveout,
    driver::CarveoutMisc,
    uapi, //
};

mod seek;

/// An open carveout device file; its private data is the device's [`Carveout`].
pub(crate) struct CarveoutFile;

#[vtable]
impl MiscDevice for CarveoutFile {
    type Ptr = Arc<Carveout>;

    fn open(file: &File, misc: &MiscDeviceRegistration<Self>) -> Result<Arc<Carveout>> {
        // SAFETY: `CarveoutFile` devices are registered only by `CarveoutMisc::register` (in
        // `driver.rs`), so `misc` is inside a `CarveoutMisc`.
        let carveout = unsafe { CarveoutMisc::data_of(misc) }.clone();
        // SAFETY: `file` is being opened: this is its `open`.
        unsafe { seek::disable_lseek(file) };
        // SAFETY: `file` is being opened, and the `Arc` returned below becomes its private data,
        // which keeps `carveout` alive until `file` is released.
        unsafe { carveout.attach(file) };
        Ok(carveout)
    }

    fn mmap(carveout: ArcBorrow<'_, Carveout>, _file: &File, vma: &VmaNew) -> Result {
        carveout.map_user(vma)
    }

    fn read_iter(mut kiocb: Kiocb<'_, Self::Ptr>, iov: &mut IovIterDest<'_>) -> Result<usize> {
        let carveout = kiocb.file();
        carveout.read(kiocb.ki_pos_mut(), iov)
    }

    fn write_iter(mut kiocb: Kiocb<'_, Self::Ptr>, iov: &mut IovIterSource<'_>) -> Result<usize> {
        let carveout = kiocb.file();
        carveout.write(kiocb.ki_pos_mut(), iov)
    }

    fn ioctl(
        carveout: ArcBorrow<'_, Carveout>,
        _file: &File,
        cmd: u32,
        arg: usize,
    ) -> Result<isize> {
        match cmd {
            uapi::CARVEOUT_IOC_INFO => {
                let mut writer = UserSlice::new(UserPtr::from_addr(arg), uapi::INFO_SIZE).writer();
                writer.write_slice(&carveout.info()?)?;
                Ok(0)
            }
            _ => {
                dev_dbg!(carveout.dev(), "unknown ioctl {cmd:#x}\n");
                Err(ENOTTY)
            }
        }
    }
}
