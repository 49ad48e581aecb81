// SPDX-License-Identifier: MIT OR Apache-2.0

//! [`Carveout`]: an open carveout device file, what the driver reports about it, and its calls.
//!
//! Mapping a window of it ([`Carveout::map`], [`Carveout::map_mut`]) is in `mapping.rs`, with
//! the types those return: this module knows nothing of mappings.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::doorbell::Doorbell;
use crate::memory_type::MemoryType;
use crate::sys::consts;
use crate::sysfs::{self, SysfsAttributes};
use crate::uapi::{self, CarveoutInfo, CarveoutSync};
use crate::{Error, Result};

/// Whether a file or a mapping may be written.
///
/// # Examples
///
/// ```no_run
/// use carveout::{Access, Carveout};
///
/// let dev = Carveout::open_with("carveout-fb", Access::ReadOnly)?;
/// let map = dev.map(0, 4096)?;
/// assert_eq!(map.access(), Access::ReadOnly);
/// // The kernel refuses a writable mapping of a read-only file.
/// assert!(dev.map_mut(0, 4096).is_err());
/// # Ok::<(), carveout::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// Read only (`O_RDONLY`, `PROT_READ`).
    ReadOnly,
    /// Read and write (`O_RDWR`, `PROT_READ | PROT_WRITE`).
    ReadWrite,
}

impl Access {
    /// `read-only` or `read-write`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(carveout::Access::ReadWrite.name(), "read-write");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Access::ReadOnly => "read-only",
            Access::ReadWrite => "read-write",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which way [`Carveout::sync`] makes a range coherent between the CPU caches and memory.
///
/// Only a [`MemoryType::Cached`] region has anything to do; on the others the call succeeds
/// and does nothing.
///
/// # Examples
///
/// ```no_run
/// use carveout::{Carveout, SyncDirection};
///
/// let dev = Carveout::open("carveout-dsp")?;
/// // The CPU wrote a buffer for the DSP: clean it out of the caches.
/// dev.sync(0, 4096, SyncDirection::ForDevice)?;
/// // The DSP wrote its answer: drop stale cache lines before reading it.
/// dev.sync(4096, 4096, SyncDirection::ForCpu)?;
/// # Ok::<(), carveout::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyncDirection {
    /// Clean: what the CPU wrote reaches memory, for a device to read
    /// (`CARVEOUT_SYNC_FOR_DEVICE`).
    ForDevice,
    /// Clean and invalidate: the CPU reads what a device wrote to memory
    /// (`CARVEOUT_SYNC_FOR_CPU`). No CPU write is discarded: each line is written back as it
    /// is dropped.
    ForCpu,
    /// Both, the first then the second (`CARVEOUT_SYNC_BIDIRECTIONAL`).
    Bidirectional,
}

impl SyncDirection {
    /// `for-device`, `for-cpu` or `both`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(carveout::SyncDirection::Bidirectional.name(), "both");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            SyncDirection::ForDevice => "for-device",
            SyncDirection::ForCpu => "for-cpu",
            SyncDirection::Bidirectional => "both",
        }
    }

    /// The `CARVEOUT_SYNC_*` flags.
    fn flags(self) -> u32 {
        match self {
            SyncDirection::ForDevice => uapi::CARVEOUT_SYNC_FOR_DEVICE,
            SyncDirection::ForCpu => uapi::CARVEOUT_SYNC_FOR_CPU,
            SyncDirection::Bidirectional => uapi::CARVEOUT_SYNC_BIDIRECTIONAL,
        }
    }
}

impl fmt::Display for SyncDirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the driver reports about a region (`CARVEOUT_IOC_INFO`).
///
/// # Examples
///
/// ```no_run
/// let dev = carveout::Carveout::open("carveout-fb")?;
/// let info = dev.info();
/// println!("{}: {:#x} bytes at {:#x}, {}", info.name, info.size, info.phys_base, info.memory_type);
/// # Ok::<(), carveout::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Info {
    /// The physical base address of the region.
    pub phys_base: u64,
    /// The size of the region in bytes, a multiple of the page size.
    pub size: u64,
    /// The memory type of every mapping of the region.
    pub memory_type: MemoryType,
    /// Flags; 0.
    pub flags: u32,
    /// The device name: the file is `/dev/<name>`.
    pub name: String,
}

