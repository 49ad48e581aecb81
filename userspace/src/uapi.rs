// SPDX-License-Identifier: MIT OR Apache-2.0

//! The ioctl ABI of `include/uapi/linux/carveout.h`, written in Rust and checked against it.
//!
//! Everything here is written by hand, as the kernel's `src/uapi.rs` is: the `_IOC` encoding of
//! the command numbers, the argument structures, the memory types and sync flags. Each one
//! is asserted at compile time to equal what `build.rs` extracted from the header with the C
//! compiler (`sys::consts`), so a change to the header that this file does not follow fails the
//! build. `docs/abi.md` describes the calls. Only the safe wrappers at the end are used outside.

use std::io;
use std::mem::{offset_of, size_of};
use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd};

use crate::sys::{self, consts as c};

// `include/uapi/asm-generic/ioctl.h`: the command number's fields.
const IOC_NRSHIFT: u32 = 0;
const IOC_TYPESHIFT: u32 = 8;
const IOC_SIZESHIFT: u32 = 16;
const IOC_DIRSHIFT: u32 = 30;
const IOC_SIZEBITS: u32 = 14;
const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;

/// `_IOC(dir, type, nr, size)`.
const fn ioc(dir: u32, ty: u32, nr: u32, size: usize) -> u32 {
    assert!(
        size < 1 << IOC_SIZEBITS,
        "an ioctl argument of 16 KiB or more"
    );
    // The assertion above makes the narrowing cast lossless.
    (dir << IOC_DIRSHIFT)
        | ((size as u32) << IOC_SIZESHIFT)
        | (ty << IOC_TYPESHIFT)
        | nr << IOC_NRSHIFT
}

/// `CARVEOUT_IOC_MAGIC`: the ioctl type of every carveout command.
pub(crate) const CARVEOUT_IOC_MAGIC: u32 = 0xB9;
/// `CARVEOUT_IOC_INFO`: `_IOR(CARVEOUT_IOC_MAGIC, 0x00, struct carveout_info)`.
pub(crate) const CARVEOUT_IOC_INFO: u32 = ioc(
    IOC_READ,
    CARVEOUT_IOC_MAGIC,
    0x00,
    size_of::<CarveoutInfo>(),
);
/// `CARVEOUT_IOC_SYNC`: `_IOW(CARVEOUT_IOC_MAGIC, 0x01, struct carveout_sync)`.
pub(crate) const CARVEOUT_IOC_SYNC: u32 = ioc(
    IOC_WRITE,
    CARVEOUT_IOC_MAGIC,
    0x01,
    size_of::<CarveoutSync>(),
);

/// `CARVEOUT_IOC_EXPORT`: `_IOWR(CARVEOUT_IOC_MAGIC, 0x02, struct carveout_export)`.
pub(crate) const CARVEOUT_IOC_EXPORT: u32 = ioc(
    IOC_READ | IOC_WRITE,
    CARVEOUT_IOC_MAGIC,
    0x02,
    size_of::<CarveoutExport>(),
);

/// `CARVEOUT_EXPORT_WRITE`: a writable dma-buf.
pub(crate) const CARVEOUT_EXPORT_WRITE: u32 = 1 << 0;

/// `CARVEOUT_IOC_DOORBELL`: `_IOWR(CARVEOUT_IOC_MAGIC, 0x03, struct carveout_doorbell)`.
pub(crate) const CARVEOUT_IOC_DOORBELL: u32 = ioc(
    IOC_READ | IOC_WRITE,
    CARVEOUT_IOC_MAGIC,
    0x03,
    size_of::<CarveoutDoorbell>(),
);

/// `CARVEOUT_DOORBELL_EDGE`: an edge-triggered doorbell.
pub(crate) const CARVEOUT_DOORBELL_EDGE: u32 = 1;
/// `CARVEOUT_DOORBELL_LEVEL`: a level-triggered doorbell.
pub(crate) const CARVEOUT_DOORBELL_LEVEL: u32 = 2;

