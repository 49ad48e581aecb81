// SPDX-License-Identifier: GPL-2.0

//! File operations of a carveout device file: `mmap`, `read`/`write` and `pread`/`pwrite`,
//! `lseek` and the ioctls.

use core::ffi::c_int;
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
    mm::virt::VmaNew,
    prelude::*,
    sync::{
        Arc,
        ArcBorrow, //
    },
    types::ForeignOwnable,
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

use crate::{
    device::Carveout,
    driver::CarveoutMisc,
    misc::MiscFops,
    uapi, //
};

/// The file operations of every carveout device file: [`CarveoutFile`]'s, with [`llseek`].
// SAFETY: `llseek` reads `private_data` as the `Arc<Carveout>` that `CarveoutFile::open`
// returned, which is what it is on every carveout file.
pub(crate) static FOPS: MiscFops<CarveoutFile> = unsafe { MiscFops::with_llseek(llseek) };

/// `lseek()`: `SEEK_SET`, `SEEK_CUR` and `SEEK_END` over the region's fixed size; a position
/// outside `[0, size]`, or another `whence`, gives `EINVAL`, and `ENODEV` once unbound.
///
/// # Safety
///
/// `file` must be an open carveout file (one opened through [`FOPS`]), during the call.
unsafe extern "C" fn llseek(
    file: *mut bindings::file,
    offset: bindings::loff_t,
    whence: c_int,
) -> bindings::loff_t {
    // SAFETY: `file` is open (the caller's contract), so `private_data` is the `Arc<Carveout>`
    // that `open` returned in foreign form, released only by `release`, which cannot run during
    // this call.
    let carveout = unsafe { <Arc<Carveout> as ForeignOwnable>::borrow((*file).private_data) };
    match carveout.seek_end() {
        // SAFETY: `file` is a live file; `fixed_size_llseek` updates its position under the
        // locking the VFS gives `llseek`.
        Ok(size) => unsafe { bindings::fixed_size_llseek(file, offset, whence, size) },
        Err(e) => e.to_errno().into(),
    }
}

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