impl Info {
    /// Decodes the kernel's answer; `Err` with the reason if it is not a valid one.
    fn from_raw(raw: &CarveoutInfo) -> std::result::Result<Info, String> {
        let memory_type = MemoryType::from_raw(raw.memory_type)
            .ok_or_else(|| format!("unknown memory type {}", raw.memory_type))?;
        let name = std::str::from_utf8(raw.name_bytes())
            .map_err(|e| format!("the name is not UTF-8: {e}"))?;
        Ok(Info {
            phys_base: raw.phys_base,
            size: raw.size,
            memory_type,
            flags: raw.flags,
            name: name.into(),
        })
    }
}

/// An open carveout device file (`/dev/<name>`) and what the driver reported when it was
/// opened.
///
/// Reading and writing the region with `pread`/`pwrite`, `read`/`write` and `lseek` is std's
/// [`FileExt`], [`Read`](std::io::Read), [`Write`](std::io::Write) and [`Seek`](std::io::Seek)
/// on [`Carveout::file`]. [`Carveout::map`] maps a window of it read-only, [`Carveout::map_mut`]
/// read-write.
///
/// After the device is unbound (or the module unloaded), every call on the file fails with
/// `ENODEV`, and touching a mapping of it raises `SIGBUS`. `docs/abi.md` describes every call.
///
/// # Examples
///
/// ```no_run
/// use std::os::unix::fs::FileExt;
///
/// use carveout::Carveout;
///
/// let dev = Carveout::open("carveout-fb")?; // /dev/carveout-fb
/// dev.file().write_all_at(b"hello", 0)?; // pwrite(2)
/// let map = dev.map(0, 4096)?;
/// assert_eq!(map.read_u8(1)?, b'e');
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Carveout {
    path: PathBuf,
    file: File,
    access: Access,
    info: Info,
}

impl Carveout {
    /// The device file of `name_or_path`: `/dev/<name>` for a bare name, else the path as it is.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    ///
    /// use carveout::Carveout;
    ///
    /// assert_eq!(Carveout::device_path("carveout-fb"), Path::new("/dev/carveout-fb"));
    /// assert_eq!(Carveout::device_path("./fb"), Path::new("./fb"));
    /// ```
    pub fn device_path(name_or_path: impl AsRef<Path>) -> PathBuf {
        let arg = name_or_path.as_ref();
        if arg.as_os_str().as_bytes().contains(&b'/') {
            arg.to_path_buf()
        } else {
            Path::new("/dev").join(arg)
        }
    }

    /// Opens a carveout read-write, by name (`"carveout-fb"`: `/dev/carveout-fb`) or path, and
    /// asks the driver for its [`Info`].
    ///
    /// # Errors
    ///
    /// The `open(2)` error (`EACCES` for a user who may not open it: the file is `0600`), or the
    /// ioctl's: `ENOTTY` when the file is not a carveout, `ENODEV` when it was unbound.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// assert_eq!(dev.path(), std::path::Path::new("/dev/carveout-fb"));
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn open(name_or_path: impl AsRef<Path>) -> Result<Carveout> {
        Carveout::open_with(name_or_path, Access::ReadWrite)
    }

    /// Opens a carveout (see [`Carveout::open`]) read-only or read-write.
    ///
    /// # Errors
    ///
    /// As [`Carveout::open`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use carveout::{Access, Carveout};
    ///
    /// let dev = Carveout::open_with("/dev/carveout-fb", Access::ReadOnly)?;
    /// assert_eq!(dev.access(), Access::ReadOnly);
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn open_with(name_or_path: impl AsRef<Path>, access: Access) -> Result<Carveout> {
        let path = Carveout::device_path(name_or_path);
        let file = OpenOptions::new()
            .read(true)
            .write(access == Access::ReadWrite)
            .open(&path)
            .map_err(|e| Error::new(&path, format!("open ({access})"), e))?;
        let info = query_info(&path, file.as_fd())?;
        Ok(Carveout {
            path,
            file,
            access,
            info,
        })
    }