/// `CARVEOUT_NAME_LEN`: bytes of the NUL-terminated name in `struct carveout_info`.
pub(crate) const CARVEOUT_NAME_LEN: usize = 32;

/// `CARVEOUT_MEM_WRITE_COMBINE`: Normal non-cacheable.
pub(crate) const CARVEOUT_MEM_WRITE_COMBINE: u32 = 0;
/// `CARVEOUT_MEM_CACHED`: Normal write-back.
pub(crate) const CARVEOUT_MEM_CACHED: u32 = 1;
/// `CARVEOUT_MEM_DEVICE`: Device, naturally aligned accesses only (no unaligned access; `memcpy`
/// may fault).
pub(crate) const CARVEOUT_MEM_DEVICE: u32 = 2;

/// `CARVEOUT_SYNC_FOR_DEVICE`: clean, CPU writes reach memory.
pub(crate) const CARVEOUT_SYNC_FOR_DEVICE: u32 = 1 << 0;
/// `CARVEOUT_SYNC_FOR_CPU`: invalidate, CPU reads see memory.
pub(crate) const CARVEOUT_SYNC_FOR_CPU: u32 = 1 << 1;
/// `CARVEOUT_SYNC_BIDIRECTIONAL`: clean, then invalidate.
pub(crate) const CARVEOUT_SYNC_BIDIRECTIONAL: u32 =
    CARVEOUT_SYNC_FOR_DEVICE | CARVEOUT_SYNC_FOR_CPU;

/// `struct carveout_info`: the answer to `CARVEOUT_IOC_INFO`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct CarveoutInfo {
    /// Physical base address of the region.
    pub(crate) phys_base: u64,
    /// Size of the region in bytes.
    pub(crate) size: u64,
    /// `CARVEOUT_MEM_*`.
    pub(crate) memory_type: u32,
    /// 0.
    pub(crate) flags: u32,
    /// Device name, NUL-terminated.
    pub(crate) name: [u8; CARVEOUT_NAME_LEN],
}

impl CarveoutInfo {
    /// All zero: the buffer the kernel fills.
    const fn zeroed() -> CarveoutInfo {
        CarveoutInfo {
            phys_base: 0,
            size: 0,
            memory_type: 0,
            flags: 0,
            name: [0; CARVEOUT_NAME_LEN],
        }
    }

    /// The name's bytes, up to the first NUL.
    pub(crate) fn name_bytes(&self) -> &[u8] {
        let end = self
            .name
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.name.len());
        &self.name[..end]
    }
}

/// `struct carveout_sync`: the argument of `CARVEOUT_IOC_SYNC`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct CarveoutSync {
    /// Start of the range in the region.
    pub(crate) offset: u64,
    /// Bytes; 0 does nothing.
    pub(crate) length: u64,
    /// `CARVEOUT_SYNC_*`, at least one.
    pub(crate) flags: u32,
    /// 0.
    pub(crate) reserved: u32,
}

/// `struct carveout_export`: the argument of `CARVEOUT_IOC_EXPORT`, and its answer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct CarveoutExport {
    /// Start of the buffer in the region, page-aligned.
    pub(crate) offset: u64,
    /// Bytes, page-aligned, not 0, below 4 GiB.
    pub(crate) length: u64,
    /// `CARVEOUT_EXPORT_WRITE` or 0.
    pub(crate) flags: u32,
    /// Out: the dma-buf's file descriptor.
    pub(crate) fd: i32,
}

/// `struct carveout_doorbell`: the argument of `CARVEOUT_IOC_DOORBELL`, and its answer.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct CarveoutDoorbell {
    /// 0.
    pub(crate) flags: u32,
    /// Out: `CARVEOUT_DOORBELL_EDGE` or `CARVEOUT_DOORBELL_LEVEL`.
    pub(crate) trigger: u32,
    /// Out: the listener's file descriptor.
    pub(crate) fd: i32,
    /// Out: the count when the listener opened.
    pub(crate) count: u32,
}

