// SPDX-License-Identifier: GPL-2.0

//! The ioctl ABI, mirrored by `userspace/src/uapi.rs`; `docs/abi.md` describes it.

use kernel::ioctl::_IOR;

/// Size of `struct carveout_info`: the same on every ABI (no padding, 8-byte aligned).
pub(crate) const INFO_SIZE: usize = 56;

/// Bytes of the NUL-terminated name in `struct carveout_info`.
pub(crate) const NAME_LEN: usize = 32;

/// `CARVEOUT_IOC_INFO`: `_IOR(0xB9, 0x00, struct carveout_info)`.
pub(crate) const CARVEOUT_IOC_INFO: u32 = _IOR::<[u8; INFO_SIZE]>(0xB9, 0x00);

/// The answer to `CARVEOUT_IOC_INFO`.
pub(crate) struct Info<'a> {
    /// Physical base address of the region.
    pub(crate) phys_base: u64,
    /// Size of the region in bytes.
    pub(crate) size: u64,
    /// `CARVEOUT_MEM_*`.
    pub(crate) memory_type: u32,
    /// Device name, at most `NAME_LEN - 1` bytes.
    pub(crate) name: &'a [u8],
}

impl Info<'_> {
    /// The bytes userspace receives, in the CPU's byte order.
    pub(crate) fn to_bytes(&self) -> [u8; INFO_SIZE] {
        let mut out = [0u8; INFO_SIZE];
        out[0..8].copy_from_slice(&self.phys_base.to_ne_bytes());
        out[8..16].copy_from_slice(&self.size.to_ne_bytes());
        out[16..20].copy_from_slice(&self.memory_type.to_ne_bytes());
        // Bytes 20..24 are `flags`, zero. The name keeps at least one trailing NUL.
        let len = self.name.len().min(NAME_LEN - 1);
        out[24..24 + len].copy_from_slice(&self.name[..len]);
        out
    }
}