    /// The device file's path.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-dsp")?;
    /// println!("{}", dev.path().display()); // /dev/carveout-dsp
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open file: `pread`/`pwrite` ([`FileExt`]), `read`/`write`/`lseek` (on `&File`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::io::{Read, Seek, SeekFrom};
    ///
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let mut file = dev.file();
    /// let end = file.seek(SeekFrom::End(-4))?;
    /// assert_eq!(end, dev.size() - 4);
    /// let mut last = [0u8; 4];
    /// file.read_exact(&mut last)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Whether the file was opened read-only or read-write.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// assert_eq!(dev.access(), carveout::Access::ReadWrite);
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn access(&self) -> Access {
        self.access
    }

    /// What the driver reported when the file was opened.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// assert_eq!(dev.info().name, "carveout-fb");
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn info(&self) -> &Info {
        &self.info
    }

    /// Asks the driver again (`CARVEOUT_IOC_INFO`): `ENODEV` once the device is unbound.
    ///
    /// # Errors
    ///
    /// The ioctl's `errno`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// assert_eq!(&dev.query_info()?, dev.info());
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn query_info(&self) -> Result<Info> {
        query_info(&self.path, self.file.as_fd())
    }

    /// The region's size in bytes.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// assert_eq!(dev.size() % carveout::page_size() as u64, 0);
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn size(&self) -> u64 {
        self.info.size
    }

    /// The region's memory type.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use carveout::{Carveout, MemoryType};
    ///
    /// let dev = Carveout::open("carveout-mbox")?;
    /// if dev.memory_type() == MemoryType::Device {
    ///     println!("naturally aligned accesses only");
    /// }
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn memory_type(&self) -> MemoryType {
        self.info.memory_type
    }

    /// Makes `len` bytes at byte `offset` of the region coherent in `direction`
    /// (`CARVEOUT_IOC_SYNC`).
    ///
    /// Only a write barrier (for the device) on [`MemoryType::WriteCombine`] and
    /// [`MemoryType::Device`] regions. Allowed on a read-only file, in either direction: no
    /// sync loses a byte or changes what anyone reads. The kernel checks the range: the arguments go
    /// to it as they are.
    ///
    /// # Errors
    ///
    /// `EINVAL` for a range not inside the region (`offset` past the end, `len` past the end,
    /// or a sum that overflows); `ENODEV` after unbind.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use carveout::{Carveout, SyncDirection};
    ///
    /// let dev = Carveout::open("carveout-dsp")?;
    /// dev.sync(0, dev.size(), SyncDirection::Bidirectional)?;
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn sync(&self, offset: u64, len: u64, direction: SyncDirection) -> Result<()> {
        let request = CarveoutSync {
            offset,
            length: len,
            flags: direction.flags(),
            reserved: 0,
        };
        uapi::carveout_ioc_sync(self.file.as_fd(), &request).map_err(|e| {
            Error::new(
                &self.path,
                format!("ioctl CARVEOUT_IOC_SYNC {direction}, {len:#x} bytes at {offset:#x}"),
                e,
            )
        })
    }

    /// Exports `len` bytes at `offset` as a dma-buf (`CARVEOUT_IOC_EXPORT`), which V4L2
    /// (`V4L2_MEMORY_DMABUF`), DRM (PRIME) and other processes import without a copy. The
    /// descriptor is close-on-exec; [`Access::ReadWrite`] makes the dma-buf writable, which
    /// needs a device opened for writing; a read-only one is only read (by devices, and by
    /// processes through read-only mappings: a V4L2 capture queue refuses it). The dma-buf
    /// keeps the region claimed after an unbind, until it is closed (`docs/abi.md`).
    ///
    /// # Errors
    ///
    /// `EOPNOTSUPP` when the device tree does not allow export (`linux,dma-buf-export`);
    /// `EINVAL` for a range that is not whole pages inside the region, or of 4 GiB or more;
    /// `EACCES` for [`Access::ReadWrite`] on a device opened read-only; `EMFILE` when the
    /// process has no free descriptor; `ENODEV` after unbind.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use carveout::{Access, Carveout};
    ///
    /// let dev = Carveout::open("carveout-dsp")?;
    /// // Two frame buffers of 4 pages each, for a V4L2 queue of V4L2_MEMORY_DMABUF buffers.
    /// let frames = [
    ///     dev.export_dma_buf(0, 16384, Access::ReadWrite)?,
    ///     dev.export_dma_buf(16384, 16384, Access::ReadWrite)?,
    /// ];
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn export_dma_buf(&self, offset: u64, len: u64, access: Access) -> Result<OwnedFd> {
        let flags = match access {
            Access::ReadOnly => 0,
            Access::ReadWrite => uapi::CARVEOUT_EXPORT_WRITE,
        };
        uapi::carveout_ioc_export(self.file.as_fd(), offset, len, flags).map_err(|e| {
            Error::new(
                &self.path,
                format!(
                    "ioctl CARVEOUT_IOC_EXPORT {}, {len:#x} bytes at {offset:#x}",
                    access.name()
                ),
                e,
            )
        })
    }

    /// A listener of the region's doorbell, the interrupt of its device-tree node: see
    /// [`Doorbell`]. It may mask and unmask the line if this file is open read-write.
    ///
    /// # Errors
    ///
    /// The ioctl's: `EOPNOTSUPP` for a region whose node names no interrupt, `ENODEV` once
    /// unbound.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let mbox = carveout::Carveout::open("carveout-mbox")?;
    /// let mut doorbell = mbox.doorbell()?;
    /// let rings = doorbell.wait()?; // blocks until the device rings
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn doorbell(&self) -> Result<Doorbell> {
        Doorbell::open(&self.path, self.file.as_fd())
    }

    /// Reads exactly `buf.len()` bytes at byte `offset` (`pread(2)`).
    ///
    /// # Errors
    ///
    /// The `pread` error, or [`io::ErrorKind::UnexpectedEof`] when the region ends first.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let mut header = [0u8; 16];
    /// dev.read_exact_at(&mut header, 0)?;
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        self.file.read_exact_at(buf, offset).map_err(|e| {
            Error::new(
                &self.path,
                format!("pread {:#x} bytes at {offset:#x}", buf.len()),
                e,
            )
        })
    }

