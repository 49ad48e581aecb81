// SPDX-License-Identifier: GPL-2.0

//! File operations of a carveout device file: `mmap`, `read`/`write` and `pread`/`pwrite`,
//! `lseek` and the ioctls.

use kernel::{
    bindings,
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
    mm::virt::VmaRef,
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
    misc::{
        MiscFops,
        MiscMmap,
        MiscReadWrite,
        MiscSeek, //
    },
    phys::{
        MmapDesc,
        UserBuffer, //
    },
    uapi, //
};

/// The file operations of every carveout device file: [`CarveoutFile`]'s, with `llseek`,
/// `read`, `write` and `mmap_prepare`.
pub(crate) static FOPS: MiscFops<CarveoutFile> = MiscFops::new();

/// An open carveout device file; its private data is the device's [`Carveout`].
pub(crate) struct CarveoutFile;

#[vtable]
impl MiscDevice for CarveoutFile {
    type Ptr = Arc<Carveout>;

    fn open(file: &File, misc: &MiscDeviceRegistration<Self>) -> Result<Arc<Carveout>> {
        // SAFETY: `CarveoutFile` devices are registered only by `CarveoutMisc::register` (in
        // `driver.rs`), so `misc` is inside a `CarveoutMisc`.
        let carveout = unsafe { CarveoutMisc::data_of(misc) }.clone();
        // SAFETY: `file` is being opened, and the `Arc` returned below becomes its private data,
        // which keeps `carveout` alive until `file` is released.
        unsafe { carveout.attach(file) };
        Ok(carveout)
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
        // Every call on a file of an unbound device fails so, whatever it asks.
        carveout.check_live()?;
        match cmd {
            uapi::CARVEOUT_IOC_INFO => {
                let mut writer = UserSlice::new(UserPtr::from_addr(arg), uapi::INFO_SIZE).writer();
                writer.write_slice(&carveout.info()?)?;
                Ok(0)
            }
            uapi::CARVEOUT_IOC_SYNC => {
                let mut raw = [0u8; uapi::SYNC_SIZE];
                UserSlice::new(UserPtr::from_addr(arg), uapi::SYNC_SIZE)
                    .reader()
                    .read_slice(&mut raw)?;
                carveout.sync(&uapi::SyncRequest::from_bytes(&raw))?;
                Ok(0)
            }
            _ => {
                dev_dbg!(carveout.dev(), "unknown ioctl {cmd:#x}\n");
                Err(ENOTTY)
            }
        }
    }
}

impl MiscSeek for CarveoutFile {
    fn seek_end(carveout: ArcBorrow<'_, Carveout>) -> Result<i64> {
        carveout.seek_end()
    }
}

impl MiscReadWrite for CarveoutFile {
    fn read(
        carveout: ArcBorrow<'_, Carveout>,
        buf: &mut UserBuffer,
        pos: &mut i64,
    ) -> Result<usize> {
        carveout.read(pos, buf)
    }

    fn write(
        carveout: ArcBorrow<'_, Carveout>,
        buf: &mut UserBuffer,
        pos: &mut i64,
    ) -> Result<usize> {
        carveout.write(pos, buf)
    }
}

impl MiscMmap for CarveoutFile {
    const FOPS: &'static MiscFops<Self> = &FOPS;

    fn mmap_prepare(
        carveout: ArcBorrow<'_, Carveout>,
        desc: &mut MmapDesc<'_>,
        vm_ops: &'static bindings::vm_operations_struct,
    ) -> Result {
        carveout.describe_user(desc, vm_ops)
    }

    fn mapped(carveout: ArcBorrow<'_, Carveout>, vma: &VmaRef, pgoff: usize) -> Result {
        carveout.map_user(vma, pgoff)
    }
}