/// The size of field `$field` of `$type`, in a constant expression.
macro_rules! field_size {
    ($type:ty, $field:ident) => {{
        const fn pointee_size<T>(_: *const T) -> usize {
            size_of::<T>()
        }
        let value = std::mem::MaybeUninit::<$type>::uninit();
        // SAFETY: Only the address of a field inside `value` is computed; nothing is read.
        pointee_size(unsafe { &raw const (*value.as_ptr()).$field })
    }};
}

/// Fails the build unless the Rust value equals the header's.
macro_rules! same_as_header {
    ($($rust:expr => $header:expr;)*) => {$(
        const _: () = assert!(
            $rust == $header,
            concat!(
                "userspace/src/uapi.rs disagrees with include/uapi/linux/carveout.h: ",
                stringify!($rust),
                " is not the header's ",
                stringify!($header),
            )
        );
    )*};
}

same_as_header! {
    CARVEOUT_IOC_MAGIC => c::CARVEOUT_IOC_MAGIC;
    CARVEOUT_IOC_INFO => c::CARVEOUT_IOC_INFO;
    CARVEOUT_IOC_SYNC => c::CARVEOUT_IOC_SYNC;
    CARVEOUT_IOC_EXPORT => c::CARVEOUT_IOC_EXPORT;
    CARVEOUT_EXPORT_WRITE => c::CARVEOUT_EXPORT_WRITE;
    CARVEOUT_IOC_DOORBELL => c::CARVEOUT_IOC_DOORBELL;
    CARVEOUT_DOORBELL_EDGE => c::CARVEOUT_DOORBELL_EDGE;
    CARVEOUT_DOORBELL_LEVEL => c::CARVEOUT_DOORBELL_LEVEL;
    CARVEOUT_NAME_LEN => c::CARVEOUT_NAME_LEN;
    CARVEOUT_MEM_WRITE_COMBINE => c::CARVEOUT_MEM_WRITE_COMBINE;
    CARVEOUT_MEM_CACHED => c::CARVEOUT_MEM_CACHED;
    CARVEOUT_MEM_DEVICE => c::CARVEOUT_MEM_DEVICE;
    CARVEOUT_SYNC_FOR_DEVICE => c::CARVEOUT_SYNC_FOR_DEVICE;
    CARVEOUT_SYNC_FOR_CPU => c::CARVEOUT_SYNC_FOR_CPU;
    CARVEOUT_SYNC_BIDIRECTIONAL => c::CARVEOUT_SYNC_BIDIRECTIONAL;

    size_of::<CarveoutInfo>() => c::SIZEOF_CARVEOUT_INFO;
    offset_of!(CarveoutInfo, phys_base) => c::OFFSETOF_CARVEOUT_INFO_PHYS_BASE;
    field_size!(CarveoutInfo, phys_base) => c::SIZEOF_CARVEOUT_INFO_PHYS_BASE;
    offset_of!(CarveoutInfo, size) => c::OFFSETOF_CARVEOUT_INFO_SIZE;
    field_size!(CarveoutInfo, size) => c::SIZEOF_CARVEOUT_INFO_SIZE;
    offset_of!(CarveoutInfo, memory_type) => c::OFFSETOF_CARVEOUT_INFO_MEMORY_TYPE;
    field_size!(CarveoutInfo, memory_type) => c::SIZEOF_CARVEOUT_INFO_MEMORY_TYPE;
    offset_of!(CarveoutInfo, flags) => c::OFFSETOF_CARVEOUT_INFO_FLAGS;
    field_size!(CarveoutInfo, flags) => c::SIZEOF_CARVEOUT_INFO_FLAGS;
    offset_of!(CarveoutInfo, name) => c::OFFSETOF_CARVEOUT_INFO_NAME;
    field_size!(CarveoutInfo, name) => c::SIZEOF_CARVEOUT_INFO_NAME;

    size_of::<CarveoutSync>() => c::SIZEOF_CARVEOUT_SYNC;
    offset_of!(CarveoutSync, offset) => c::OFFSETOF_CARVEOUT_SYNC_OFFSET;
    field_size!(CarveoutSync, offset) => c::SIZEOF_CARVEOUT_SYNC_OFFSET;
    offset_of!(CarveoutSync, length) => c::OFFSETOF_CARVEOUT_SYNC_LENGTH;
    field_size!(CarveoutSync, length) => c::SIZEOF_CARVEOUT_SYNC_LENGTH;
    offset_of!(CarveoutSync, flags) => c::OFFSETOF_CARVEOUT_SYNC_FLAGS;
    field_size!(CarveoutSync, flags) => c::SIZEOF_CARVEOUT_SYNC_FLAGS;
    offset_of!(CarveoutSync, reserved) => c::OFFSETOF_CARVEOUT_SYNC_RESERVED;
    field_size!(CarveoutSync, reserved) => c::SIZEOF_CARVEOUT_SYNC_RESERVED;

    size_of::<CarveoutExport>() => c::SIZEOF_CARVEOUT_EXPORT;
    offset_of!(CarveoutExport, offset) => c::OFFSETOF_CARVEOUT_EXPORT_OFFSET;
    field_size!(CarveoutExport, offset) => c::SIZEOF_CARVEOUT_EXPORT_OFFSET;
    offset_of!(CarveoutExport, length) => c::OFFSETOF_CARVEOUT_EXPORT_LENGTH;
    field_size!(CarveoutExport, length) => c::SIZEOF_CARVEOUT_EXPORT_LENGTH;
    offset_of!(CarveoutExport, flags) => c::OFFSETOF_CARVEOUT_EXPORT_FLAGS;
    field_size!(CarveoutExport, flags) => c::SIZEOF_CARVEOUT_EXPORT_FLAGS;
    offset_of!(CarveoutExport, fd) => c::OFFSETOF_CARVEOUT_EXPORT_FD;
    field_size!(CarveoutExport, fd) => c::SIZEOF_CARVEOUT_EXPORT_FD;

    size_of::<CarveoutDoorbell>() => c::SIZEOF_CARVEOUT_DOORBELL;
    offset_of!(CarveoutDoorbell, flags) => c::OFFSETOF_CARVEOUT_DOORBELL_FLAGS;
    field_size!(CarveoutDoorbell, flags) => c::SIZEOF_CARVEOUT_DOORBELL_FLAGS;
    offset_of!(CarveoutDoorbell, trigger) => c::OFFSETOF_CARVEOUT_DOORBELL_TRIGGER;
    field_size!(CarveoutDoorbell, trigger) => c::SIZEOF_CARVEOUT_DOORBELL_TRIGGER;
    offset_of!(CarveoutDoorbell, fd) => c::OFFSETOF_CARVEOUT_DOORBELL_FD;
    field_size!(CarveoutDoorbell, fd) => c::SIZEOF_CARVEOUT_DOORBELL_FD;
    offset_of!(CarveoutDoorbell, count) => c::OFFSETOF_CARVEOUT_DOORBELL_COUNT;
    field_size!(CarveoutDoorbell, count) => c::SIZEOF_CARVEOUT_DOORBELL_COUNT;
}