    /// Writes all of `buf` at byte `offset` (`pwrite(2)`).
    ///
    /// # Errors
    ///
    /// The `pwrite` error (`ENOSPC` at the end of the region, `EBADF` on a read-only file).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// dev.write_all_at(b"marker", 0x100)?;
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn write_all_at(&self, buf: &[u8], offset: u64) -> Result<()> {
        self.file.write_all_at(buf, offset).map_err(|e| {
            Error::new(
                &self.path,
                format!("pwrite {:#x} bytes at {offset:#x}", buf.len()),
                e,
            )
        })
    }

    /// The whole region, read with `pread(2)`.
    ///
    /// # Errors
    ///
    /// As [`Carveout::read_exact_at`]; [`io::ErrorKind::OutOfMemory`] for a region larger than
    /// the address space.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-mbox")?;
    /// let saved = dev.contents()?;
    /// assert_eq!(saved.len() as u64, dev.size());
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn contents(&self) -> Result<Vec<u8>> {
        let len = usize::try_from(self.info.size).map_err(|_| {
            Error::new(
                &self.path,
                "read the whole region",
                io::ErrorKind::OutOfMemory.into(),
            )
        })?;
        let mut buf = vec![0u8; len];
        self.read_exact_at(&mut buf, 0)?;
        Ok(buf)
    }

    /// The device's sysfs directory: `/sys/class/misc/<name>`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// assert_eq!(dev.sysfs_dir(), std::path::Path::new("/sys/class/misc/carveout-fb"));
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn sysfs_dir(&self) -> PathBuf {
        sysfs::class_dir(&self.info.name)
    }

