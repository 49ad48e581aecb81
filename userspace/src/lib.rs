// SPDX-License-Identifier: MIT OR Apache-2.0

//! Open, map and sync carveout devices: the reserved-memory regions the `carveout` kernel
//! module serves as `/dev/<name>`.
//!
//! A [`Carveout`] is an open device file and what the driver reports about it ([`Info`]); its
//! sysfs attributes ([`SysfsAttributes`]) say the same without opening it, and [`list`] names
//! every carveout. [`Carveout::map`] maps a window read-only as a [`Mapping`],
//! [`Carveout::map_mut`] read-write as a [`MappingMut`]; each unmaps on drop and gives volatile,
//! bounds-checked access, naturally aligned where the [`MemoryType`] requires it.
//! [`Carveout::sync`] (or [`Mapping::sync`]) makes a cached region coherent with a device
//! ([`SyncDirection`]). [`Carveout::doorbell`] listens for the region's interrupt ([`Doorbell`]).
//! `pread`/`pwrite`/`lseek` are std's, on [`Carveout::file`]. Every failure
//! is an [`Error`] naming the file, the operation and the `errno`.
//!
//! The ABI is `include/uapi/linux/carveout.h`, described call by call in `docs/abi.md`; the
//! crate's copy of it is checked against the header when the crate is built.
//!
//! # Read-only and read-write mappings
//!
//! A read-only mapping is a type without write methods, as in `memmap2` (`Mmap` and `MmapMut`):
//! a [`Mapping`] only reads, and a [`MappingMut`] derefs to a [`Mapping`] for every read and adds
//! the writes. Writing through a read-only mapping is then a compile error rather than an `Err`
//! at run time, each read method is written once, and code that only reads takes a `&Mapping` of
//! either kind. Two plain types rather than one generic over its access (`Mapping<ReadOnly>`):
//! no type parameter in every signature, error and page of the documentation, for a choice that
//! has two values and is made once, when mapping. Whether a file may be mapped writable stays a
//! run-time fact: [`Carveout::map_mut`] on a file opened [`Access::ReadOnly`] fails with the
//! kernel's `EACCES`.
//!
//! # Examples
//!
//! ```no_run
//! use carveout::{Carveout, MemoryType, SyncDirection};
//!
//! for name in carveout::list()? {
//!     let dev = Carveout::open(&name)?;
//!     let info = dev.info();
//!     println!("{name}: {:#x} bytes at {:#x}, {}", info.size, info.phys_base, info.memory_type);
//! }
//!
//! let dsp = Carveout::open("carveout-dsp")?;
//! assert_eq!(dsp.memory_type(), MemoryType::Cached);
//! let map = dsp.map_mut(0, carveout::page_size())?;
//! map.write_from(0, b"job 1")?;
//! map.sync(&dsp, 0, 5, SyncDirection::ForDevice)?; // the DSP reads memory, not our caches
//! # Ok::<(), carveout::Error>(())
//! ```

#![warn(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    clippy::undocumented_unsafe_blocks
)]

mod device;
mod doorbell;
mod error;
mod mapping;
mod memory_type;
mod sys;
mod sysfs;
mod uapi;

pub use device::{Access, Carveout, Info, SyncDirection};
pub use doorbell::{Doorbell, Trigger};
pub use error::{Error, Result};
pub use mapping::{page_size, Mapping, MappingMut};
pub use memory_type::{MemoryType, ParseMemoryTypeError};
pub use sysfs::{list, SysfsAttributes};
