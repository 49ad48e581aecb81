// SPDX-License-Identifier: GPL-2.0

//! The device file of a carveout, `/dev/<name>`: `mmap`, `read`/`write` and `pread`/`pwrite`,
//! `lseek` and the ioctls (information, cache sync, dma-buf export, doorbell), each a call on the
//! device's [`Carveout`].

use core::ffi::CStr;
use kernel::{
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    prelude::*,
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};

use crate::{
    carveout::Carveout,
    misc::{
        FileOps,
        MappingSpace,
        MiscFile, //
    },
    phys::{
        DescribedVma,
        MmapDesc,
        UserFault,
        VmFault, //
    },
    uapi,
    user_copy::UserBuffer,
};

/// The operations of every carveout device file.
static OPS: FileOps<CarveoutFile> = FileOps::new();

/// The files of a carveout device; each holds the device's [`Carveout`].
pub(crate) struct CarveoutFile;

#[vtable]
impl MiscFile for CarveoutFile {
    type Data = Carveout;
    const OPS: &'static FileOps<Self> = &OPS;

    fn name(carveout: &Carveout) -> &CStr {
        carveout.misc_name()
    }

    fn mapping_space(carveout: &Carveout) -> &MappingSpace {
        carveout.mapping_space()
    }

    fn read_iter(carveout: &Carveout, pos: &mut i64, iov: &mut IovIterDest<'_>) -> Result<usize> {
        carveout.read(pos, iov)
    }

    fn write_iter(
        carveout: &Carveout,
        pos: &mut i64,
        iov: &mut IovIterSource<'_>,
    ) -> Result<usize> {
        carveout.write(pos, iov)
    }

    fn read(carveout: &Carveout, buf: &mut UserBuffer, pos: &mut i64) -> Result<usize> {
        carveout.read(pos, buf)
    }

    fn write(carveout: &Carveout, buf: &mut UserBuffer, pos: &mut i64) -> Result<usize> {
        carveout.write(pos, buf)
    }

    fn ioctl(carveout: &Carveout, cmd: u32, arg: usize, writable: bool) -> Result<isize> {
        // Every call on a file of an unbound device fails so, whatever it asks.
        carveout.check_live()?;
        match cmd {
            uapi::CARVEOUT_IOC_INFO => {
                let info = carveout.info()?;
                let mut writer =
                    UserSlice::new(UserPtr::from_addr(arg), size_of_val(&info)).writer();
                writer.write(&info)?;
                Ok(0)
            }
            uapi::CARVEOUT_IOC_SYNC => {
                let len = size_of::<uapi::SyncRequest>();
                let request = UserSlice::new(UserPtr::from_addr(arg), len)
                    .reader()
                    .read::<uapi::SyncRequest>()?;
                carveout.sync(&request)?;
                Ok(0)
            }
            uapi::CARVEOUT_IOC_EXPORT => {
                let len = size_of::<uapi::ExportRequest>();
                let (mut reader, mut writer) =
                    UserSlice::new(UserPtr::from_addr(arg), len).reader_writer();
                let mut request = reader.read::<uapi::ExportRequest>()?;
                let dma_buf = carveout.export(&request, writable)?;
                // The descriptor is installed only once user space has its number: a fault
                // here releases the dma-buf, and the process is left with no descriptor.
                request.fd = i32::try_from(dma_buf.fd()).map_err(|_| EMFILE)?;
                writer.write(&request)?;
                dma_buf.install();
                Ok(0)
            }
            uapi::CARVEOUT_IOC_DOORBELL => {
                let len = size_of::<uapi::DoorbellRequest>();
                let (mut reader, mut writer) =
                    UserSlice::new(UserPtr::from_addr(arg), len).reader_writer();
                let mut request = reader.read::<uapi::DoorbellRequest>()?;
                let listener = carveout.open_doorbell(&request, writable)?;
                request.trigger = listener.trigger().as_uapi();
                request.count = listener.count();
                let listener = listener.into_file();
                // As for the export: installed only once user space has its number.
                request.fd = i32::try_from(listener.fd()).map_err(|_| EMFILE)?;
                writer.write(&request)?;
                listener.install();
                Ok(0)
            }
            _ => {
                dev_dbg!(carveout.dev(), "unknown ioctl {cmd:#x}\n");
                Err(ENOTTY)
            }
        }
    }

    fn seek_end(carveout: &Carveout) -> Result<i64> {
        carveout.seek_end()
    }

    fn mmap_prepare(carveout: &Carveout, desc: &mut MmapDesc<'_>) -> Result {
        carveout.describe_user(desc)
    }

    fn mapped(carveout: &Carveout, vma: DescribedVma<'_>) -> Result {
        carveout.map_user(vma)
    }

    unsafe fn fault(carveout: &Carveout, fault: UserFault<'_>, order: u32) -> VmFault {
        // SAFETY: The fault is on a VMA that `mmap_prepare`, this carveout's `describe_user`,
        // described (the caller's contract).
        unsafe { carveout.fault_user(fault, order) }
    }

    #[cfg(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP)]
    fn block_pgoff(carveout: &Carveout, pgoff: usize) -> Option<usize> {
        carveout.block_pgoff(pgoff)
    }
}