    /// The device's sysfs attributes; the same facts as [`Carveout::info`].
    ///
    /// # Errors
    ///
    /// As [`SysfsAttributes::read`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-fb")?;
    /// let attrs = dev.sysfs_attributes()?;
    /// assert_eq!(attrs.phys_addr, dev.info().phys_base);
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn sysfs_attributes(&self) -> Result<SysfsAttributes> {
        SysfsAttributes::read(&self.info.name)
    }

    /// The platform device (the device-tree node) the device file belongs to:
    /// `/sys/devices/platform/<node>`, the target of `/sys/class/misc/<name>/device`.
    ///
    /// # Errors
    ///
    /// The error resolving the link.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let dev = carveout::Carveout::open("carveout-mbox")?;
    /// let node = dev.platform_device()?;
    /// assert_eq!(node.file_name().unwrap(), "carveout-mailbox");
    /// # Ok::<(), carveout::Error>(())
    /// ```
    pub fn platform_device(&self) -> Result<PathBuf> {
        let link = self.sysfs_dir().join("device");
        link.canonicalize()
            .map_err(|e| Error::new(&link, "resolve the link", e))
    }
}

/// The device file's descriptor, for calls the crate does not wrap.
///
/// # Examples
///
/// ```no_run
/// use std::os::fd::{AsFd, AsRawFd};
///
/// let dev = carveout::Carveout::open("carveout-fb")?;
/// println!("fd {}", dev.as_fd().as_raw_fd());
/// # Ok::<(), carveout::Error>(())
/// ```
impl AsFd for Carveout {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

/// `CARVEOUT_IOC_INFO` on `fd`, the file at `path`, decoded.
fn query_info(path: &Path, fd: BorrowedFd<'_>) -> Result<Info> {
    const OPERATION: &str = "ioctl CARVEOUT_IOC_INFO";
    let raw = uapi::carveout_ioc_info(fd).map_err(|e| match e.raw_os_error() {
        Some(errno) if errno == consts::ENOTTY => {
            Error::new(path, format!("{OPERATION} (not a carveout device)"), e)
        }
        _ => Error::new(path, OPERATION, e),
    })?;
    Info::from_raw(&raw).map_err(|why| {
        Error::new(
            path,
            OPERATION,
            io::Error::new(io::ErrorKind::InvalidData, why),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_under_dev_and_paths_stay() {
        assert_eq!(
            Carveout::device_path("carveout-fb"),
            Path::new("/dev/carveout-fb")
        );
        assert_eq!(
            Carveout::device_path("/dev/carveout-fb"),
            Path::new("/dev/carveout-fb")
        );
        assert_eq!(Carveout::device_path("dev/x"), Path::new("dev/x"));
    }

    #[test]
    fn info_decodes_and_rejects_unknown_types() {
        let mut raw = CarveoutInfo {
            phys_base: 0x4800_0000,
            size: 16 << 20,
            memory_type: uapi::CARVEOUT_MEM_DEVICE,
            flags: 0,
            name: [0; uapi::CARVEOUT_NAME_LEN],
        };
        raw.name[..11].copy_from_slice(b"carveout-fb");
        let info = Info::from_raw(&raw).expect("a valid answer");
        assert_eq!(info.phys_base, 0x4800_0000);
        assert_eq!(info.size, 16 << 20);
        assert_eq!(info.memory_type, MemoryType::Device);
        assert_eq!(info.name, "carveout-fb");
        raw.memory_type = 7;
        assert_eq!(
            Info::from_raw(&raw).map_err(|e| e.contains("unknown memory type 7")),
            Err(true)
        );
    }

    #[test]
    fn sync_directions_are_the_headers_flags() {
        assert_eq!(SyncDirection::ForDevice.flags(), 1);
        assert_eq!(SyncDirection::ForCpu.flags(), 2);
        assert_eq!(SyncDirection::Bidirectional.flags(), 3);
    }
}