/// `CARVEOUT_IOC_INFO` on `fd`: what the driver reports about the region.
pub(crate) fn carveout_ioc_info(fd: BorrowedFd<'_>) -> io::Result<CarveoutInfo> {
    let mut info = CarveoutInfo::zeroed();
    // SAFETY: The request number encodes a read of `size_of::<CarveoutInfo>()` bytes (`_IOR`),
    // and `CarveoutInfo` is `struct carveout_info` (checked against the header above); `info` is
    // valid for writes of it. A driver that does not know the number answers `ENOTTY`.
    unsafe { sys::ioctl_ptr(fd, CARVEOUT_IOC_INFO, &raw mut info) }?;
    Ok(info)
}

/// `CARVEOUT_IOC_SYNC` on `fd` with `sync`, passed to the kernel as it is (the kernel checks it).
pub(crate) fn carveout_ioc_sync(fd: BorrowedFd<'_>, sync: &CarveoutSync) -> io::Result<()> {
    // SAFETY: The request number encodes a write of `size_of::<CarveoutSync>()` bytes to the
    // kernel (`_IOW`): it only reads `*sync`, which is `struct carveout_sync` (checked above).
    unsafe { sys::ioctl_ptr(fd, CARVEOUT_IOC_SYNC, std::ptr::from_ref(sync).cast_mut()) }
}

/// `CARVEOUT_IOC_EXPORT` on `fd`: the new dma-buf, which the returned descriptor owns.
pub(crate) fn carveout_ioc_export(
    fd: BorrowedFd<'_>,
    offset: u64,
    length: u64,
    flags: u32,
) -> io::Result<OwnedFd> {
    let mut request = CarveoutExport {
        offset,
        length,
        flags,
        fd: -1,
    };
    // SAFETY: The request number encodes a read and a write of `size_of::<CarveoutExport>()`
    // bytes (`_IOWR`), and `CarveoutExport` is `struct carveout_export` (checked against the
    // header above); `request` is valid for both.
    unsafe { sys::ioctl_ptr(fd, CARVEOUT_IOC_EXPORT, &raw mut request) }?;
    // SAFETY: On success the kernel installed a new descriptor for the dma-buf in `request.fd`,
    // which nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(request.fd) })
}

/// `CARVEOUT_IOC_DOORBELL` on `fd`: a new listener of the region's doorbell, which the returned
/// descriptor owns, with the answer (the line's trigger, the count it starts from).
pub(crate) fn carveout_ioc_doorbell(fd: BorrowedFd<'_>) -> io::Result<(OwnedFd, CarveoutDoorbell)> {
    let mut request = CarveoutDoorbell {
        flags: 0,
        trigger: 0,
        fd: -1,
        count: 0,
    };
    // SAFETY: The request number encodes a read and a write of `size_of::<CarveoutDoorbell>()`
    // bytes (`_IOWR`), and `CarveoutDoorbell` is `struct carveout_doorbell` (checked against the
    // header above); `request` is valid for both.
    unsafe { sys::ioctl_ptr(fd, CARVEOUT_IOC_DOORBELL, &raw mut request) }?;
    // SAFETY: On success the kernel installed a new descriptor for the listener in `request.fd`,
    // which nothing else owns.
    Ok((unsafe { OwnedFd::from_raw_fd(request.fd) }, request))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_numbers_match_the_kernel_macros() {
        // _IOR(0xB9, 0x00, 56 bytes) and _IOW(0xB9, 0x01, 24 bytes), as on arm and x86.
        assert_eq!(CARVEOUT_IOC_INFO, 0x8038_b900);
        assert_eq!(CARVEOUT_IOC_SYNC, 0x4018_b901);
        // _IOWR(0xB9, 0x02, 24 bytes).
        assert_eq!(CARVEOUT_IOC_EXPORT, 0xc018_b902);
        // _IOWR(0xB9, 0x03, 16 bytes).
        assert_eq!(CARVEOUT_IOC_DOORBELL, 0xc010_b903);
    }

    #[test]
    fn layouts_have_no_padding() {
        assert_eq!(size_of::<CarveoutInfo>(), 56);
        assert_eq!(size_of::<CarveoutSync>(), 24);
        assert_eq!(size_of::<CarveoutExport>(), 24);
        assert_eq!(size_of::<CarveoutDoorbell>(), 16);
    }

    #[test]
    fn name_stops_at_the_first_nul() {
        let mut info = CarveoutInfo::zeroed();
        info.name[..11].copy_from_slice(b"carveout-fb");
        assert_eq!(info.name_bytes(), b"carveout-fb");
        info.name = [b'x'; CARVEOUT_NAME_LEN];
        assert_eq!(info.name_bytes().len(), CARVEOUT_NAME_LEN);
    }
}
